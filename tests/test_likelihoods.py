"""The Gaussian and continuous Bernoulli likelihoods (notebook 10) against independent formulas."""

import math

import numpy as np
import pytest
import scipy.integrate
import scipy.stats
from keras import ops

import vae_helpers as vh
from vae_helpers import losses


def _np(t):
    return np.asarray(ops.convert_to_numpy(t), dtype=np.float64)


def test_gaussian_matches_scipy_norm_logpdf():
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (3, 4, 4, 3)).astype(np.float32)
    logits = rng.normal(0, 3, x.shape).astype(np.float32)
    for std in (0.05, 0.1, 1.0):
        ours = _np(losses.gaussian_nll_per_pixel(x, logits, std))
        mean = 1 / (1 + np.exp(-logits.astype(np.float64)))
        np.testing.assert_allclose(ours, -scipy.stats.norm.logpdf(x, mean, std), rtol=1e-4, atol=1e-4)
    total = _np(vh.reconstruction_loss(x, logits, "gaussian", 0.1))
    np.testing.assert_allclose(total, -scipy.stats.norm.logpdf(x, mean, 0.1).reshape(3, -1).sum(1), rtol=1e-4)


def _cb_log_norm_closed_form(lam):
    """log C(lambda) = log(2 artanh(1 - 2 lambda) / (1 - 2 lambda)), in float64 (the paper's formula)."""
    return math.log(2 * math.atanh(1 - 2 * lam) / (1 - 2 * lam)) if abs(lam - 0.5) > 1e-12 else math.log(2.0)


@pytest.mark.parametrize("logit", [-20.0, -5.0, -1.0, -0.3, -0.09, -1e-3, 0.0, 1e-4, 0.05, 0.11, 2.0, 8.0, 30.0])
def test_continuous_bernoulli_constant_and_density(logit):
    lam = 1 / (1 + math.exp(-logit))
    ours = float(_np(losses.continuous_bernoulli_log_norm(np.float32([logit])))[0])
    if abs(logit) < 15:  # beyond, 1 - 2 lambda rounds in float64 too
        assert ours == pytest.approx(_cb_log_norm_closed_form(lam), abs=2e-5)

    # the density integrates to 1 over [0, 1] (scipy's quadrature, its own exp/log)
    def density(x):
        nll = float(_np(losses.continuous_bernoulli_nll_per_pixel(np.float32([[x]]), np.float32([[logit]])))[0, 0])
        return math.exp(-nll)

    integral, _ = scipy.integrate.quad(density, 0, 1, limit=200)
    assert integral == pytest.approx(1.0, abs=2e-4)


def test_continuous_bernoulli_is_finite_with_finite_gradients_near_one_half():
    import keras

    logits = np.float32([[-1e-6, 0.0, 1e-6, 0.099, 0.1, 0.101, 50.0, -50.0]])
    x = np.full_like(logits, 0.3)
    values = _np(losses.continuous_bernoulli_nll_per_pixel(x, logits))
    assert np.all(np.isfinite(values))
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        t = tf.constant(logits)
        with tf.GradientTape() as tape:
            tape.watch(t)
            y = tf.reduce_sum(losses.continuous_bernoulli_nll_per_pixel(tf.constant(x), t))
        assert np.all(np.isfinite(tape.gradient(y, t).numpy()))


def test_bernoulli_default_unchanged_and_bad_likelihood_is_clear():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 1, (2, 28, 28, 1)).astype(np.float32)
    logits = rng.normal(0, 2, x.shape).astype(np.float32)
    np.testing.assert_allclose(
        _np(vh.reconstruction_loss(x, logits)), _np(vh.reconstruction_loss(x, logits, "bernoulli"))
    )
    with pytest.raises(ValueError, match="likelihood must be one of"):
        vh.reconstruction_loss(x, logits, "laplace")
    with pytest.raises(ValueError, match="gaussian_std"):
        vh.build_vae(likelihood="gaussian", gaussian_std=0.0)


def test_model_likelihood_is_used_by_evaluation_and_survives_config():
    import keras

    x = np.random.default_rng(2).uniform(0, 1, (6, 8, 8, 3)).astype(np.float32)
    scores = {}
    for likelihood in vh.LIKELIHOODS:
        keras.utils.set_random_seed(0)
        vae = vh.build_vae(2, image_shape=(8, 8, 3), likelihood=likelihood, seed=0)
        scores[likelihood] = vh.evaluate(vae, x, seed=0)["reconstruction"]
        # the IWAE bound with k = 1 is -ELBO with a one-sample KL: close to it only if it reads the same likelihood
        assert vh.iwae_bound(vae, x, 1, seed=3) == pytest.approx(
            vh.per_image_negative_elbo(vae, x, seed=3).mean(), abs=1.0
        )
        copy = vh.VAE.from_config(vae.get_config())
        assert copy.likelihood.name == likelihood and copy.likelihood.config() == vae.likelihood.config()
    assert len(set(round(v, 3) for v in scores.values())) == 3
    assert "likelihood" not in vh.build_vae().get_config()  # the Bernoulli models' configs as before


def _bernoulli_nll(x, p):
    """-[x log p + (1 - x) log(1 - p)] in float64, written out here as an oracle independent of vh."""
    return -(x * np.log(p) + (1 - x) * np.log(1 - p))


def _cb_nll(x, lam):
    """-log CB(x; lambda) in float64 with C(lambda) = 2 artanh(1 - 2 lambda) / (1 - 2 lambda), written out here."""
    return _bernoulli_nll(x, lam) - np.log(2 * np.arctanh(1 - 2 * lam) / (1 - 2 * lam))


def test_notebook_10_predictions_are_graded_by_what_the_experiments_measure(capsys):
    from vae_helpers.exercises import ExerciseError

    grid = np.linspace(0.01, 0.99, 99)
    grid = grid[np.abs(grid - 0.5) > 1e-6]  # the closed form of C is 0/0 at 1/2
    best_lambda = float(grid[np.argmin(_cb_nll(0.3, grid))])
    assert best_lambda < 0.28  # its mean 1/(1 - e^-l) - 1/l is 0.3 near lambda = 0.2
    assert vh.exercises.check_cb_minimum("towards 0", best_lambda) is True
    assert vh.exercises.check_cb_minimum("at x", best_lambda) is False
    assert "Not what happened" in capsys.readouterr().out
    assert vh.exercises.check_cb_minimum("at x", float(grid[np.argmin(_bernoulli_nll(0.3, grid))])) is True

    mid, dark = (_bernoulli_nll(x, x + 0.1) - _bernoulli_nll(x, x) for x in (0.5, 0.05))
    assert dark > 2 * mid  # curvature 1 / (x (1 - x)): 21 against 4
    assert vh.exercises.check_error_cost_prediction("more at 0.05", mid, dark) is True
    assert vh.exercises.check_error_cost_prediction("more at 0.5", mid, dark) is False
    assert vh.exercises.check_error_cost_prediction("the same", 0.02, 0.021) is True

    errors = np.full(3072, 0.1)  # a reconstruction that misses every pixel value by 0.1

    def gaussian(sigma):
        return float(np.sum(0.5 * np.log(2 * np.pi * sigma**2) + errors**2 / (2 * sigma**2)))

    assert vh.exercises.check_gaussian_std_prediction("higher", gaussian(0.1), gaussian(0.05)) is True
    errors = np.full(3072, 0.02)  # a precise one: the narrower Gaussian pays off
    assert vh.exercises.check_gaussian_std_prediction("lower", gaussian(0.1), gaussian(0.05)) is True
    assert vh.exercises.check_gaussian_std_prediction("higher", gaussian(0.1), gaussian(0.05)) is False

    for check, args in (
        (vh.exercises.check_cb_minimum, ("maybe", best_lambda)),
        (vh.exercises.check_cb_minimum, ("at x", 1.5)),
        (vh.exercises.check_error_cost_prediction, ("the same", -0.1, 0.2)),
        (vh.exercises.check_gaussian_std_prediction, ("higher", "a lot", 2.0)),
    ):
        with pytest.raises(ExerciseError):
            check(*args)
    assert vh.exercises.check_cb_minimum(None, best_lambda) is False  # not answered yet: a nudge, no error


@pytest.mark.parametrize("logit", [-30.0, -3.0, -0.5, -1e-3, 0.0, 5e-3, 0.2, 4.0, 30.0])
def test_continuous_bernoulli_mean_is_the_integral_of_x_times_the_density(logit):
    def density(x):
        nll = float(_np(losses.continuous_bernoulli_nll_per_pixel(np.float32([[x]]), np.float32([[logit]])))[0, 0])
        return math.exp(-nll)

    expected, _ = scipy.integrate.quad(lambda x: x * density(x), 0, 1, limit=200)
    assert float(_np(losses.continuous_bernoulli_mean(np.float32([logit])))[0]) == pytest.approx(expected, abs=2e-4)
