"""The reparameterization trick: ``z = mu + sigma * eps`` with ``eps ~ N(0, I)``.

Introduced in notebook 02. Writing the sample as a deterministic function of (mu, log sigma^2) and an
independent noise ``eps`` lets gradients flow to the encoder's outputs. :func:`gradient_estimates` compares this
pathwise gradient with the score-function (REINFORCE) estimator of the same gradient.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from vae_helpers._checks import check_gaussian_params, check_positive_int
from vae_helpers.losses import gaussian_log_density
from vae_helpers.runtime import value_and_gradients

ESTIMATORS = ("pathwise", "score_function")


def reparameterize(z_mean, z_log_var, seed=None):
    """Draw ``z = z_mean + exp(0.5 * z_log_var) * eps`` with ``eps ~ N(0, I)``.

    Args:
        z_mean: (B, D) means of q(z|x).
        z_log_var: (B, D) log-variances of q(z|x) (natural log of sigma^2).
        seed: None, an int, or a ``keras.random.SeedGenerator`` (for a fresh draw on every call).

    Returns:
        (B, D) tensor ``z``, differentiable with respect to ``z_mean`` and ``z_log_var``.
    """
    check_gaussian_params(z_mean, z_log_var)
    z_mean, z_log_var = ops.convert_to_tensor(z_mean), ops.convert_to_tensor(z_log_var)
    eps = keras.random.normal(ops.shape(z_mean), dtype=z_mean.dtype, seed=seed)  # (B, D)
    return z_mean + ops.exp(0.5 * z_log_var) * eps


def gradient_estimates(loss, z_mean, z_log_var, n_samples: int, estimator: str = "pathwise", seed=None):
    """One-sample estimates of the gradient of ``E_{z ~ N(z_mean, exp(z_log_var))}[loss(z)]``, one per sample.

    Both estimators are unbiased: the mean of the ``n_samples`` estimates converges to the exact gradient. They
    differ in their noise (notebook 02, section 1):

    * ``"pathwise"`` (the reparameterization): ``z = z_mean + exp(z_log_var / 2) * eps``, differentiated through
      ``loss``; each estimate is ``loss'(z) * dz/dtheta``.
    * ``"score_function"`` (REINFORCE, Williams 1992): ``loss(z) * d log q(z) / dtheta`` with ``z`` held fixed, i.e.
      ``loss(z) * eps / sigma`` for ``z_mean`` and ``loss(z) * (eps**2 - 1) / 2`` for ``z_log_var``. It needs only
      the values of ``loss``, which may be non-differentiable or the output of a discrete sampler.

    Args:
        loss: function of ``z`` (S, B, D), written with ``keras.ops``, returning (S, B) losses (e.g. nats per image).
        z_mean: (B, D) means of q(z|x).
        z_log_var: (B, D) log-variances of q(z|x).
        n_samples: S, the number of one-sample estimates per image.
        estimator: ``"pathwise"`` or ``"score_function"``.
        seed: None or an int; the noise ``eps`` (S, B, D) is drawn by numpy, so the same seed gives the same noise
            for both estimators and on every Keras backend.

    Returns:
        ``(grad_mean, grad_log_var)``: numpy arrays (S, B, D), one estimate of the gradient per sample.
    """
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {ESTIMATORS}, got {estimator!r}. Fix: pass estimator=\"pathwise\" "
                         "(the reparameterization) or estimator=\"score_function\" (REINFORCE).")
    check_gaussian_params(z_mean, z_log_var)
    n_samples = check_positive_int(n_samples, "n_samples")
    z_mean, z_log_var = (np.asarray(ops.convert_to_numpy(a), dtype="float32") for a in (z_mean, z_log_var))
    eps = np.random.default_rng(seed).standard_normal((n_samples, *z_mean.shape)).astype("float32")  # (S, B, D)
    # One independent copy of the parameters per sample: the gradient of the summed losses with respect to a copy is
    # that sample's own estimate.
    means, log_vars = (np.broadcast_to(a, eps.shape).copy() for a in (z_mean, z_log_var))  # (S, B, D) each

    def total(means, log_vars):
        z = means + ops.exp(0.5 * log_vars) * ops.convert_to_tensor(eps)  # (S, B, D)
        if estimator == "pathwise":
            return ops.sum(loss(z))
        z = ops.stop_gradient(z)  # the score function never differentiates the sample or the loss
        return ops.sum(ops.stop_gradient(loss(z)) * gaussian_log_density(z, means, log_vars))

    _, (grad_mean, grad_log_var) = value_and_gradients(total, means, log_vars)
    return grad_mean, grad_log_var


@keras.saving.register_keras_serializable(package="vae_helpers")
class Sampling(keras.layers.Layer):
    """Keras layer ``[z_mean, z_log_var] -> z`` using the reparameterization trick.

    Replaces the reference tutorial's ``Lambda(sampling)``, which used ``tf.keras.backend.random_normal`` and
    no longer works on Keras 3. Its ``SeedGenerator`` is state of the layer, so each call draws new noise,
    and the layer saves and loads with the model (``seed`` is part of its config).

    Input shapes: [(B, D), (B, D)]. Output shape: (B, D).
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        eps = keras.random.normal(ops.shape(z_mean), dtype=self.compute_dtype, seed=self.seed_generator)
        return z_mean + ops.exp(0.5 * z_log_var) * eps

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}
