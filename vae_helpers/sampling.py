"""The reparameterization trick: ``z = mu + sigma * eps`` with ``eps ~ N(0, I)``.

Introduced in notebook 02. Writing the sample as a deterministic function of (mu, log sigma^2) and an
independent noise ``eps`` lets gradients flow to the encoder's outputs.
"""

from __future__ import annotations

import keras
from keras import ops

from vae_helpers._checks import check_gaussian_params


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
