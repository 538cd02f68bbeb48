"""Free bits (Kingma et al. 2016, appendix C.8; notebook 07): the objective and its gradient against a numpy hand
computation, the VAE's training loss (true KL reported, evaluation untouched), its config, and input checks."""

import keras
import numpy as np
import pytest
from keras import ops

import vae_helpers as vh
from vae_helpers.runtime import value_and_gradients
from vae_helpers.losses import free_bits_kl

LAMBDA = 0.5  # nats per dimension


@pytest.fixture
def gaussian_params():
    """(32, 4) means and log-variances: dimensions 0 and 2 carry about 2 nats each, 1 and 3 under 0.1 nats."""
    rng = np.random.default_rng(0)
    scale = np.array([2.0, 0.05, 1.5, 0.1])  # per-dimension spread of the means
    z_mean = (rng.normal(size=(32, 4)) * scale).astype(np.float32)
    z_log_var = (rng.normal(size=(32, 4)) * 0.1 - np.array([1.0, 0.0, 1.0, 0.0])).astype(np.float32)
    return z_mean, z_log_var


def numpy_kl_per_dimension(z_mean, z_log_var):
    """(D,) batch-mean KL of each dimension, by hand in float64: 1/2 (mu^2 + sigma^2 - 1 - log sigma^2)."""
    m, lv = z_mean.astype(np.float64), z_log_var.astype(np.float64)
    return np.mean(0.5 * (m**2 + np.exp(lv) - 1.0 - lv), axis=0)


def test_the_fixture_has_dimensions_on_both_sides_of_lambda(gaussian_params):
    kl = numpy_kl_per_dimension(*gaussian_params)
    assert kl[0] > LAMBDA and kl[2] > LAMBDA and kl[1] < LAMBDA and kl[3] < LAMBDA


@pytest.mark.parametrize("free_bits", [0.0, 0.05, LAMBDA, 3.0])
def test_free_bits_kl_is_the_sum_of_max_lambda_and_each_dimensions_batch_mean(gaussian_params, free_bits):
    expected = np.sum(np.maximum(free_bits, numpy_kl_per_dimension(*gaussian_params)))
    got = float(ops.convert_to_numpy(free_bits_kl(*gaussian_params, free_bits)))
    assert got == pytest.approx(expected, rel=1e-5)


def test_zero_free_bits_is_the_mean_kl_term(gaussian_params):
    mean_kl = float(ops.convert_to_numpy(ops.mean(vh.kl_divergence(*gaussian_params))))
    assert float(ops.convert_to_numpy(free_bits_kl(*gaussian_params, 0.0))) == pytest.approx(mean_kl, rel=1e-5)


def test_gradient_is_the_kl_gradient_above_lambda_and_zero_below(gaussian_params):
    _, (grad_mean, grad_log_var) = value_and_gradients(lambda m, lv: free_bits_kl(m, lv, LAMBDA), *gaussian_params)
    # By hand: d/dmu of (1/B) sum_b KL_bd is mu_bd / B; d/dlog sigma^2 is (sigma_bd^2 - 1) / (2B); times 1 where
    # the dimension's batch mean exceeds lambda, 0 where max() picks the constant lambda.
    m, lv = (v.astype(np.float64) for v in gaussian_params)
    above = numpy_kl_per_dimension(*gaussian_params) > LAMBDA  # (D,)
    batch = len(m)
    np.testing.assert_allclose(grad_mean, above * m / batch, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(grad_log_var, above * (np.exp(lv) - 1.0) / (2 * batch), rtol=1e-4, atol=1e-7)
    assert np.all(grad_mean[:, ~above] == 0) and np.all(grad_log_var[:, ~above] == 0)


@pytest.mark.parametrize("free_bits", [-0.5, float("nan"), float("inf"), "0.5", True, None])
def test_bad_lambda_is_rejected_with_what_was_expected(gaussian_params, free_bits):
    with pytest.raises(ValueError, match="free_bits must be a finite number >= 0 .*nats per latent dimension"):
        free_bits_kl(*gaussian_params, free_bits)
    with pytest.raises(ValueError, match="free_bits must be a finite number >= 0"):
        vh.build_vae(2, free_bits=free_bits)


def tiny_vae(make_tiny_vae, latent_dim=4, beta=2.0, free_bits=0.0):
    """The conftest's tiny VAE with free bits (its parts, wrapped in a new vh.VAE)."""
    parts = make_tiny_vae(latent_dim=latent_dim)
    return vh.VAE(parts.encoder, parts.decoder, beta=beta, free_bits=free_bits)


def test_the_training_loss_uses_free_bits_and_reports_the_true_kl(make_tiny_vae, images):
    keras.utils.set_random_seed(0)
    vae = tiny_vae(make_tiny_vae, free_bits=100.0)  # far above any dimension's KL: the KL part is 4 * 100 nats
    vae.compile(optimizer=keras.optimizers.SGD(0.0))  # a step that changes nothing: the metrics are of these weights
    logs = vae.train_on_batch(images, return_dict=True)
    assert logs["loss"] == pytest.approx(logs["reconstruction_loss"] + 2.0 * 4 * 100.0, rel=1e-5)
    z_mean, z_log_var, _ = vae.encoder(images)
    true_kl = float(ops.convert_to_numpy(ops.mean(vh.kl_divergence(z_mean, z_log_var))))
    assert logs["kl_loss"] == pytest.approx(true_kl, rel=1e-4) and logs["kl_loss"] < 100.0


def test_evaluation_and_validation_use_the_true_kl(make_tiny_vae, images):
    vae = tiny_vae(make_tiny_vae, free_bits=100.0)
    vae.compile(optimizer="adam")
    logs = vae.evaluate(images, batch_size=len(images), return_dict=True, verbose=0)
    z_mean, z_log_var, _ = vae.encoder(images)
    true_kl = float(ops.convert_to_numpy(ops.mean(vh.kl_divergence(z_mean, z_log_var))))
    assert logs["kl_loss"] == pytest.approx(true_kl, rel=1e-4) and true_kl < 100.0
    assert logs["loss"] == pytest.approx(logs["reconstruction_loss"] + 2.0 * true_kl, rel=1e-5)
    without = vh.VAE(vae.encoder, vae.decoder, beta=2.0)  # same weights, no free bits
    assert vh.evaluate(vae, images, seed=0) == vh.evaluate(without, images, seed=0)


def test_free_bits_keep_information_that_a_heavy_kl_weight_squashes(make_tiny_vae, images):
    kls = {}
    for free_bits in (0.0, 1.0):
        keras.utils.set_random_seed(0)
        vae = tiny_vae(make_tiny_vae, latent_dim=2, beta=20.0, free_bits=free_bits)
        vae.compile(optimizer=keras.optimizers.Adam(3e-3))
        vh.train(vae, images, epochs=15, batch_size=16, seed=0, verbose=0)
        kls[free_bits] = vh.kl_per_dimension(vae, images)
    # Below 1 nat a dimension's KL gets no gradient, so none is squashed: each keeps more than any dimension trained
    # without free bits, the total is over twice as large, and the mean near 1 nat (how near after these 60 steps
    # depends on the noise each backend draws: 0.65 to 1.13 nats per dimension on TensorFlow, JAX and PyTorch)
    assert kls[1.0].min() > kls[0.0].max() and kls[0.0].sum() < 0.5 * kls[1.0].sum(), kls
    assert kls[1.0].mean() > 0.5, kls


def test_free_bits_are_part_of_the_config_and_survive_saving(tmp_path):
    vae = vh.build_vae(2, beta=4.0, free_bits=0.25)
    assert vae.get_config()["free_bits"] == 0.25 and vh.build_vae(2).get_config()["free_bits"] == 0.0
    vae.save(tmp_path / "x.keras")
    assert keras.models.load_model(tmp_path / "x.keras").free_bits == 0.25


def test_run_settings_record_free_bits_only_when_used(make_tiny_vae, images):
    for free_bits in (0.0, 0.5):
        vae = tiny_vae(make_tiny_vae, free_bits=free_bits)
        vae.compile(optimizer="adam")
        settings = vh.training.run_settings(vae, images, None, 16, 0)
        # without free bits the settings are what they always were, so older checkpoints still resume
        assert settings.get("free_bits") == (free_bits or None)


def test_a_resume_with_other_free_bits_stops_and_names_the_difference(make_tiny_vae, images, tmp_path):
    vh.train(
        tiny_vae(make_tiny_vae, free_bits=0.5), images, epochs=1, batch_size=32, checkpoint_dir=tmp_path, verbose=0
    )
    again = tiny_vae(make_tiny_vae, free_bits=1.0)
    with pytest.raises(vh.RunFolderError, match="free_bits: 0.5 in the folder, 1.0 now"):
        vh.train(again, images, epochs=2, batch_size=32, checkpoint_dir=tmp_path, verbose=0)
