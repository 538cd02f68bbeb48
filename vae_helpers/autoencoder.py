"""A plain (deterministic) autoencoder beside the VAE, for notebook 08 ("Why variational?").

Same encoder trunk as :func:`vae_helpers.build_encoder`, but one head: the code z (B, D), with no sampling and
no KL term; the same decoder (:func:`vae_helpers.build_decoder`); the loss is the same Bernoulli reconstruction
negative log-likelihood in nats per image (:func:`vae_helpers.reconstruction_loss`). It trains with the same
``vh.train`` and data pipeline, and it has ``encoder``, ``decoder``, ``decoder_logits``, ``latent_dim``,
``encode`` and ``decode`` like :class:`vae_helpers.VAE`, so the latent tools (``vh.encode_means``,
``vh.latent_grid``, ``vh.plot_latent_grid``, ...) take it as they take a VAE.
"""

from __future__ import annotations

import numbers

import keras
from keras import layers, ops

from vae_helpers import devices
from vae_helpers._checks import check_positive_int
from vae_helpers.losses import reconstruction_loss
from vae_helpers.model import (
    EncoderDecoderModel, build_decoder, check_decoder, decode_points, encode_means, encoder_trunk, kernel_init,
    logits_model,
)

CODE_LAYER = "z"


def build_autoencoder_encoder(latent_dim: int = 2, weight_seed=None) -> keras.Model:
    """Deterministic encoder: image (B, 28, 28, 1) -> code z (B, latent_dim), the trunk of :func:`build_encoder`
    followed by one ``Dense(latent_dim)`` named ``"z"``."""
    latent_dim = check_positive_int(latent_dim, "latent_dim")
    images, h = encoder_trunk(weight_seed)
    z = layers.Dense(latent_dim, name=CODE_LAYER, kernel_initializer=kernel_init(weight_seed, 3))(h)  # (B, D)
    return keras.Model(images, z, name="encoder")


@keras.saving.register_keras_serializable(package="vae_helpers")
class Autoencoder(EncoderDecoderModel):
    """Autoencoder trained with plain ``compile()`` + ``fit()`` (or ``vh.train``).

    ``fit`` and ``evaluate`` report ``loss`` and ``reconstruction_loss`` (the same number: there is no KL term),
    the mean over images of the Bernoulli negative log-likelihood in nats per image (``val_`` for validation).

    Args:
        encoder: model image (B, 28, 28, 1) -> z (B, D) with one output, e.g. :func:`build_autoencoder_encoder`.
        decoder: model z (B, D) -> probabilities (B, 28, 28, 1) with a layer named ``"logits"``,
            e.g. :func:`vae_helpers.build_decoder`.
    """

    def __init__(self, encoder: keras.Model, decoder: keras.Model, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(encoder, keras.Model) or len(encoder.outputs) != 1 or len(encoder.outputs[0].shape) != 2:
            found = (f"{len(encoder.outputs)} output(s)" if isinstance(encoder, keras.Model)
                     else type(encoder).__name__)
            raise ValueError(
                f"the Autoencoder's encoder must be a keras.Model with one output, the code z (B, D); got {found}. "
                "Build it with vh.build_autoencoder() (a VAE encoder's [z_mean, z_log_var, z] belongs in vh.VAE)."
            )
        check_decoder(decoder, "Autoencoder")
        enc_dim, dec_dim = encoder.outputs[0].shape[-1], decoder.inputs[0].shape[-1]
        if enc_dim != dec_dim:
            raise ValueError(f"encoder code size {enc_dim} and decoder latent size {dec_dim} differ; they must match.")
        self.encoder = encoder
        self.decoder = decoder
        self.latent_dim = int(dec_dim)
        self.decoder_logits = logits_model(decoder)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.built = True  # encoder and decoder arrive built: nothing is left to create

    @property
    def metrics(self):
        return [self.loss_tracker, self.reconstruction_tracker]

    def call(self, x, training=False):
        """Reconstruct ``x`` (B, 28, 28, 1): encode to z, decode. Returns probabilities (B, 28, 28, 1)."""
        return ops.sigmoid(self.decoder_logits(self.encoder(x, training=training), training=training))

    def encode(self, x):
        """Return the code z (B, latent_dim) of images ``x`` (B, 28, 28, 1) (deterministic: no sampling)."""
        from vae_helpers.data import validate_images

        return self.encoder(validate_images(x), training=False)

    def decode(self, z):
        """Decode latent points ``z`` (B, latent_dim) to pixel probabilities (B, 28, 28, 1) in [0, 1]."""
        return decode_points(self, z)

    def per_image_losses(self, x, training=False):
        """Bernoulli negative log-likelihood of each image ``x`` (B, 28, 28, 1) given its code: (B,) in nats."""
        logits = self.decoder_logits(self.encoder(x, training=training), training=training)
        # Under a mixed-precision policy the layers compute in (b)float16; the loss is always summed in float32.
        return reconstruction_loss(x, ops.cast(logits, "float32"))

    def batch_loss(self, data, training):
        """The loss of one batch, ``data`` = images (B, 28, 28, 1) or ``(images, ...)``: the mean over images of
        the reconstruction loss in nats (a scalar), which training minimizes; it also updates both metrics."""
        x = data[0] if isinstance(data, (tuple, list)) else data
        loss = ops.mean(self.per_image_losses(x, training))
        self.loss_tracker.update_state(loss)
        self.reconstruction_tracker.update_state(loss)
        return loss


def build_autoencoder(latent_dim: int = 2, seed=None, dtype_policy=None) -> Autoencoder:
    """The autoencoder in one call: ``Autoencoder(build_autoencoder_encoder(...), build_decoder(...))``.

    Args:
        latent_dim: size D of the code z.
        seed: None (initial weights from Keras's global random state, as :func:`vae_helpers.build_vae`) or an int:
            the initial weights are then the same on every build with that seed. Nothing else is random.
        dtype_policy: None or a dtype policy name, as in :func:`vae_helpers.build_vae`.
    """
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0):
        raise ValueError(f"seed must be None or an integer >= 0 (it fixes the initial weights), got {seed!r}.")
    with devices.dtype_policy(dtype_policy):
        return Autoencoder(build_autoencoder_encoder(latent_dim, weight_seed=seed),
                           build_decoder(latent_dim, weight_seed=seed), name="autoencoder")


def reconstruction_error(model, x, batch_size: int = 1000) -> float:
    """Mean over images ``x`` (N, 28, 28, 1) of the Bernoulli negative log-likelihood in nats per image, decoded
    from each image's code without sampling: an autoencoder's z, a VAE's z_mean (:func:`encode_means`).

    For a VAE this is not its ELBO's reconstruction term (that decodes a sample z); it is the error of its most
    likely reconstruction, the fair comparison with an autoencoder.
    """
    import numpy as np

    from vae_helpers.data import validate_images

    if not (hasattr(model, "encoder") and hasattr(model, "decoder_logits")):
        raise ValueError(f"reconstruction_error needs a whole model (vh.Autoencoder or vh.VAE), got "
                         f"{type(model).__name__}. Pass the model itself, not one of its parts.")
    x = validate_images(x)
    codes = encode_means(model, x, batch_size)  # (N, D)
    totals = [ops.convert_to_numpy(reconstruction_loss(x[i:i + batch_size], ops.cast(
        model.decoder_logits(codes[i:i + batch_size], training=False), "float32")))
        for i in range(0, len(x), batch_size)]
    return float(np.mean(np.concatenate(totals)))
