"""Checkers for the exercises of notebook 07 (going further): free bits, active dimensions, KL warm-up, IWAE gap."""

from __future__ import annotations

import numpy as np

from vae_helpers.exercises._answers import as_number
from vae_helpers.exercises._feedback import grade_prediction, not_answered, require
from vae_helpers.exercises._table import NumericExercise

FREE_BITS_KL = (0.1, 0.8, 0.0, 2.0)  # Exercise 1: batch-mean KL of each of 4 dimensions, nats
FREE_BITS_LAMBDA = 0.5  # nats per dimension
ZERO_GAP_NATS = 0.05  # Exercise 4: a gap below this counts as zero (far above float32 rounding of -ELBO)


def _free_bits_table() -> NumericExercise:
    """The table of exercise 1, computed from ``FREE_BITS_KL`` and ``FREE_BITS_LAMBDA``."""
    kl, lam = np.array(FREE_BITS_KL), FREE_BITS_LAMBDA
    right = float(np.sum(np.maximum(lam, kl)))
    return NumericExercise(
        name="Exercise 1 (free bits by hand)",
        answer=right,
        mistakes=(
            (
                float(kl.sum()),
                f"that is the plain KL term (the sum of the four values). Free bits replace each "
                f"dimension's value by max({lam}, value) before summing.",
            ),
            (
                float(kl.sum() + lam * kl.size),
                f"free bits do not ADD {lam} nats to each dimension: a dimension counts "
                f"as at least {lam} nats, so only the ones below are raised, to exactly "
                "that.",
            ),
            (
                float(kl[kl > lam].sum()),
                f"dimensions below lambda do not drop out: each counts as {lam} nats (a constant, with no gradient).",
            ),
            (lam * kl.size, f"a dimension above lambda pays its own KL, not {lam}."),
        ),
        fallback_hint=f"not quite. Take max({lam}, KL_d) for each dimension, then sum.",
        success=f"max(0.5, 0.1) + max(0.5, 0.8) + max(0.5, 0.0) + max(0.5, 2.0) = {right:g} nats. The dimensions "
        "under lambda cost a constant, so the gradient no longer pushes them to the prior.",
    )


FREE_BITS_TABLE = _free_bits_table()


def check_free_bits_kl(answer) -> None:
    """Exercise 1: the free-bits KL term for per-dimension batch means (0.1, 0.8, 0.0, 2.0) nats, lambda 0.5 nats."""
    FREE_BITS_TABLE.grade(answer)


def check_collapsed_iwae_gap(prediction, gap_nats, reference_gap_nats) -> bool:
    """Exercise 4 (predict, then run): how does -ELBO - (-L_50) of the collapsed model compare with fashion-latent2's?

    Args:
        prediction: "larger", "similar" or "zero".
        gap_nats: -ELBO minus -L_50 of the collapsed model on the experiment's images, nats per image.
        reference_gap_nats: the same difference for fashion-latent2 (section 3), nats per image (> 0).

    Returns:
        True when the prediction matches what the experiment measured (a wrong one is explained, not an error).
    """
    exercise = "Exercise 4 (predict: IWAE gap of a collapsed model)"
    gap, reference = as_number(gap_nats, exercise), as_number(reference_gap_nats, exercise)
    require(
        reference > 0,
        f"{exercise}: reference_gap_nats is -ELBO - (-L_50) of fashion-latent2, a positive "
        f"number of nats (section 3's gap_latent2); got {reference}.",
    )
    if abs(gap) < ZERO_GAP_NATS:
        outcome = "zero"
    else:
        outcome = "larger" if gap > 1.5 * reference else "similar"
    choices = {
        "larger": "the collapsed model's gap is larger than fashion-latent2's",
        "similar": "the collapsed model's gap is about as large as fashion-latent2's (or smaller, but not zero)",
        "zero": "the collapsed model's gap is (almost) zero",
    }
    why = (
        f"Measured: {gap:.3f} nats for the collapsed model, {reference:.2f} nats for fashion-latent2. "
        "The gap is a lower bound on E KL(q(z|x) || p(z|x)). If the decoder ignored z completely, p(x|z) would be "
        "the same for every z, the true posterior p(z|x) would be the prior, q(z|x) (the prior too) would be "
        "exact, and the gap would be zero. A gap above zero shows that the decoder still reacts to z although z "
        "says nothing about x: its log p(x|z) varies from sample to sample, so p(z|x) is not the prior, and "
        "averaging k importance weights gains from that spread. Either way, its -ELBO is the worst in the table "
        "of section 4."
    )
    return grade_prediction(exercise, prediction, choices, outcome, why)


ACTIVE_DIMENSIONS = "Exercise 2 (active dimensions)"


def active_dimensions_table(kl_per_dim, threshold: float = 0.01) -> NumericExercise:
    """The table of exercise 2 for the per-dimension KL ``kl_per_dim`` (D,), nats, and ``threshold``, nats."""
    kl_per_dim = np.asarray(kl_per_dim, dtype=np.float64)
    require(
        kl_per_dim.ndim == 1 and kl_per_dim.size > 0,
        f"{ACTIVE_DIMENSIONS}: pass the per-dimension KL, shape (D,), as returned by vh.kl_per_dimension; got "
        f"shape {kl_per_dim.shape}.",
    )
    dims = kl_per_dim.size
    active = int(np.sum(kl_per_dim > threshold))
    return NumericExercise(
        name=ACTIVE_DIMENSIONS,
        answer=active,
        exact=True,
        mistakes=(
            (
                dims,
                "that is every dimension; some have a KL of almost 0 nats: those are inactive. Count only kl > "
                "threshold.",
            ),
            (dims - active, "that is the number of INACTIVE dimensions (KL <= threshold)."),
        ),
        conditions=(
            (
                lambda value: value == int(value) and 0 <= value <= dims,
                f"answer with a whole number of dimensions between 0 and {dims}.",
            ),
        ),
        fallback_hint=f"not quite. Count the entries above the threshold: int(np.sum(kl > {threshold})).",
        success="A dimension with (almost) no KL has q(z_d|x) = N(0, 1) for every image: it carries no information.",
    )


def check_active_dimensions(answer, kl_per_dim, threshold: float = 0.01) -> None:
    """Exercise 2: how many latent dimensions have a mean KL above ``threshold`` nats?

    Args:
        answer: the learner's count (an int).
        kl_per_dim: (D,) mean KL per dimension in nats, from :func:`vae_helpers.kl_per_dimension`.
        threshold: nats below which a dimension counts as inactive.
    """
    if not not_answered(answer, ACTIVE_DIMENSIONS):
        active_dimensions_table(kl_per_dim, threshold).grade(answer)


WARMUP_BETA_TABLE = NumericExercise(
    name="Exercise 3 (KL warm-up)",
    answer=0.5,
    mistakes=(
        (0.75, "epoch 3 is only starting: 2 epochs are done, not 3."),
        (0.25, '"Epoch 3/10" comes after epochs 1 and 2: 2 epochs are done.'),
        (1.0, "the warm-up lasts 4 epochs, so beta is still below 1."),
        (0.0, "beta is 0 only at the very start; it rises with every batch."),
    ),
    fallback_hint="not quite. beta = final_beta * epochs_done / warmup_epochs.",
    success="Halfway through the warm-up, beta = 2 / 4 = 0.5.",
)


def check_warmup_beta(answer) -> None:
    """Exercise 3: with ``vh.KLWarmup(warmup_epochs=4)``, the beta of the first batch of "Epoch 3/10"."""
    WARMUP_BETA_TABLE.grade(answer)
