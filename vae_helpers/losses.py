"""The two terms of the VAE loss, per image, in nats. Introduced in notebook 04; free bits in notebook 07.

``-ELBO(x) = reconstruction_loss(x, logits) + kl_divergence(z_mean, z_log_var)``, where the reconstruction
term is the negative log-likelihood of the decoder's likelihood summed over the pixels (Bernoulli by default:
:mod:`vae_helpers.likelihoods`, where it is written) and the KL term is taken against the prior N(0, I). Both
return one number per image, shape (B,); the model averages them over the batch.
:func:`free_bits_kl` is a training objective for the KL term (not a bound): each dimension counts as at least
``free_bits`` nats.
"""

from __future__ import annotations

import keras
from keras import ops

from vae_helpers._checks import check_finite, check_gaussian_params, check_positive_int
from vae_helpers.likelihoods import (  # noqa: F401  (the reconstruction term, with the KL term below: -ELBO)
    DEFAULT_GAUSSIAN_STD,
    LIKELIHOODS,
    bernoulli_nll_per_pixel,
    continuous_bernoulli_log_norm,
    continuous_bernoulli_mean,
    continuous_bernoulli_nll_per_pixel,
    gaussian_nll_per_pixel,
    pixel_nll,
    reconstruction_loss,
)
from vae_helpers.sampling import gaussian_log_density, shift_and_scale


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


def check_free_bits(free_bits, name: str = "free_bits") -> float:
    """``free_bits`` as a float if it is a finite number >= 0 (nats per latent dimension), else a clear error naming
    ``name``."""
    return check_finite(
        free_bits,
        name,
        minimum=0.0,
        hint="nats per latent dimension; 0 turns free bits off, Kingma et al. use 0.5 or so",
    )


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
    z = shift_and_scale(z_mean, z_log_var, eps)  # (S, B, D)
    log_q = gaussian_log_density(z, z_mean, z_log_var)  # (S, B)
    log_p = gaussian_log_density(z, ops.zeros_like(z), ops.zeros_like(z))  # (S, B)
    return ops.mean(log_q - log_p, axis=0)
