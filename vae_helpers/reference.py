"""A straightforward Keras 3 port of the reference tutorial, kept as a baseline (advanced use).

The course's model (:mod:`vae_helpers.model`) is checked against it layer by layer, ``vh.latent_grid`` is checked
against its per-point loop (rows of tiles flipped: the loop puts z[1] growing downwards), and the benchmarks
compare training speed and test -ELBO with it. Only what Keras 3 forces changes: ``Lambda(sampling)`` becomes
the :class:`~vae_helpers.sampling.Sampling` layer, and the symbolic ``add_loss`` becomes a ``train_step``, computing the same loss the same way as the tutorial (binary
cross-entropy on sigmoid outputs times 784, plus the analytic KL, both averaged over the batch).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from vae_helpers import runtime
from vae_helpers.sampling import Sampling


def build_reference_models(latent_dim: int = 2):
    """The tutorial's encoder (image -> [z_mean, z_log_var, z]) and decoder (z -> sigmoid image), unchanged."""
    input_img = keras.Input(shape=(28, 28, 1))
    x = layers.Conv2D(32, (3, 3), activation="relu", padding="same")(input_img)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)
    x = layers.Conv2D(64, (3, 3), activation="relu", padding="same")(x)
    x = layers.MaxPooling2D((2, 2), padding="same")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(16, activation="relu")(x)
    z_mean = layers.Dense(latent_dim)(x)
    z_log_var = layers.Dense(latent_dim)(x)
    z = Sampling()([z_mean, z_log_var])
    encoder = keras.Model(input_img, [z_mean, z_log_var, z], name="encoder")

    latent_inputs = keras.Input(shape=(latent_dim,))
    x = layers.Dense(7 * 7 * 64, activation="relu")(latent_inputs)
    x = layers.Reshape((7, 7, 64))(x)
    x = layers.Conv2DTranspose(64, (3, 3), activation="relu", padding="same")(x)
    x = layers.UpSampling2D((2, 2))(x)
    x = layers.Conv2DTranspose(32, (3, 3), activation="relu", padding="same")(x)
    x = layers.UpSampling2D((2, 2))(x)
    decoded_img = layers.Conv2DTranspose(1, (3, 3), activation="sigmoid", padding="same")(x)
    decoder = keras.Model(latent_inputs, decoded_img, name="decoder")
    return encoder, decoder


class ReferenceVAE(keras.Model):
    """The tutorial's ``vae`` model with its loss moved from ``add_loss`` into ``train_step``/``test_step``."""

    def __init__(self, latent_dim: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.encoder, self.decoder = build_reference_models(latent_dim)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.built = True  # encoder and decoder arrive built (else count_params/summary fail, even after fit)

    @property
    def metrics(self):
        return [self.loss_tracker]

    def call(self, x, training=False):
        return self.decoder(self.encoder(x, training=training)[2], training=training)

    def reference_loss(self, x, training=False):
        """The tutorial's loss: mean over the batch of 784 * mean-pixel BCE + analytic KL (nats per image)."""
        z_mean, z_log_var, z = self.encoder(x, training=training)
        output = self.decoder(z, training=training)
        reconstruction = ops.mean(keras.losses.binary_crossentropy(x, output), axis=(1, 2)) * 28 * 28
        kl = -0.5 * ops.sum(1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var), axis=-1)
        return ops.mean(reconstruction) + ops.mean(kl)

    def batch_loss(self, data, training):
        """:meth:`reference_loss` of a batch, recorded by the ``loss`` metric: what :func:`runtime.train_step` lowers."""
        x = data[0] if isinstance(data, (tuple, list)) else data
        loss = self.reference_loss(x, training=training)
        self.loss_tracker.update_state(loss)
        return loss

    def train_step(self, *args):
        return runtime.train_step(self, *args)

    def test_step(self, *args):
        return runtime.test_step(self, *args)


def reference_latent_grid(decoder, n: int = 30) -> np.ndarray:
    """The tutorial's ``plot_latent_images`` loop without the plotting: n*n separate ``predict`` calls."""
    grid_x = np.linspace(-2, 2, n)
    grid_y = np.linspace(-2, 2, n)
    figure = np.zeros((28 * n, 28 * n))
    for i, yi in enumerate(grid_y):
        for j, xi in enumerate(grid_x):
            z_sample = np.array([[xi, yi]])
            x_decoded = decoder.predict(z_sample, verbose=0)
            digit = x_decoded[0].reshape(28, 28)
            figure[i * 28 : (i + 1) * 28, j * 28 : (j + 1) * 28] = digit
    return figure


def flip_tile_rows(picture, n: int) -> np.ndarray:
    """The tutorial's grid (row i at z[1] = grid[i]) in the course's layout (z[1] grows upwards, :func:`vh.latent_grid`).

    Reverses the order of the n rows of 28 x 28 tiles, leaving each tile upright.

    Args:
        picture: (28n, 28n) tiled grid, as :func:`reference_latent_grid` returns it.

    Returns:
        (28n, 28n) array.
    """
    picture = np.asarray(picture)
    if picture.shape != (28 * n, 28 * n):
        raise ValueError(
            f"picture must be the ({28 * n}, {28 * n}) grid of n={n} rows of 28 x 28 tiles, got shape {picture.shape}."
        )
    return picture.reshape(n, 28, 28 * n)[::-1].reshape(28 * n, 28 * n)
