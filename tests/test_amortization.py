"""vh.refine_posterior and vh.posterior_bounds (notebook 11's amortization gap), against cases whose optimum is
known without running the optimiser."""

import math

import numpy as np
import pytest

import vae_helpers as vh


def _deaf_decoder_vae():
    """A VAE whose decoder outputs logits 0 (p = 1/2) for every z, and whose encoder starts far from the prior."""
    vae = vh.build_vae(latent_dim=2, seed=0)
    logits = vae.decoder.get_layer("logits")
    logits.set_weights([np.zeros_like(w) for w in logits.get_weights()])
    for name, offset in (("z_mean", 2.0), ("z_log_var", -2.0)):
        layer = vae.encoder.get_layer(name)
        kernel, bias = layer.get_weights()
        layer.set_weights([np.zeros_like(kernel), np.full_like(bias, offset)])
    return vae


def test_with_a_decoder_that_ignores_z_the_refined_posterior_is_the_prior():
    # -ELBO = 784 log 2 + KL(q || N(0, I)) for every q: its only minimum is q = N(0, I), whatever the start.
    vae = _deaf_decoder_vae()
    x = np.random.default_rng(0).random((4, 28, 28, 1), dtype=np.float32)
    mean, log_var = vh.refine_posterior(vae, x, steps=300, learning_rate=0.05, seed=1)
    assert mean.shape == log_var.shape == (4, 2)
    np.testing.assert_allclose(mean, 0.0, atol=0.05)
    np.testing.assert_allclose(log_var, 0.0, atol=0.05)
    start = vh.posterior_bounds(vae, x, np.full((4, 2), 2.0), np.full((4, 2), -2.0), k=5)
    kl = 0.5 * 2 * (4.0 + math.exp(-2.0) - 1 + 2.0)  # closed form per dimension, two dimensions
    np.testing.assert_allclose(start["neg_elbo"], 784 * math.log(2) + kl, rtol=1e-5)
    assert np.all((784 * math.log(2) - 0.5 < start["neg_iwae"]) & (start["neg_iwae"] < start["neg_elbo"]))
    at_prior = vh.posterior_bounds(vae, x, np.zeros((4, 2)), np.zeros((4, 2)), k=5)
    np.testing.assert_allclose(at_prior["neg_elbo"], 784 * math.log(2), rtol=1e-5)
    np.testing.assert_allclose(at_prior["neg_iwae"], 784 * math.log(2), rtol=1e-5)  # q = p(z|x): equal weights


def test_refining_lowers_each_images_elbo_and_the_iwae_bound_is_tighter():
    vae = vh.load_pretrained("fashion-latent2")
    z = np.random.default_rng(1).standard_normal((6, 2)).astype("float32")
    x = np.asarray(vae.decode(z))  # (6, 28, 28, 1): garment-like images, no data set needed
    z_mean, z_log_var, _ = vae.encode(x)
    encoder = vh.posterior_bounds(vae, x, np.asarray(z_mean), np.asarray(z_log_var), k=50, seed=2)
    refined = vh.posterior_bounds(vae, x, *vh.refine_posterior(vae, x, steps=100, seed=2), k=50, seed=2)
    assert np.all(refined["neg_elbo"] < encoder["neg_elbo"])
    assert np.all(encoder["neg_iwae"] < encoder["neg_elbo"])  # the IWAE bound is the tighter one
    # the refined q is closer to the true posterior: less left for importance weighting to win
    assert np.mean(refined["neg_elbo"] - refined["neg_iwae"]) < np.mean(encoder["neg_elbo"] - encoder["neg_iwae"])


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda vae, x: vh.posterior_bounds(vae, x, np.zeros((3, 2)), np.zeros((2, 2))), "shape"),
        (lambda vae, x: vh.posterior_bounds(vae, x, np.full((2, 2), np.nan), np.zeros((2, 2))), "finite"),
        (lambda vae, x: vh.refine_posterior(vae, x, learning_rate=0), "learning_rate"),
        (lambda vae, x: vh.refine_posterior(vae, x, steps=0), "steps"),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message(call, message):
    vae, x = vh.build_vae(latent_dim=2, seed=0), np.zeros((2, 28, 28, 1), np.float32)
    with pytest.raises(ValueError, match=message):
        call(vae, x)


def test_notebook_11_exercise_4_is_graded_by_the_measured_bounds(capsys):
    from vae_helpers.exercises import ExerciseError

    assert vh.exercises.check_tighter_bound("refined elbo", np.array([300.0, 310.0]), np.array([280.0, 290.0])) is True
    assert vh.exercises.check_tighter_bound("encoder's iwae", 300.0, 280.0) is False
    assert "Not what happened" in capsys.readouterr().out
    assert vh.exercises.check_tighter_bound("about the same", 280.4, 280.0) is True
    assert vh.exercises.check_tighter_bound("encoder's iwae", 270.0, 280.0) is True
    assert vh.exercises.check_tighter_bound(None, 270.0, 280.0) is False  # not answered yet: a nudge
    for bad in ("a lot", np.array([[1.0]]), np.array([np.nan])):
        with pytest.raises(ExerciseError, match="encoder_iwae_nats"):
            vh.exercises.check_tighter_bound("about the same", bad, 280.0)
    with pytest.raises(ExerciseError, match="one of"):
        vh.exercises.check_tighter_bound("iwae", 270.0, 280.0)
