"""Where training runs: the GPUs, the precision (dtype policy) and the distribution over devices.

:func:`fastest_dtype_policy` and :func:`make_strategy` are public (``vh.``; docs/training.md and docs/speed.md say
when to use them); the model builders build under :func:`dtype_policy`, and :func:`vae_helpers.train` trains under
:func:`checked_strategy` and :func:`strategy_scope`. What differs between backends comes from
:mod:`vae_helpers.backends` (``tf.distribute`` on TensorFlow, ``keras.distribution`` on JAX, one device on PyTorch).
"""

from __future__ import annotations

import contextlib
import pathlib

import keras

from vae_helpers.backends import active
from vae_helpers.dtype_policies import DTYPE_POLICIES, FLOAT32, MIXED_BFLOAT16

# ----------------------------------------------------------------------------------------------- devices

gpu_count = active.gpu_count  # () -> int: number of GPUs the backend sees


# ----------------------------------------------------------------------------------------------- precision


def fastest_dtype_policy(cpu_flags=None, gpus=None, backend_name=None) -> str:
    """Name the dtype policy that trains the VAE fastest here without costing quality (for ``build_vae``).

    ``"mixed_bfloat16"`` on TensorFlow, on a machine without GPU whose CPU computes bfloat16 natively
    (``avx512_bf16`` or ``amx_bf16`` among its flags): ``benchmarks/run.py`` measured 1.5x to 2x less CPU work
    per image there, and ``benchmarks/results/precision.json`` the same test -ELBO after the full 50 epochs.
    ``"float32"`` elsewhere: on JAX the same CPU does more work in bfloat16 than in float32 (measured by
    ``benchmarks/run.py``), where a CPU only emulates bfloat16 it is not expected to pay off, and on GPUs the
    course has no measurement yet.

    Args:
        cpu_flags: the CPU's feature flags (default: read from ``/proc/cpuinfo``; none if it is absent).
        gpus: number of GPUs (default: :func:`gpu_count`).
        backend_name: the Keras backend (default: the one running, ``keras.backend.backend()``).
    """
    backend_name = keras.backend.backend() if backend_name is None else backend_name
    gpus = gpu_count() if gpus is None else gpus
    cpu_flags = _cpu_flags() if cpu_flags is None else cpu_flags
    if backend_name == "tensorflow" and gpus == 0 and {"avx512_bf16", "amx_bf16"} & set(cpu_flags):
        return MIXED_BFLOAT16
    return FLOAT32


def _cpu_flags() -> list[str]:
    try:
        text = pathlib.Path("/proc/cpuinfo").read_text()
    except OSError:  # not Linux: no native-bfloat16 detection
        return []
    return next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])


@contextlib.contextmanager
def dtype_policy(name):
    """Build layers under the dtype policy ``name`` (one of :data:`DTYPE_POLICIES`, or None: leave it)."""
    if name is None:
        yield
        return
    if name not in DTYPE_POLICIES:
        raise ValueError(f"dtype_policy must be None or one of {DTYPE_POLICIES}, got {name!r}.")
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


# ----------------------------------------------------------------------------------------------- distribution

STRATEGIES = ("default", "mirrored", "multiworker", "tpu")


def make_strategy(name: str = "default"):
    """Return the distribution called ``name`` (one of :data:`STRATEGIES`), or None for the default (one device).

    ``mirrored``: every local GPU (or the CPU), data-parallel: ``tf.distribute.MirroredStrategy`` on TensorFlow,
    ``keras.distribution.DataParallel`` on JAX. On TensorFlow only: ``multiworker``, one replica per worker listed in
    ``$TF_CONFIG``, and ``tpu``, the TPU of a Colab/Cloud TPU runtime. Either kind has ``.scope()``: build the model
    inside it, then pass the strategy to :func:`vae_helpers.train`.
    """
    if name not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {name!r}.")
    if name == "default":
        return None
    if name not in active.DISTRIBUTIONS:
        backend = keras.backend.backend()
        raise ValueError(
            f"strategy {name!r} needs the TensorFlow backend (this is {backend}); on JAX use "
            "'mirrored' (keras.distribution.DataParallel), or set KERAS_BACKEND=tensorflow."
        )
    return active.make_distribution(name)


checked_strategy = active.checked_strategy  # (model, strategy) -> the strategy to train model under, or a clear error


def strategy_scope(strategy):
    """``strategy.scope()``, or a no-op for None (one device)."""
    return contextlib.nullcontext() if strategy is None else strategy.scope()
