"""Input checks shared by the public helpers (clear ``ValueError`` messages, no silent broadcasting)."""

from __future__ import annotations

import numpy as np


def shape_of(x) -> tuple:
    """Static shape of a numpy array or tensor as a tuple (None for unknown dimensions)."""
    shape = getattr(x, "shape", None)
    if shape is None:
        shape = np.shape(x)
    return tuple(None if d is None else int(d) for d in shape)


def shapes_agree(a: tuple, b: tuple) -> bool:
    """True when two static shapes can describe the same tensor: same rank, and each pair of sizes equal or
    unknown (None). Inside a traced graph a size may be unknown, e.g. (None, None, None, None) for a batch of
    images from ``tf.data`` on older TensorFlow releases."""
    return len(a) == len(b) and all(x is None or y is None or x == y for x, y in zip(a, b))


def check_float(x, name: str) -> None:
    dtype = getattr(x, "dtype", None)
    dtype = np.dtype(getattr(dtype, "as_numpy_dtype", dtype)) if dtype is not None else np.asarray(x).dtype
    if not (np.issubdtype(dtype, np.floating) or dtype.name == "bfloat16"):  # bfloat16: mixed precision
        raise ValueError(f"{name} must be a float tensor, got dtype {dtype}. Fix: cast with .astype('float32').")


def check_gaussian_params(z_mean, z_log_var) -> None:
    """Check that ``z_mean`` and ``z_log_var`` are float, rank 2 (B, D) and of the same shape."""
    for name, value in (("z_mean", z_mean), ("z_log_var", z_log_var)):
        check_float(value, name)
        if len(shape_of(value)) != 2:
            raise ValueError(f"{name} must have shape (B, D) (a batch of latent vectors), got {shape_of(value)}.")
    if not shapes_agree(shape_of(z_mean), shape_of(z_log_var)):
        raise ValueError(
            f"z_mean and z_log_var must have the same shape (B, D), got {shape_of(z_mean)} and {shape_of(z_log_var)}."
        )


def check_positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)
