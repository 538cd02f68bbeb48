"""model.py: the architecture is the reference tutorial's, the VAE validates its parts, computes its loss as
documented, and survives a save/load round trip. reference.py: the tutorial's port computes the same loss."""

import keras
import numpy as np
import pytest
from keras import layers, ops

import vae_helpers as vh
from vae_helpers.reference import ReferenceVAE, build_reference_models

CONFIG_KEYS = (
    "filters",
    "units",
    "kernel_size",
    "strides",
    "padding",
    "activation",
    "pool_size",
    "size",
    "target_shape",
    "data_format",
    "use_bias",
)


def describe(layer, activation=None):
    """What makes a layer's computation: type, hyper-parameters, output shape, parameter count."""
    config = {key: layer.get_config()[key] for key in CONFIG_KEYS if key in layer.get_config()}
    if activation is not None:
        config["activation"] = activation
    return type(layer).__name__, config, tuple(layer.output.shape), layer.count_params()


def describe_model(model):
    """Per-layer descriptions, with "Conv2DTranspose(linear) then Activation(sigmoid)" merged into one layer."""
    descriptions, model_layers = [], list(model.layers)
    for layer, following in zip(model_layers, model_layers[1:] + [None]):
        if isinstance(layer, layers.Activation):
            continue  # merged into the layer before it (checked below)
        if isinstance(following, layers.Activation):
            assert layer.get_config()["activation"] == "linear"
            kind, config, _, params = describe(layer, activation=following.get_config()["activation"])
            descriptions.append((kind, config, tuple(following.output.shape), params))
        else:
            descriptions.append(describe(layer))
    return descriptions


@pytest.mark.parametrize("latent_dim", [2, 5])
def test_architecture_matches_the_reference_layer_by_layer(latent_dim):
    ref_encoder, ref_decoder = build_reference_models(latent_dim)
    encoder, decoder = vh.build_encoder(latent_dim), vh.build_decoder(latent_dim)
    assert describe_model(encoder) == describe_model(ref_encoder)
    assert describe_model(decoder) == describe_model(ref_decoder)
    assert encoder.count_params() == ref_encoder.count_params()
    assert decoder.count_params() == ref_decoder.count_params()
    assert [tuple(t.shape) for t in encoder.outputs] == [(None, latent_dim)] * 3
    assert tuple(decoder.output.shape) == (None, 28, 28, 1)


def test_same_weights_give_the_reference_outputs(images):
    ref_encoder, ref_decoder = build_reference_models(2)
    encoder, decoder = vh.build_encoder(2), vh.build_decoder(2)
    ref_encoder.set_weights(encoder.get_weights())
    ref_decoder.set_weights(decoder.get_weights())
    for ours, theirs in zip(encoder(images[:8])[:2], ref_encoder(images[:8])[:2]):  # z_mean, z_log_var
        np.testing.assert_allclose(ops.convert_to_numpy(ours), ops.convert_to_numpy(theirs), rtol=1e-6, atol=1e-6)
    z = np.random.default_rng(0).normal(size=(8, 2)).astype(np.float32)
    np.testing.assert_allclose(ops.convert_to_numpy(decoder(z)), ops.convert_to_numpy(ref_decoder(z)), atol=1e-6)


def test_loss_equals_the_reference_tutorials_loss_with_the_same_weights(images):
    vae = vh.build_vae(2)
    reference = ReferenceVAE(2)
    reference.encoder.set_weights(vae.encoder.get_weights())
    reference.decoder.set_weights(vae.decoder.get_weights())
    for model in (vae.encoder, reference.encoder):  # log-variance -30: z equals z_mean to float precision
        model.get_layer(index=8).kernel.assign(np.zeros((16, 2), np.float32))
        model.get_layer(index=8).bias.assign(np.full(2, -30.0, np.float32))
    reconstruction, kl = vae.per_image_losses(images[:16])
    ours = float(ops.convert_to_numpy(ops.mean(reconstruction) + ops.mean(kl)))
    np.testing.assert_allclose(ours, float(reference.reference_loss(images[:16])), rtol=1e-5)


def test_reference_vae_trains_one_step(images):
    reference = ReferenceVAE(2)
    reference.compile(optimizer=keras.optimizers.Adam())
    history = reference.fit(images[:16], batch_size=16, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    vae = vh.build_vae(2)
    assert reference.count_params() == sum(int(np.prod(w.shape)) for w in vae.trainable_weights)
    assert vae.count_params() == reference.count_params() + 1  # + the non-trainable beta variable


def test_decoder_logits_share_weights_with_the_decoder():
    vae = vh.build_vae(3)
    z = np.random.default_rng(1).normal(size=(4, 3)).astype(np.float32)
    probabilities = ops.convert_to_numpy(vae.decoder(z))
    np.testing.assert_allclose(ops.convert_to_numpy(ops.sigmoid(vae.decoder_logits(z))), probabilities, atol=1e-6)
    assert {id(w) for w in vae.decoder_logits.weights} <= {id(w) for w in vae.decoder.weights}


def test_reported_loss_is_reconstruction_plus_beta_times_kl_and_beta_can_change(make_tiny_vae, images):
    vae = make_tiny_vae(beta=0.5)
    vae.compile(optimizer="adam")
    for beta in (0.5, 3.0):
        vae.beta.assign(beta)  # a variable: takes effect without recompiling (KL warm-up)
        logs = vae.evaluate(images, batch_size=len(images), return_dict=True, verbose=0)
        assert set(logs) == {"loss", "reconstruction_loss", "kl_loss"}
        np.testing.assert_allclose(logs["loss"], logs["reconstruction_loss"] + beta * logs["kl_loss"], rtol=1e-5)
        assert logs["kl_loss"] > 0


def test_per_image_losses_shapes(make_tiny_vae, images):
    reconstruction, kl = make_tiny_vae().per_image_losses(images[:5])
    assert tuple(reconstruction.shape) == (5,) and tuple(kl.shape) == (5,)
    assert np.all(ops.convert_to_numpy(reconstruction) > 0) and np.all(ops.convert_to_numpy(kl) >= 0)


def test_encode_decode_and_call_shapes(images):
    vae = vh.build_vae(2)
    z_mean, z_log_var, z = vae.encode(images[:3])
    assert [tuple(t.shape) for t in (z_mean, z_log_var, z)] == [(3, 2)] * 3
    decoded = ops.convert_to_numpy(vae.decode(ops.convert_to_numpy(z_mean)))
    assert decoded.shape == (3, 28, 28, 1) and decoded.min() >= 0 and decoded.max() <= 1
    assert tuple(vae(images[:3]).shape) == (3, 28, 28, 1)


def test_encode_means_matches_the_encoder_in_batches(images):
    vae = vh.build_vae(2)
    expected = ops.convert_to_numpy(vae.encoder(images)[0])
    for model in (vae, vae.encoder):
        np.testing.assert_allclose(vh.encode_means(model, images, batch_size=10), expected, rtol=1e-5, atol=1e-6)


def test_save_and_load_round_trip(tmp_path, images):
    vae = vh.build_vae(2, beta=0.25, seed=3)
    vh.train(vae, images[:16], epochs=1, batch_size=16, verbose=0)  # saved with its optimizer state
    path = tmp_path / "x.keras"
    vae.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    assert isinstance(loaded, vh.VAE) and loaded.latent_dim == 2
    assert float(loaded.beta.numpy()) == 0.25
    z = np.random.default_rng(2).normal(size=(6, 2)).astype(np.float32)
    np.testing.assert_array_equal(ops.convert_to_numpy(loaded.decode(z)), ops.convert_to_numpy(vae.decode(z)))
    np.testing.assert_array_equal(
        ops.convert_to_numpy(loaded.encode(images[:6])[0]), ops.convert_to_numpy(vae.encode(images[:6])[0])
    )
    # Still trainable: one step changes the weights, the loss is finite, decoder_logits still shares them.
    before = [w.copy() for w in loaded.get_weights()]
    history = vh.train(loaded, images[:16], epochs=1, batch_size=16, verbose=0)
    assert np.isfinite(history["loss"][0])
    assert any(not np.array_equal(a, b) for a, b in zip(before, loaded.get_weights()))
    np.testing.assert_allclose(
        ops.convert_to_numpy(ops.sigmoid(loaded.decoder_logits(z))), ops.convert_to_numpy(loaded.decode(z)), atol=1e-6
    )


def test_beta_changed_during_training_is_saved(tmp_path):
    vae = vh.build_vae(2)
    vae.beta.assign(4.0)
    vae.save(tmp_path / "x.keras")
    assert float(keras.models.load_model(tmp_path / "x.keras").beta.numpy()) == 4.0


def test_beta_accepts_any_real_number():
    for beta in (0, 2, 0.5, np.float32(0.5), np.float64(4.0)):
        assert float(vh.build_vae(2, beta=beta).beta.numpy()) == float(beta)


def two_output_encoder():
    image = keras.Input((28, 28, 1))
    h = layers.Flatten()(image)
    return keras.Model(image, [layers.Dense(2)(h), layers.Dense(2)(h)])


@pytest.mark.parametrize(
    "make_parts, fragment",
    [
        (lambda: ("encoder", vh.build_decoder()), "two keras.Model"),
        (lambda: (vh.build_encoder(), None), "two keras.Model"),
        (lambda: (two_output_encoder(), vh.build_decoder()), r"\[z_mean, z_log_var, z\], got 2"),
        (lambda: (vh.build_encoder(), build_reference_models(2)[1]), "layer named 'logits'"),
        (lambda: (vh.build_encoder(2), vh.build_decoder(3)), "latent size 2 and decoder latent size 3"),
    ],
)
def test_vae_rejects_wrong_parts(make_parts, fragment):
    with pytest.raises(ValueError, match=fragment):
        vh.VAE(*make_parts())


@pytest.mark.parametrize("beta", [-1.0, -1e-9, float("nan"), float("inf"), "1", None, True])
def test_vae_rejects_bad_beta(beta):
    with pytest.raises(ValueError, match="beta must be"):
        vh.VAE(vh.build_encoder(), vh.build_decoder(), beta=beta)


@pytest.mark.parametrize("latent_dim", [0, -2, 2.0, True, "2"])
def test_builders_reject_bad_latent_dim(latent_dim):
    for build in (vh.build_encoder, vh.build_decoder, vh.build_vae):
        with pytest.raises(ValueError, match="latent_dim must be a positive integer"):
            build(latent_dim)


@pytest.mark.parametrize(
    "z, fragment",
    [
        (np.zeros((4, 3), np.float32), r"z must have shape \(B, 2\) for this model, got \(4, 3\)"),
        (np.zeros(2, np.float32), r"For a single point pass z\[None\]"),
        (np.zeros((4, 2), np.int32), "z must be a float"),
    ],
)
def test_decode_rejects_bad_latents(z, fragment):
    with pytest.raises(ValueError, match=fragment):
        vh.build_vae(2).decode(z)


def test_encode_rejects_images_without_channel_axis(images):
    with pytest.raises(ValueError, match=r"add the channel axis"):
        vh.build_vae(2).encode(images[..., 0])


def test_encode_means_rejects_a_bad_batch_size(images):
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        vh.encode_means(vh.build_encoder(), images, batch_size=0)


def test_build_vae_with_a_mixed_policy_computes_in_bfloat16_and_keeps_float32_weights():
    vae = vh.build_vae(2, dtype_policy="mixed_bfloat16")
    layers = vae.encoder.layers[1:] + vae.decoder.layers[1:]  # input layers have no policy of their own
    assert {layer.dtype_policy.name for layer in layers} == {"mixed_bfloat16"}
    assert {w.dtype for w in vae.weights} == {"float32"}
    assert keras.config.dtype_policy().name == "float32"  # the global policy is left as it was
    reconstruction, kl = vae.per_image_losses(np.full((2, 28, 28, 1), 0.5, "float32"))
    dtypes = {keras.backend.standardize_dtype(loss.dtype) for loss in (reconstruction, kl)}  # any backend's tensor
    assert dtypes == {"float32"}  # losses are summed in float32


def test_build_vae_rejects_an_unknown_policy_and_restores_the_global_one_after_an_error():
    with pytest.raises(ValueError, match=r"dtype_policy must be None or one of .*'mixed_bfloat16'.*got 'bf16'"):
        vh.build_vae(2, dtype_policy="bf16")
    with pytest.raises(ValueError, match="latent_dim must be a positive integer"):
        vh.build_vae(0, dtype_policy="mixed_bfloat16")
    assert keras.config.dtype_policy().name == "float32"
