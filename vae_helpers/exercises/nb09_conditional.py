"""Checkers for the exercises of notebook 09 (the conditional VAE)."""

from __future__ import annotations

import math

import numpy as np

from vae_helpers.exercises._feedback import ExerciseError, correct, not_answered, require
from vae_helpers.exercises._table import NumericExercise

NUM_CLASSES = 10
DECODER_UNITS = 7 * 7 * 64  # the reference decoder's first Dense layer
STYLE_TOLERANCE = 0.02  # Exercise 3: largest pixel difference from the expected picture


def _label_weights_table() -> NumericExercise:
    right = NUM_CLASSES * DECODER_UNITS
    return NumericExercise(
        name="Exercise 1 (what the label costs the decoder)",
        answer=right,
        mistakes=(
            (
                right + DECODER_UNITS,
                "the biases do not change: there is one per unit, whatever the number of "
                "inputs. Count only the new weights.",
            ),
            (DECODER_UNITS, "that is one new input; the one-hot label adds ten."),
            (
                NUM_CLASSES,
                "that is the number of new inputs; each of them is connected to every unit of the Dense layer.",
            ),
        ),
        conditions=(
            (lambda value: value == int(value) and value > 0, "a count of weights is a positive whole number."),
        ),
        fallback_hint=f"not quite. The first Dense layer maps (D + 10) inputs to {DECODER_UNITS:,} units: how many "
        "more weights than D inputs?",
        success=f"10 x {DECODER_UNITS:,} = {right:,} weights: one column of {DECODER_UNITS:,} numbers per class, which "
        "the one-hot vector selects and adds to what z gives.",
        exact=True,
    )


def _label_nats_table() -> NumericExercise:
    right = math.log(NUM_CLASSES)
    return NumericExercise(
        name="Exercise 2 (what a label is worth)",
        answer=right,
        mistakes=(
            (math.log2(NUM_CLASSES), "that is in bits (log base 2); use the natural log for nats."),
            (-right, "the sign: -log p(y) = -log(1/10) is positive."),
            (1.0 / NUM_CLASSES, "that is p(y) itself; the question asks for -log p(y), in nats."),
            (1.0, "log base 10 of 10; use the natural log for nats."),
        ),
        fallback_hint="not quite. With ten equally frequent classes p(y) = 1/10: give -log p(y) in nats.",
        success="log 10 = 2.30 nats: what the label itself weighs. A CVAE's -ELBO plus these 2.30 nats bounds "
        "-log p(x, y), comparable with a VAE's -ELBO, which bounds -log p(x).",
    )


LABEL_WEIGHTS_TABLE = _label_weights_table()
LABEL_NATS_TABLE = _label_nats_table()


def check_label_weights(answer) -> None:
    """Exercise 1: how many more weights the CVAE's decoder has than the VAE's, for the same latent size."""
    LABEL_WEIGHTS_TABLE.grade(answer)


def check_label_nats(answer) -> None:
    """Exercise 2: -log p(y) in nats for one of ten equally frequent classes."""
    LABEL_NATS_TABLE.grade(answer)


def check_style_transfer(answer, cvae, image, label: int, target: int) -> None:
    """Exercise 3: ``answer`` is the picture (28, 28, 1) (or a batch of one) that ``cvae`` decodes from the
    posterior mean of ``image`` (28, 28, 1) with its ``label``, decoded as class ``target``: the same style, another
    class."""
    exercise = "Exercise 3 (the same style, another class)"
    if not_answered(answer, exercise):
        return
    from keras import ops

    from vae_helpers.model import encode_means

    image = np.asarray(image, dtype=np.float32)
    if image.shape != (28, 28, 1) or not 0 <= label < NUM_CLASSES or not 0 <= target < NUM_CLASSES:
        raise ValueError(
            f"image must be one image (28, 28, 1) and label, target class indices in 0..9; got "
            f"{image.shape}, {label!r}, {target!r}."
        )
    try:
        answer = np.asarray(answer, dtype=np.float64).reshape(28, 28, 1)
    except (TypeError, ValueError) as err:
        raise ExerciseError(
            f"{exercise}: expected one decoded image, shape (28, 28, 1) or (1, 28, 28, 1), got {np.shape(answer)}."
        ) from err

    def decoded(code_label, decode_label, point=None):
        z = encode_means(cvae, image[None], labels=[code_label]) if point is None else point
        return np.asarray(ops.convert_to_numpy(cvae.decode(z, decode_label)), dtype=np.float64)[0]

    def near(expected):
        return float(np.max(np.abs(answer - expected))) <= STYLE_TOLERANCE

    if near(decoded(label, target)):
        correct(
            exercise,
            "the label picks the class and the same z is decoded as another garment. Compare the "
            "two pictures: what z means depends on the class (section 4: the z that darkens clothes "
            "fades footwear), so some of the style carries over and some does not.",
        )
        return
    require(
        not near(decoded(label, label)),
        f"{exercise}: this is the image's own class ({label}) again; decode its code with the label {target}.",
    )
    require(
        not near(decoded(target, target)),
        f"{exercise}: encode the image with its own label ({label}), not "
        f"{target}: the code is the style of this {label}; only the decoder "
        "gets the new class.",
    )
    require(
        not near(decoded(label, target, np.zeros((1, cvae.latent_dim), np.float32))),
        f"{exercise}: this is z = 0 decoded as class {target}, the average style; use the image's own code "
        "(vh.encode_means(cvae, image[None], labels=[label])).",
    )
    raise ExerciseError(
        f"{exercise}: not the expected picture. Encode with vh.encode_means(cvae, image[None], "
        f"labels=[{label}]) (the posterior mean, no sampling), then cvae.decode(z, {target})."
    )
