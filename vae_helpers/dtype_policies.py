"""The names of the dtype policies the course builds models with, in one home below the modules that use them.

:mod:`vae_helpers.devices` builds models under them and picks the fastest for a machine; :mod:`vae_helpers.recipes`
(notebook 05) gives a recipe its bfloat16 version. Neither imports the other: the runtime layer would point up to a
chapter's module, or a recipe would load the runtime's devices to read one name.
"""

FLOAT32 = "float32"
MIXED_BFLOAT16 = "mixed_bfloat16"  # weights in float32, layers computed in bfloat16 (CPUs with native bfloat16)
MIXED_FLOAT16 = "mixed_float16"  # the same in float16, with loss scaling (GPUs)
DTYPE_POLICIES = (FLOAT32, MIXED_BFLOAT16, MIXED_FLOAT16)
