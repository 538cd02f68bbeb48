"""Checkers for the exercises of notebook 05 (training): resuming, overfitting, nats to bits per pixel, and a
prediction: what a resume with another batch size does."""

from __future__ import annotations

import math

import numpy as np

from vae_helpers.exercises._answers import as_number, is_close
from vae_helpers.exercises._feedback import correct, grade_prediction, not_answered, require

PIXELS = 28 * 28
NEG_ELBO_NATS = 250.0  # the -ELBO of exercise 3, nats per image


def check_resume_epoch(answer) -> None:
    """Exercise 1: ``vh.train(..., epochs=10, checkpoint_dir=d)`` stopped while Keras showed "Epoch 7/10".
    Which epoch number does Keras show first when the same call is run again?"""
    exercise = "Exercise 1 (resumed epoch)"
    if not_answered(answer, exercise):
        return
    value = as_number(answer, exercise)
    require(value == int(value), f"{exercise}: Keras numbers epochs with whole numbers (1, 2, ...), got {value}.")
    require(value != 8, f"{exercise}: epoch 7 was still running when the run stopped, and a checkpoint is only "
                        "written at the END of an epoch: epoch 7 is not saved, so it is trained again.")
    require(value != 6, f"{exercise}: epoch 6 finished, so it was saved (weights, optimizer state and "
                        "state.json): it is not trained again.")
    require(value != 1, f"{exercise}: vh.train reads state.json in checkpoint_dir and does not start over.")
    require(value != 0, f"{exercise}: Keras prints epochs counting from 1 (Epoch 1/10 is the first).")
    require(value == 7, f"{exercise}: not quite. state.json holds epochs_done, the number of FINISHED epochs; "
                        "the resumed run starts with the next one.")
    correct(exercise, "Six epochs were done, so training continues with epoch 7 of 10: at most one epoch is lost.")


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


def check_best_epoch(answer) -> None:
    """Exercise 2: the epoch (counting from 1) whose weights to keep for :func:`overfitting_history`."""
    exercise = "Exercise 2 (overfitting)"
    if not_answered(answer, exercise):
        return
    history = overfitting_history()
    value = as_number(answer, exercise)
    best = int(np.argmin(history["val_loss"])) + 1
    require(value == int(value) and 1 <= value <= len(history["loss"]),
            f"{exercise}: answer with an epoch number between 1 and {len(history['loss'])}.")
    require(value != best - 1, f"{exercise}: that is the position in the list (counting from 0); epochs are "
                               "counted from 1, as Keras prints them: add 1.")
    require(value != int(np.argmin(history["loss"])) + 1,
            f"{exercise}: that is the lowest TRAINING loss, which keeps falling while the model memorizes the "
            "training images. Judge on the validation loss, which the model never trained on.")
    require(value == best, f"{exercise}: not quite. Find the epoch with the lowest validation loss: "
                           "np.argmin(history['val_loss']) + 1.")
    correct(exercise, "After that epoch the validation loss rises while the training loss keeps falling: "
                      "overfitting.")


def check_bits_per_pixel(answer) -> None:
    """Exercise 3: a -ELBO of 250.0 nats per image, converted to bits per pixel (784 pixels, 1 bit = ln 2 nats)."""
    exercise = "Exercise 3 (bits per pixel)"
    if not_answered(answer, exercise):
        return
    value = as_number(answer, exercise)
    expected = NEG_ELBO_NATS / (PIXELS * math.log(2))
    if is_close(value, expected):
        return correct(exercise, "About 0.46 bits per pixel, against 1 bit for a model that predicts 0.5 for "
                                 "every pixel: the model has learned what clothes look like.")
    require(not is_close(value, NEG_ELBO_NATS / PIXELS),
            f"{exercise}: that is nats per pixel; one bit is ln 2 = 0.693 nats, so divide by math.log(2) too.")
    require(not is_close(value, NEG_ELBO_NATS * math.log(2) / PIXELS),
            f"{exercise}: you multiplied by ln 2. One bit is ln 2 = 0.693 nats, so a quantity in nats is MORE "
            "bits: x nats = x / ln 2 bits. Divide by math.log(2).")
    require(not is_close(value, NEG_ELBO_NATS / math.log(2)),
            f"{exercise}: that is bits per IMAGE; divide by the {PIXELS} pixels of an image.")
    require(not is_close(value, NEG_ELBO_NATS / (PIXELS * math.log(10))),
            f"{exercise}: that uses log base 10; bits are log base 2: divide by math.log(2).")
    require(False, f"{exercise}: not quite. bits per pixel = nats per image / (784 * ln 2).")


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
        "Exercise 4 (predict: resume with another batch size)", prediction, RESUME_OUTCOMES, outcome,
        "A checkpoint folder records the settings of its run (model, data sizes, batch size, seed ...). Continuing "
        "with other settings would glue two different runs into one history, and restarting would overwrite "
        "finished work, so vh.train does neither: it stops and says what differs. To train with the new "
        "settings, pass restart=True (the old folder is moved aside, not deleted) or choose a new folder.")
