"""How good is a trained VAE? Test -ELBO, KL per latent dimension and the importance-weighted (IWAE) bound.
Used in notebooks 05 and 07.

All numbers are means over images, in nats per image (lower is better for -ELBO and the IWAE bound).
"""

from __future__ import annotations

import math

import numpy as np
from keras import ops

from vae_helpers import runtime
from vae_helpers._checks import check_positive_int, check_vae
from vae_helpers.data import validate_images
from vae_helpers.fast_decoding import MAX_DECODES_PER_CALL
from vae_helpers.losses import gaussian_log_density, kl_per_dimension_terms, reconstruction_loss


def evaluate(vae, x, batch_size: int = 1000, seed: int | None = None) -> dict:
    """Return ``{"neg_elbo", "reconstruction", "kl"}``: means over ``x`` (N, 28, 28, 1), nats per image.

    One z is sampled per image (as in training). With ``seed=None`` each call draws new samples, so repeated
    calls differ slightly; with an integer seed the result is reproducible on any machine, Keras version and
    backend (the noise comes from numpy), whatever ``batch_size`` is. The training command scores with its seed.
    """
    check_vae(vae, "evaluate")
    x = validate_images(x)
    batch_size = min(check_positive_int(batch_size, "batch_size"), MAX_DECODES_PER_CALL)  # bounded memory
    eps = np.random.default_rng(seed).standard_normal((len(x), vae.latent_dim), dtype=np.float32)  # (N, D)
    reconstruction, kl = [], []
    for start in range(0, len(x), batch_size):
        stop = start + batch_size
        rec, k = runtime.compiled(vae, _per_image_losses)(x[start:stop], eps[start:stop])
        reconstruction.append(rec)
        kl.append(k)
    reconstruction, kl = np.concatenate(reconstruction), np.concatenate(kl)
    return {
        "neg_elbo": float(np.mean(reconstruction + kl)),
        "reconstruction": float(np.mean(reconstruction)),
        "kl": float(np.mean(kl)),
    }


def negative_elbo(vae, x, batch_size: int = 1000, seed: int | None = None) -> float:
    """Mean -ELBO over images ``x`` (N, 28, 28, 1), in nats per image (reconstruction + KL, beta ignored).

    ``seed`` as in :func:`evaluate`."""
    return evaluate(vae, x, batch_size, seed)["neg_elbo"]


def kl_per_dimension(vae, x, batch_size: int = 1000) -> np.ndarray:
    """Mean KL(q(z_d|x) || N(0, 1)) of each latent dimension d over images ``x`` (N, 28, 28, 1): shape (D,), nats.

    Introduced in notebook 07. The KL of a diagonal Gaussian is a sum over dimensions, so these D numbers add up
    to the model's KL term (``evaluate(vae, x)["kl"]``, up to rounding). A dimension whose KL is close to 0 (say
    below 0.01 nats) is *inactive*: the encoder outputs the prior N(0, 1) for every image, so that coordinate of
    z carries no information about x. All dimensions inactive is posterior collapse.
    """
    check_vae(vae, "kl_per_dimension")
    x = validate_images(x)
    batch_size = min(check_positive_int(batch_size, "batch_size"), MAX_DECODES_PER_CALL)
    total = np.zeros(vae.latent_dim)
    for start in range(0, len(x), batch_size):
        total += runtime.compiled(vae, _kl_sums)(x[start:start + batch_size])  # (D,)
    return total / len(x)


def iwae_bound(vae, x, k: int, batch_size: int | None = None, seed: int = 0) -> float:
    """Importance-weighted bound with ``k`` samples, returned as ``-L_k``: mean nats per image.

    ``L_k = E[log (1/k) sum_i p(x, z_i) / q(z_i|x)]`` with z_1..z_k ~ q(z|x) (Burda et al., 2016). It satisfies
    ``ELBO = L_1 <= L_k <= L_{k+1} <= log p(x)``, so ``-L_k`` is an upper bound on -log p(x) that equals
    -ELBO in expectation at k=1 and decreases towards -log p(x) as k grows. The average over the k weights is
    done in log space (log-sum-exp), so it never overflows.

    Args:
        vae: a trained :class:`vae_helpers.VAE`.
        x: (N, 28, 28, 1) images in [0, 1].
        k: importance samples per image (1, 10, 100, ...).
        batch_size: images per decoder call (default: about 5,000 decoded images per call). Any ``k`` works:
            the samples are processed in chunks of at most 5,000 decoded images, so memory stays bounded.
        seed: seed for the k samples (numpy's generator: the same numbers on any machine and backend).
    """
    check_vae(vae, "iwae_bound")
    x = validate_images(x)
    k = check_positive_int(k, "k")
    # At most MAX_DECODES_PER_CALL decoded images per call, whatever k and batch_size: any k completes.
    images = max(1, MAX_DECODES_PER_CALL // k) if batch_size is None else check_positive_int(batch_size, "batch_size")
    images = min(images, MAX_DECODES_PER_CALL)
    samples = max(1, MAX_DECODES_PER_CALL // images)  # importance samples per call
    rng = np.random.default_rng(seed)
    total = 0.0
    for start in range(0, len(x), images):
        xb = x[start:start + images]  # (B, 28, 28, 1)
        log_sum = None  # log sum_i w_i over the samples so far, (B,)
        for done in range(0, k, samples):
            eps = rng.standard_normal((min(samples, k - done), len(xb), vae.latent_dim), dtype=np.float32)  # (S, B, D)
            chunk = runtime.compiled(vae, _log_sum_importance_weights)(xb, eps)  # (B,)
            log_sum = chunk if log_sum is None else np.logaddexp(log_sum, chunk)
        total += float(np.sum(log_sum - math.log(k)))
    return -total / len(x)


# The per-batch work runs compiled (runtime.compiled: a graph on TensorFlow, jit on JAX, eager calls without
# gradients on PyTorch), once per model: same numbers as op-by-op eager execution for 10-25 % less CPU time
# (measured on 2 CPU cores with TensorFlow).
def _per_image_losses(vae, x, eps):
    return vae.per_image_losses(x, training=False, eps=eps)


def _kl_sums(vae, x):
    """Sum over the images of each latent dimension's KL term: shape (D,), nats."""
    z_mean, z_log_var, _ = vae.encoder(x, training=False)  # (B, D) each
    z_mean, z_log_var = ops.cast(z_mean, "float32"), ops.cast(z_log_var, "float32")  # float32 under mixed precision
    return ops.sum(kl_per_dimension_terms(z_mean, z_log_var), axis=0)


def _log_sum_importance_weights(vae, x, eps):
    """``log sum_i w_i`` over the k samples ``z_i = mu + sigma * eps_i``, with ``log w = log p(x|z) + log p(z) -
    log q(z|x)``: shape (B,)."""
    z_mean, z_log_var, _ = vae.encoder(x, training=False)  # (B, D) each
    z_mean, z_log_var = ops.cast(z_mean, "float32"), ops.cast(z_log_var, "float32")  # float32 under mixed precision
    k, batch, dim = ops.shape(eps)
    z = z_mean + ops.exp(0.5 * z_log_var) * eps  # (k, B, D)
    logits = vae.decoder_logits(ops.reshape(z, (k * batch, dim)), training=False)  # (k*B, 28, 28, 1)
    x_repeated = ops.tile(x, (k, 1, 1, 1))  # (k*B, 28, 28, 1), same order as the reshape above
    log_px_z = -ops.reshape(reconstruction_loss(x_repeated, logits), (k, batch))
    log_pz = gaussian_log_density(z, ops.zeros_like(z), ops.zeros_like(z))
    log_qz_x = gaussian_log_density(z, z_mean, z_log_var)
    return ops.logsumexp(log_px_z + log_pz - log_qz_x, axis=0)
