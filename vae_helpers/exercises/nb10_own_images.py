"""Checkers for the exercises of notebook 10 (your own images): three "predict, then run" questions about the pixel
likelihoods. Each checker takes the learner's prediction and the number the experiment cell measured, and says what
happened and why."""

from __future__ import annotations

from vae_helpers.exercises._answers import as_number
from vae_helpers.exercises._feedback import grade_prediction, require

GREY_TARGET = 0.3  # Exercise 1: the grey level x of one pixel
AT_TARGET_TOLERANCE = 0.02  # Exercise 1: a best p within this of x counts as "at x" (the grid step is 0.01)
ERROR_TARGETS = (0.5, 0.05)  # Exercise 2: a mid-grey and a near-black pixel
PIXEL_ERROR = 0.1  # Exercise 2: the same error p - x for both
SAME_COST_RATIO = 1.2  # Exercise 2: costs within a factor 1.2 of each other count as "the same"
SAME_NATS = 1.0  # Exercise 3: reconstruction terms within 1 nat per image count as "the same"


def check_cb_minimum(prediction, best_lambda) -> bool:
    """Exercise 1 (predict, then run): where is the continuous Bernoulli's loss of a pixel x = 0.3 lowest?

    Args:
        prediction: "at x", "towards 0.5" or "towards 0".
        best_lambda: the lambda in (0, 1) with the lowest -log CB(x; lambda) on the experiment's grid, for
            x = ``GREY_TARGET``.

    Returns:
        True when the prediction matches the measured minimum (a wrong one is explained, not an error).
    """
    exercise = "Exercise 1 (predict: where the continuous Bernoulli's loss of a grey pixel is lowest)"
    best = as_number(best_lambda, exercise)
    require(0 < best < 1, f"{exercise}: best_lambda is a decoder output strictly between 0 and 1; got {best}.")
    if abs(best - GREY_TARGET) <= AT_TARGET_TOLERANCE:
        outcome = "at x"
    else:
        outcome = "towards 0.5" if best > GREY_TARGET else "towards 0"
    choices = {
        "at x": f"the loss is lowest at lambda = x = {GREY_TARGET}",
        "towards 0.5": f"the loss is lowest at a lambda between {GREY_TARGET} and 0.5",
        "towards 0": f"the loss is lowest at a lambda below {GREY_TARGET}",
    }
    why = (
        f"Measured: lowest at lambda = {best:.2f}. The Bernoulli's loss is lowest at p = x (section 3); the "
        "continuous Bernoulli adds -log C(lambda), which is smallest at lambda = 1/2, and the sum is lowest where "
        "the mean of CB(lambda) equals x. That mean is pulled towards 1/2 (section 3), so to put it at 0.3 the "
        "decoder needs a lambda further from 1/2 than 0.3. A continuous-Bernoulli decoder shows bright, dark or "
        "saturated colours only with extreme lambdas; where its lambdas are not extreme, its pictures are paler."
    )
    return grade_prediction(exercise, prediction, choices, outcome, why)


def check_error_cost_prediction(prediction, extra_mid_grey, extra_near_black) -> bool:
    """Exercise 2 (predict, then run): does the same error p - x = 0.1 cost more at x = 0.5 or at x = 0.05?

    Args:
        prediction: "more at 0.5", "the same" or "more at 0.05".
        extra_mid_grey: Bernoulli loss at p = 0.6 minus that at p = 0.5, for x = 0.5, nats (>= 0).
        extra_near_black: Bernoulli loss at p = 0.15 minus that at p = 0.05, for x = 0.05, nats (>= 0).

    Returns:
        True when the prediction matches the measured costs (a wrong one is explained, not an error).
    """
    exercise = "Exercise 2 (predict: what an error of 0.1 costs a grey and a dark pixel)"
    mid, dark = as_number(extra_mid_grey, exercise), as_number(extra_near_black, exercise)
    require(
        mid > 0 and dark > 0,
        f"{exercise}: each extra cost is the loss at p = x + 0.1 minus the loss at p = x, "
        f"positive since p = x is the minimum; got {mid} and {dark} nats.",
    )
    if max(mid, dark) < SAME_COST_RATIO * min(mid, dark):
        outcome = "the same"
    else:
        outcome = "more at 0.5" if mid > dark else "more at 0.05"
    choices = {
        "more at 0.5": "the error costs more on the mid-grey pixel",
        "the same": "the error costs about the same on both",
        "more at 0.05": "the error costs more on the near-black pixel",
    }
    why = (
        f"Measured: {mid:.4f} nats at x = 0.5, {dark:.4f} nats at x = 0.05. Near its minimum the extra cost is "
        "about (p - x)^2 / (2 x (1 - x)): the curvature 1 / (x (1 - x)) is 4 at x = 0.5 and 21 at x = 0.05. The "
        "Bernoulli penalises errors on mid-grey pixels least and errors on near-black or near-white ones most; "
        "a Gaussian likelihood charges (p - x)^2 / (2 sigma^2) at every grey level alike."
    )
    return grade_prediction(exercise, prediction, choices, outcome, why)


def check_gaussian_std_prediction(prediction, reconstruction_at_0_1, reconstruction_at_0_05) -> bool:
    """Exercise 3 (predict, then run): the Gaussian model's reconstruction term with sigma = 0.05 instead of 0.1.

    Args:
        prediction: "lower", "the same" or "higher".
        reconstruction_at_0_1: mean over test patches of -log N(x; mu, 0.1^2) summed over pixel values, nats.
        reconstruction_at_0_05: the same with sigma = 0.05, for the same decoder means mu, nats.

    Returns:
        True when the prediction matches the measured terms (a wrong one is explained, not an error).
    """
    exercise = "Exercise 3 (predict: the Gaussian's reconstruction term with a smaller sigma)"
    wide, narrow = as_number(reconstruction_at_0_1, exercise), as_number(reconstruction_at_0_05, exercise)
    if abs(narrow - wide) < SAME_NATS:
        outcome = "the same"
    else:
        outcome = "higher" if narrow > wide else "lower"
    choices = {
        "lower": "the term is lower (better) with sigma = 0.05",
        "the same": "the term is about the same",
        "higher": "the term is higher (worse) with sigma = 0.05",
    }
    why = (
        f"Measured: {wide:.0f} nats with sigma = 0.1, {narrow:.0f} nats with sigma = 0.05. Per pixel value the "
        "cost is 1/2 log(2 pi sigma^2) + e^2 / (2 sigma^2): halving sigma lowers the constant by log 2 = 0.69 "
        "nats but multiplies the squared-error part by 4, a change of -log 2 + 150 e^2 nats: it pays off only for "
        "errors e below about 0.07, and what counts is the mean of e^2, so a few large errors outweigh many "
        "small ones. A density is a claim about how precise the decoder is: claiming more precision than it has "
        "costs nats."
    )
    return grade_prediction(exercise, prediction, choices, outcome, why)
