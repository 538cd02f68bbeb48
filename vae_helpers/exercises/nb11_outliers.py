"""Checkers for the exercises of notebook 11 (likelihood and outliers): ROC-AUC by hand, Serra's score, the -ELBO's
entropy floor, and which bound is tighter out of distribution (the amortization gap)."""

from __future__ import annotations

import math

import numpy as np

from vae_helpers.exercises._feedback import grade_prediction, require
from vae_helpers.exercises._table import NumericExercise

AUC_IN_SCORES = (250.0, 260.0, 300.0)  # Exercise 1: -ELBO of three Fashion-MNIST images, nats
AUC_OUT_SCORES = (240.0, 280.0)  # and of two digits, nats
SERRA_NATS, SERRA_PNG_BYTES = 300.0, 400  # Exercise 2: one image's -ELBO (nats) and its PNG file (bytes)
GREY_PIXELS, GREY_LEVEL = 784, 0.5  # Exercise 3: an image whose 784 pixels are all 0.5


def _auc_by_hand_table() -> NumericExercise:
    pairs = [(o, i) for o in AUC_OUT_SCORES for i in AUC_IN_SCORES]
    higher = sum(o > i for o, i in pairs)
    right = higher / len(pairs)
    return NumericExercise(
        name="Exercise 1 (ROC-AUC by hand)",
        answer=right,
        mistakes=(
            (
                1 - right,
                "that is the share of pairs where the Fashion-MNIST image scores HIGHER than the digit; the "
                "AUC counts the pairs where the outlier scores higher.",
            ),
            (
                float(higher),
                f"that is the number of pairs; divide by all {len(pairs)} (outlier, in-distribution) pairs.",
            ),
            (
                higher / (len(AUC_IN_SCORES) + len(AUC_OUT_SCORES)),
                f"divide by the number of pairs, "
                f"{len(AUC_OUT_SCORES)} x {len(AUC_IN_SCORES)} = "
                f"{len(pairs)}, not by the number of images.",
            ),
            (0.5, "0.5 is what a score that knows nothing gets on average; count the pairs of these five numbers."),
        ),
        fallback_hint=f"not quite. An AUC is a share of pairs, between 0 and 1: for each of the {len(pairs)} (digit, "
        "Fashion-MNIST) pairs, ask whether the digit scores higher; the AUC is the share of yes.",
        success=f"{higher} of the {len(pairs)} pairs have the digit scoring higher: AUC = {right:.3g}, below 0.5, so "
        "on these five images the -ELBO ranks the digits as MORE typical than the garments.",
    )


AUC_BY_HAND_TABLE = _auc_by_hand_table()


def check_auc_by_hand(answer) -> None:
    """Exercise 1: the ROC-AUC of scores (240, 280) for two outliers against (250, 260, 300) for three garments."""
    AUC_BY_HAND_TABLE.grade(answer)


def _serra_score_table() -> NumericExercise:
    bits, png = SERRA_NATS / math.log(2), 8 * SERRA_PNG_BYTES
    right = bits - png
    return NumericExercise(
        name="Exercise 2 (complexity-corrected score)",
        answer=right,
        mistakes=(
            (bits - SERRA_PNG_BYTES, "the PNG's length is in bytes: multiply by 8 to get bits."),
            (SERRA_NATS - png, "the -ELBO is in nats: divide by ln 2 to get bits before subtracting."),
            (SERRA_NATS * math.log(2) - png, "nats to bits is a division by ln 2, not a multiplication."),
            (png - bits, "the sign is reversed: S = -log2 p(x) - L(x), the model's bits minus the PNG's bits."),
        ),
        fallback_hint="not quite. S = -ELBO / ln 2 - 8 x (PNG bytes), in bits.",
        success=f"300 / ln 2 = {bits:.1f} bits for the model, 8 x 400 = {png} bits for PNG: S = {right:.1f} bits. "
        "Negative: the model codes this image in far fewer bits than PNG does.",
    )


SERRA_SCORE_TABLE = _serra_score_table()


def check_serra_score(answer) -> None:
    """Exercise 2: Serra et al.'s score for an image with a -ELBO of 300 nats and a PNG file of 400 bytes, in bits."""
    SERRA_SCORE_TABLE.grade(answer)


def _entropy_floor_table() -> NumericExercise:
    per_pixel = -(GREY_LEVEL * math.log(GREY_LEVEL) + (1 - GREY_LEVEL) * math.log(1 - GREY_LEVEL))
    right = GREY_PIXELS * per_pixel
    return NumericExercise(
        name="Exercise 3 (the -ELBO's floor)",
        answer=right,
        mistakes=(
            (
                0.0,
                "the best decoder outputs p = 0.5 for every pixel, and a Bernoulli with p = 0.5 still pays ln 2 "
                "nats for a target of 0.5: the loss of a grey pixel never reaches 0.",
            ),
            (float(GREY_PIXELS), "that is 1 bit per pixel; the course's losses are in nats (ln 2 per pixel)."),
            (per_pixel, f"that is one pixel; the image has {GREY_PIXELS}."),
            (
                GREY_PIXELS * GREY_LEVEL,
                "the floor is the binary entropy of each pixel, -x ln x - (1 - x) ln(1 - x), summed over the pixels.",
            ),
        ),
        conditions=(
            (lambda value: value >= 0, "a reconstruction term is a sum of -log-probabilities: never negative."),
        ),
        fallback_hint="not quite. Sum the binary entropy -x ln x - (1 - x) ln(1 - x) over the 784 pixels, in nats.",
        success=f"784 x ln 2 = {right:.1f} nats that every model must pay for this flat grey image, however well "
        "it is trained: they say how grey the image is, not how unusual. That is why the floor is subtracted.",
    )


ENTROPY_FLOOR_TABLE = _entropy_floor_table()


def check_entropy_floor(answer) -> None:
    """Exercise 3: the least Bernoulli reconstruction term, in nats, of a 28x28 image whose pixels are all 0.5."""
    ENTROPY_FLOOR_TABLE.grade(answer)


SAME_BOUND_NATS = 1.0  # Exercise 4: mean bounds within 1 nat per image count as "about the same"


def check_tighter_bound(prediction, encoder_iwae_nats, refined_elbo_nats) -> bool:
    """Exercise 4 (predict, then run): on the digits, which upper bound on -log p(x) is tighter, the IWAE bound
    with k = 100 draws from the encoder's q, or the -ELBO of the per-image refined q?

    Args:
        prediction: "encoder's iwae", "about the same" or "refined elbo".
        encoder_iwae_nats: (N,) or a number: -L_100 with the encoder's q as proposal, nats per image.
        refined_elbo_nats: (N,) or a number: the -ELBO of the refined q of the same images, nats per image.

    Returns:
        True when the prediction matches the measured means (a wrong one is explained, not an error).
    """
    exercise = "Exercise 4 (predict: which bound is tighter on the digits)"
    iwae, refined = (
        _mean_nats(value, name, exercise)
        for value, name in ((encoder_iwae_nats, "encoder_iwae_nats"), (refined_elbo_nats, "refined_elbo_nats"))
    )
    if abs(iwae - refined) < SAME_BOUND_NATS:
        outcome = "about the same"
    else:
        outcome = "encoder's iwae" if iwae < refined else "refined elbo"
    choices = {
        "encoder's iwae": "the encoder's IWAE-100 bound is the tighter (lower)",
        "about the same": "the two bounds are about the same",
        "refined elbo": "the refined q's -ELBO is the tighter (lower)",
    }
    why = (
        f"Measured, mean over the digits: {iwae:.1f} nats for the encoder's IWAE-100, {refined:.1f} for the "
        "refined q's -ELBO. Importance weighting can only reweight the draws it gets: when the encoder's q puts "
        "its mass where the true posterior has little (an image unlike the training set), most of its 100 draws "
        "have tiny weights, and averaging them recovers only part of the gap. One Gaussian placed well, by "
        "optimising it for this image, can beat a hundred draws placed badly. So an IWAE bound with the "
        "encoder as proposal can still be far above -log p(x) out of distribution: section 3's ELBO - IWAE gap "
        "of about 19 nats on the digits was only part of the encoder's error."
    )
    return grade_prediction(exercise, prediction, choices, outcome, why)


def _mean_nats(value, name: str, exercise: str) -> float:
    """The mean of one number or of a 1-D array of finite numbers of nats, or an ExerciseError."""
    array = np.asarray(value, dtype=np.float64) if not isinstance(value, str) else np.array([np.nan])
    require(
        array.ndim <= 1 and array.size > 0 and bool(np.all(np.isfinite(array))),
        f"{exercise}: {name} is one number of nats per image or a 1-D array of them (one per image), "
        f"got {value!r:.60}.",
    )
    return float(array.mean())
