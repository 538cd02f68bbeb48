"""Checkers for the exercises of notebook 10 (your own images), table-driven like notebook 08's."""

from __future__ import annotations

import math

from vae_helpers.exercises._table import NumericExercise


def _dense_units_table() -> NumericExercise:
    right = (32 // 4) * (32 // 4) * 64
    return NumericExercise(
        name="Exercise 1 (the decoder's first layer for 32 x 32 x 3)", answer=right,
        mistakes=((7 * 7 * 64, "that is the 28 x 28 reference's 7 x 7 x 64; the decoder starts at H/4 x W/4."),
                  (8 * 8 * 3, "the Dense layer feeds 64 feature maps, not the 3 colour channels."),
                  (32 * 32 * 3, "that is the number of pixel values of the image, not of the first feature map.")),
        conditions=((lambda value: value == int(value) and value > 0, "a number of units is a positive whole "
                                                                      "number."),),
        fallback_hint="not quite. Two upsamplings by 2 reach 32, so the decoder starts from 32/4 x 32/4 maps of 64.",
        success="8 x 8 x 64 = 4,096 units: only this layer and the last one (3 channels) change with the image "
                "shape.", exact=True)


def _gaussian_constant_table() -> NumericExercise:
    std = 0.1
    right = 0.5 * math.log(2 * math.pi * std * std)
    return NumericExercise(
        name="Exercise 2 (the Gaussian's constant per pixel)", answer=right,
        mistakes=((-right, "the sign: -log N(x; x, s^2) = +1/2 log(2 pi s^2), negative when s < 0.4."),
                  (right / math.log(2), "that is in bits; use the natural log for nats."),
                  (2 * right, "log(2 pi s^2) needs the factor 1/2 in front."),
                  (0.5 * math.log(2 * math.pi * std), "s^2, not s: the variance is 0.01.")),
        fallback_hint="not quite. With x equal to the mean, -log N(x; mu, s^2) = 1/2 log(2 pi s^2); s = 0.1.",
        success="-1.38 nats per pixel: a perfect 32 x 32 x 3 reconstruction scores 3072 x -1.38 = -4,250 nats, a "
                "negative -ELBO, because a density can exceed 1.")


def _cb_constant_table() -> NumericExercise:
    return NumericExercise(
        name="Exercise 3 (the continuous Bernoulli's constant at lambda = 1/2)", answer=math.log(2.0),
        mistakes=((2.0, "that is C(1/2) itself; the loss uses log C, in nats."),
                  (0.0, "at lambda = 1/2 the density is C * 0.5^x * 0.5^(1-x) = C / 2, and it must integrate to 1."),
                  (1.0, "log C, not log_2 C: use the natural log.")),
        fallback_hint="not quite. At lambda = 1/2, lambda^x (1-lambda)^(1-x) = 1/2 for every x; which C makes the "
                      "density integrate to 1 over [0, 1]? Give log C.",
        success="log 2 = 0.693 nats: the series log 2 + l^2/12 - ... of vh's continuous_bernoulli_log_norm starts "
                "there.")


DENSE_UNITS_TABLE = _dense_units_table()
GAUSSIAN_CONSTANT_TABLE = _gaussian_constant_table()
CB_CONSTANT_TABLE = _cb_constant_table()


def check_decoder_dense_units(answer) -> None:
    """Exercise 1: units of the decoder's first Dense layer for images 32 x 32 x 3."""
    DENSE_UNITS_TABLE.grade(answer)


def check_gaussian_constant(answer) -> None:
    """Exercise 2: -log N(x; x, 0.1^2) of one pixel reconstructed perfectly, in nats."""
    GAUSSIAN_CONSTANT_TABLE.grade(answer)


def check_cb_log_constant(answer) -> None:
    """Exercise 3: log C(1/2) of the continuous Bernoulli, in nats."""
    CB_CONSTANT_TABLE.grade(answer)
