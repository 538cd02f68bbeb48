"""The reparameterization trick: ``z = mu + sigma * eps`` with ``eps ~ N(0, I)``.

Introduced in notebook 02. Writing the sample as a deterministic function of (mu, log sigma^2) and an
independent noise ``eps`` lets gradients flow to the encoder's outputs. :func:`gradient_estimates` compares this
pathwise gradient with the score-function (REINFORCE) estimator of the same gradient.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from vae_helpers._checks import check_float, check_gaussian_params, check_positive_int, shape_of
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
    return shift_and_scale(z_mean, z_log_var, eps)


def shift_and_scale(z_mean, z_log_var, eps):
    """The reparameterization itself, for noise ``eps`` already drawn: ``z_mean + exp(0.5 * z_log_var) * eps``.

    The one place the course writes it: :func:`reparameterize`, the :class:`Sampling` layer, the models' scores
    for given noise, the IWAE bound and the Monte-Carlo KL all call it. No checks (its callers have checked).

    Args:
        z_mean, z_log_var: (..., D) tensors. eps: standard-normal noise that broadcasts against them, e.g.
            (B, D) or (S, B, D) for S samples per image; cast to ``z_mean``'s dtype.

    Returns:
        z of the broadcast shape, e.g. (B, D) or (S, B, D).
    """
    return z_mean + ops.exp(0.5 * z_log_var) * ops.cast(eps, z_mean.dtype)


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
        raise ValueError(
            f'estimator must be one of {ESTIMATORS}, got {estimator!r}. Fix: pass estimator="pathwise" '
            '(the reparameterization) or estimator="score_function" (REINFORCE).'
        )
    check_gaussian_params(z_mean, z_log_var)
    n_samples = check_positive_int(n_samples, "n_samples")
    z_mean, z_log_var = (np.asarray(ops.convert_to_numpy(a), dtype="float32") for a in (z_mean, z_log_var))
    eps = np.random.default_rng(seed).standard_normal((n_samples, *z_mean.shape)).astype("float32")  # (S, B, D)
    # One independent copy of the parameters per sample: the gradient of the summed losses with respect to a copy is
    # that sample's own estimate.
    means, log_vars = (np.broadcast_to(a, eps.shape).copy() for a in (z_mean, z_log_var))  # (S, B, D) each

    def total(means, log_vars):
        z = shift_and_scale(means, log_vars, eps)  # (S, B, D)
        if estimator == "pathwise":
            return ops.sum(loss(z))
        z = ops.stop_gradient(z)  # the score function never differentiates the sample or the loss
        return ops.sum(ops.stop_gradient(loss(z)) * gaussian_log_density(z, means, log_vars))

    _, (grad_mean, grad_log_var) = value_and_gradients(total, means, log_vars)
    return grad_mean, grad_log_var


def gaussian_log_density(z, mean, log_var):
    """``log N(z; mean, exp(log_var))`` summed over the last axis, in nats. Shapes broadcast; returns (...,)."""
    for name, value in (("z", z), ("mean", mean), ("log_var", log_var)):
        check_float(value, name)
    # One float dtype for all three, that of the arrays; scalars follow it (older Keras and numpy releases
    # would otherwise mix float32 and float64 and fail).
    dtypes = {
        keras.backend.standardize_dtype(getattr(v, "dtype", None) or np.asarray(v).dtype)
        for v in (z, mean, log_var)
        if len(shape_of(v)) > 0
    }
    dtype = "float32" if not dtypes else dtypes.pop() if len(dtypes) == 1 else keras.backend.result_type(*dtypes)
    z, mean, log_var = (ops.convert_to_tensor(v, dtype=dtype) for v in (z, mean, log_var))
    log_2pi = 1.8378770664093453
    return -0.5 * ops.sum(log_2pi + log_var + ops.square(z - mean) * ops.exp(-log_var), axis=-1)


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
        return shift_and_scale(z_mean, z_log_var, eps)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}
