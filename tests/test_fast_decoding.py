"""fast_decoding.py: (upsample, 3x3 conv) pairs fused into four 2x2 convolutions give the decoder's images, for
both convolution kinds, with the current weights; anything else runs unchanged; the compiled cache is weak."""

import gc
import weakref

import keras
import numpy as np
import pytest
from keras import layers, ops

import vae_helpers as vh
from conftest import compiled_once
from vae_helpers.fast_decoding import compiled_decoder, decoder_forward, fusable_pairs
from vae_helpers.runtime import _COMPILED

TOLERANCE = 1e-5  # float rounding only: the fused form sums the same products in another order


def random_points(n, dim=2, seed=0):
    return np.random.default_rng(seed).normal(scale=2.0, size=(n, dim)).astype("float32")


def randomize(model, seed=0):
    """Give every weight random values (biases too), so that a wrong tap or offset cannot hide behind zeros.

    Each weight has standard deviation 1/sqrt(size / last axis), about 1/sqrt(fan-in): activations stay of order 1.
    """
    rng = np.random.default_rng(seed)
    model.set_weights(
        [rng.normal(scale=(w.size / w.shape[-1]) ** -0.5, size=w.shape).astype("float32") for w in model.get_weights()]
    )
    return model


def upsampling_decoder(conv, activation="relu"):
    """z (B, 2) -> (B, 12, 12, 3) through two (upsample, conv) pairs of the given convolution class."""
    z = keras.Input(shape=(2,))
    h = layers.Reshape((3, 3, 4))(layers.Dense(36)(z))
    h = conv(5, 3, padding="same", activation=activation)(layers.UpSampling2D(2)(h))
    h = conv(3, 3, padding="same")(layers.UpSampling2D(2)(h))
    return keras.Model(z, h)


@pytest.mark.parametrize("conv", [layers.Conv2D, layers.Conv2DTranspose])
def test_fused_pairs_give_the_decoders_images(conv):
    decoder = randomize(upsampling_decoder(conv))
    forward = decoder_forward(decoder)
    assert fusable_pairs(decoder) == [2, 4]  # (upsampling, conv) after Dense and Reshape, twice
    z = random_points(7)
    np.testing.assert_allclose(ops.convert_to_numpy(forward(z)), ops.convert_to_numpy(decoder(z)), atol=TOLERANCE)


def test_the_course_decoder_is_fused_and_decodes_the_same_images():
    decoder = randomize(vh.build_decoder(2), seed=1)
    assert fusable_pairs(decoder) == [3, 5]  # Dense, Reshape, Conv2DTranspose, then two pairs
    z = random_points(50, seed=2)
    expected = ops.convert_to_numpy(decoder(z, training=False))
    np.testing.assert_allclose(compiled_decoder(decoder)(z), expected, atol=TOLERANCE)


def test_compiled_decoder_reads_the_current_weights():
    decoder = randomize(vh.build_decoder(2), seed=3)
    compiled, z = compiled_decoder(decoder), random_points(4)
    before = compiled(z)
    randomize(decoder, seed=4)
    after = compiled(z)
    assert np.abs(after - before).max() > 0.01
    np.testing.assert_allclose(after, ops.convert_to_numpy(decoder(z)), atol=TOLERANCE)


@pytest.mark.parametrize(
    "unfusable",
    [
        layers.UpSampling2D(2, interpolation="bilinear"),  # not a copy of each pixel
        layers.UpSampling2D(3),  # not a factor 2
    ],
)
def test_other_upsamplings_are_left_as_they_are(unfusable):
    z = keras.Input(shape=(2,))
    h = layers.Conv2D(3, 3, padding="same")(unfusable(layers.Reshape((2, 2, 1))(layers.Dense(4)(z))))
    decoder = keras.Model(z, h)
    assert fusable_pairs(decoder) == []
    np.testing.assert_allclose(
        ops.convert_to_numpy(decoder_forward(decoder)(random_points(3))),
        ops.convert_to_numpy(decoder(random_points(3))),
    )


def test_a_model_that_is_not_a_chain_is_not_fused():
    z = keras.Input(shape=(2,))
    h = layers.Reshape((3, 3, 4))(layers.Dense(36)(z))
    up = layers.UpSampling2D(2)(h)
    branches = layers.Add()([layers.Conv2D(2, 3, padding="same")(up), layers.Conv2D(2, 1)(up)])
    decoder = keras.Model(z, branches)  # the upsampling feeds two convolutions: nothing to fuse safely
    assert fusable_pairs(decoder) == []


def test_the_cache_compiles_once_and_never_keeps_a_decoder_alive():
    decoder = vh.build_decoder(2)
    compiled = compiled_decoder(decoder)
    compiled(random_points(1))
    assert compiled_decoder(decoder) is compiled and decoder in _COMPILED
    alive = weakref.ref(decoder)
    del decoder, compiled
    gc.collect()
    assert alive() is None


def test_the_grid_and_the_explorers_share_one_compiled_decoder():
    vae = vh.build_vae(2)
    vh.latent_grid(vae, n=3)
    fast = vh.FastDecoder(vae)
    fast(random_points(1))
    vh.FastDecoder(vae.decoder)(random_points(5))
    assert fast._decode is compiled_decoder(vae.decoder)
    compiled_once(fast._decode, shapes=3)  # batches of 9, 1 and 5 points
