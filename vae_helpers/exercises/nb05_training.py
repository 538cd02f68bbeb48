"""Checkers for the exercises of notebook 05 (training): resuming, overfitting, nats to bits per pixel, and a
prediction: what a resume with another batch size does."""

from __future__ import annotations

import math

import numpy as np

from vae_helpers.exercises._feedback import grade_prediction
from vae_helpers.exercises._table import NumericExercise

PIXELS = 28 * 28
NEG_ELBO_NATS = 250.0  # the -ELBO of exercise 3, nats per image


RESUME_EPOCH_TABLE = NumericExercise(
    name="Exercise 1 (resumed epoch)",
    answer=7,
    exact=True,
    mistakes=(
        (
            8,
            "epoch 7 was still running when the run stopped, and a checkpoint is only written at the END of an "
            "epoch: epoch 7 is not saved, so it is trained again.",
        ),
        (6, "epoch 6 finished, so it was saved (weights, optimizer state and state.json): it is not trained again."),
        (1, "vh.train reads state.json in checkpoint_dir and does not start over."),
        (0, "Keras prints epochs counting from 1 (Epoch 1/10 is the first)."),
    ),
    conditions=(
        (lambda value: value == int(value), "Keras numbers epochs with whole numbers (1, 2, ...), got {value}."),
    ),
    fallback_hint="not quite. state.json holds epochs_done, the number of FINISHED epochs; the resumed run starts "
    "with the next one.",
    success="Six epochs were done, so training continues with epoch 7 of 10: at most one epoch is lost.",
)


def check_resume_epoch(answer) -> None:
    """Exercise 1: ``vh.train(..., epochs=10, checkpoint_dir=d)`` stopped while Keras showed "Epoch 7/10".
    Which epoch number does Keras show first when the same call is run again?"""
    RESUME_EPOCH_TABLE.grade(answer)


def overfitting_history() -> dict:
    """The history of exercise 2: a made-up but typical run on a small training set, 12 epochs, nats per image.

    Same keys as :func:`vae_helpers.train` returns, so ``vh.plot_history(overfitting_history())`` draws it.
    """
    reconstruction = [290.0, 270.0, 261.0, 255.0, 250.0, 246.0, 242.5, 239.5, 237.0, 234.5, 232.5, 230.5]
    kl = [6.0, 7.0, 7.5, 7.8, 8.0, 8.2, 8.4, 8.6, 8.8, 9.0, 9.1, 9.2]
    val_reconstruction = [288.0, 272.0, 265.0, 262.0, 261.0, 261.8, 263.0, 264.5, 266.0, 268.0, 270.0, 272.0]
    val_kl = [k + 0.1 for k in kl]
    return {
        "loss": [r + k for r, k in zip(reconstruction, kl)],
        "reconstruction_loss": reconstruction,
        "kl_loss": kl,
        "val_loss": [r + k for r, k in zip(val_reconstruction, val_kl)],
        "val_reconstruction_loss": val_reconstruction,
        "val_kl_loss": val_kl,
    }


def _best_epoch_table() -> NumericExercise:
    """The table of exercise 2, read from :func:`overfitting_history`."""
    history = overfitting_history()
    epochs = len(history["loss"])
    best = int(np.argmin(history["val_loss"])) + 1
    return NumericExercise(
        name="Exercise 2 (overfitting)",
        answer=best,
        exact=True,
        mistakes=(
            (
                best - 1,
                "that is the position in the list (counting from 0); epochs are counted from 1, as Keras prints "
                "them: add 1.",
            ),
            (
                int(np.argmin(history["loss"])) + 1,
                "that is the lowest TRAINING loss, which keeps falling while the "
                "model memorizes the training images. Judge on the validation loss, "
                "which the model never trained on.",
            ),
        ),
        conditions=(
            (
                lambda value: value == int(value) and 1 <= value <= epochs,
                f"answer with an epoch number between 1 and {epochs}.",
            ),
        ),
        fallback_hint="not quite. Find the epoch with the lowest validation loss: np.argmin(history['val_loss']) + 1.",
        success="After that epoch the validation loss rises while the training loss keeps falling: overfitting.",
    )


BEST_EPOCH_TABLE = _best_epoch_table()


def check_best_epoch(answer) -> None:
    """Exercise 2: the epoch (counting from 1) whose weights to keep for :func:`overfitting_history`."""
    BEST_EPOCH_TABLE.grade(answer)


BITS_PER_PIXEL_TABLE = NumericExercise(
    name="Exercise 3 (bits per pixel)",
    answer=NEG_ELBO_NATS / (PIXELS * math.log(2)),
    mistakes=(
        (NEG_ELBO_NATS / PIXELS, "that is nats per pixel; one bit is ln 2 = 0.693 nats, so divide by math.log(2) too."),
        (
            NEG_ELBO_NATS * math.log(2) / PIXELS,
            "you multiplied by ln 2. One bit is ln 2 = 0.693 nats, so a quantity in "
            "nats is MORE bits: x nats = x / ln 2 bits. Divide by math.log(2).",
        ),
        (NEG_ELBO_NATS / math.log(2), f"that is bits per IMAGE; divide by the {PIXELS} pixels of an image."),
        (NEG_ELBO_NATS / (PIXELS * math.log(10)), "that uses log base 10; bits are log base 2: divide by math.log(2)."),
    ),
    fallback_hint="not quite. bits per pixel = nats per image / (784 * ln 2).",
    success="About 0.46 bits per pixel, against 1 bit for a model that predicts 0.5 for every pixel: the model has "
    "learned what clothes look like.",
)


def check_bits_per_pixel(answer) -> None:
    """Exercise 3: a -ELBO of 250.0 nats per image, converted to bits per pixel (784 pixels, 1 bit = ln 2 nats)."""
    BITS_PER_PIXEL_TABLE.grade(answer)


RESUME_OUTCOMES = {
    "continues": "vh.train trained the next epoch with the new batch size",
    "restarts": "vh.train started the run again from epoch 1",
    "refuses": "vh.train refused with vh.RunFolderError, naming the setting that changed",
}


def check_resume_prediction(prediction, outcome: str) -> bool:
    """Exercise 4: predict what ``vh.train`` does with a checkpoint folder written at another batch size.

    Args:
        prediction: the learner's guess, one of ``"continues"``, ``"restarts"``, ``"refuses"``.
        outcome: what the experiment cell saw, one of the same words.
    """
    return grade_prediction(
        "Exercise 4 (predict: resume with another batch size)",
        prediction,
        RESUME_OUTCOMES,
        outcome,
        "A checkpoint folder records the settings of its run (model, data sizes, batch size, seed ...). Continuing "
        "with other settings would glue two different runs into one history, and restarting would overwrite "
        "finished work, so vh.train does neither: it stops and says what differs. To train with the new "
        "settings, pass restart=True (the old folder is moved aside, not deleted) or choose a new folder.",
    )
