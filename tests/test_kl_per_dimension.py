"""KL per latent dimension (notebook 07) against a NumPy oracle and the model's total KL term."""

import keras
import numpy as np
import pytest

import vae_helpers as vh


@pytest.fixture(scope="module")
def vae_and_images(images, make_tiny_vae):
    keras.utils.set_random_seed(1)
    return make_tiny_vae(latent_dim=3, seed=1), images[:10]


def test_matches_numpy_formula_dimension_by_dimension(vae_and_images):
    vae, images = vae_and_images
    z_mean, z_log_var, _ = (keras.ops.convert_to_numpy(t).astype(np.float64) for t in vae.encode(images))
    oracle = np.mean(0.5 * (z_mean**2 + np.exp(z_log_var) - 1.0 - z_log_var), axis=0)  # (D,)
    per_dim = vh.kl_per_dimension(vae, images)
    assert per_dim.shape == (3,)
    np.testing.assert_allclose(per_dim, oracle, rtol=1e-4, atol=1e-7)


def test_sums_to_the_kl_term_and_does_not_depend_on_batch_size(vae_and_images):
    vae, images = vae_and_images
    per_dim = vh.kl_per_dimension(vae, images, batch_size=3)
    np.testing.assert_allclose(per_dim, vh.kl_per_dimension(vae, images, batch_size=1000), rtol=1e-5)
    assert per_dim.sum() == pytest.approx(vh.evaluate(vae, images)["kl"], rel=1e-4)


def test_encoder_that_outputs_the_prior_has_no_active_dimension(images, make_tiny_vae):
    vae = make_tiny_vae(latent_dim=4)
    for name in ("z_mean", "z_log_var"):
        layer = vae.encoder.get_layer(name)
        layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
    np.testing.assert_allclose(vh.kl_per_dimension(vae, images[:5]), np.zeros(4), atol=1e-7)


def test_invalid_inputs_are_rejected(vae_and_images):
    vae, images = vae_and_images
    with pytest.raises(ValueError, match="batch_size"):
        vh.kl_per_dimension(vae, images, batch_size=0)
    with pytest.raises(ValueError):
        vh.kl_per_dimension(vae, images[..., 0])
