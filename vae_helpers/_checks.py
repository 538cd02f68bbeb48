"""Input checks shared by the public helpers (clear ``ValueError`` messages, no silent broadcasting)."""

from __future__ import annotations

import math
import numbers

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
    """Raise a clear error unless ``x`` (a numpy array, a tensor of any backend, or a nested list) holds floats."""
    import keras

    dtype = getattr(x, "dtype", None)
    dtype = keras.backend.standardize_dtype(dtype if dtype is not None else np.asarray(x).dtype)
    if not dtype.startswith(("float", "bfloat")):  # bfloat16: mixed precision
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


def check_positive_int(value, name: str, maximum: int | None = None, hint: str = "") -> int:
    """``value`` as an int if it is a whole number (Python or numpy, not a bool) in 1..``maximum``, else a clear
    error naming ``name``, the range and ``hint`` (why the bound)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, np.integer))
        or value < 1
        or (maximum is not None and value > maximum)
    ):
        bound = "a positive integer" + ("" if maximum is None else f" up to {maximum:,}")
        raise ValueError(f"{name} must be {bound}{f' ({hint})' if hint else ''}, got {value!r}.")
    return int(value)


MAX_SEED = 2**32 - 1  # Keras seeds numpy's generator, which takes 32-bit seeds


def check_seed(seed, purpose: str = "", allow_none: bool = True, name: str = "seed") -> int | None:
    """``seed`` as an int if it is a whole number (not a bool) from 0 to :data:`MAX_SEED`, or None when
    ``allow_none``; else a clear error naming ``name`` that says what the seed is for (``purpose``). The one seed
    check."""
    whole = not isinstance(seed, bool) and isinstance(seed, (int, np.integer))
    if (seed is None and allow_none) or (whole and 0 <= seed <= MAX_SEED):
        return None if seed is None else int(seed)
    expected = (
        f"{'None or ' if allow_none else ''}an integer from 0 to 2**32 - 1 = {MAX_SEED} (numpy's seeds are 32-bit)"
    )
    raise ValueError(f"{name} must be {expected}{f'; {purpose}' if purpose else ''}, got {seed!r}.")


MAX_LATENT_DIM = 1024  # latent sizes the course's models are built with: 2 to 64; bounds what a JSON file can ask
MAX_BATCH_SIZE = 4096  # images per training step: the activations and gradients of a step stay within a few GB
BATCH_SIZE_HINT = "a step's activations grow with it; the reference uses 128"
MAX_IMAGE_SIDE = 256  # pixels per side of an image the models take (notebook 10 uses 32): bounded model size


def check_latent_dim(latent_dim, name: str = "latent_dim") -> int:
    """``latent_dim`` as an int in 1..:data:`MAX_LATENT_DIM`, else a clear error."""
    return check_positive_int(latent_dim, name, MAX_LATENT_DIM, "the course uses 2 to 64")


def check_beta(beta, name: str = "beta") -> float:
    """The KL weight ``beta`` as a float if it is a finite number >= 0, else a clear error naming ``name``."""
    return check_finite(beta, name, minimum=0.0, hint="1.0 gives the ELBO")


def check_learning_rate(learning_rate, name: str = "learning_rate") -> float:
    """``learning_rate`` as a float if it is a finite number > 0, else a clear error naming ``name``."""
    return check_finite(learning_rate, name, minimum=0.0, strict=True, hint="the reference uses 0.001")


def check_finite(value, name: str, minimum: float | None = None, strict: bool = False, hint: str = "") -> float:
    """Return ``value`` as a float if it is a finite real number (Python or numpy) >= ``minimum`` (> if strict).

    The error says what was expected: "``name`` must be a finite number > 0 (``hint``), got ...".
    """
    ok = not isinstance(value, (bool, np.bool_)) and isinstance(value, numbers.Real) and math.isfinite(value)
    if ok and minimum is not None:
        ok = value > minimum if strict else value >= minimum
    if not ok:
        bound = "" if minimum is None else f" {'>' if strict else '>='} {minimum:g}"
        raise ValueError(f"{name} must be a finite number{bound}{f' ({hint})' if hint else ''}, got {value!r}.")
    return float(value)


def check_labels(labels, n: int, name: str = "y", num_classes: int = 10) -> np.ndarray:
    """``labels`` as an int64 numpy array, checked to hold n whole class indices in 0..num_classes-1 (ints or
    whole floats); Fashion-MNIST's ten classes by default."""
    array = np.asarray(labels)
    numeric = array.dtype.kind in "iuf" and array.shape == (n,)
    if (
        not numeric
        or not np.all(np.isfinite(array))
        or not np.all(array == np.round(array))
        or (n and (array.min() < 0 or array.max() > num_classes - 1))
    ):
        found = f"values {array.min()}..{array.max()}" if numeric and n else f"shape {array.shape}, dtype {array.dtype}"
        raise ValueError(
            f"{name} must hold one class index per image: {n} whole numbers in 0..{num_classes - 1} "
            f"(see vh.CLASS_NAMES); got {found}."
        )
    return array.astype(np.int64)


def checked_one_hot(labels, n: int, num_classes: int, name: str = "labels") -> np.ndarray:
    """Class indices (n,), checked as :func:`check_labels` does, as one-hot float32 vectors (n, num_classes): what
    a conditional VAE's encoder and decoder take (notebook 09)."""
    return np.eye(num_classes, dtype=np.float32)[check_labels(labels, n, name, num_classes)]


def check_vae(model, function: str, takes_labels: bool = False) -> None:
    """Raise a clear error unless ``model`` is a VAE (it has an encoder, the decoder's logits and its own
    -log p(x|z), ``reconstruction_nll``) that ``function`` can score: one that takes images alone, or also a
    :class:`vae_helpers.CVAE` (which needs each image's label) when ``takes_labels``."""
    parts = ("encoder", "decoder_logits", "latent_dim", "reconstruction_nll", "beta")  # beta: it has a KL term
    if not all(hasattr(model, part) for part in parts):
        raise ValueError(
            f"{function} needs a whole vh.VAE (encoder and decoder), got {type(model).__name__}. "
            "Pass the model built by vh.build_vae() or loaded by vh.load_pretrained(), not one of its "
            "parts (an autoencoder has no posterior: score it with vh.reconstruction_error)."
        )
    if getattr(model, "is_conditional", False) and not takes_labels:
        raise ValueError(
            f"{function} scores an unconditional vh.VAE; this {type(model).__name__} also needs each "
            "image's label. Score it with vh.evaluate(cvae, x, labels=y)."
        )


def decoder_of(model):
    """The decoder model of ``model``: a VAE's ``decoder``, or ``model`` itself if it is a ``keras.Model``.

    The one place where "a VAE or its decoder" is unwrapped (the latent grid, the explorers, the pictures).
    """
    import keras

    part = getattr(model, "decoder", model)
    if not isinstance(part, keras.Model):
        raise ValueError(
            f"expected a decoder keras.Model or a vh.VAE, got {type(model).__name__}. "
            "Pass vae.decoder, the VAE itself, or a model from vh.build_decoder()."
        )
    return part


def encoder_of(model):
    """The encoder model of ``model``: a VAE's ``encoder``, or ``model`` itself if it is a ``keras.Model``."""
    import keras

    part = getattr(model, "encoder", model)
    if not isinstance(part, keras.Model):
        raise ValueError(
            f"expected an encoder keras.Model or a vh.VAE, got {type(model).__name__}. "
            "Pass vae.encoder, the VAE itself, or a model from vh.build_encoder()."
        )
    return part


def check_image_shape(image_shape, name: str = "image_shape") -> tuple:
    """``image_shape`` (H, W, C) as a tuple of ints if H and W are positive multiples of 4 up to
    :data:`MAX_IMAGE_SIDE` and C is 1 or 3 (the encoder halves the size twice, the decoder doubles it twice), else a
    clear error. Notebook 10."""
    try:
        shape = tuple(image_shape)
    except TypeError:
        shape = None
    ok = (
        shape is not None
        and len(shape) == 3
        and all(isinstance(d, (int, np.integer)) and not isinstance(d, bool) for d in shape)
    )
    if not ok or not all(4 <= side <= MAX_IMAGE_SIDE and side % 4 == 0 for side in shape[:2]) or shape[2] not in (1, 3):
        raise ValueError(
            f"{name} must be (H, W, C) with H and W multiples of 4 from 4 to {MAX_IMAGE_SIDE} (the "
            f"encoder halves them twice) and C 1 (grey) or 3 (RGB) channels, got {image_shape!r}. "
            "Resize your images, e.g. vh.load_image_folder(path, size=(32, 32))."
        )
    return tuple(int(d) for d in shape)


def image_shape_of(model) -> tuple:
    """The image shape (H, W, C) a VAE or autoencoder (or its encoder) takes: its encoder's input shape."""
    return tuple(int(d) for d in encoder_of(model).inputs[0].shape[1:])
