"""The reference tutorial's encoder and decoder, and the VAE as a Keras 3 ``Model``. Introduced in notebook 03.

One deliberate change from the reference: its last layer ``Conv2DTranspose(1, 3, activation="sigmoid")`` is
written as ``Conv2DTranspose(1, 3)`` named ``"logits"`` followed by ``Activation("sigmoid")``. The maths and the
parameter count are identical, but the loss can read the logits and stay finite (see notebook 04).
"""

from __future__ import annotations

import keras
from keras import layers, ops

from vae_helpers import devices, runtime
from vae_helpers.fast_decoding import MAX_DECODES_PER_CALL, call_in_chunks
from vae_helpers._checks import (
    check_beta,
    check_float,
    check_image_shape,
    checked_one_hot,
    check_latent_dim,
    check_positive_int,
    check_seed,
    encoder_of,
    image_shape_of,
    shape_of,
    shapes_agree,
)
from vae_helpers.likelihoods import DEFAULT_GAUSSIAN_STD, likelihood_named
from vae_helpers.losses import check_free_bits, free_bits_kl, kl_divergence
from vae_helpers.sampling import Sampling, shift_and_scale

LOGITS_LAYER = "logits"


def build_encoder(latent_dim: int = 2, seed=None, image_shape=(28, 28, 1)) -> keras.Model:
    """Reference encoder: image (B, H, W, C) -> ``[z_mean, z_log_var, z]``, each (B, latent_dim).

    ``seed`` seeds the sampling layer ``z`` (the weights start from Keras's global random state).
    ``image_shape`` (H, W, C): (28, 28, 1) (the reference) or any H, W multiples of 4 and C >= 1 (notebook 10).
    """
    latent_dim = _check_latent_dim(latent_dim)
    images, h = encoder_trunk(image_shape=image_shape)
    z_mean = layers.Dense(latent_dim, name="z_mean")(h)  # (B, D)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(h)  # (B, D)
    z = Sampling(seed=seed, name="z")([z_mean, z_log_var])  # (B, D)
    return keras.Model(images, [z_mean, z_log_var, z], name="encoder")


def encoder_trunk(weight_seed=None, image_shape=(28, 28, 1)):
    """The reference encoder's layers up to its heads: ``(images, h)``, the input (B, H, W, C) (default
    (B, 28, 28, 1)) and the features (B, 16) that :func:`build_encoder` maps to ``z_mean`` and ``z_log_var`` and
    the autoencoder to its code. Shape comments below are for the default.

    ``weight_seed``: None (weights from Keras's global random state) or an int that fixes the initial kernels.
    """
    images = keras.Input(shape=check_image_shape(image_shape), name="image")
    h = layers.Conv2D(32, 3, activation="relu", padding="same", kernel_initializer=kernel_init(weight_seed, 0))(
        images
    )  # (B, 28, 28, 32)
    h = layers.MaxPooling2D(2, padding="same")(h)  # (B, 14, 14, 32)
    h = layers.Conv2D(64, 3, activation="relu", padding="same", kernel_initializer=kernel_init(weight_seed, 1))(
        h
    )  # (B, 14, 14, 64)
    h = layers.MaxPooling2D(2, padding="same")(h)  # (B, 7, 7, 64)
    h = layers.Flatten()(h)  # (B, 3136)
    h = layers.Dense(16, activation="relu", kernel_initializer=kernel_init(weight_seed, 2))(h)  # (B, 16)
    return images, h


def kernel_init(weight_seed, layer_index: int):
    """Keras's default kernel initializer (Glorot uniform), seeded with ``weight_seed + layer_index`` when
    ``weight_seed`` is an int (so each layer draws its own numbers), unseeded when it is None."""
    if weight_seed is None:
        return "glorot_uniform"
    return keras.initializers.GlorotUniform(seed=int(weight_seed) + layer_index)


def build_decoder(latent_dim: int = 2, weight_seed=None, image_shape=(28, 28, 1)) -> keras.Model:
    """Reference decoder: latent (B, latent_dim) -> pixel probabilities (B, H, W, C) in [0, 1] (default
    (B, 28, 28, 1); shape comments below are for the default).

    The layer named ``"logits"`` holds the values before the sigmoid (used by the loss); it has C channels.
    ``weight_seed``: None (weights from Keras's global random state) or an int that fixes the initial kernels.
    ``image_shape`` (H, W, C): H and W multiples of 4; the first layer is Dense(H/4 * W/4 * 64) (notebook 10).
    """
    latent_dim = _check_latent_dim(latent_dim)
    height, width, channels = check_image_shape(image_shape)
    z = keras.Input(shape=(latent_dim,), name="z")
    h = layers.Dense(
        (height // 4) * (width // 4) * 64, activation="relu", kernel_initializer=kernel_init(weight_seed, 10)
    )(z)  # (B, 3136)
    h = layers.Reshape((height // 4, width // 4, 64))(h)  # (B, 7, 7, 64)
    h = layers.Conv2DTranspose(
        64, 3, activation="relu", padding="same", kernel_initializer=kernel_init(weight_seed, 11)
    )(h)  # (B, 7, 7, 64)
    h = layers.UpSampling2D(2)(h)  # (B, 14, 14, 64)
    h = layers.Conv2DTranspose(
        32, 3, activation="relu", padding="same", kernel_initializer=kernel_init(weight_seed, 12)
    )(h)  # (B, 14, 14, 32)
    h = layers.UpSampling2D(2)(h)  # (B, 28, 28, 32)
    logits = layers.Conv2DTranspose(
        channels, 3, padding="same", name=LOGITS_LAYER, kernel_initializer=kernel_init(weight_seed, 13)
    )(h)  # (B, 28, 28, 1)
    probabilities = layers.Activation("sigmoid", name="probabilities")(logits)
    return keras.Model(z, probabilities, name="decoder")


def _check_latent_dim(latent_dim) -> int:
    return check_latent_dim(latent_dim)


class EncoderDecoderModel(keras.Model):
    """The one contract of every model kind: :class:`VAE`, :class:`vae_helpers.Autoencoder` and
    :class:`vae_helpers.CVAE` are configurations of it.

    It owns encode -> (sample) -> decode, the likelihood p(x|z) as an object (``self.likelihood``, a
    :class:`vae_helpers.likelihoods.Likelihood`: every score of the model uses it), the optional condition (labels:
    ``is_conditional``, gated by :func:`condition_for`), the loss trackers, the training and evaluation steps of this
    Keras backend around the subclass's ``batch_loss(data, training)`` (:func:`vae_helpers.runtime.train_step`),
    and a configuration made of the two serialized parts, the likelihood (when not the Bernoulli) and the subclass's
    own keyword arguments (``_own_config``), rebuilt by ``from_config``. The regularizer (beta, free bits, the KL
    tracker) belongs to the subclass: the autoencoder has none.

    Subclasses write ``_check_parts(encoder, decoder)`` and ``per_image_losses``; ``_logits_of(decoder)`` when the
    decoder's ``"logits"`` layer is nested.
    """

    def __init__(
        self,
        encoder: keras.Model,
        decoder: keras.Model,
        likelihood="bernoulli",
        gaussian_std: float = DEFAULT_GAUSSIAN_STD,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self._check_parts(encoder, decoder)
        self.likelihood = likelihood_named(likelihood, gaussian_std=gaussian_std)
        self.encoder, self.decoder = encoder, decoder
        self.latent_dim = int(decoder.inputs[0].shape[-1])
        self.decoder_logits = self._logits_of(decoder)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.built = True  # encoder and decoder arrive built: nothing is left to create

    @property
    def is_conditional(self) -> bool:
        """True when the encoder and decoder also take each image's label (a :class:`vae_helpers.CVAE`)."""
        return False

    @property
    def metrics(self):
        return [self.loss_tracker, self.reconstruction_tracker]

    def reconstruction_nll(self, x, logits):
        """``-log p(x|z)`` per image under this model's likelihood: (B,) nats, for x and logits (B, H, W, C)."""
        return self.likelihood.nll(x, logits)

    def train_step(self, *args):
        """One optimizer step that lowers ``batch_loss`` (the step for this Keras backend: see
        :func:`vae_helpers.runtime.train_step`)."""
        return runtime.train_step(self, *args)

    def test_step(self, *args):
        return runtime.test_step(self, *args)

    def _logits_of(self, decoder: keras.Model) -> keras.Model:
        return logits_model(decoder)

    def with_condition(self, tensor, condition):
        """What the encoder or decoder takes: ``tensor`` (images (B, H, W, C) or latent points (B, D)) alone when
        ``condition`` is None, else ``[tensor, condition]`` as tensors, the one-hot labels (B, K) in its dtype."""
        if condition is None:
            return tensor
        tensor = ops.convert_to_tensor(tensor)
        return [tensor, ops.cast(condition, tensor.dtype)]

    def _own_config(self) -> dict:
        """The subclass's keyword arguments besides ``encoder``, ``decoder``, the likelihood and ``name``."""
        return {}

    def get_config(self):
        # the likelihood only when not the default, so the configs of the Bernoulli models stay as they always were
        likelihood = self.likelihood.config() if self.likelihood.name != "bernoulli" else {}
        return {
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            **self._own_config(),
            **likelihood,
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**parts_from_config(config))


@keras.saving.register_keras_serializable(package="vae_helpers")
class VAE(EncoderDecoderModel):
    """Variational autoencoder trained with plain ``compile()`` + ``fit()``.

    ``fit`` and ``evaluate`` report ``loss`` (-ELBO), ``reconstruction_loss`` and ``kl_loss``, each the mean
    over images of a per-image value in nats (validation metrics get the ``val_`` prefix).
    ``loss = reconstruction_loss + beta * kl_loss``; ``beta`` is a variable, so a callback can change it during
    training (KL warm-up, notebook 07). With ``free_bits > 0`` the training loss uses
    ``beta * free_bits_kl`` instead (:func:`vae_helpers.losses.free_bits_kl`, notebook 07); ``kl_loss``, the
    validation losses, ``evaluate`` and every score still report the true KL.

    Args:
        encoder: model image (B, 28, 28, 1) -> [z_mean, z_log_var, z], e.g. :func:`build_encoder`.
        decoder: model z (B, D) -> probabilities (B, 28, 28, 1) with a layer named ``"logits"``,
            e.g. :func:`build_decoder`.
        beta: weight of the KL term (1.0 is the ELBO).
        free_bits: lambda in nats per latent dimension for the training objective (0, the default: off).
        likelihood: p(x|z) of the reconstruction term: ``"bernoulli"`` (the reference), ``"gaussian"`` (mean
            sigmoid(logits), fixed std ``gaussian_std``) or ``"continuous_bernoulli"``
            (:mod:`vae_helpers.likelihoods`, notebook 10), or a :class:`vae_helpers.likelihoods.Likelihood`.
            Training, ``evaluate``, the IWAE bound, the per-image scores and the explorers all use it.
        gaussian_std: the Gaussian's fixed standard deviation in pixel units (used only by ``"gaussian"``).

    Images may have any shape (B, H, W, C) the encoder takes (default (B, 28, 28, 1)).
    """

    def __init__(
        self,
        encoder: keras.Model,
        decoder: keras.Model,
        beta: float = 1.0,
        free_bits: float = 0.0,
        likelihood="bernoulli",
        gaussian_std: float = DEFAULT_GAUSSIAN_STD,
        **kwargs,
    ):
        super().__init__(encoder, decoder, likelihood, gaussian_std, **kwargs)
        self.free_bits = check_free_bits(free_bits)
        beta = check_beta(beta)
        self.beta = keras.Variable(float(beta), trainable=False, name="beta")
        self.kl_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def metrics(self):
        return [*super().metrics, self.kl_tracker]

    def call(self, x, training=False):
        """Reconstruct ``x`` (B, H, W, C): encode, sample z, decode. Returns probabilities (B, H, W, C)."""
        _, _, z = self.encoder(x, training=training)
        return ops.sigmoid(self.decoder_logits(z, training=training))

    def encode(self, x):
        """Return ``(z_mean, z_log_var, z)`` for images ``x`` (B, H, W, C); each (B, latent_dim)."""
        from vae_helpers.data import validate_images

        return self.encoder(validate_images(x, image_shape=image_shape_of(self)), training=False)

    def decode(self, z):
        """Decode latent points ``z`` (B, latent_dim) to pixel probabilities (B, H, W, C) in [0, 1]."""
        return decode_points(self, z)

    def per_image_losses(self, x, condition=None, training=False, eps=None):
        """Return ``(reconstruction, kl)``, each (B,) in nats, for images ``x`` (B, H, W, C) (and, for a
        conditional model, one-hot labels ``condition`` (B, K)).

        z is the encoder's own sample, or ``z_mean + exp(z_log_var / 2) * eps`` for given noise ``eps`` (B, D).
        """
        reconstruction, z_mean, z_log_var = self._reconstruct(x, training, eps, condition)
        return reconstruction, kl_divergence(z_mean, z_log_var)

    def _reconstruct(self, x, training, eps=None, condition=None):
        """``(reconstruction (B,) in nats, z_mean (B, D), z_log_var (B, D))``, all float32."""
        z_mean, z_log_var, z = self.encoder(self.with_condition(x, condition), training=training)
        if eps is not None:
            z = shift_and_scale(z_mean, z_log_var, eps)
        logits = self.decoder_logits(self.with_condition(z, condition), training=training)
        # Under a mixed-precision policy the layers compute in (b)float16; the loss is always summed in float32.
        z_mean, z_log_var, logits = (ops.cast(t, "float32") for t in (z_mean, z_log_var, logits))
        return self.reconstruction_nll(x, logits), z_mean, z_log_var

    def batch_loss(self, data, training):
        """The loss of one batch, ``data`` = images (B, H, W, C) or ``(images, ...)`` (``(images, labels)`` for a
        conditional model): the mean over images of ``reconstruction + beta * KL`` in nats (a scalar), which
        training minimizes. It also updates the three metrics that ``fit`` and ``evaluate`` report."""
        x, condition = self._batch(data)
        reconstruction, z_mean, z_log_var = self._reconstruct(x, training, condition=condition)
        reconstruction, kl = ops.mean(reconstruction), ops.mean(kl_divergence(z_mean, z_log_var))
        # Free bits change what training minimizes, never what is reported: kl_loss is the true KL.
        kl_objective = free_bits_kl(z_mean, z_log_var, self.free_bits) if training and self.free_bits else kl
        loss = reconstruction + ops.cast(self.beta, kl.dtype) * kl_objective
        self.loss_tracker.update_state(loss)
        self.reconstruction_tracker.update_state(reconstruction)
        self.kl_tracker.update_state(kl)
        return loss

    def _batch(self, data):
        """``(images, None)`` of a batch ``data`` = images or ``(images, ...)``; a conditional model's labels."""
        return (data[0] if isinstance(data, (tuple, list)) else data), None

    def _own_config(self) -> dict:
        return {"beta": float(self.beta.numpy()), "free_bits": self.free_bits}

    @staticmethod
    def _check_parts(encoder, decoder) -> None:
        if not isinstance(encoder, keras.Model) or not isinstance(decoder, keras.Model):
            raise ValueError(
                f"VAE needs two keras.Model objects (encoder, decoder), got {type(encoder).__name__} and "
                f"{type(decoder).__name__}. Build them with vh.build_encoder() and vh.build_decoder()."
            )
        if len(encoder.outputs) != 3:
            raise ValueError(f"the encoder must output [z_mean, z_log_var, z], got {len(encoder.outputs)} output(s).")
        check_decoder(decoder, "VAE")
        enc_dim, dec_dim = encoder.outputs[0].shape[-1], decoder.inputs[0].shape[-1]
        if enc_dim != dec_dim:
            raise ValueError(
                f"encoder latent size {enc_dim} and decoder latent size {dec_dim} differ; they must match."
            )


def condition_for(model, labels, n: int, name: str = "labels"):
    """The labels gate, written once (scores, training, diagnosis): the one-hot labels (n, K) float32 that a
    conditional model (``model.is_conditional``) needs, or None for a model that takes images alone, which must get
    no labels. ``labels``: the class index of each of the n images; ``name``: the argument they came in."""
    if not getattr(model, "is_conditional", False):
        if labels is not None:
            raise ValueError(
                f"{name} are for a conditional VAE (vh.build_cvae()); this {type(model).__name__} "
                f"takes images alone. Drop {name}=."
            )
        return None
    if labels is None:
        raise ValueError(
            f"a CVAE needs each image's label: pass {name}=, the class index of each image (e.g. "
            "from vh.load_fashion_mnist())."
        )
    return checked_one_hot(labels, n, model.num_classes, name)


def parts_from_config(config: dict) -> dict:
    """A model's ``get_config()`` with its ``"encoder"`` and ``"decoder"`` rebuilt as Keras models: the keyword
    arguments of ``VAE`` or ``Autoencoder`` (their ``from_config``)."""
    config = dict(config)
    for part in ("encoder", "decoder"):
        config[part] = _one_input_as_built(keras.saving.deserialize_keras_object(config[part]))
    return config


def _one_input_as_built(model: keras.Model) -> keras.Model:
    """A reloaded functional model of one input, rebuilt on its own layers (weights shared) to take that tensor
    itself, as the course's models are built and called. Some Keras releases (3.10 among them) reload a one-input
    model as taking a list of one tensor and warn at every call with the tensor ("The structure of `inputs`
    doesn't match the expected structure"). Models of several inputs (a CVAE's) are returned as they are."""
    if len(model.inputs) != 1:
        return model
    outputs = model.outputs if len(model.outputs) > 1 else model.outputs[0]
    return keras.Model(model.inputs[0], outputs, name=model.name)


def logits_model(decoder: keras.Model) -> keras.Model:
    """The layers of ``decoder`` up to its ``"logits"`` layer (before the sigmoid): weights shared, not copied."""
    return keras.Model(decoder.input, decoder.get_layer(LOGITS_LAYER).output, name="decoder_logits")


def decode_points(model, z):
    """``model.decoder(z)`` for latent points ``z`` (B, model.latent_dim), checked: probabilities (B, H, W, C)."""
    check_float(z, "z")
    if not shapes_agree(shape_of(z), (None, model.latent_dim)):
        raise ValueError(
            f"z must have shape (B, {model.latent_dim}) for this model, got {shape_of(z)}. "
            "For a single point pass z[None]."
        )
    return call_in_chunks(lambda chunk: model.decoder(chunk, training=False), z)  # bounded memory for any B


def check_decoder(decoder, model: str) -> None:
    """Raise a clear error unless ``decoder`` is a keras.Model with the ``"logits"`` layer the loss reads."""
    if not isinstance(decoder, keras.Model) or LOGITS_LAYER not in [layer.name for layer in decoder.layers]:
        raise ValueError(
            f"the {model}'s decoder must be a keras.Model with a layer named {LOGITS_LAYER!r} that outputs values "
            f"before the final sigmoid, so the loss can be computed stably, got {type(decoder).__name__}. "
            "Build it with vh.build_decoder()."
        )


def build_vae(
    latent_dim: int = 2,
    beta: float = 1.0,
    seed=None,
    dtype_policy=None,
    free_bits: float = 0.0,
    image_shape=(28, 28, 1),
    likelihood: str = "bernoulli",
    gaussian_std: float = DEFAULT_GAUSSIAN_STD,
) -> VAE:
    """Reference VAE in one call: ``VAE(build_encoder(latent_dim, seed), build_decoder(latent_dim), beta, free_bits)``.

    ``image_shape`` (H, W, C): (28, 28, 1) by default, else any H, W multiples of 4 and C >= 1 channels;
    ``likelihood`` and ``gaussian_std``: see :class:`VAE` (notebook 10).

    ``dtype_policy``: None (the global Keras policy, float32 unless changed) or a Keras dtype policy name for
    every layer, e.g. ``"mixed_bfloat16"``: weights stay float32, layers compute in bfloat16, the loss is summed
    in float32. :func:`vae_helpers.fastest_dtype_policy` names the fastest measured policy for this machine.
    """
    seed = check_seed(seed, "it seeds the sampling layer")
    with devices.dtype_policy(dtype_policy):
        return VAE(
            build_encoder(latent_dim, seed=seed, image_shape=image_shape),
            build_decoder(latent_dim, image_shape=image_shape),
            beta=beta,
            free_bits=free_bits,
            likelihood=likelihood,
            gaussian_std=gaussian_std,
            name="vae",
        )


def encode_means(encoder, x, batch_size: int = 1000, labels=None):
    """Return the codes of images ``x`` (N, H, W, C) (the encoder's input shape) as a numpy array (N, latent_dim): a VAE's posterior means
    ``z_mean``, an autoencoder's code z (both without sampling).

    ``encoder`` may be an encoder model (3 outputs ``[z_mean, z_log_var, z]`` or one output z), a :class:`VAE`
    or a :class:`vae_helpers.Autoencoder`, or a :class:`vae_helpers.CVAE` (or its encoder) with ``labels``, the
    class index of each image (N,) (notebook 09). Works in batches.
    """
    import numpy as np

    from vae_helpers.data import validate_images

    encoder = encoder_of(encoder)
    x = validate_images(x, image_shape=image_shape_of(encoder))
    batch_size = min(check_positive_int(batch_size, "batch_size"), MAX_DECODES_PER_CALL)  # bounded memory
    conditional = len(encoder.inputs) == 2  # a CVAE's encoder takes [images, one-hot labels]
    if conditional != (labels is not None):
        raise ValueError(
            "labels= is needed for a conditional VAE's encoder (vh.build_cvae()), and only for it: "
            f"this encoder takes {len(encoder.inputs)} input(s)."
        )
    if conditional:
        labels = checked_one_hot(labels, len(x), int(encoder.inputs[1].shape[-1]))
    first = len(encoder.outputs) > 1  # a VAE encoder's first output is z_mean; an autoencoder's only output is z
    codes = []
    for i in range(0, len(x), batch_size):
        inputs = [x[i : i + batch_size], labels[i : i + batch_size]] if conditional else x[i : i + batch_size]
        outputs = encoder(inputs, training=False)
        codes.append(ops.convert_to_numpy(outputs[0] if first else outputs))
    return np.concatenate(codes)
