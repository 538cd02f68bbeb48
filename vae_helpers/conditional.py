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
from vae_helpers._checks import check_finite, check_float, check_positive_int, checked_one_hot, shape_of, shapes_agree
from vae_helpers.data import CLASS_NAMES, validate_images
from vae_helpers.fast_decoding import call_in_chunks
from vae_helpers.losses import kl_divergence, reconstruction_loss
from vae_helpers.model import EncoderDecoderModel, build_decoder, check_decoder, encoder_trunk, logits_model
from vae_helpers.sampling import Sampling

NUM_CLASSES = len(CLASS_NAMES)  # Fashion-MNIST's ten classes
CORE_DECODER = "decoder"  # the reference decoder inside the conditional decoder


def build_conditional_encoder(latent_dim: int = 2, num_classes: int = NUM_CLASSES, seed=None) -> keras.Model:
    """Encoder q(z|x, y): ``[image (B, 28, 28, 1), one-hot label (B, K)]`` -> ``[z_mean, z_log_var, z]``, each
    (B, latent_dim). The reference trunk (B, 16) and the label are joined before the heads; ``seed`` seeds ``z``."""
    latent_dim = check_positive_int(latent_dim, "latent_dim")
    num_classes = check_positive_int(num_classes, "num_classes")
    images, h = encoder_trunk()  # (B, 16)
    label = keras.Input(shape=(num_classes,), name="label")  # (B, K)
    h = layers.Concatenate(name="features_and_label")([h, label])  # (B, 16 + K)
    z_mean = layers.Dense(latent_dim, name="z_mean")(h)  # (B, D)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(h)  # (B, D)
    z = Sampling(seed=seed, name="z")([z_mean, z_log_var])  # (B, D)
    return keras.Model([images, label], [z_mean, z_log_var, z], name="conditional_encoder")


def build_conditional_decoder(latent_dim: int = 2, num_classes: int = NUM_CLASSES) -> keras.Model:
    """Decoder p(x|z, y): ``[z (B, latent_dim), one-hot label (B, K)]`` -> pixel probabilities (B, 28, 28, 1).

    Inside is the reference decoder of size ``latent_dim + num_classes`` (a layer named ``"decoder"``, with its
    ``"logits"`` layer), applied to concat([z, label])."""
    latent_dim = check_positive_int(latent_dim, "latent_dim")
    num_classes = check_positive_int(num_classes, "num_classes")
    core = build_decoder(latent_dim + num_classes)  # (B, D + K) -> (B, 28, 28, 1), named "decoder"
    z = keras.Input(shape=(latent_dim,), name="z")
    label = keras.Input(shape=(num_classes,), name="label")
    probabilities = core(layers.Concatenate(name="z_and_label")([z, label]))  # (B, 28, 28, 1)
    return keras.Model([z, label], probabilities, name="conditional_decoder")


@keras.saving.register_keras_serializable(package="vae_helpers")
class CVAE(EncoderDecoderModel):
    """Conditional VAE trained with ``vh.train(cvae, x_train, x_val, y_train=..., y_val=...)`` (or ``fit`` on
    batches ``(images, labels)``).

    ``fit`` and ``evaluate`` report ``loss`` (-ELBO with the KL weighted by ``beta``), ``reconstruction_loss`` and
    ``kl_loss``, means over images of per-image values in nats, as :class:`vae_helpers.VAE` does. Labels are
    class indices (B,) in 0..K-1; the model turns them into one-hot vectors (B, K).

    Args:
        encoder: ``[images (B, 28, 28, 1), one-hot (B, K)] -> [z_mean, z_log_var, z]``, e.g.
            :func:`build_conditional_encoder`.
        decoder: ``[z (B, D), one-hot (B, K)] -> probabilities (B, 28, 28, 1)`` holding a reference decoder
            named ``"decoder"``, e.g. :func:`build_conditional_decoder`.
        beta: weight of the KL term (1.0 is the ELBO); a variable, so :class:`vae_helpers.KLWarmup` can change it.
    """

    def __init__(self, encoder: keras.Model, decoder: keras.Model, beta: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        _check_parts(encoder, decoder)
        self.encoder, self.decoder = encoder, decoder
        self.latent_dim = int(decoder.inputs[0].shape[-1])
        self.num_classes = int(decoder.inputs[1].shape[-1])
        self.core_decoder = decoder.get_layer(CORE_DECODER)
        core_logits = logits_model(self.core_decoder)
        z, label = (keras.Input(shape=(int(t.shape[-1]),), name=t.name) for t in decoder.inputs)
        self.decoder_logits = keras.Model([z, label], core_logits(ops.concatenate([z, label], axis=-1)),
                                          name="conditional_decoder_logits")  # weights shared, not copied
        beta = check_finite(beta, "beta", minimum=0.0, hint="1.0 gives the ELBO")
        self.beta = keras.Variable(float(beta), trainable=False, name="beta")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_tracker = keras.metrics.Mean(name="kl_loss")
        self.built = True  # encoder and decoder arrive built

    @property
    def metrics(self):
        return [self.loss_tracker, self.reconstruction_tracker, self.kl_tracker]

    def call(self, inputs, training=False):
        """Reconstruct ``(x, one_hot)`` = images (B, 28, 28, 1) and one-hot labels (B, K): probabilities (B, 28, 28, 1)."""
        x, label = inputs
        _, _, z = self.encoder([x, label], training=training)
        return ops.sigmoid(self.decoder_logits([z, label], training=training))

    def encode(self, x, labels):
        """``(z_mean, z_log_var, z)`` of images ``x`` (B, 28, 28, 1) with their class indices ``labels`` (B,)."""
        x = validate_images(x)
        return self.encoder([x, self._one_hot(labels, len(x))], training=False)

    def decode(self, z, labels):
        """Pixel probabilities (B, 28, 28, 1) decoded from latent points ``z`` (B, latent_dim) as classes
        ``labels`` (B,), or one class index for all B points."""
        check_float(z, "z")
        if not shapes_agree(shape_of(z), (None, self.latent_dim)):
            raise ValueError(f"z must have shape (B, {self.latent_dim}) for this model, got {shape_of(z)}. "
                             "For a single point pass z[None].")
        n = shape_of(z)[0]
        labels = np.full(n, labels) if np.ndim(labels) == 0 else labels
        return call_in_chunks(lambda *chunk: self.decoder(list(chunk), training=False),  # bounded memory
                              z, self._one_hot(labels, n))

    def generate(self, label: int, n: int = 10, seed=None) -> np.ndarray:
        """``n`` new images (n, 28, 28, 1) of class ``label``: z ~ N(0, I) (numpy, ``seed``) decoded with that label."""
        n = check_positive_int(n, "n")
        z = np.random.default_rng(seed).standard_normal((n, self.latent_dim), dtype=np.float32)
        return ops.convert_to_numpy(self.decode(z, label))

    def _one_hot(self, labels, n: int) -> np.ndarray:
        """Class indices (n,) -> one-hot float32 (n, K), checked."""
        return checked_one_hot(labels, n, self.num_classes)

    def per_image_losses(self, x, label, training=False, eps=None):
        """``(reconstruction, kl)``, each (B,) nats, for images ``x`` (B, 28, 28, 1) and one-hot labels
        ``label`` (B, K); z is the encoder's sample, or ``z_mean + exp(z_log_var / 2) * eps`` for noise (B, D)."""
        z_mean, z_log_var, z = self.encoder([x, label], training=training)
        if eps is not None:
            z = z_mean + ops.exp(0.5 * z_log_var) * ops.cast(eps, z_mean.dtype)
        logits = self.decoder_logits([z, ops.cast(label, z.dtype)], training=training)
        # Under a mixed-precision policy the layers compute in (b)float16; the loss is always summed in float32.
        z_mean, z_log_var, logits = (ops.cast(t, "float32") for t in (z_mean, z_log_var, logits))
        return self.reconstruction_nll(x, logits), kl_divergence(z_mean, z_log_var)

    def reconstruction_nll(self, x, logits):
        """``-log p(x|z, y)`` per image, Bernoulli: (B,) nats, for x and logits (B, 28, 28, 1)."""
        return reconstruction_loss(x, logits)

    def batch_loss(self, data, training):
        """The loss of one batch ``data`` = ``(images (B, 28, 28, 1), class indices (B,))``: the mean of
        ``reconstruction + beta * KL`` in nats (a scalar); it also updates the three metrics."""
        if not isinstance(data, (tuple, list)) or len(data) < 2:
            raise ValueError("a CVAE trains on batches (images, labels): pass y_train= (and y_val=) to vh.train, "
                             "or labels= to vh.make_dataset.")
        x, labels = data[0], data[1]
        label = ops.one_hot(ops.cast(labels, "int32"), self.num_classes)  # (B, K) float32
        reconstruction, kl = (ops.mean(t) for t in self.per_image_losses(x, label, training))
        loss = reconstruction + ops.cast(self.beta, kl.dtype) * kl
        self.loss_tracker.update_state(loss)
        self.reconstruction_tracker.update_state(reconstruction)
        self.kl_tracker.update_state(kl)
        return loss

    def _own_config(self) -> dict:
        return {"beta": float(self.beta.numpy())}


def _check_parts(encoder, decoder) -> None:
    if not isinstance(encoder, keras.Model) or not isinstance(decoder, keras.Model):
        raise ValueError(f"CVAE needs two keras.Model objects (encoder, decoder), got {type(encoder).__name__} and "
                         f"{type(decoder).__name__}. Build them with vh.build_cvae().")
    if len(encoder.inputs) != 2 or len(encoder.outputs) != 3:
        raise ValueError(f"the CVAE's encoder must take [images, one-hot labels] and output [z_mean, z_log_var, z], "
                         f"got {len(encoder.inputs)} input(s) and {len(encoder.outputs)} output(s). "
                         "Build it with vh.build_cvae() (a VAE's encoder belongs in vh.VAE).")
    if len(decoder.inputs) != 2 or CORE_DECODER not in [layer.name for layer in decoder.layers]:
        raise ValueError("the CVAE's decoder must take [z, one-hot labels] and hold a reference decoder named "
                         f"{CORE_DECODER!r}; build it with vh.build_cvae().")
    check_decoder(decoder.get_layer(CORE_DECODER), "CVAE")
    (enc_dim, dec_dim) = encoder.outputs[0].shape[-1], decoder.inputs[0].shape[-1]
    (enc_k, dec_k) = encoder.inputs[1].shape[-1], decoder.inputs[1].shape[-1]
    if enc_dim != dec_dim or enc_k != dec_k:
        raise ValueError(f"encoder (latent {enc_dim}, {enc_k} classes) and decoder (latent {dec_dim}, {dec_k} "
                         "classes) differ; they must match.")


def build_cvae(latent_dim: int = 2, num_classes: int = NUM_CLASSES, beta: float = 1.0, seed=None,
               dtype_policy=None) -> CVAE:
    """The conditional VAE in one call: ``CVAE(build_conditional_encoder(...), build_conditional_decoder(...))``.

    ``seed`` seeds the sampling layer (the weights start from Keras's global random state, as in
    :func:`vae_helpers.build_vae`); ``dtype_policy`` as there.
    """
    with devices.dtype_policy(dtype_policy):
        return CVAE(build_conditional_encoder(latent_dim, num_classes, seed=seed),
                    build_conditional_decoder(latent_dim, num_classes), beta=beta, name="cvae")


def is_conditional(model) -> bool:
    """True for a :class:`CVAE` (a model whose encoder and decoder take labels)."""
    return isinstance(model, CVAE)


def class_grid(cvae: CVAE, z) -> np.ndarray:
    """Decode every latent point of ``z`` (S, D) as every class: probabilities (K, S, 28, 28), row k = class k.

    One column holds one style z drawn in all K classes (notebook 09's class x z grid)."""
    if not is_conditional(cvae):
        raise ValueError(f"class_grid needs a vh.CVAE, got {type(cvae).__name__}.")
    z = np.asarray(z, dtype=np.float32)
    if z.ndim != 2 or z.shape[1] != cvae.latent_dim:
        raise ValueError(f"z must be latent points of shape (S, {cvae.latent_dim}) for this CVAE, got {z.shape}. "
                         "For a single point pass z[None].")
    n = len(z)
    points = np.tile(z, (cvae.num_classes, 1))  # (K*S, D), class-major
    labels = np.repeat(np.arange(cvae.num_classes), n)  # (K*S,)
    images = ops.convert_to_numpy(cvae.decode(points, labels))  # (K*S, 28, 28, 1)
    return images[..., 0].reshape(cvae.num_classes, n, *images.shape[1:3])
