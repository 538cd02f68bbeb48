"""Checkers for the exercises of notebook 04 (the loss, ELBO)."""

from __future__ import annotations

import math

from vae_helpers.exercises._answers import as_number
from vae_helpers.exercises._feedback import grade_prediction
from vae_helpers.exercises._table import NumericExercise

# Exercise 1: KL(N(mu, sigma^2) || N(0, 1)) in one dimension.
KL_MU, KL_SIGMA = 1.0, 2.0
# Exercise 2: Bernoulli NLL of a grey pixel for a given logit.
PIXEL, LOGIT = 0.8, -2.0
# Exercise 3: w takes these values with equal probability.
JENSEN_VALUES = (1.0, 4.0)
# Exercise 4: sizes of the two sums that a mean would divide by.
PIXELS, LATENT_DIM = 28 * 28, 2


def _kl_1d(mu: float, variance: float, log_variance: float) -> float:
    return 0.5 * (variance + mu**2 - 1.0 - log_variance)


KL_NATS = _kl_1d(KL_MU, KL_SIGMA**2, math.log(KL_SIGMA**2))
KL_BY_HAND_TABLE = NumericExercise(
    name="Exercise 1 (KL by hand)",
    answer=KL_NATS,
    mistakes=(
        (-KL_NATS, "a KL divergence is never negative: check the sign of -1/2 (1 + log sigma^2 - mu^2 - sigma^2)."),
        (_kl_1d(KL_MU, KL_SIGMA, math.log(KL_SIGMA)), "you used sigma where the formula has the variance sigma^2 = 4."),
        (_kl_1d(KL_MU, KL_SIGMA**2, math.log(KL_SIGMA)), "the formula has log sigma^2 = log 4, not log sigma."),
        (2 * KL_NATS, "almost: do not forget the factor 1/2."),
        (KL_NATS / math.log(2), "use natural logarithms (nats), not log2."),
    ),
    fallback_hint="not quite. KL = 1/2 (sigma^2 + mu^2 - 1 - log sigma^2); check with vh.kl_divergence.",
    success="1/2 (4 + 1 - 1 - log 4) ~ 1.307 nats.",
)


def check_kl_by_hand(answer) -> None:
    """Exercise 1: ``KL(N(1, 2^2) || N(0, 1))`` in nats."""
    KL_BY_HAND_TABLE.grade(answer)


def _pixel_nll(x: float) -> float:
    """-(x log p + (1 - x) log(1 - p)) for p = sigmoid(LOGIT): the Bernoulli NLL of a pixel of value x, nats."""
    p = 1.0 / (1.0 + math.exp(-LOGIT))
    return -(x * math.log(p) + (1 - x) * math.log(1 - p))


NLL_NATS = _pixel_nll(PIXEL)
PIXEL_NLL_TABLE = NumericExercise(
    name="Exercise 2 (NLL of one pixel)",
    answer=NLL_NATS,
    mistakes=(
        (-NLL_NATS, "a negative log-likelihood is positive (log p < 0): did you drop the minus sign?"),
        (_pixel_nll(1.0), "that treats the pixel as 1; it is 0.8, so both terms count: 0.8 log p + 0.2 log(1 - p)."),
        (_pixel_nll(0.0), "that treats the pixel as 0; it is 0.8."),
        (NLL_NATS / math.log(2), "use natural logarithms (nats), not log2."),
        (PIXEL * _pixel_nll(1.0), "almost: add the (1 - x) log(1 - p) term for the remaining 0.2."),
    ),
    fallback_hint="not quite. p = sigmoid(-2); NLL = -(0.8 log p + 0.2 log(1 - p)); check with "
    "vh.reconstruction_loss on (1, 1) arrays.",
    success="-(0.8 log sigmoid(-2) + 0.2 log sigmoid(2)) ~ 1.727 nats.",
)


def check_pixel_nll(answer) -> None:
    """Exercise 2: Bernoulli negative log-likelihood (nats) of pixel value 0.8 under logit -2."""
    PIXEL_NLL_TABLE.grade(answer)


LOG_OF_MEAN = math.log(sum(JENSEN_VALUES) / len(JENSEN_VALUES))
MEAN_OF_LOG = sum(math.log(w) for w in JENSEN_VALUES) / len(JENSEN_VALUES)
JENSEN_GAP = LOG_OF_MEAN - MEAN_OF_LOG
JENSEN_GAP_TABLE = NumericExercise(
    name="Exercise 3 (Jensen gap)",
    answer=JENSEN_GAP,
    mistakes=(
        (
            -JENSEN_GAP,
            "log is concave, so log E[w] >= E[log w]: the gap is positive. You subtracted the other way round.",
        ),
        (0.0, "the two sides are equal only when w is constant; here it is 1 or 4."),
        (LOG_OF_MEAN, "that is log E[w] alone; subtract E[log w]."),
        (MEAN_OF_LOG, "that is E[log w] alone; compute log E[w] - E[log w]."),
        (JENSEN_GAP / math.log(10), "use natural logarithms, not log10."),
    ),
    fallback_hint="not quite. E[w] = 2.5, E[log w] = (log 1 + log 4) / 2.",
    success="log 2.5 - log 2 ~ 0.223 nats: what the ELBO loses when q is not the true posterior.",
)


def check_jensen_gap(answer) -> None:
    """Exercise 3: ``log E[w] - E[log w]`` for w equal to 1 or 4 with probability 1/2 each."""
    JENSEN_GAP_TABLE.grade(answer)


MEAN_BETA = PIXELS / LATENT_DIM  # Rec/784 + KL/2 = (Rec + 392 KL) / 784
MEAN_REDUCTION_TABLE = NumericExercise(
    name="Exercise 4 (mean over pixels and over latent dimensions)",
    answer=MEAN_BETA,
    mistakes=(
        (
            1 / MEAN_BETA,
            "that is the inverse: the reconstruction term shrinks more than the KL term, so the KL's "
            "relative weight grows.",
        ),
        (
            PIXELS,
            "784 is right when only the reconstruction term is averaged; here the KL is averaged too, over 2 "
            "dimensions.",
        ),
        (PIXELS * LATENT_DIM, "averaging the KL divides it by 2, which lowers its weight: divide, do not multiply."),
        (1.0, "the two terms are divided by different numbers, 784 and 2."),
    ),
    fallback_hint="not quite. Write Rec / 784 + KL / 2 as (Rec + beta KL) / 784 and read off beta.",
    success="Rec / 784 + KL / 2 = (Rec + 392 KL) / 784: a beta-VAE with beta = 392, still far from 1.",
)


def check_mean_reduction_factor(answer) -> None:
    """Exercise 4: the beta of the beta-VAE equivalent to averaging BOTH terms: reconstruction over the 784 pixels
    and KL over the 2 latent dimensions (``ops.mean`` instead of ``ops.sum`` in each)."""
    MEAN_REDUCTION_TABLE.grade(answer)


WIDE_PROPOSAL_CHOICES = {
    "larger": "the too wide proposal N(1, 4) has a larger ELBO gap than the too narrow N(1, 0.05)",
    "smaller": "the too wide proposal N(1, 4) has a smaller ELBO gap than the too narrow N(1, 0.05)",
}


def check_wide_proposal(answer, gap_wide, gap_narrow) -> bool:
    """Exercise 5 (predict, then run): is the ELBO gap log p(x) - ELBO (nats) larger for q = N(1, 4) or N(1, 0.05)?

    Args:
        answer: the prediction, "larger" or "smaller" (the wide proposal's gap compared with the narrow one's).
        gap_wide, gap_narrow: the experiment's gaps log p(x) - ELBO in nats for the two proposals.
    """
    exercise = "Exercise 5 (predict: a too wide proposal)"
    wide = as_number(gap_wide, f"{exercise}, gap_wide")
    narrow = as_number(gap_narrow, f"{exercise}, gap_narrow")
    outcome = "larger" if wide > narrow else "smaller"
    why = (
        f"The gaps are {wide:.2f} nats (wide) and {narrow:.2f} nats (narrow). The gap is KL(q || posterior); "
        "with equal means it is 1/2 (v_q / v_post - 1 - log(v_q / v_post)), which grows linearly in the variance "
        "ratio when q is too wide and only logarithmically when q is too narrow: a wide q spends most of its "
        "samples where the posterior is small, and the ELBO pays for each of them. (Importance sampling, "
        "log E[w], prefers the wide proposal: the ELBO and log E[w] disagree on what a good q is.)"
    )
    return grade_prediction(exercise, answer, WIDE_PROPOSAL_CHOICES, outcome, why)
