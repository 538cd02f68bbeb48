"""Checkers for the exercises of notebook 07 (going further): beta-VAE, IWAE, active dimensions, KL warm-up."""

from __future__ import annotations

import numpy as np

from vae_helpers.exercises._answers import as_number, is_close
from vae_helpers.exercises._feedback import correct, not_answered, require

SWEEP_BETAS = (0.1, 1.0, 4.0, 16.0)
SIGNS = ("negative", "zero", "positive")


def check_lowest_kl_beta(answer) -> None:
    """Exercise 1: which beta of the sweep (0.1, 1, 4, 16) gives the lowest KL term?"""
    exercise = "Exercise 1 (lowest KL)"
    if not_answered(answer, exercise):
        return
    value = as_number(answer, exercise)
    require(any(is_close(value, beta) for beta in SWEEP_BETAS),
            f"{exercise}: answer with one of the betas of the sweep: {', '.join(f'{b:g}' for b in SWEEP_BETAS)}.")
    require(not is_close(value, 0.1), f"{exercise}: beta = 0.1 has the HIGHEST KL: a small weight makes KL cheap, "
                                      "so the encoder spends many nats on precise codes.")
    require(not is_close(value, 1.0), f"{exercise}: beta = 1 (the plain ELBO) sits in the middle of the sweep; "
                                      "which weight makes every nat of KL cost the most?")
    require(not is_close(value, 4.0), f"{exercise}: close, but a larger weight squeezes the KL further.")
    correct(exercise, "The loss pays beta times the KL, so the largest beta buys the smallest KL "
                      "(and the worst reconstructions).")


def check_iwae_sign(answer) -> None:
    """Exercise 2: the sign of ``vh.iwae_bound(vae, x, k=50) - vh.negative_elbo(vae, x)``, as a word."""
    exercise = "Exercise 2 (IWAE vs ELBO)"
    if not_answered(answer, exercise):
        return
    require(isinstance(answer, str) and answer.strip().lower() in SIGNS,
            f"{exercise}: answer with one of the words {SIGNS}, got {answer!r}.")
    answer = answer.strip().lower()
    require(answer != "positive",
            f"{exercise}: both functions return NEGATIVE log-likelihood bounds (nats to minimize). L_50 >= ELBO "
            "means -L_50 <= -ELBO: the IWAE number is the smaller one.")
    require(answer != "zero",
            f"{exercise}: they would be equal only if q(z|x) were exactly the true posterior p(z|x) (or for "
            "k = 1). With k = 50 the bound is tighter.")
    correct(exercise, "-L_k shrinks towards -log p(x) as k grows, so -L_50 - (-ELBO) is negative.")


def check_active_dimensions(answer, kl_per_dim, threshold: float = 0.01) -> None:
    """Exercise 3: how many latent dimensions have a mean KL above ``threshold`` nats?

    Args:
        answer: the learner's count (an int).
        kl_per_dim: (D,) mean KL per dimension in nats, from :func:`vae_helpers.kl_per_dimension`.
        threshold: nats below which a dimension counts as inactive.
    """
    exercise = "Exercise 3 (active dimensions)"
    if not_answered(answer, exercise):
        return
    kl_per_dim = np.asarray(kl_per_dim, dtype=np.float64)
    require(kl_per_dim.ndim == 1 and kl_per_dim.size > 0,
            f"{exercise}: pass the per-dimension KL, shape (D,), as returned by vh.kl_per_dimension; got shape "
            f"{kl_per_dim.shape}.")
    value = as_number(answer, exercise)
    dims = kl_per_dim.size
    active = int(np.sum(kl_per_dim > threshold))
    require(value == int(value) and 0 <= value <= dims,
            f"{exercise}: answer with a whole number of dimensions between 0 and {dims}.")
    if value == active:
        return correct(exercise, "A dimension with (almost) no KL has q(z_d|x) = N(0, 1) for every image: it "
                                 "carries no information.")
    require(value != dims, f"{exercise}: that is every dimension; some have a KL of almost 0 nats: those are "
                           "inactive. Count only kl > threshold.")
    require(value != dims - active, f"{exercise}: that is the number of INACTIVE dimensions (KL <= threshold).")
    require(False, f"{exercise}: not quite. Count the entries above the threshold: int(np.sum(kl > {threshold})).")


def check_warmup_beta(answer) -> None:
    """Exercise 4: with ``vh.KLWarmup(warmup_epochs=4)``, the beta of the first batch of "Epoch 3/10"."""
    exercise = "Exercise 4 (KL warm-up)"
    if not_answered(answer, exercise):
        return
    value = as_number(answer, exercise)
    require(not is_close(value, 0.75), f"{exercise}: epoch 3 is only starting: 2 epochs are done, not 3.")
    require(not is_close(value, 0.25), f"{exercise}: \"Epoch 3/10\" comes after epochs 1 and 2: 2 epochs are done.")
    require(not is_close(value, 1.0), f"{exercise}: the warm-up lasts 4 epochs, so beta is still below 1.")
    require(not is_close(value, 0.0), f"{exercise}: beta is 0 only at the very start; it rises with every batch.")
    require(is_close(value, 0.5), f"{exercise}: not quite. beta = final_beta * epochs_done / warmup_epochs.")
    correct(exercise, "Halfway through the warm-up, beta = 2 / 4 = 0.5.")
