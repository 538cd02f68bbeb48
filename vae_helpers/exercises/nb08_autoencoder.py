"""Checkers for the exercises of notebook 08 (an autoencoder beside the VAE)."""

from __future__ import annotations

import math

import numpy as np

from vae_helpers.exercises._feedback import ExerciseError, correct, not_answered, require
from vae_helpers.exercises._table import NumericExercise

TRUNK_FEATURES = 16  # Exercise 1: the encoder trunk's last Dense layer, the input of the heads
HEAD_LATENT_DIM = 2
MIN_SAMPLES = 1_000  # Exercise 3: enough draws to compare their mean and covariance with the codes'
MEAN_TOLERANCE = 0.15  # Exercise 3: |mean difference| per dimension, in standard deviations of the codes
COVARIANCE_TOLERANCE = 0.2  # Exercise 3: relative (Frobenius) error of the covariance


def _head_params_table() -> NumericExercise:
    features, dim = TRUNK_FEATURES, HEAD_LATENT_DIM
    head = features * dim + dim  # one Dense(16 -> 2): weights and biases
    return NumericExercise(
        name="Exercise 1 (what the VAE's encoder has more)",
        answer=head,
        mistakes=(
            (
                2 * head,
                "that is both of the VAE's heads (z_mean and z_log_var). The autoencoder keeps one Dense layer "
                "(its code z), so only one head is extra.",
            ),
            (features * dim, "you counted the weights of the extra Dense layer; add its biases (one per output)."),
            (
                0.0,
                "the trunks and decoders are the same, but the VAE's encoder has two heads and the autoencoder's "
                "one: the difference is one Dense layer.",
            ),
        ),
        conditions=(
            (lambda value: value == int(value) and value > 0, "a count of parameters is a positive whole number."),
        ),
        fallback_hint=f"not quite. The only difference is one Dense layer from {features} features to {dim} outputs: "
        "count its weights and its biases.",
        success=f"{features} x {dim} weights + {dim} biases: the z_log_var head. Everything else is shared; what makes "
        "a VAE is the noise and the KL term, not extra capacity.",
        exact=True,
    )


HEAD_PARAMS_TABLE = _head_params_table()


def check_head_params(answer) -> None:
    """Exercise 1: how many more parameters the VAE's encoder has than the autoencoder's (latent size 2)."""
    HEAD_PARAMS_TABLE.grade(answer)


def image_nll_table(x, probabilities) -> NumericExercise:
    """The table of exercise 2: the Bernoulli negative log-likelihood in nats of one image ``x`` (28, 28, 1) in
    [0, 1] under the pixel probabilities ``probabilities`` (same shape, in (0, 1)) of its reconstruction."""
    x = np.asarray(x, dtype=np.float64)
    p = np.asarray(probabilities, dtype=np.float64)
    if x.shape != p.shape or x.size == 0 or not (np.all((0 < p) & (p < 1)) and np.all((0 <= x) & (x <= 1))):
        raise ValueError(
            f"x and probabilities must be one image each, of the same shape, x in [0, 1] and the "
            f"probabilities in (0, 1); got shapes {x.shape} and {p.shape}."
        )
    ink, background = -np.sum(x * np.log(p)), -np.sum((1 - x) * np.log1p(-p))
    right = float(ink + background)
    return NumericExercise(
        name="Exercise 2 (reconstruction error by hand)",
        answer=right,
        mistakes=(
            (
                right / x.size,
                "that is the mean over pixels; the course reports the sum over the 784 pixels (nats per image).",
            ),
            (right / math.log(2), "that is in bits (log base 2); use the natural log, np.log, for nats."),
            (
                -right,
                "the sign: a negative log-likelihood is minus the sum of the log-probabilities, a positive number.",
            ),
            (float(ink), "only the ink term x log p; add the background term (1 - x) log(1 - p)."),
        ),
        conditions=((lambda value: value > 0, "a negative log-likelihood of grey pixels is positive."),),
        fallback_hint="not quite. Sum -(x log p + (1 - x) log(1 - p)) over all pixels, with p the reconstruction's "
        "pixel probabilities.",
        success="the number the autoencoder's training lowers, and the VAE's reconstruction term.",
    )


def check_image_nll(answer, x, probabilities) -> None:
    """Exercise 2: the Bernoulli NLL in nats of image ``x`` under its reconstruction's ``probabilities``."""
    image_nll_table(x, probabilities).grade(answer)


def check_code_gaussian(samples, codes) -> None:
    """Exercise 3: ``samples`` (M, D), M >= 1000, drawn from the Gaussian fitted to the autoencoder's ``codes`` (N, D):
    their mean and covariance must match those of the codes."""
    exercise = "Exercise 3 (a Gaussian fitted to the codes)"
    if not_answered(samples, exercise):
        return
    codes = np.asarray(codes, dtype=np.float64)
    if codes.ndim != 2 or len(codes) < 2:
        raise ValueError(f"codes must be the autoencoder's codes, shape (N, D) with N >= 2, got {codes.shape}.")
    try:
        samples = np.asarray(samples, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ExerciseError(
            f"{exercise}: expected an array of shape (M, {codes.shape[1]}), got {type(samples).__name__}."
        ) from err
    require(
        samples.ndim == 2 and samples.shape[1] == codes.shape[1],
        f"{exercise}: expected an array of shape (M, {codes.shape[1]}), one latent point per row, got {samples.shape}.",
    )
    require(
        len(samples) >= MIN_SAMPLES,
        f"{exercise}: draw at least {MIN_SAMPLES:,} points (got {len(samples)}), "
        "enough to compare their mean and covariance with the codes'.",
    )
    require(bool(np.all(np.isfinite(samples))), f"{exercise}: some points are NaN or infinite.")
    mean, cov = codes.mean(axis=0), np.cov(codes.T)
    std = np.sqrt(np.diag(cov))
    got_mean, got_cov = samples.mean(axis=0), np.cov(samples.T)

    def close(target):
        return np.linalg.norm(got_cov - target) <= COVARIANCE_TOLERANCE * np.linalg.norm(target)

    mean_ok = bool(np.all(np.abs(got_mean - mean) <= MEAN_TOLERANCE * std))
    dim = codes.shape[1]
    prior_like = np.all(np.abs(got_mean) < 0.2) and np.allclose(got_cov, np.eye(dim), atol=0.2)
    require(
        not (prior_like and not mean_ok),
        f"{exercise}: these points look like draws from N(0, I), the VAE's "
        "prior. Use the mean and covariance of the codes instead.",
    )
    require(
        mean_ok,
        f"{exercise}: the points' mean {np.round(got_mean, 2)} is not the codes' mean "
        f"{np.round(mean, 2)}: add codes.mean(axis=0).",
    )
    require(
        not close(np.diag(std)) or close(cov),
        f"{exercise}: the spread looks like the codes' standard deviations used as a covariance; a covariance "
        "holds variances (np.cov(codes.T)).",
    )
    require(
        not close(np.diag(np.diag(cov))) or close(cov),
        f"{exercise}: right variances but no correlation between the coordinates; use the full covariance "
        "np.cov(codes.T), e.g. with rng.multivariate_normal(mean, cov, size=M).",
    )
    require(
        close(cov),
        f"{exercise}: the points' covariance {np.round(got_cov, 2).tolist()} is not the codes' "
        f"{np.round(cov, 2).tolist()}. Draw with rng.multivariate_normal(codes.mean(axis=0), "
        "np.cov(codes.T), size=M).",
    )
    correct(
        exercise,
        "These points lie where the codes are: a density fitted after training turns the autoencoder "
        "into a sampler, which the KL term gives a VAE by construction.",
    )
