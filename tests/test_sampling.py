"""sampling.py: reparameterized samples have the right moments, carry gradients, and the layer serializes."""

import math

import keras
import numpy as np
import pytest
from keras import ops

import vae_helpers as vh
from vae_helpers.runtime import value_and_gradients

MU = np.array([0.5, -2.0, 0.0], np.float32)
LOG_VAR = np.array([0.0, 1.0, -3.0], np.float32)
N = 20_000


def assert_moments(z):
    """Column means and variances of z (N, 3) within 5 standard errors of MU and exp(LOG_VAR)."""
    variance = np.exp(LOG_VAR.astype(np.float64))
    mean_se = np.sqrt(variance / N)
    var_se = variance * math.sqrt(2 / (N - 1))  # standard error of a Gaussian sample variance
    np.testing.assert_array_less(np.abs(z.mean(axis=0) - MU), 5 * mean_se)
    np.testing.assert_array_less(np.abs(z.var(axis=0, ddof=1) - variance), 5 * var_se)


def batch():
    return np.tile(MU, (N, 1)), np.tile(LOG_VAR, (N, 1))  # (N, 3) each


def test_reparameterize_has_the_right_mean_and_variance():
    z = ops.convert_to_numpy(vh.reparameterize(*batch(), seed=0))
    assert z.shape == (N, 3) and z.dtype == np.float32
    assert_moments(z)


def test_sampling_layer_has_the_right_mean_and_variance():
    z = ops.convert_to_numpy(vh.Sampling(seed=1)(list(batch())))
    assert_moments(z)


def test_reparameterize_is_reproducible_with_an_int_seed():
    mu, log_var = batch()
    np.testing.assert_array_equal(
        ops.convert_to_numpy(vh.reparameterize(mu[:5], log_var[:5], seed=3)),
        ops.convert_to_numpy(vh.reparameterize(mu[:5], log_var[:5], seed=3)),
    )


def test_sampling_layer_draws_fresh_noise_each_call_and_is_reproducible_per_seed():
    mu, log_var = (a[:5] for a in batch())
    layer = vh.Sampling(seed=7)
    first, second = (ops.convert_to_numpy(layer([mu, log_var])) for _ in range(2))
    assert not np.allclose(first, second)
    np.testing.assert_array_equal(first, ops.convert_to_numpy(vh.Sampling(seed=7)([mu, log_var])))


@pytest.mark.parametrize("draw", ["function", "layer"])
def test_gradients_reach_mean_and_log_variance_with_the_analytic_values(draw):
    # z = mu + exp(log_var / 2) * eps, so dz/dmu = 1 and dz/dlog_var = 0.5 * sigma * eps (elementwise).
    rng = np.random.default_rng(0)
    mu = rng.normal(size=(4, 3)).astype(np.float32)
    log_var = rng.normal(size=(4, 3)).astype(np.float32)
    weights = rng.normal(size=(4, 3)).astype(np.float32)  # a random linear loss sum(w * z) probes every entry
    # seed 5 draws the same noise on every call of the function and on the first call of a new layer
    sample = lambda m, lv: vh.reparameterize(m, lv, seed=5) if draw == "function" else vh.Sampling(seed=5)([m, lv])
    loss = lambda m, lv: ops.sum(ops.multiply(weights, sample(m, lv)))  # keras.ops: any backend's tensor
    _, (grad_mu, grad_log_var) = value_and_gradients(loss, mu, log_var)
    sigma = np.exp(0.5 * log_var)
    eps = (ops.convert_to_numpy(sample(mu, log_var)) - mu) / sigma
    np.testing.assert_allclose(grad_mu, weights, rtol=1e-6)
    np.testing.assert_allclose(grad_log_var, weights * 0.5 * sigma * eps, rtol=1e-4, atol=1e-6)


def test_sampling_config_round_trip_keeps_the_seed_and_the_draws():
    layer = vh.Sampling(seed=11, name="z")
    config = layer.get_config()
    assert config["seed"] == 11 and config["name"] == "z"
    clone = vh.Sampling.from_config(config)
    mu, log_var = np.zeros((3, 2), np.float32), np.zeros((3, 2), np.float32)
    np.testing.assert_array_equal(
        ops.convert_to_numpy(clone([mu, log_var])), ops.convert_to_numpy(layer([mu, log_var]))
    )
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert isinstance(restored, vh.Sampling) and restored.seed == 11


def test_sampling_output_shape():
    assert vh.Sampling().compute_output_shape([(None, 4), (None, 4)]) == (None, 4)
    symbolic = vh.Sampling()([keras.Input((4,)), keras.Input((4,))])
    assert tuple(symbolic.shape) == (None, 4)


@pytest.mark.parametrize(
    "z_mean, z_log_var, fragment",
    [
        (np.zeros(3, np.float32), np.zeros(3, np.float32), r"z_mean must have shape \(B, D\)"),
        (np.zeros((2, 3, 1), np.float32), np.zeros((2, 3, 1), np.float32), r"shape \(B, D\)"),
        (np.zeros((2, 3), np.float32), np.zeros((3, 2), np.float32), "same shape"),
        (np.zeros((2, 3), np.float32), np.zeros((2, 3), np.int32), "z_log_var must be a float"),
    ],
)
def test_reparameterize_rejects_bad_input(z_mean, z_log_var, fragment):
    with pytest.raises(ValueError, match=fragment):
        vh.reparameterize(z_mean, z_log_var)


# ------------------------------------------------------------------ gradient_estimates: pathwise vs score function


def squared_distance_to_3(z):
    """L = sum_d (z_d - 3)^2: (S, B, D) -> (S, B). E[L] = sum_d (mu_d - 3)^2 + sigma_d^2 in closed form."""
    return ops.sum(ops.square(z - 3.0), axis=-1)


@pytest.mark.parametrize("estimator", ["pathwise", "score_function"])
def test_both_estimators_are_unbiased_against_the_closed_form_gradient(estimator):
    mu, log_var = np.float32([[1.0], [-0.5], [3.5]]), np.float32([[0.0], [1.0], [-2.0]])  # (B=3, D=1)
    grad_mean, grad_log_var = vh.sampling.gradient_estimates(
        squared_distance_to_3, mu, log_var, 200_000, estimator, seed=0
    )
    assert grad_mean.shape == grad_log_var.shape == (200_000, 3, 1)
    exact_mean, exact_log_var = 2 * (mu - 3), np.exp(log_var)  # d/dmu and d/dlog sigma^2 of (mu - 3)^2 + sigma^2
    for estimates, exact in ((grad_mean, exact_mean), (grad_log_var, exact_log_var)):
        standard_error = estimates.std(axis=0) / math.sqrt(len(estimates))
        np.testing.assert_array_less(np.abs(estimates.mean(axis=0) - exact), 5 * standard_error)


def test_pathwise_estimates_are_the_chain_rule_of_each_sample():
    mu, log_var = np.float32([[1.0, -2.0]]), np.float32([[0.0, -1.0]])
    grad_mean, grad_log_var = vh.sampling.gradient_estimates(squared_distance_to_3, mu, log_var, 50, seed=3)
    eps = np.random.default_rng(3).standard_normal((50, 1, 2)).astype("float32")  # the noise it documents
    sigma = np.exp(0.5 * log_var)
    z = mu + sigma * eps
    np.testing.assert_allclose(grad_mean, 2 * (z - 3), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(grad_log_var, 2 * (z - 3) * 0.5 * sigma * eps, rtol=1e-5, atol=1e-5)


def test_score_function_variance_matches_its_closed_form_and_dwarfs_the_pathwise_one():
    # mu = 1, sigma = 1: pathwise dL/dmu = 2 (eps - 2), variance 4; score function (eps - 2)^2 eps, variance
    # E[eps^2 (eps - 2)^4] - 4^2 = 103 - 16 = 87.
    args = (squared_distance_to_3, np.float32([[1.0]]), np.float32([[0.0]]), 400_000)
    pathwise = vh.sampling.gradient_estimates(*args, "pathwise", seed=1)[0]
    score = vh.sampling.gradient_estimates(*args, "score_function", seed=1)[0]
    assert abs(pathwise.var() - 4.0) < 0.1
    assert abs(score.var() - 87.0) < 0.1 * 87


def test_score_function_works_where_the_loss_has_no_derivative():
    # L = 1[z > 0]: E[L] = Phi(mu / sigma), d/dmu = phi(mu / sigma) / sigma. Its pathwise derivative is 0 wherever it
    # exists (the backends report it as None, 0 or an error), so only the score function finds the gradient.
    step = lambda z: ops.cast(z[..., 0] > 0, "float32")  # (S, B, 1) -> (S, B)
    mu, log_var = np.float32([[0.5]]), np.float32([[0.0]])
    exact = math.exp(-0.5 * 0.5**2) / math.sqrt(2 * math.pi)
    score = vh.sampling.gradient_estimates(step, mu, log_var, 200_000, "score_function", seed=2)[0]
    assert abs(score.mean() - exact) < 5 * score.std() / math.sqrt(len(score))


def test_gradient_estimates_reject_an_unknown_estimator_with_the_choices():
    with pytest.raises(ValueError, match="pathwise.*score_function"):
        vh.sampling.gradient_estimates(
            squared_distance_to_3, np.zeros((1, 1), "float32"), np.zeros((1, 1), "float32"), 10, "reinforce"
        )
