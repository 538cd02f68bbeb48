"""Checkers of notebook 02 that are not a table (tests/test_exercises.py tests the tables): reparameterize, a
function, and the gradient-noise prediction. They run on every Keras backend (the reparameterize checker takes its
gradients with vae_helpers.runtime.value_and_gradients)."""

import numpy as np
import pytest
from keras import ops

import vae_helpers as vh
from vae_helpers.exercises import ExerciseError


def test_reparameterize_accepts_a_keras_ops_implementation(capsys):
    vh.exercises.check_reparameterize(lambda mean, log_var, eps: mean + ops.exp(0.5 * log_var) * eps)
    assert "Correct!" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda m, v, e: m + ops.exp(v) * e, "variance"),
        (lambda m, v, e: m + v * e, "log-variance"),
        (lambda m, v, e: ops.exp(0.5 * v) * e, "centred"),
        (lambda m, v, e: m - ops.exp(0.5 * v) * e, "not quite"),
        (lambda m, v, e: np.asarray(m) + np.exp(0.5 * np.asarray(v)) * np.asarray(e), "no gradient"),
        (lambda m, v, e: ops.stop_gradient(m + ops.exp(0.5 * v) * e), "no gradient"),
        (lambda m, v, e: m + ops.stop_gradient(ops.exp(0.5 * v)) * e, "no gradient reaches z_mean and z_log_var"),
        (lambda m, v, e: None, "returns None"),
        (lambda m, v, e: ops.sum(m), "shape \\(2, 3\\)"),
        (lambda m, v, e: 1 / 0, "ZeroDivisionError"),
        (3.0, "the function itself"),
    ],
)
def test_reparameterize_mistakes_get_specific_hints(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_reparameterize(wrong)


def test_gradient_noise_is_graded_against_reparameterized_gradients(capsys):
    """Independent oracle: one-sample gradients of (z - 3)^2 w.r.t. mu by finite differences, same noise."""
    eps = np.random.default_rng(0).standard_normal(10_000)
    loss = lambda mu, sigma: (mu + sigma * eps - 3.0) ** 2
    stds = [np.std((loss(1.5 + 1e-4, s) - loss(1.5 - 1e-4, s)) / 2e-4) for s in (0.5, 0.25)]
    assert stds[1] == pytest.approx(stds[0] / 2, rel=1e-3)
    assert vh.exercises.check_gradient_noise("smaller", *stds) is True
    assert "Correct prediction" in capsys.readouterr().out
    assert vh.exercises.check_gradient_noise("larger", *stds) is False
    assert "Not what happened" in capsys.readouterr().out


@pytest.mark.parametrize("stds, outcome", [((1.0, 1.0), "same"), ((1.0, 2.0), "larger"), ((1.0, 0.5), "smaller")])
def test_gradient_noise_outcome_follows_the_numbers(stds, outcome):
    assert vh.exercises.check_gradient_noise(outcome, *stds) is True


@pytest.mark.parametrize(
    "answer, stds, hint",
    [("less", (1.0, 0.5), "one of"), ("same", (0.0, 0.5), "positive"), ("same", (None, 0.5), "std_sigma")],
)
def test_gradient_noise_rejects_bad_input(answer, stds, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_gradient_noise(answer, *stds)


@pytest.mark.parametrize(
    "check, args", [(vh.exercises.check_reparameterize, ()), (vh.exercises.check_gradient_noise, (1.0, 0.5))]
)
def test_unanswered_exercises_print_a_nudge(check, args, capsys):
    check(None, *args)
    assert "not answered yet" in capsys.readouterr().out
