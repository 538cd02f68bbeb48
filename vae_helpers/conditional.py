"""A conditional VAE: ask the decoder for a class. Notebook 09.

Both networks receive the image's label y as a one-hot vector (B, K), as in Kingma et al. (2014, the labelled
case of their model M2) and Sohn et al. (2015): the encoder q(z|x, y) joins it to the reference trunk's features
(B, 16) before its two heads, and the decoder p(x|z, y) is the reference decoder of size D + K
(:func:`vae_helpers.build_decoder`) applied to concat([z, y]) (B, D + K). The prior stays N(0, I), so

    -ELBO(x | y) = E_q[-log p(x|z, y)] + KL(q(z|x, y) || N(0, I))   (nats per image)

bounds -log p(x | y) from above. Since the label already says which garment it is, z only has to hold what the
label does not: the style (thickness, length, brightness ...). The same z decoded with another label gives the same
style in another class (:func:`class_grid`).

:class:`CVAE` trains with ``vh.train(cvae, x, x_val, y_train=..., y_val=...)`` (the labels travel with the images
through :func:`vae_helpers.make_dataset`) and is scored with ``vh.evaluate(cvae, x, labels=y)``.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from vae_helpers import devices
from vae_helpers._checks import check_float, check_positive_int, check_seed, image_shape_of, shape_of, shapes_agree
from vae_helpers.data import CLASS_NAMES, validate_images
from vae_helpers.fast_decoding import call_in_chunks
from vae_helpers.likelihoods import DEFAULT_GAUSSIAN_STD
from vae_helpers.model import VAE, build_decoder, check_decoder, condition_for, encoder_trunk, logits_model
from vae_helpers.sampling import Sampling

NUM_CLASSES = len(CLASS_NAMES)  # Fashion-MNIST's ten classes
CORE_DECODER = "decoder"  # the reference decoder inside the conditional decoder


def build_conditional_encoder(
    latent_dim: int = 2, num_classes: int = NUM_CLASSES, seed=None, image_shape=(28, 28, 1)
) -> keras.Model:
    """Encoder q(z|x, y): ``[image (B, H, W, C), one-hot label (B, K)]`` -> ``[z_mean, z_log_var, z]``, each
    (B, latent_dim). The reference trunk (B, 16) and the label are joined before the heads; ``seed`` seeds ``z``.
    ``image_shape`` (H, W, C): as :func:`vae_helpers.build_encoder`'s (default (28, 28, 1))."""
    latent_dim = check_positive_int(latent_dim, "latent_dim")
    num_classes = check_positive_int(num_classes, "num_classes")
    images, h = encoder_trunk(image_shape=image_shape)  # (B, 16)
    label = keras.Input(shape=(num_classes,), name="label")  # (B, K)
    h = layers.Concatenate(name="features_and_label")([h, label])  # (B, 16 + K)
    z_mean = layers.Dense(latent_dim, name="z_mean")(h)  # (B, D)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(h)  # (B, D)
    z = Sampling(seed=seed, name="z")([z_mean, z_log_var])  # (B, D)
    return keras.Model([images, label], [z_mean, z_log_var, z], name="conditional_encoder")


def build_conditional_decoder(
    latent_dim: int = 2, num_classes: int = NUM_CLASSES, image_shape=(28, 28, 1)
) -> keras.Model:
    """Decoder p(x|z, y): ``[z (B, latent_dim), one-hot label (B, K)]`` -> pixel probabilities (B, H, W, C)
    (default (B, 28, 28, 1)).

    Inside is the reference decoder of size ``latent_dim + num_classes`` (a layer named ``"decoder"``, with its
    ``"logits"`` layer), applied to concat([z, label])."""
    latent_dim = check_positive_int(latent_dim, "latent_dim")
    num_classes = check_positive_int(num_classes, "num_classes")
    core = build_decoder(latent_dim + num_classes, image_shape=image_shape)  # (B, D + K) -> (B, H, W, C)
    z = keras.Input(shape=(latent_dim,), name="z")
    label = keras.Input(shape=(num_classes,), name="label")
    probabilities = core(layers.Concatenate(name="z_and_label")([z, label]))  # (B, H, W, C)
    return keras.Model([z, label], probabilities, name="conditional_decoder")


@keras.saving.register_keras_serializable(package="vae_helpers")
class CVAE(VAE):
    """Conditional VAE trained with ``vh.train(cvae, x_train, x_val, y_train=..., y_val=...)`` (or ``fit`` on
    batches ``(images, labels)``): a :class:`vae_helpers.VAE` whose encoder and decoder also take the label.

    ``fit`` and ``evaluate`` report ``loss`` (-ELBO with the KL weighted by ``beta``), ``reconstruction_loss`` and
    ``kl_loss``, means over images of per-image values in nats, as :class:`vae_helpers.VAE` does. Labels are
    class indices (B,) in 0..K-1; the model turns them into one-hot vectors (B, K).

    Args:
        encoder: ``[images (B, H, W, C), one-hot (B, K)] -> [z_mean, z_log_var, z]``, e.g.
            :func:`build_conditional_encoder`.
        decoder: ``[z (B, D), one-hot (B, K)] -> probabilities (B, H, W, C)`` holding a reference decoder
            named ``"decoder"``, e.g. :func:`build_conditional_decoder`.
        beta, free_bits, likelihood, gaussian_std: as :class:`vae_helpers.VAE`'s (``beta`` is a variable, so
            :class:`vae_helpers.KLWarmup` can change it).
    """

    @property
    def is_conditional(self) -> bool:
        return True

    def _logits_of(self, decoder: keras.Model) -> keras.Model:
        """``[z, one-hot] -> logits``: the core decoder's layers up to its ``"logits"`` layer (weights shared)."""
        self.num_classes = int(decoder.inputs[1].shape[-1])
        self.core_decoder = decoder.get_layer(CORE_DECODER)
        core_logits = logits_model(self.core_decoder)
        z, label = (keras.Input(shape=(int(t.shape[-1]),), name=t.name) for t in decoder.inputs)
        return keras.Model(
            [z, label], core_logits(ops.concatenate([z, label], axis=-1)), name="conditional_decoder_logits"
        )

    def call(self, inputs, training=False):
        """Reconstruct ``(x, one_hot)`` = images (B, H, W, C) and one-hot labels (B, K): probabilities (B, H, W, C)."""
        x, label = inputs
        _, _, z = self.encoder([x, label], training=training)
        return ops.sigmoid(self.decoder_logits([z, label], training=training))

    def encode(self, x, labels):
        """``(z_mean, z_log_var, z)`` of images ``x`` (B, H, W, C) with their class indices ``labels`` (B,)."""
        x = validate_images(x, image_shape=image_shape_of(self))
        return self.encoder([x, condition_for(self, labels, len(x))], training=False)

    def decode(self, z, labels):
        """Pixel probabilities (B, H, W, C) decoded from latent points ``z`` (B, latent_dim) as classes
        ``labels`` (B,), or one class index for all B points."""
        check_float(z, "z")
        if not shapes_agree(shape_of(z), (None, self.latent_dim)):
            raise ValueError(
                f"z must have shape (B, {self.latent_dim}) for this model, got {shape_of(z)}. "
                "For a single point pass z[None]."
            )
        n = shape_of(z)[0]
        labels = np.full(n, labels) if np.ndim(labels) == 0 else labels
        return call_in_chunks(
            lambda *chunk: self.decoder(list(chunk), training=False),  # bounded memory
            z,
            condition_for(self, labels, n),
        )

    def generate(self, label: int, n: int = 10, seed=None) -> np.ndarray:
        """``n`` new images (n, H, W, C) of class ``label``: z ~ N(0, I) (numpy, ``seed``) decoded with that label."""
        n = check_positive_int(n, "n")
        z = np.random.default_rng(seed).standard_normal((n, self.latent_dim), dtype=np.float32)
        return ops.convert_to_numpy(self.decode(z, label))

    def _batch(self, data):
        if not isinstance(data, (tuple, list)) or len(data) < 2:
            raise ValueError(
                "a CVAE trains on batches (images, labels): pass y_train= (and y_val=) to vh.train, "
                "or labels= to vh.make_dataset."
            )
        return data[0], ops.one_hot(ops.cast(data[1], "int32"), self.num_classes)  # (B, K) float32

    def _own_config(self) -> dict:
        # free bits only when used, so the configs of the CVAEs made before they had them stay as they were
        return {"beta": float(self.beta.numpy()), **({"free_bits": self.free_bits} if self.free_bits else {})}

    @staticmethod
    def _check_parts(encoder, decoder) -> None:
        if not isinstance(encoder, keras.Model) or not isinstance(decoder, keras.Model):
            raise ValueError(
                f"CVAE needs two keras.Model objects (encoder, decoder), got {type(encoder).__name__} "
                f"and {type(decoder).__name__}. Build them with vh.build_cvae()."
            )
        if len(encoder.inputs) != 2 or len(encoder.outputs) != 3:
            raise ValueError(
                f"the CVAE's encoder must take [images, one-hot labels] and output [z_mean, z_log_var, "
                f"z], got {len(encoder.inputs)} input(s) and {len(encoder.outputs)} output(s). "
                "Build it with vh.build_cvae() (a VAE's encoder belongs in vh.VAE)."
            )
        if len(decoder.inputs) != 2 or CORE_DECODER not in [layer.name for layer in decoder.layers]:
            raise ValueError(
                "the CVAE's decoder must take [z, one-hot labels] and hold a reference decoder named "
                f"{CORE_DECODER!r}; build it with vh.build_cvae()."
            )
        check_decoder(decoder.get_layer(CORE_DECODER), "CVAE")
        (enc_dim, dec_dim) = encoder.outputs[0].shape[-1], decoder.inputs[0].shape[-1]
        (enc_k, dec_k) = encoder.inputs[1].shape[-1], decoder.inputs[1].shape[-1]
        if enc_dim != dec_dim or enc_k != dec_k:
            raise ValueError(
                f"encoder (latent {enc_dim}, {enc_k} classes) and decoder (latent {dec_dim}, {dec_k} "
                "classes) differ; they must match."
            )


def build_cvae(
    latent_dim: int = 2,
    num_classes: int = NUM_CLASSES,
    beta: float = 1.0,
    seed=None,
    dtype_policy=None,
    free_bits: float = 0.0,
    image_shape=(28, 28, 1),
    likelihood="bernoulli",
    gaussian_std: float = DEFAULT_GAUSSIAN_STD,
) -> CVAE:
    """The conditional VAE in one call: ``CVAE(build_conditional_encoder(...), build_conditional_decoder(...))``.

    ``seed`` seeds the sampling layer (the weights start from Keras's global random state, as in
    :func:`vae_helpers.build_vae`); ``dtype_policy``, ``free_bits``, ``image_shape``, ``likelihood`` and
    ``gaussian_std`` as there.
    """
    seed = check_seed(seed, "it seeds the sampling layer")
    with devices.dtype_policy(dtype_policy):
        return CVAE(
            build_conditional_encoder(latent_dim, num_classes, seed=seed, image_shape=image_shape),
            build_conditional_decoder(latent_dim, num_classes, image_shape=image_shape),
            beta=beta,
            free_bits=free_bits,
            likelihood=likelihood,
            gaussian_std=gaussian_std,
            name="cvae",
        )


def class_grid(cvae: CVAE, z) -> np.ndarray:
    """Decode every latent point of ``z`` (S, D) as every class: probabilities (K, S, 28, 28), row k = class k.

    One column holds one style z drawn in all K classes (notebook 09's class x z grid)."""
    if not getattr(cvae, "is_conditional", False):
        raise ValueError(f"class_grid needs a vh.CVAE, got {type(cvae).__name__}.")
    z = np.asarray(z, dtype=np.float32)
    if z.ndim != 2 or z.shape[1] != cvae.latent_dim:
        raise ValueError(
            f"z must be latent points of shape (S, {cvae.latent_dim}) for this CVAE, got {z.shape}. "
            "For a single point pass z[None]."
        )
    n = len(z)
    points = np.tile(z, (cvae.num_classes, 1))  # (K*S, D), class-major
    labels = np.repeat(np.arange(cvae.num_classes), n)  # (K*S,)
    images = ops.convert_to_numpy(cvae.decode(points, labels))  # (K*S, 28, 28, 1)
    return images[..., 0].reshape(cvae.num_classes, n, *images.shape[1:3])
