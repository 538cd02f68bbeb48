"""Checkers for the exercises of notebook 01 (the data). The right answer is computed from the values you pass."""

from __future__ import annotations

import math

import numpy as np

from vae_helpers.config import N_VALIDATION
from vae_helpers.data import validate_images
from vae_helpers.exercises._answers import as_number
from vae_helpers.exercises._feedback import correct, grade_prediction, not_answered, require
from vae_helpers.exercises._table import NumericExercise


def _bernoulli_entropy(p: float) -> float:
    """-[p log p + (1-p) log(1-p)] in nats: the Bernoulli loss of one pixel of value p predicted as p."""
    return -sum(q * math.log(q) for q in (p, 1.0 - p) if q > 0)


CONSTANT_GUESS = "Exercise 1 (the best constant guess)"


def constant_guess_table(x_train) -> NumericExercise:
    """The table of exercise 1 for the images ``x_train`` (N, 28, 28, 1): its numbers follow their mean pixel value."""
    x_train = validate_images(x_train, "x_train")
    pixels = int(np.prod(x_train.shape[1:]))  # 784
    mean = float(np.mean(x_train, dtype=np.float64))
    per_pixel = _bernoulli_entropy(mean)
    expected = pixels * per_pixel
    return NumericExercise(
        name=CONSTANT_GUESS,
        answer=expected,
        mistakes=(
            (
                mean,
                "{value:.4g} is the best probability p (the mean pixel value); the question asks for the loss per "
                "image at that p.",
            ),
            (per_pixel, f"that is the loss of one pixel; the loss of an image is the sum over its {pixels} pixels."),
            (
                expected / math.log(2),
                "that is in bits (log base 2); the course measures losses in nats (natural logarithm).",
            ),
            (
                pixels * math.log(2),
                "that is the loss of p = 0.5. Fashion-MNIST is mostly background, so a smaller p does better.",
            ),
        ),
        conditions=((lambda value: value > 0, "a Bernoulli loss -log p(x) is positive for grey pixels, got {value}."),),
        fallback_hint="not quite. Take m = x_train.mean(), the loss of one pixel at p = m is -(m log m + (1 - m) "
        "log(1 - m)) on average, then sum over the 784 pixels.",
        success="Predicting the mean pixel value everywhere costs this many nats per image; a decoder that looks at "
        "its code must do better.",
    )


def check_constant_guess_loss(answer, x_train) -> None:
    """Exercise 1: the loss (nats per image) of the best decoder that ignores its input.

    That decoder predicts one probability p for every pixel of every image of ``x_train`` (N, 28, 28, 1). The
    Bernoulli loss is linear in the pixel values, so its mean over the images is smallest at p = the mean pixel
    value m, where it equals 784 * (-[m log m + (1-m) log(1-m)]) nats per image.
    """
    if not not_answered(answer, CONSTANT_GUESS):
        constant_guess_table(x_train).grade(answer)


def check_training_steps(answer, n_images: int, batch_size: int, epochs: int) -> None:
    """Exercise 2: ``(optimizer steps in the whole training, images in the last batch of an epoch)``.

    ``vh.make_dataset`` keeps the last, smaller batch, so an epoch has ceil(n_images / batch_size) steps.
    """
    exercise = "Exercise 2 (steps of a training run)"
    if not_answered(answer, exercise):
        return
    for name, value in (("n_images", n_images), ("batch_size", batch_size), ("epochs", epochs)):
        require(
            isinstance(value, (int, np.integer)) and value > 0,
            f"{exercise}: {name} must be a positive integer, got {value!r}.",
        )
    require(
        isinstance(answer, (tuple, list)) and len(answer) == 2,
        f"{exercise}: give two numbers, (steps, last_batch_size), got {answer!r}.",
    )
    steps, last = (as_number(a, exercise) for a in answer)
    per_epoch = math.ceil(n_images / batch_size)
    expected_last = n_images - (per_epoch - 1) * batch_size
    steps_part = NumericExercise(
        name=exercise,
        answer=epochs * per_epoch,
        exact=True,
        mistakes=(
            (per_epoch, f"{per_epoch} is the number of steps of one epoch; the training has {epochs} epochs."),
            (
                epochs * (n_images // batch_size),
                "the last, smaller batch of each epoch is a step too (make_dataset keeps it): round up.",
            ),
            (epochs * n_images, "that counts images; one step processes a whole batch."),
            (
                epochs * math.ceil((n_images + N_VALIDATION) / batch_size),
                f"that counts all {n_images + N_VALIDATION:,} images; notebook 05 holds {N_VALIDATION:,} of them out for "
                f"validation and trains on {n_images:,}.",
            ),
        ),
        fallback_hint="not quite. steps = epochs * ceil(n_images / batch_size).",
    )
    last_batch_part = NumericExercise(
        name=exercise,
        answer=expected_last,
        exact=True,
        mistakes=(
            (
                batch_size,
                "the last batch holds what is left after the full batches: n_images - (steps per "
                "epoch - 1) * batch_size.",
            ),
        ),
        fallback_hint="the steps are right, the last batch is not: it holds n_images % batch_size images (or a full "
        "batch when that is 0).",
    )
    for part, value in ((steps_part, steps), (last_batch_part, last)):
        hint = part.hint_for(value)
        require(hint is None, hint)
    correct(
        exercise,
        f"{epochs} epochs x {per_epoch} steps; each epoch ends with a batch of {expected_last} "
        "images, and its gradient is as noisy as a small batch's.",
    )


PERFECT_DECODER_CHOICES = {
    "zero": "a decoder that predicts p = x exactly pays (almost) 0 nats per image",
    "tens": "a decoder that predicts p = x exactly still pays between 1 and 100 nats per image",
    "hundreds": "a decoder that predicts p = x exactly still pays 100 nats or more per image",
}


def check_perfect_decoder(answer, perfect_loss) -> bool:
    """Exercise 3 (predict, then run): the Bernoulli loss, in nats per image, of a decoder that outputs p = x.

    Args:
        answer: the learner's prediction, one of ``PERFECT_DECODER_CHOICES`` ("zero", "tens", "hundreds").
        perfect_loss: the experiment's result: mean reconstruction loss of that decoder, nats per image.
    """
    exercise = "Exercise 3 (predict: the loss of a perfect decoder)"
    loss = as_number(perfect_loss, f"{exercise}, perfect_loss")
    require(
        loss >= 0,
        f"{exercise}: perfect_loss is a Bernoulli loss, never negative; got {loss}. Rerun the experiment cell.",
    )
    outcome = "zero" if loss < 1 else "tens" if loss < 100 else "hundreds"
    why = (
        f"Here it pays {loss:.0f} nats per image. The loss of a pixel of grey level x predicted as p = x is "
        "-[x log x + (1-x) log(1-x)] (0.61 nats at x = 0.3), zero only for pure black or pure white pixels. So "
        "with grey targets the reconstruction loss has a floor above 0 that no decoder can beat: compare the "
        "losses of notebook 05 with this floor, not with 0."
    )
    return grade_prediction(exercise, answer, PERFECT_DECODER_CHOICES, outcome, why)
