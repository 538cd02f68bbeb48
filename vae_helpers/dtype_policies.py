"""The names of the dtype policies the course builds models with, in one home that loads no backend.

:mod:`vae_helpers.devices` builds models under them and picks the fastest for a machine; :mod:`vae_helpers.recipes`
gives a recipe its bfloat16 version (the training command reads both before Keras is loaded, for ``--help``).
"""

FLOAT32 = "float32"
MIXED_BFLOAT16 = "mixed_bfloat16"  # weights in float32, layers computed in bfloat16 (CPUs with native bfloat16)
MIXED_FLOAT16 = "mixed_float16"  # the same in float16, with loss scaling (GPUs)
DTYPE_POLICIES = (FLOAT32, MIXED_BFLOAT16, MIXED_FLOAT16)
