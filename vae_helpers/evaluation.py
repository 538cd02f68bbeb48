"""How good is a trained VAE? Test -ELBO, KL per latent dimension and the importance-weighted (IWAE) bound.
Used in notebooks 05 and 07; the same numbers image by image (notebook 11's anomaly scores) in
:func:`per_image_negative_elbo` and :func:`per_image_iwae`.

The means are in nats per image, the per-image scores in nats (lower is better for -ELBO and the IWAE bound).
"""

from __future__ import annotations

import math

import numpy as np
from keras import ops

from vae_helpers import runtime
from vae_helpers._checks import check_positive_int, check_vae, image_shape_of
from vae_helpers.data import validate_images
from vae_helpers.fast_decoding import MAX_DECODES_PER_CALL
from vae_helpers.losses import kl_per_dimension_terms
from vae_helpers.model import condition_for
from vae_helpers.sampling import gaussian_log_density, shift_and_scale


def evaluate(vae, x, batch_size: int = 1000, seed: int | None = None, labels=None) -> dict:
    """Return ``{"neg_elbo", "reconstruction", "kl"}``: means over ``x`` (N, H, W, C), nats per image.

    One z is sampled per image (as in training). With ``seed=None`` each call draws new samples, so repeated
    calls differ slightly; with an integer seed the result is reproducible on any machine, Keras version and
    backend (the noise comes from numpy), whatever ``batch_size`` is. The training command scores with its seed.
    ``labels``: the class index of each image (N,), for a :class:`vae_helpers.CVAE` only (notebook 09): its
    -ELBO bounds -log p(x | y).
    """
    check_vae(vae, "evaluate", takes_labels=True)
    x = validate_images(x, image_shape=image_shape_of(vae))
    condition = condition_for(vae, labels, len(x))  # the one labels gate
    reconstruction, kl = _per_image_terms(vae, x, batch_size, seed, condition)
    return {
        "neg_elbo": float(np.mean(reconstruction + kl)),
        "reconstruction": float(np.mean(reconstruction)),
        "kl": float(np.mean(kl)),
    }


def negative_elbo(vae, x, batch_size: int = 1000, seed: int | None = None) -> float:
    """Mean -ELBO over images ``x`` (N, H, W, C), in nats per image (reconstruction + KL, beta ignored).

    ``seed`` as in :func:`evaluate`."""
    return evaluate(vae, x, batch_size, seed)["neg_elbo"]


def per_image_negative_elbo(vae, x, batch_size: int = 1000, seed: int | None = None) -> np.ndarray:
    """-ELBO of each image of ``x`` (N, H, W, C): shape (N,) float64, nats (reconstruction + KL, one z per image).

    The same computation and the same noise as :func:`negative_elbo` with this ``seed``: its mean is that
    function's result (up to float rounding). Introduced in notebook 11 as an anomaly score.
    """
    check_vae(vae, "per_image_negative_elbo")
    reconstruction, kl = _per_image_terms(vae, validate_images(x, image_shape=image_shape_of(vae)), batch_size, seed)
    return reconstruction.astype(np.float64) + kl.astype(np.float64)


def _per_image_terms(vae, x, batch_size, seed, condition=None) -> tuple[np.ndarray, np.ndarray]:
    """``(reconstruction, kl)``, each (N,) float32 nats, for checked images ``x`` (and one-hot labels
    ``condition`` (N, K) for a CVAE): one z per image, its noise from numpy's generator seeded with ``seed`` (the
    same numbers on any machine, backend and ``batch_size``)."""
    batch_size = min(check_positive_int(batch_size, "batch_size"), MAX_DECODES_PER_CALL)  # bounded memory
    eps = np.random.default_rng(seed).standard_normal((len(x), vae.latent_dim), dtype=np.float32)  # (N, D)
    function, arrays = (
        (_per_image_losses, (x, eps)) if condition is None else (_conditional_per_image_losses, (x, condition, eps))
    )
    parts = [
        runtime.compiled(vae, function)(*(array[start : start + batch_size] for array in arrays))
        for start in range(0, len(x), batch_size)
    ]
    return tuple(np.concatenate([np.asarray(part[i]) for part in parts]) for i in (0, 1))


def kl_per_dimension(vae, x, batch_size: int = 1000) -> np.ndarray:
    """Mean KL(q(z_d|x) || N(0, 1)) of each latent dimension d over images ``x`` (N, H, W, C): shape (D,), nats.

    Introduced in notebook 07. The KL of a diagonal Gaussian is a sum over dimensions, so these D numbers add up
    to the model's KL term (``evaluate(vae, x)["kl"]``, up to rounding). A dimension whose KL is close to 0 (say
    below 0.01 nats) is *inactive*: the encoder outputs the prior N(0, 1) for every image, so that coordinate of
    z carries no information about x. All dimensions inactive is posterior collapse.
    """
    check_vae(vae, "kl_per_dimension")
    x = validate_images(x, image_shape=image_shape_of(vae))
    batch_size = min(check_positive_int(batch_size, "batch_size"), MAX_DECODES_PER_CALL)
    total = np.zeros(vae.latent_dim)
    for start in range(0, len(x), batch_size):
        total += runtime.compiled(vae, _kl_sums)(x[start : start + batch_size])  # (D,)
    return total / len(x)


def iwae_bound(vae, x, k: int, batch_size: int | None = None, seed: int = 0, labels=None) -> float:
    """Importance-weighted bound with ``k`` samples, returned as ``-L_k``: mean nats per image.

    ``L_k = E[log (1/k) sum_i p(x, z_i) / q(z_i|x)]`` with z_1..z_k ~ q(z|x) (Burda et al., 2016). It satisfies
    ``ELBO = L_1 <= L_k <= L_{k+1} <= log p(x)``, so ``-L_k`` is an upper bound on -log p(x) that equals
    -ELBO in expectation at k=1 and decreases towards -log p(x) as k grows. The average over the k weights is
    done in log space (log-sum-exp), so it never overflows.

    Args:
        vae: a trained :class:`vae_helpers.VAE`.
        x: (N, H, W, C) images in [0, 1].
        k: importance samples per image (1, 10, 100, ...).
        batch_size: images per decoder call (default: about 5,000 decoded images per call). Any ``k`` works:
            the samples are processed in chunks of at most 5,000 decoded images, so memory stays bounded.
        seed: seed for the k samples (numpy's generator: the same numbers on any machine and backend).
        labels: the class index of each image (N,), for a :class:`vae_helpers.CVAE` only: its bound is on
            -log p(x | y).
    """
    check_vae(vae, "iwae_bound", takes_labels=True)
    x, k = validate_images(x, image_shape=image_shape_of(vae)), check_positive_int(k, "k")
    condition = condition_for(vae, labels, len(x))
    total = sum(
        float(np.sum(log_sum - math.log(k))) for log_sum in _iwae_log_sums(vae, x, k, batch_size, seed, condition)
    )
    return -total / len(x)


def per_image_iwae(vae, x, k: int, batch_size: int | None = None, seed: int = 0, labels=None) -> np.ndarray:
    """``-L_k`` of each image of ``x`` (N, H, W, C), the importance-weighted bound with ``k`` samples: shape (N,)
    float64, nats.

    ``-L_k(x) >= -log p(x)`` for every image, and it tightens as k grows. The same computation, chunking and noise
    as :func:`iwae_bound` with these arguments: its mean is that function's result (up to float rounding).
    Introduced in notebook 11 as an anomaly score. ``labels``: as in :func:`iwae_bound`.
    """
    check_vae(vae, "per_image_iwae", takes_labels=True)
    x, k = validate_images(x, image_shape=image_shape_of(vae)), check_positive_int(k, "k")
    condition = condition_for(vae, labels, len(x))
    return np.concatenate(
        [math.log(k) - log_sum.astype(np.float64) for log_sum in _iwae_log_sums(vae, x, k, batch_size, seed, condition)]
    )


def _iwae_log_sums(vae, x, k, batch_size, seed, condition=None):
    """Yield ``log sum_i w_i`` over the ``k`` importance samples, (B,) float32, batch after batch of checked
    images ``x`` (and one-hot labels ``condition`` (N, K) for a conditional model); the noise comes from numpy's
    generator seeded with ``seed``."""
    # At most MAX_DECODES_PER_CALL decoded images per call, whatever k and batch_size: any k completes.
    images = max(1, MAX_DECODES_PER_CALL // k) if batch_size is None else check_positive_int(batch_size, "batch_size")
    images = min(images, MAX_DECODES_PER_CALL, len(x))  # no more than there are: the rest goes to the samples
    samples = max(1, MAX_DECODES_PER_CALL // images)  # importance samples per call (the noise is drawn sample-major,
    # so how the k samples are split into calls does not change it)
    rng = np.random.default_rng(seed)
    for start in range(0, len(x), images):
        xb = x[start : start + images]  # (B, H, W, C)
        log_sum = None  # log sum_i w_i over the samples so far, (B,)
        for done in range(0, k, samples):
            eps = rng.standard_normal((min(samples, k - done), len(xb), vae.latent_dim), dtype=np.float32)  # (S, B, D)
            chunk = np.asarray(
                runtime.compiled(vae, _log_sum_importance_weights)(xb, eps)
                if condition is None
                else runtime.compiled(vae, _conditional_log_sum_importance_weights)(
                    xb, condition[start : start + images], eps
                )
            )  # (B,)
            log_sum = chunk if log_sum is None else np.logaddexp(log_sum, chunk)
        yield log_sum


# The per-batch work runs compiled (runtime.compiled: a graph on TensorFlow, jit on JAX, eager calls without
# gradients on PyTorch), once per model: same numbers as op-by-op eager execution for 10-25 % less CPU time
# (measured on 2 CPU cores with TensorFlow).
def _per_image_losses(vae, x, eps):
    return vae.per_image_losses(x, training=False, eps=eps)


def _conditional_per_image_losses(cvae, x, condition, eps):
    return cvae.per_image_losses(x, condition, training=False, eps=eps)


def _kl_sums(vae, x):
    """Sum over the images of each latent dimension's KL term: shape (D,), nats."""
    z_mean, z_log_var, _ = vae.encoder(x, training=False)  # (B, D) each
    z_mean, z_log_var = ops.cast(z_mean, "float32"), ops.cast(z_log_var, "float32")  # float32 under mixed precision
    return ops.sum(kl_per_dimension_terms(z_mean, z_log_var), axis=0)


def _log_sum_importance_weights(vae, x, eps):
    return _conditional_log_sum_importance_weights(vae, x, None, eps)


def _conditional_log_sum_importance_weights(vae, x, condition, eps):
    """``log sum_i w_i`` over the k samples ``z_i = mu + sigma * eps_i`` (``eps`` (k, B, D)), with ``log w = log
    p(x|z) + log p(z) - log q(z|x)`` in the model's own likelihood (and given the one-hot labels ``condition``
    (B, K) of a conditional model, else None): shape (B,)."""
    z_mean, z_log_var, _ = vae.encoder(vae.with_condition(x, condition), training=False)  # (B, D) each
    z_mean, z_log_var = ops.cast(z_mean, "float32"), ops.cast(z_log_var, "float32")  # float32 under mixed precision
    k, batch, dim = ops.shape(eps)
    z = shift_and_scale(z_mean, z_log_var, eps)  # (k, B, D)
    repeated = None if condition is None else ops.tile(condition, (k, 1))  # (k*B, K), the order of the reshape
    logits = vae.decoder_logits(vae.with_condition(ops.reshape(z, (k * batch, dim)), repeated), training=False)
    x_repeated = ops.tile(x, (k, 1, 1, 1))  # (k*B, H, W, C), same order as the reshape above
    log_px_z = -ops.reshape(vae.reconstruction_nll(x_repeated, logits), (k, batch))  # the model's likelihood
    log_pz = gaussian_log_density(z, ops.zeros_like(z), ops.zeros_like(z))
    log_qz_x = gaussian_log_density(z, z_mean, z_log_var)
    return ops.logsumexp(log_px_z + log_pz - log_qz_x, axis=0)
