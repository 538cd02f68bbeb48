"""losses.py against independent oracles: numpy formulas in float64, Monte-Carlo estimates, finite differences."""

import math
import statistics

import keras
import numpy as np
import pytest
from keras import ops

import vae_helpers as vh
from conftest import only_on
from vae_helpers.runtime import value_and_gradients


def numpy_kl_samples(z_mean, z_log_var, n_samples, rng):
    """(S, B) samples of log q(z) - log p(z) with z ~ q, written from the Gaussian density in float64."""
    sigma = np.exp(0.5 * z_log_var)
    z = z_mean + sigma * rng.standard_normal((n_samples,) + z_mean.shape)  # (S, B, D)
    log_q = np.sum(-0.5 * ((z - z_mean) / sigma) ** 2 - np.log(sigma) - 0.5 * np.log(2 * np.pi), axis=-1)
    log_p = np.sum(-0.5 * z**2 - 0.5 * np.log(2 * np.pi), axis=-1)
    return log_q - log_p


@pytest.fixture
def gaussian_params():
    rng = np.random.default_rng(0)
    z_mean = rng.normal(0, 1.5, size=(4, 3))
    z_log_var = rng.uniform(-2, 1.5, size=(4, 3))
    return z_mean, z_log_var


def test_kl_closed_form_matches_numpy_monte_carlo(gaussian_params):
    z_mean, z_log_var = gaussian_params
    samples = numpy_kl_samples(z_mean, z_log_var, 200_000, np.random.default_rng(1))  # (S, B)
    standard_error = samples.std(axis=0) / math.sqrt(len(samples))
    closed = ops.convert_to_numpy(vh.kl_divergence(z_mean, z_log_var))
    assert closed.shape == (4,)
    np.testing.assert_array_less(np.abs(closed - samples.mean(axis=0)), 5 * standard_error)


def test_kl_closed_form_matches_package_monte_carlo(gaussian_params):
    z_mean, z_log_var = (a.astype(np.float32) for a in gaussian_params)
    n = 50_000
    estimate = ops.convert_to_numpy(vh.kl_monte_carlo(z_mean, z_log_var, n_samples=n, seed=3))
    # Standard error of a mean of n samples of log q - log p, its spread taken from an independent numpy draw.
    spread = numpy_kl_samples(gaussian_params[0], gaussian_params[1], 20_000, np.random.default_rng(2)).std(axis=0)
    closed = ops.convert_to_numpy(vh.kl_divergence(z_mean, z_log_var))
    assert estimate.shape == (4,)
    np.testing.assert_array_less(np.abs(closed - estimate), 5 * spread / math.sqrt(n))


def test_kl_is_zero_at_the_prior_and_positive_elsewhere(gaussian_params):
    zeros = np.zeros((2, 5), np.float32)
    np.testing.assert_allclose(ops.convert_to_numpy(vh.kl_divergence(zeros, zeros)), 0.0, atol=1e-7)
    assert np.all(ops.convert_to_numpy(vh.kl_divergence(*gaussian_params)) > 0)


@pytest.mark.usefixtures("float64")
def test_kl_matches_the_one_dimensional_formula():
    # KL(N(mu, s^2) || N(0, 1)) = log(1/s) + (s^2 + mu^2)/2 - 1/2, summed over independent dimensions.
    mu, s = np.array([[0.3, -1.2]]), np.array([[0.5, 2.0]])
    expected = np.sum(np.log(1 / s) + (s**2 + mu**2) / 2 - 0.5)
    got = ops.convert_to_numpy(vh.kl_divergence(mu, np.log(s**2)))
    np.testing.assert_allclose(got, [expected], rtol=1e-12)


@pytest.mark.usefixtures("float64")
def test_gaussian_log_density_matches_statistics_normaldist():
    rng = np.random.default_rng(4)
    z, mean, log_var = rng.normal(size=(3, 6, 2))
    expected = [
        sum(math.log(statistics.NormalDist(m, math.exp(0.5 * lv)).pdf(v)) for v, m, lv in zip(zr, mr, lvr))
        for zr, mr, lvr in zip(z, mean, log_var)
    ]
    got = ops.convert_to_numpy(vh.gaussian_log_density(z, mean, log_var))
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def numpy_bernoulli_nll(x, logits):
    """Direct formula -[x log p + (1 - x) log(1 - p)] with p = sigmoid(logits), float64, summed per image."""
    p = 1.0 / (1.0 + np.exp(-logits))
    per_pixel = -(x * np.log(p) + (1 - x) * np.log(1 - p))
    return per_pixel.reshape(len(x), -1).sum(axis=1)


@pytest.mark.usefixtures("float64")
def test_reconstruction_loss_matches_direct_formula_in_float64():
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 1, size=(3, 28, 28, 1))
    x[0] = rng.uniform(size=(28, 28, 1)) > 0.5  # binary pixels too
    logits = rng.uniform(-20, 20, size=(3, 28, 28, 1))
    got = ops.convert_to_numpy(vh.reconstruction_loss(x, logits))
    assert got.shape == (3,)
    np.testing.assert_allclose(got, numpy_bernoulli_nll(x, logits), rtol=1e-10)


@only_on("tensorflow")
def test_reconstruction_loss_accepts_unknown_static_sizes_in_a_graph():
    import tensorflow as tf

    # Older TensorFlow/Keras pairs trace tf.data batches as (None, None, None, None): the shape check must let
    # unknown sizes through and still compare the known ones.
    traced = tf.function(
        vh.reconstruction_loss,
        input_signature=[tf.TensorSpec((None, None, None, None)), tf.TensorSpec((None, 28, 28, 1))],
    )
    x = np.full((2, 28, 28, 1), 0.5, np.float32)
    np.testing.assert_allclose(traced(x, np.zeros_like(x)).numpy(), [784 * math.log(2)] * 2, rtol=1e-6)
    with pytest.raises(ValueError, match="same shape"):
        vh.reconstruction_loss(x, np.zeros((2, 28, 27, 1), np.float32))


def test_reconstruction_loss_matches_keras_binary_crossentropy():
    # Keras' BCE on probabilities (as in the reference tutorial) is the mean over pixels; ours is the sum.
    rng = np.random.default_rng(6)
    x = rng.uniform(size=(2, 28, 28, 1)).astype(np.float32)
    logits = rng.uniform(-4, 4, size=(2, 28, 28, 1)).astype(np.float32)
    bce = keras.losses.binary_crossentropy(x.reshape(2, -1), ops.sigmoid(logits.reshape(2, -1)))
    np.testing.assert_allclose(
        ops.convert_to_numpy(vh.reconstruction_loss(x, logits)), 784 * ops.convert_to_numpy(bce), rtol=1e-4
    )


@pytest.mark.parametrize("logit", [50.0, -50.0, 1000.0, -1000.0])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_reconstruction_loss_is_finite_and_exact_for_extreme_logits(logit, dtype):
    # As |l| -> inf: -log sigmoid(l) -> max(-l, 0) and -log(1 - sigmoid(l)) -> max(l, 0), so the per-pixel loss
    # tends to x * max(-l, 0) + (1 - x) * max(l, 0); the error is below exp(-50) here.
    x = np.array([[0.0, 0.25, 1.0]], dtype=dtype)
    logits = np.full_like(x, logit)
    got = ops.convert_to_numpy(vh.reconstruction_loss(x, logits))
    limit = np.sum(x * max(-logit, 0) + (1 - x) * max(logit, 0))
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, [limit], rtol=1e-6)


def test_reconstruction_gradient_is_sigmoid_minus_x_even_for_extreme_logits():
    x = np.array([[0.0, 0.3, 1.0, 0.7, 0.2]], np.float32)
    logits = np.array([[-1000.0, -50.0, 0.5, 50.0, 1000.0]], np.float32)
    _, (grad,) = value_and_gradients(lambda lg: ops.sum(vh.reconstruction_loss(x, lg)), logits)
    expected = 0.5 * (1 + np.tanh(0.5 * logits.astype(np.float64))) - x  # sigmoid, no overflow
    assert np.all(np.isfinite(grad))
    np.testing.assert_allclose(grad, expected, atol=1e-6)


def central_difference(f, x, h=1e-6):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = h
        grad[index] = (f(x + step) - f(x - step)) / (2 * h)
    return grad


@pytest.mark.usefixtures("float64")
def test_kl_gradient_matches_finite_differences(gaussian_params):
    _, (grad_mean, grad_log_var) = value_and_gradients(
        lambda m, lv: ops.sum(vh.kl_divergence(m, lv)), *gaussian_params
    )  # float64
    kl_sum = lambda m, lv: float(ops.sum(vh.kl_divergence(m, lv)))
    mean0, log_var0 = gaussian_params
    np.testing.assert_allclose(grad_mean, central_difference(lambda m: kl_sum(m, log_var0), mean0), rtol=1e-6)
    np.testing.assert_allclose(grad_log_var, central_difference(lambda lv: kl_sum(mean0, lv), log_var0), rtol=1e-6)


@pytest.mark.usefixtures("float64")
def test_reconstruction_gradient_matches_finite_differences():
    rng = np.random.default_rng(7)
    x = rng.uniform(size=(2, 3, 3, 1))
    logits0 = rng.normal(0, 3, size=(2, 3, 3, 1))
    _, (gradient,) = value_and_gradients(lambda lg: ops.sum(vh.reconstruction_loss(x, lg)), logits0)
    numeric = central_difference(lambda lg: float(ops.sum(vh.reconstruction_loss(x, lg))), logits0)
    np.testing.assert_allclose(gradient, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(
    "x, logits, fragment",
    [
        (np.zeros((2, 28, 28, 1), np.float32), np.zeros((2, 28, 28), np.float32), "same shape"),
        (np.zeros((784,), np.float32), np.zeros((784,), np.float32), "batch axis"),
        (np.zeros((2, 28, 28, 1), np.uint8), np.zeros((2, 28, 28, 1), np.float32), "x must be a float"),
        (np.zeros((2, 4), np.float32), np.zeros((2, 4), np.int32), "logits must be a float"),
    ],
)
def test_reconstruction_loss_rejects_bad_input(x, logits, fragment):
    with pytest.raises(ValueError, match=fragment):
        vh.reconstruction_loss(x, logits)


@pytest.mark.parametrize("function", [vh.kl_divergence, vh.kl_monte_carlo])
@pytest.mark.parametrize(
    "z_mean, z_log_var, fragment",
    [
        (np.zeros(3, np.float32), np.zeros(3, np.float32), r"shape \(B, D\)"),
        (np.zeros((2, 3), np.float32), np.zeros((2, 4), np.float32), "same shape"),
        (np.zeros((2, 3), np.int64), np.zeros((2, 3), np.float32), "float"),
    ],
)
def test_kl_functions_reject_bad_input(function, z_mean, z_log_var, fragment):
    with pytest.raises(ValueError, match=fragment):
        function(z_mean, z_log_var)


@pytest.mark.parametrize("n_samples", [0, -5, 2.5, True])
def test_kl_monte_carlo_rejects_bad_sample_count(n_samples):
    zeros = np.zeros((1, 2), np.float32)
    with pytest.raises(ValueError, match="n_samples must be a positive integer"):
        vh.kl_monte_carlo(zeros, zeros, n_samples=n_samples)


def test_gaussian_log_density_rejects_integer_input():
    with pytest.raises(ValueError, match="mean must be a float"):
        vh.gaussian_log_density(np.zeros((2, 3)), np.zeros((2, 3), np.int64), np.zeros((2, 3)))


@pytest.mark.usefixtures("float64")
def test_per_pixel_nll_is_the_direct_formula_pixel_by_pixel_and_sums_to_the_reconstruction_loss():
    rng = np.random.default_rng(8)
    x = rng.uniform(size=(2, 4, 4, 1))
    logits = rng.normal(0, 3, size=(2, 4, 4, 1))
    p = 1.0 / (1.0 + np.exp(-logits))
    direct = -(x * np.log(p) + (1 - x) * np.log(1 - p))
    per_pixel = ops.convert_to_numpy(vh.losses.bernoulli_nll_per_pixel(x, logits))
    np.testing.assert_allclose(per_pixel, direct, rtol=1e-10)
    np.testing.assert_allclose(
        ops.convert_to_numpy(vh.reconstruction_loss(x, logits)), direct.sum(axis=(1, 2, 3)), rtol=1e-10
    )
