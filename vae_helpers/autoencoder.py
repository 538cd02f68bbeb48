"""A plain (deterministic) autoencoder beside the VAE, for notebook 08 ("Why variational?").

Same encoder trunk as :func:`vae_helpers.build_encoder`, but one head: the code z (B, D), with no sampling and
no KL term; the same decoder (:func:`vae_helpers.build_decoder`); the loss is the same reconstruction negative
log-likelihood in nats per image (Bernoulli by default, any of :mod:`vae_helpers.likelihoods`). It trains with the same
``vh.train`` and data pipeline, and it has ``encoder``, ``decoder``, ``decoder_logits``, ``latent_dim``,
``encode`` and ``decode`` like :class:`vae_helpers.VAE`, so the latent tools (``vh.encode_means``,
``vh.latent_grid``, ``vh.plot_latent_grid``, ...) take it as they take a VAE.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from vae_helpers import devices
from vae_helpers._checks import check_positive_int, check_seed, image_shape_of
from vae_helpers.likelihoods import DEFAULT_GAUSSIAN_STD
from vae_helpers.model import (
    EncoderDecoderModel,
    build_decoder,
    check_decoder,
    decode_points,
    encode_means,
    encoder_trunk,
    kernel_init,
)

CODE_LAYER = "z"


def build_autoencoder_encoder(latent_dim: int = 2, weight_seed=None, image_shape=(28, 28, 1)) -> keras.Model:
    """Deterministic encoder: image (B, H, W, C) (default (B, 28, 28, 1)) -> code z (B, latent_dim), the trunk of
    :func:`build_encoder` followed by one ``Dense(latent_dim)`` named ``"z"``."""
    latent_dim = check_positive_int(latent_dim, "latent_dim")
    images, h = encoder_trunk(weight_seed, image_shape=image_shape)
    z = layers.Dense(latent_dim, name=CODE_LAYER, kernel_initializer=kernel_init(weight_seed, 3))(h)  # (B, D)
    return keras.Model(images, z, name="encoder")


@keras.saving.register_keras_serializable(package="vae_helpers")
class Autoencoder(EncoderDecoderModel):
    """Autoencoder trained with plain ``compile()`` + ``fit()`` (or ``vh.train``): the model contract with no
    sampling and no regularizer.

    ``fit`` and ``evaluate`` report ``loss`` and ``reconstruction_loss`` (the same number: there is no KL term),
    the mean over images of the likelihood's negative log-likelihood in nats per image (``val_`` for validation).

    Args:
        encoder: model image (B, H, W, C) -> z (B, D) with one output, e.g. :func:`build_autoencoder_encoder`.
        decoder: model z (B, D) -> probabilities (B, H, W, C) with a layer named ``"logits"``,
            e.g. :func:`vae_helpers.build_decoder`.
        likelihood, gaussian_std: p(x|z) of the reconstruction term, as :class:`vae_helpers.VAE`'s (Bernoulli by
            default).
    """

    def call(self, x, training=False):
        """Reconstruct ``x`` (B, H, W, C): encode to z, decode. Returns probabilities (B, H, W, C)."""
        return ops.sigmoid(self.decoder_logits(self.encoder(x, training=training), training=training))

    def encode(self, x):
        """Return the code z (B, latent_dim) of images ``x`` (B, H, W, C) (deterministic: no sampling)."""
        from vae_helpers.data import validate_images

        return self.encoder(validate_images(x, image_shape=image_shape_of(self)), training=False)

    def decode(self, z):
        """Decode latent points ``z`` (B, latent_dim) to pixel probabilities (B, H, W, C) in [0, 1]."""
        return decode_points(self, z)

    def per_image_losses(self, x, training=False):
        """The likelihood's negative log-likelihood of each image ``x`` (B, H, W, C) given its code: (B,) nats."""
        logits = self.decoder_logits(self.encoder(x, training=training), training=training)
        # Under a mixed-precision policy the layers compute in (b)float16; the loss is always summed in float32.
        return self.reconstruction_nll(x, ops.cast(logits, "float32"))

    def batch_loss(self, data, training):
        """The loss of one batch, ``data`` = images (B, H, W, C) or ``(images, ...)``: the mean over images of
        the reconstruction loss in nats (a scalar), which training minimizes; it also updates both metrics."""
        x = data[0] if isinstance(data, (tuple, list)) else data
        loss = ops.mean(self.per_image_losses(x, training))
        self.loss_tracker.update_state(loss)
        self.reconstruction_tracker.update_state(loss)
        return loss

    @staticmethod
    def _check_parts(encoder, decoder) -> None:
        if not isinstance(encoder, keras.Model) or len(encoder.outputs) != 1 or len(encoder.outputs[0].shape) != 2:
            found = f"{len(encoder.outputs)} output(s)" if isinstance(encoder, keras.Model) else type(encoder).__name__
            raise ValueError(
                f"the Autoencoder's encoder must be a keras.Model with one output, the code z (B, D); got {found}. "
                "Build it with vh.build_autoencoder() (a VAE encoder's [z_mean, z_log_var, z] belongs in vh.VAE)."
            )
        check_decoder(decoder, "Autoencoder")
        enc_dim, dec_dim = encoder.outputs[0].shape[-1], decoder.inputs[0].shape[-1]
        if enc_dim != dec_dim:
            raise ValueError(f"encoder code size {enc_dim} and decoder latent size {dec_dim} differ; they must match.")


def build_autoencoder(
    latent_dim: int = 2,
    seed=None,
    dtype_policy=None,
    image_shape=(28, 28, 1),
    likelihood="bernoulli",
    gaussian_std: float = DEFAULT_GAUSSIAN_STD,
) -> Autoencoder:
    """The autoencoder in one call: ``Autoencoder(build_autoencoder_encoder(...), build_decoder(...))``.

    Args:
        latent_dim: size D of the code z.
        seed: None (initial weights from Keras's global random state, as :func:`vae_helpers.build_vae`) or an int:
            the initial weights are then the same on every build with that seed. Nothing else is random.
        dtype_policy: None or a dtype policy name, as in :func:`vae_helpers.build_vae`.
        image_shape, likelihood, gaussian_std: as in :func:`vae_helpers.build_vae` (notebook 10).
    """
    seed = check_seed(seed, "it fixes the initial weights")
    with devices.dtype_policy(dtype_policy):
        return Autoencoder(
            build_autoencoder_encoder(latent_dim, weight_seed=seed, image_shape=image_shape),
            build_decoder(latent_dim, weight_seed=seed, image_shape=image_shape),
            likelihood=likelihood,
            gaussian_std=gaussian_std,
            name="autoencoder",
        )


def reconstruction_error(model, x, batch_size: int = 1000) -> float:
    """Mean over images ``x`` (N, H, W, C) of the model's negative log-likelihood (its own likelihood) in nats per
    image, decoded from each image's code without sampling: an autoencoder's z, a VAE's z_mean (:func:`encode_means`).

    For a VAE this is not its ELBO's reconstruction term (that decodes a sample z); it is the error of its most
    likely reconstruction, the fair comparison with an autoencoder.
    """
    import numpy as np

    from vae_helpers.data import validate_images

    if not isinstance(model, EncoderDecoderModel) or model.is_conditional:
        raise ValueError(
            f"reconstruction_error needs a whole model that takes images alone (vh.Autoencoder or "
            f"vh.VAE), got {type(model).__name__}. Pass the model itself, not one of its parts."
        )
    x = validate_images(x, image_shape=image_shape_of(model))
    codes = encode_means(model, x, batch_size)  # (N, D)
    totals = [
        ops.convert_to_numpy(
            model.reconstruction_nll(
                x[i : i + batch_size],
                ops.cast(model.decoder_logits(codes[i : i + batch_size], training=False), "float32"),
            )
        )
        for i in range(0, len(x), batch_size)
    ]
    return float(np.mean(np.concatenate(totals)))
