"""The two terms of the VAE loss, per image, in nats. Introduced in notebook 04; free bits in notebook 07.

``-ELBO(x) = reconstruction_loss(x, logits) + kl_divergence(z_mean, z_log_var)``, where the reconstruction
term is the Bernoulli negative log-likelihood summed over the 784 pixels and the KL term is taken against the
prior N(0, I). Both return one number per image, shape (B,); the model averages them over the batch.
:func:`free_bits_kl` is a training objective for the KL term (not a bound): each dimension counts as at least
``free_bits`` nats.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from vae_helpers._checks import (
    check_finite, check_float, check_gaussian_params, check_positive_int, shape_of, shapes_agree,
)


LIKELIHOODS = ("bernoulli", "gaussian", "continuous_bernoulli")
DEFAULT_GAUSSIAN_STD = 0.1  # pixels in [0, 1]: a decoder mean 0.1 away from a pixel costs half a nat more


def reconstruction_loss(x, logits, likelihood: str = "bernoulli", gaussian_std: float = DEFAULT_GAUSSIAN_STD):
    """Negative log-likelihood ``-log p(x|z)`` summed over pixels, computed stably from logits.

    The sum over pixels of :func:`pixel_nll` (``likelihood="bernoulli"``, the default, is
    :func:`bernoulli_nll_per_pixel`; the other two were introduced in notebook 10).

    Args:
        x: (B, H, W, C) target pixels in [0, 1] (or any (B, ...) shape matching ``logits``), e.g. (B, 28, 28, 1).
        logits: decoder outputs before the sigmoid, same shape as ``x``.
        likelihood: ``"bernoulli"``, ``"gaussian"`` (mean sigmoid(logits), fixed std ``gaussian_std``) or
            ``"continuous_bernoulli"``.

    Returns:
        (B,) tensor: nats per image.
    """
    per_pixel = pixel_nll(x, logits, likelihood, gaussian_std)
    return ops.sum(ops.reshape(per_pixel, (ops.shape(per_pixel)[0], -1)), axis=1)


def check_likelihood(likelihood, gaussian_std=DEFAULT_GAUSSIAN_STD) -> tuple[str, float]:
    """``(likelihood, gaussian_std)`` checked: one of :data:`LIKELIHOODS` and a finite std > 0."""
    if likelihood not in LIKELIHOODS:
        raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {likelihood!r}. 'bernoulli' is the "
                         "reference's; 'gaussian' or 'continuous_bernoulli' suit photographs (notebook 10).")
    gaussian_std = check_finite(gaussian_std, "gaussian_std", minimum=0.0, strict=True,
                                hint="the Gaussian's standard deviation in pixel units, e.g. 0.1")
    return likelihood, gaussian_std


def pixel_nll(x, logits, likelihood: str = "bernoulli", gaussian_std: float = DEFAULT_GAUSSIAN_STD):
    """``-log p(x|z)`` of each pixel under the chosen ``likelihood`` (see :func:`reconstruction_loss`), in nats.

    Returns a tensor of the shape of ``x`` (B, ...). For a density over continuous pixels (Gaussian, continuous
    Bernoulli) the values can be negative: a density can exceed 1.
    """
    likelihood, gaussian_std = check_likelihood(likelihood, gaussian_std)
    if likelihood == "gaussian":
        return gaussian_nll_per_pixel(x, logits, gaussian_std)
    if likelihood == "continuous_bernoulli":
        return continuous_bernoulli_nll_per_pixel(x, logits)
    return bernoulli_nll_per_pixel(x, logits)


def gaussian_nll_per_pixel(x, logits, std: float = DEFAULT_GAUSSIAN_STD):
    """``-log N(x; mu, std^2)`` of each pixel with mean ``mu = sigmoid(logits)`` and a fixed ``std``, in nats.

    ``= 1/2 log(2 pi std^2) + (x - mu)^2 / (2 std^2)``: a squared error scaled by 1 / (2 std^2) plus a constant.
    With std = 0.1 the constant is -1.38 nats per pixel, so a good fit has a negative value (a density, not a
    probability). Notebook 10.

    Args:
        x: (B, ...) pixels in [0, 1]. logits: the same shape. std: a finite number > 0 (pixel units).

    Returns:
        tensor of the shape of ``x``: nats per pixel.
    """
    x, logits = _checked_pair(x, logits)
    std = check_finite(std, "gaussian_std", minimum=0.0, strict=True)
    mean = ops.sigmoid(logits)
    return 0.5 * float(np.log(2 * np.pi * std * std)) + ops.square(x - mean) / (2.0 * std * std)


def continuous_bernoulli_log_norm(logits):
    """``log C(lambda)`` of the continuous Bernoulli with ``lambda = sigmoid(logits)``, in nats, elementwise.

    Loaiza-Ganem & Cunningham (2019): ``p(x|lambda) = C(lambda) lambda^x (1 - lambda)^(1-x)`` on [0, 1], with
    ``C(lambda) = 2 artanh(1 - 2 lambda) / (1 - 2 lambda)`` (``C(1/2) = 2``). From logits l this is
    ``C = l / tanh(l / 2)``, so ``log C = log|l| - log(1 - e^-|l|) + log(1 + e^-|l|)``; for |l| < 0.1, where that
    difference loses precision, the Taylor expansion ``log 2 + l^2/12 - 7 l^4/1440`` is used (error < 1e-9).
    """
    logits = ops.convert_to_tensor(logits)
    a = ops.abs(logits)
    small = a < 0.1
    safe = ops.where(small, ops.ones_like(a), a)  # no log(0) or NaN gradient in the branch not taken
    exact = ops.log(safe) - ops.log1p(-ops.exp(-safe)) + ops.log1p(ops.exp(-safe))
    square = ops.square(logits)
    taylor = float(np.log(2.0)) + square / 12.0 - 7.0 * ops.square(square) / 1440.0
    return ops.where(small, taylor, exact)


def continuous_bernoulli_mean(logits):
    """The mean of the continuous Bernoulli with ``lambda = sigmoid(logits)``, elementwise, in [0, 1].

    The density is proportional to ``exp(l x)`` on [0, 1], so its mean is ``1 / (1 - exp(-l)) - 1 / l``
    (``1/2 + l/12`` near l = 0, used for |l| < 1e-2). Not ``lambda``: a CB decoder's picture is this mean
    (notebook 10), for lambda = 0.9 it is 1.125 - 1 / ln 9 = 0.67.
    """
    logits = ops.convert_to_tensor(logits)
    small = ops.abs(logits) < 1e-2
    safe = ops.where(small, ops.ones_like(logits), logits)
    exact = 1.0 / (-ops.expm1(-safe)) - 1.0 / safe
    return ops.clip(ops.where(small, 0.5 + logits / 12.0, exact), 0.0, 1.0)


def continuous_bernoulli_nll_per_pixel(x, logits):
    """``-log CB(x; lambda)`` of each pixel, ``lambda = sigmoid(logits)``, in nats (Loaiza-Ganem & Cunningham 2019).

    ``= bernoulli_nll_per_pixel(x, logits) - log C(lambda)`` (:func:`continuous_bernoulli_log_norm`): the
    Bernoulli cross-entropy, which is not a density for pixels strictly between 0 and 1, corrected by the
    constant that makes it one. Often negative. Its mean is not lambda (it is pulled towards 1/2), so
    ``sigmoid(logits)`` is a shape parameter, shown as the picture by the course. Notebook 10.

    Args:
        x: (B, ...) pixels in [0, 1]. logits: the same shape.

    Returns:
        tensor of the shape of ``x``: nats per pixel.
    """
    x, logits = _checked_pair(x, logits)
    return bernoulli_nll_per_pixel(x, logits) - continuous_bernoulli_log_norm(logits)


def _checked_pair(x, logits):
    for name, value in (("x", x), ("logits", logits)):
        check_float(value, name)
    if not shapes_agree(shape_of(x), shape_of(logits)) or len(shape_of(x)) < 2:
        raise ValueError(f"x and logits must have the same shape (B, ...) with a batch axis, got {shape_of(x)} "
                         f"and {shape_of(logits)}.")
    x = ops.convert_to_tensor(x)
    return x, ops.cast(ops.convert_to_tensor(logits), x.dtype)


def bernoulli_nll_per_pixel(x, logits):
    """``-log p(x|z)`` of each pixel under a Bernoulli with logit l (probability sigmoid(l)), in nats.

    For pixel value x in [0, 1]:
    ``-[x log sigmoid(l) + (1-x) log(1 - sigmoid(l))] = max(l, 0) - x*l + log(1 + exp(-|l|))``.
    The right-hand side never evaluates ``log(0)``, so it stays finite for any logit, even +-1000, while the
    left-hand side gives NaN/inf once sigmoid(l) rounds to 0 or 1 in float32 (about |l| > 17). The
    reconstruction explorer's error map shows these values (notebook 06).

    Args:
        x: (B, ...) target pixels in [0, 1], with a batch axis. logits: the same shape.

    Returns:
        tensor of the shape of ``x``: nats per pixel (each >= 0 for binary x).
    """
    for name, value in (("x", x), ("logits", logits)):
        check_float(value, name)
    if not shapes_agree(shape_of(x), shape_of(logits)) or len(shape_of(x)) < 2:
        raise ValueError(
            f"x and logits must have the same shape (B, ...) with a batch axis, got {shape_of(x)} and "
            f"{shape_of(logits)}. The decoder's logits for Fashion-MNIST have shape (B, 28, 28, 1)."
        )
    x = ops.convert_to_tensor(x)
    logits = ops.cast(ops.convert_to_tensor(logits), x.dtype)
    return ops.relu(logits) - x * logits + ops.log1p(ops.exp(-ops.abs(logits)))


def kl_divergence(z_mean, z_log_var):
    """Closed-form ``KL(N(z_mean, exp(z_log_var)) || N(0, I))`` per image.

    ``KL = -1/2 * sum_d (1 + log sigma_d^2 - mu_d^2 - sigma_d^2)``.

    Args:
        z_mean: (B, D) means. z_log_var: (B, D) log-variances.

    Returns:
        (B,) tensor: nats per image (always >= 0).
    """
    return ops.sum(kl_per_dimension_terms(z_mean, z_log_var), axis=1)


def kl_per_dimension_terms(z_mean, z_log_var):
    """The KL of each latent dimension of each image: ``-1/2 (1 + log sigma^2 - mu^2 - sigma^2)``.

    Args:
        z_mean: (B, D) means. z_log_var: (B, D) log-variances.

    Returns:
        (B, D) tensor: nats (each >= 0); its sum over the last axis is :func:`kl_divergence`.
    """
    check_gaussian_params(z_mean, z_log_var)
    z_mean, z_log_var = ops.convert_to_tensor(z_mean), ops.convert_to_tensor(z_log_var)
    return -0.5 * (1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))


def free_bits_kl(z_mean, z_log_var, free_bits: float):
    """The free-bits KL objective of Kingma et al. (2016, IAF paper, appendix C.8): ``sum_d max(free_bits, KL_d)``.

    ``KL_d`` is the KL of latent dimension d averaged over the batch. A dimension that carries fewer than
    ``free_bits`` nats costs a flat ``free_bits``, so the loss has no gradient pushing it towards the prior: the
    encoder may use those nats for free, which keeps the KL term from collapsing every dimension. Above
    ``free_bits`` a dimension pays its KL as usual. With ``free_bits = 0`` this is the batch mean of
    :func:`kl_divergence`. A training objective only: it is not a bound on log p(x), so -ELBO is always
    reported with the true KL.

    Args:
        z_mean: (B, D) means. z_log_var: (B, D) log-variances.
        free_bits: lambda, nats per latent dimension (a finite number >= 0).

    Returns:
        scalar tensor: nats per image (>= D * free_bits).
    """
    free_bits = check_free_bits(free_bits)
    per_dimension = ops.mean(kl_per_dimension_terms(z_mean, z_log_var), axis=0)  # (D,): batch mean
    return ops.sum(ops.maximum(per_dimension, ops.cast(free_bits, per_dimension.dtype)))


def check_free_bits(free_bits) -> float:
    """``free_bits`` as a float if it is a finite number >= 0 (nats per latent dimension), else a clear error."""
    return check_finite(free_bits, "free_bits", minimum=0.0,
                        hint="nats per latent dimension; 0 turns free bits off, Kingma et al. use 0.5 or so")


def gaussian_log_density(z, mean, log_var):
    """``log N(z; mean, exp(log_var))`` summed over the last axis, in nats. Shapes broadcast; returns (...,)."""
    for name, value in (("z", z), ("mean", mean), ("log_var", log_var)):
        check_float(value, name)
    # One float dtype for all three, that of the arrays; scalars follow it (older Keras and numpy releases
    # would otherwise mix float32 and float64 and fail).
    dtypes = {keras.backend.standardize_dtype(getattr(v, "dtype", None) or np.asarray(v).dtype)
              for v in (z, mean, log_var) if len(shape_of(v)) > 0}
    dtype = "float32" if not dtypes else dtypes.pop() if len(dtypes) == 1 else keras.backend.result_type(*dtypes)
    z, mean, log_var = (ops.convert_to_tensor(v, dtype=dtype) for v in (z, mean, log_var))
    log_2pi = 1.8378770664093453
    return -0.5 * ops.sum(log_2pi + log_var + ops.square(z - mean) * ops.exp(-log_var), axis=-1)


def kl_monte_carlo(z_mean, z_log_var, n_samples: int = 1000, seed=None):
    """Monte-Carlo estimate of the same KL: the mean over samples z ~ q of ``log q(z|x) - log p(z)``.

    An independent check of :func:`kl_divergence` (used in notebook 04 and in the tests); its standard error
    shrinks like 1/sqrt(n_samples).

    Args:
        z_mean, z_log_var: (B, D). n_samples: samples per image. seed: int or ``keras.random.SeedGenerator``.

    Returns:
        (B,) tensor: nats per image.
    """
    check_gaussian_params(z_mean, z_log_var)
    n_samples = check_positive_int(n_samples, "n_samples")
    z_mean, z_log_var = ops.convert_to_tensor(z_mean), ops.convert_to_tensor(z_log_var)
    eps = keras.random.normal((n_samples,) + tuple(ops.shape(z_mean)), dtype=z_mean.dtype, seed=seed)  # (S, B, D)
    z = z_mean + ops.exp(0.5 * z_log_var) * eps
    log_q = gaussian_log_density(z, z_mean, z_log_var)  # (S, B)
    log_p = gaussian_log_density(z, ops.zeros_like(z), ops.zeros_like(z))  # (S, B)
    return ops.mean(log_q - log_p, axis=0)
