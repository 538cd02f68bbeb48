"""Checkers of notebook 02: the right answer passes, each typical mistake gets its own hint, None gets a nudge."""

import math

import numpy as np
import pytest
from keras import ops

import vae_helpers as vh
from vae_helpers.exercises import ExerciseError


def test_reparameterize_accepts_a_keras_ops_implementation(capsys):
    vh.exercises.check_reparameterize(lambda mean, log_var, eps: mean + ops.exp(0.5 * log_var) * eps)
    assert "Correct!" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (lambda m, v, e: m + ops.exp(v) * e, "variance"),
    (lambda m, v, e: m + v * e, "log-variance"),
    (lambda m, v, e: ops.exp(0.5 * v) * e, "centred"),
    (lambda m, v, e: m - ops.exp(0.5 * v) * e, "not quite"),
    (lambda m, v, e: np.asarray(m) + np.exp(0.5 * np.asarray(v)) * np.asarray(e), "no gradient"),
    (lambda m, v, e: None, "returns None"),
    (lambda m, v, e: ops.sum(m), "shape \\(2, 3\\)"),
    (lambda m, v, e: 1 / 0, "ZeroDivisionError"),
    (3.0, "the function itself"),
])
def test_reparameterize_mistakes_get_specific_hints(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_reparameterize(wrong)


def test_sample_std_accepts_exp_of_half_the_log_variance(capsys):
    vh.exercises.check_sample_std(math.exp(0.5 * -2.0))
    assert "Correct!" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [(math.exp(-2), "variance"), (-2, "undo the log"), (1, "eps"),
                                         (-0.37, "positive"), (0.5, "not quite")])
def test_sample_std_mistakes_get_specific_hints(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_sample_std(wrong)


def test_grad_log_var_accepts_the_gradient_computed_by_gradient_tape(capsys):
    import tensorflow as tf

    log_var = tf.Variable([[1.0]])
    with tf.GradientTape() as tape:
        z = 0.5 + tf.exp(0.5 * log_var) * -0.8
    vh.exercises.check_grad_log_var(tape.gradient(z, log_var))
    assert "Correct!" in capsys.readouterr().out


sigma = math.exp(0.5)


@pytest.mark.parametrize("wrong, hint", [(1.0, "dz/dmu"), (sigma * -0.8, "factor 0.5"), (0.5 * -0.8, "keep the"),
                                         (0.5 * sigma, "multiply by eps"), (math.e * -0.8, "not exp\\(log"),
                                         (0.5 + sigma * -0.8, "z itself"), (0.3, "not quite")])
def test_grad_log_var_mistakes_get_specific_hints(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_grad_log_var(wrong)


@pytest.mark.parametrize("check", [vh.exercises.check_reparameterize, vh.exercises.check_sample_std,
                                   vh.exercises.check_grad_log_var])
def test_unanswered_exercises_print_a_nudge(check, capsys):
    check(None)
    assert "not answered yet" in capsys.readouterr().out
