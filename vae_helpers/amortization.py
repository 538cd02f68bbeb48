"""The amortization gap (Cremer et al., 2018): how much of a VAE's ELBO gap is the encoder's fault? Notebook 11.

The encoder computes q(z|x) for every image with one network: inference is *amortized*. For one image one can do
better: start from the encoder's Gaussian and optimise its mean and log-variance for that image alone
(:func:`refine_posterior`). Then, per image, in nats,

    -ELBO(encoder's q) - (-log p(x))  =  [-ELBO(encoder's q) - (-ELBO(refined q))]  +  [-ELBO(refined q) - (-log p(x))]
           inference gap              =          amortization gap                   +      approximation gap

the first part being what a better encoder could win, the second what no Gaussian q can (the true posterior is
not Gaussian). :func:`posterior_bounds` scores any Gaussian q(z|x) given as arrays, with the -ELBO and the IWAE
bound of the same k samples, so that the encoder's and the refined q are scored alike.
"""

from __future__ import annotations

import numpy as np
from keras import ops

from vae_helpers._checks import check_positive_int, check_vae, image_shape_of
from vae_helpers.data import validate_images
from vae_helpers.losses import gaussian_log_density, kl_divergence


def refine_posterior(
    vae, x, steps: int = 200, learning_rate: float = 0.05, samples: int = 2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Optimise a Gaussian q(z|x) = N(mu, exp(log_var)) for each image of ``x`` separately, decoder fixed.

    Starts from the encoder's ``(z_mean, z_log_var)`` and takes ``steps`` Adam steps on every image's own mu and
    log_var at once, each minimising that image's -ELBO (reconstruction under the model's likelihood, estimated
    with ``samples`` reparameterized draws of z, plus the closed-form KL). The images do not interact: the loss is
    their sum. The decoder's weights are not changed.

    Args:
        vae: a trained :class:`vae_helpers.VAE`.
        x: (N, H, W, C) images in [0, 1] of the model's shape. All are optimised in one batch: keep N to a few
            hundred (memory: N * samples decoded images).
        steps: Adam steps (>= 1). learning_rate: Adam's step size (> 0), in latent units.
        samples: draws of z per image and step (>= 1). seed: seed of those draws (numpy's generator).

    Returns:
        ``(z_mean, z_log_var)``: (N, D) float32 arrays each, the refined q(z|x) of every image.
    """
    import keras

    check_vae(vae, "refine_posterior")
    x = validate_images(x, image_shape=image_shape_of(vae))
    steps, samples = check_positive_int(steps, "steps"), check_positive_int(samples, "samples")
    if not (isinstance(learning_rate, (int, float)) and np.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"learning_rate must be a finite number > 0 (Adam's step size), got {learning_rate!r}.")
    z_mean, z_log_var, _ = vae.encoder(x, training=False)
    mean = keras.Variable(ops.cast(z_mean, "float32"), name="refined_mean")  # (N, D)
    log_var = keras.Variable(ops.cast(z_log_var, "float32"), name="refined_log_var")  # (N, D)
    optimizer = keras.optimizers.Adam(learning_rate)
    rng = np.random.default_rng(seed)
    step = _step_function(vae, x, mean, log_var, optimizer)
    for _ in range(steps):
        step(rng.standard_normal((samples, len(x), vae.latent_dim), dtype=np.float32))  # (S, N, D)
    return ops.convert_to_numpy(mean).astype(np.float32), ops.convert_to_numpy(log_var).astype(np.float32)


def posterior_bounds(vae, x, z_mean, z_log_var, k: int = 100, seed: int = 0) -> dict:
    """Score a Gaussian q(z|x) = N(z_mean, exp(z_log_var)) given for each image: ``{"neg_elbo", "neg_iwae"}``.

    Both come from the same ``k`` draws z_i ~ q(z|x) per image: ``neg_elbo`` = -(mean of log p(x|z_i)) +
    KL(q(z|x) || N(0, I)) in closed form, a k-sample estimate of the -ELBO of this q, and ``neg_iwae`` =
    -log((1/k) sum_i w_i) with importance weights log w_i = log p(x|z_i) + log p(z_i) - log q(z_i|x), the IWAE
    bound -L_k with this q as proposal (>= -log p(x) in expectation, for any q).

    Args:
        vae: a trained :class:`vae_helpers.VAE`. x: (N, H, W, C) images of its shape.
        z_mean, z_log_var: (N, D) the q of each image (the encoder's, or :func:`refine_posterior`'s).
        k: draws per image (>= 1). seed: seed of the draws (numpy's generator).

    Returns:
        dict of (N,) float64 arrays in nats: ``neg_elbo`` and ``neg_iwae``.
    """
    check_vae(vae, "posterior_bounds")
    x, k = validate_images(x, image_shape=image_shape_of(vae)), check_positive_int(k, "k")
    z_mean, z_log_var = np.asarray(z_mean, np.float32), np.asarray(z_log_var, np.float32)
    expected = (len(x), vae.latent_dim)
    if (
        z_mean.shape != expected
        or z_log_var.shape != expected
        or not (np.all(np.isfinite(z_mean)) and np.all(np.isfinite(z_log_var)))
    ):
        raise ValueError(
            f"z_mean and z_log_var must be finite arrays of shape (N, D) = {expected}, one row per "
            f"image; got {z_mean.shape} and {z_log_var.shape}."
        )
    rng = np.random.default_rng(seed)
    log_px_z, log_w = [], []
    for _ in range(k):
        terms = _log_terms(vae, x, z_mean, z_log_var, rng.standard_normal(expected, dtype=np.float32))
        log_px_z.append(terms[0])
        log_w.append(terms[0] + terms[1])
    log_w = np.stack(log_w)  # (k, N)
    top = log_w.max(axis=0)
    kl = np.asarray(ops.convert_to_numpy(kl_divergence(z_mean, z_log_var)), np.float64)  # (N,)
    return {
        "neg_elbo": kl - np.mean(log_px_z, axis=0),
        "neg_iwae": -(top + np.log(np.mean(np.exp(log_w - top), axis=0))),
    }


def _negative_elbo(vae, x, mean, log_var, eps):
    """Per-image -ELBO (B,) with z = mean + exp(log_var / 2) * eps for noise ``eps`` (S, B, D): reconstruction
    averaged over the S draws, plus the closed-form KL."""
    draws, batch, dim = ops.shape(eps)
    z = mean + ops.exp(0.5 * log_var) * eps  # (S, B, D)
    logits = ops.cast(vae.decoder_logits(ops.reshape(z, (draws * batch, dim)), training=False), "float32")
    reconstruction = ops.reshape(vae.reconstruction_nll(ops.tile(x, (draws, 1, 1, 1)), logits), (draws, batch))
    return ops.mean(reconstruction, axis=0) + kl_divergence(mean, log_var)


def _log_terms(vae, x, z_mean, z_log_var, eps):
    """For one draw z = mu + sigma * eps per image: ``(log p(x|z), log p(z) - log q(z|x))``, (N,) float64 each."""
    z = z_mean + np.exp(0.5 * z_log_var) * eps  # (N, D)
    logits = ops.cast(vae.decoder_logits(z, training=False), "float32")
    log_px_z = -ops.convert_to_numpy(vae.reconstruction_nll(x, logits))
    log_prior_ratio = ops.convert_to_numpy(
        gaussian_log_density(z, np.zeros_like(z), np.zeros_like(z)) - gaussian_log_density(z, z_mean, z_log_var)
    )
    return np.asarray(log_px_z, np.float64), np.asarray(log_prior_ratio, np.float64)


def _step_function(vae, x, mean, log_var, optimizer):
    """One Adam step on (mean, log_var) for noise (S, N, D), on the Keras backend in use."""
    import keras

    variables = [mean, log_var]
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        @tf.function(reduce_retracing=True)
        def step(eps):
            with tf.GradientTape() as tape:
                loss = ops.sum(_negative_elbo(vae, x, mean, log_var, eps))
            optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))

        return step
    if backend == "jax":
        import jax

        def loss_of(values, eps):
            return ops.sum(_negative_elbo(vae, x, values[0], values[1], eps))

        gradient = jax.jit(jax.grad(loss_of))

        def step(eps):
            optimizer.apply_gradients(zip(gradient([v.value for v in variables], eps), variables))

        return step
    raise NotImplementedError(
        f"refine_posterior needs gradients, which it takes on the tensorflow and jax backends; "
        f"the backend in use is {backend!r}: set KERAS_BACKEND=tensorflow or jax."
    )
