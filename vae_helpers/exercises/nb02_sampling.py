"""Checkers for the exercises of notebook 02 (the reparameterization trick)."""

from __future__ import annotations

import math

import numpy as np
from keras import ops

from vae_helpers import runtime
from vae_helpers.exercises._answers import measured_ratio
from vae_helpers.exercises._feedback import ExerciseError, correct, grade_prediction, not_answered, require
from vae_helpers.exercises._table import NumericExercise

# Exercise 3: z = mu + exp(0.5 * log_var) * eps at these values.
GRAD_MU, GRAD_LOG_VAR, GRAD_EPS = 0.5, 1.0, -0.8
GRAD_SIGMA = math.exp(0.5 * GRAD_LOG_VAR)


def check_reparameterize(function) -> None:
    """Exercise 1: ``function(z_mean, z_log_var, eps)`` must return ``z_mean + exp(0.5 * z_log_var) * eps``.

    It is called on (2, 3) float32 tensors of the Keras backend in use and must let gradients reach ``z_mean`` and
    ``z_log_var``: the gradients of a weighted sum of its output, taken with :func:`vae_helpers.runtime.
    value_and_gradients` (any backend), must equal the chain rule's.
    """
    exercise = "Exercise 1 (write reparameterize)"
    if not_answered(function, exercise):
        return
    require(
        callable(function), f"{exercise}: pass the function itself (my_reparameterize), not {type(function).__name__}."
    )
    mean = np.array([[0.0, 1.0, -2.0], [0.5, 3.0, 0.0]], np.float32)  # (2, 3)
    log_var = np.array([[0.0, 2.0, -1.0], [1.0, -3.0, 0.5]], np.float32)  # (2, 3)
    noise = np.array([[1.0, -0.5, 2.0], [-1.5, 0.3, 1.0]], np.float32)  # (2, 3)
    try:
        z = function(*(ops.convert_to_tensor(array) for array in (mean, log_var, noise)))
    except Exception as err:
        raise ExerciseError(f"{exercise}: your function raised {type(err).__name__}: {err}") from err
    require(z is not None, f"{exercise}: your function returns None; add a `return` statement.")
    values = np.asarray(ops.convert_to_numpy(z), dtype=np.float32)
    require(
        values.shape == (2, 3), f"{exercise}: expected an output of shape (2, 3) like the inputs, got {values.shape}."
    )
    close = lambda target: np.allclose(values, target, rtol=1e-4, atol=1e-5)
    require(
        not close(mean + np.exp(log_var) * noise),
        f"{exercise}: you scaled eps by the variance exp(log_var); the standard deviation is exp(0.5 * log_var).",
    )
    require(
        not close(mean + log_var * noise),
        f"{exercise}: z_log_var is a log-variance, not a standard deviation: use exp(0.5 * z_log_var).",
    )
    require(not close(np.exp(0.5 * log_var) * noise), f"{exercise}: the samples must be centred on z_mean: add it.")
    require(
        close(mean + np.exp(0.5 * log_var) * noise),
        f"{exercise}: not quite. z = z_mean + exp(0.5 * z_log_var) * eps, element by element.",
    )
    weights = np.arange(1.0, 7.0, dtype=np.float32).reshape(2, 3)  # distinct, so each element's gradient counts
    expected = (weights, weights * 0.5 * np.exp(0.5 * log_var) * noise)  # d/dz_mean, d/dz_log_var: the chain rule
    no_gradient = (
        f"{exercise}: the values are right but no gradient reaches z_mean and z_log_var: compute with "
        "keras.ops (ops.exp), not numpy, so that automatic differentiation can follow the operations"
    )
    try:
        _, gradients = runtime.value_and_gradients(
            lambda m, v: ops.sum(ops.multiply(weights, function(m, v, ops.convert_to_tensor(noise)))), mean, log_var
        )
    except Exception as err:  # numpy inside a traced (JAX) or recorded (PyTorch) computation raises
        raise ExerciseError(f"{no_gradient} (differentiating it raised {type(err).__name__}).") from err
    require(all(_equal_gradients(gradient, target) for gradient, target in zip(gradients, expected)), f"{no_gradient}.")
    correct(exercise, "Gradients reach z_mean and z_log_var through your function.")


def _equal_gradients(gradient: np.ndarray, expected: np.ndarray) -> bool:
    """True when ``gradient`` is an array of numbers equal to ``expected`` (a missing gradient is ``None``)."""
    return (
        gradient.dtype != object
        and gradient.shape == expected.shape
        and bool(np.allclose(gradient, expected, rtol=1e-4, atol=1e-5))
    )


SAMPLE_STD_TABLE = NumericExercise(
    name="Exercise 2 (spread of the samples)",
    answer=math.exp(-1.0),
    mistakes=(
        (math.exp(-2.0), "exp(-2) is the variance sigma^2; the standard deviation is its square root."),
        (-2.0, "-2 is log(sigma^2); undo the log and the square."),
        (1.0, "1 is the standard deviation of eps, before scaling by sigma."),
    ),
    conditions=((lambda value: value > 0, "a standard deviation is positive."),),
    fallback_hint="not quite. sigma = exp(0.5 * z_log_var).",
    success="sigma = exp(0.5 * log sigma^2) = exp(-1) ~ 0.368.",
)


def check_sample_std(answer) -> None:
    """Exercise 2: the standard deviation of samples ``z`` when ``z_log_var = -2`` (any ``z_mean``)."""
    SAMPLE_STD_TABLE.grade(answer)


GRAD_LOG_VAR_TABLE = NumericExercise(
    name="Exercise 3 (gradient with respect to log sigma^2)",
    answer=0.5 * GRAD_SIGMA * GRAD_EPS,
    mistakes=(
        (1.0, "1 is dz/dmu; the question asks for the derivative with respect to log sigma^2."),
        (
            GRAD_SIGMA * GRAD_EPS,
            "almost: d/dv exp(0.5 v) = 0.5 exp(0.5 v). You forgot the factor 0.5 of the chain rule.",
        ),
        (0.5 * GRAD_EPS, "almost: the derivative of exp(0.5 v) is 0.5 exp(0.5 v), keep the exp(0.5 v) = sigma."),
        (0.5 * GRAD_SIGMA, "almost: multiply by eps too (z depends on v through sigma * eps)."),
        (math.exp(GRAD_LOG_VAR) * GRAD_EPS, "sigma = exp(0.5 log sigma^2), not exp(log sigma^2)."),
        (GRAD_MU + GRAD_SIGMA * GRAD_EPS, "that is z itself, not its derivative."),
    ),
    fallback_hint="not quite. dz/dv = 0.5 * exp(0.5 v) * eps with v = log sigma^2; check it with vh.runtime.value_and_gradients.",
    success="dz/d(log sigma^2) = 0.5 * sigma * eps: a plain number the optimizer can use.",
)


def check_grad_log_var(answer) -> None:
    """Exercise 3: dz/d(log sigma^2) for z = mu + exp(0.5 log sigma^2) * eps at mu=0.5, log sigma^2=1, eps=-0.8."""
    GRAD_LOG_VAR_TABLE.grade(answer)


GRADIENT_NOISE_CHOICES = {
    "smaller": "halving sigma makes the one-sample gradients w.r.t. mu less noisy",
    "same": "halving sigma leaves the noise of the one-sample gradients w.r.t. mu unchanged",
    "larger": "halving sigma makes the one-sample gradients w.r.t. mu noisier",
}


def check_gradient_noise(answer, std_sigma, std_half_sigma) -> bool:
    """Exercise 4 (predict, then run): how the spread of one-sample gradients dL/dmu changes when sigma halves.

    Args:
        answer: the prediction, one of ``GRADIENT_NOISE_CHOICES`` ("smaller", "same", "larger").
        std_sigma, std_half_sigma: the experiment's standard deviations of the one-sample estimates of dL/dmu
            for L = (z - 3)^2, with the original sigma and with half of it (units of the loss per unit of mu).
    """
    exercise = "Exercise 4 (predict: gradient noise)"
    wide, narrow, ratio = measured_ratio(
        std_sigma, std_half_sigma, ("std_sigma", "std_half_sigma"), exercise, "the standard deviations"
    )
    outcome = "smaller" if ratio < 0.9 else "larger" if ratio > 1.1 else "same"
    why = (
        f"The spread went from {wide:.3f} to {narrow:.3f} (x {ratio:.2f}). For L = (z - 3)^2 the one-sample "
        "gradient is dL/dmu = 2 (z - 3) = 2 (mu - 3) + 2 sigma eps: the exact gradient plus noise 2 sigma eps, "
        "whose standard deviation is 2 sigma. Half the sigma, half the noise: an encoder that is sure of its "
        "code gets cleaner gradients."
    )
    return grade_prediction(exercise, answer, GRADIENT_NOISE_CHOICES, outcome, why)
