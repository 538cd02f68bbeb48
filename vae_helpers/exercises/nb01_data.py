"""Checkers for the exercises of notebook 01 (the data). The right answer is computed from the arrays you pass."""

from __future__ import annotations

import math

import numpy as np

from vae_helpers.data import CLASS_NAMES, validate_images
from vae_helpers.exercises._answers import as_number, is_close
from vae_helpers.exercises._feedback import correct, not_answered, require

TROUSER = CLASS_NAMES.index("Trouser")


def check_background_fraction(answer, x_train) -> None:
    """Exercise 1: the fraction (0..1) of all pixels of ``x_train`` (N, 28, 28, 1) that are exactly 0."""
    exercise = "Exercise 1 (background pixels)"
    if not_answered(answer, exercise):
        return
    x_train = validate_images(x_train, "x_train")
    value = as_number(answer, exercise)
    expected = float(np.mean(x_train == 0))
    if is_close(value, expected):
        return correct(exercise, "Roughly half of all pixels are pure background.")
    require(not is_close(value, float(np.sum(x_train == 0))),
            f"{exercise}: that is a count of pixels; a fraction divides it by the number of pixels, x_train.size.")
    require(not is_close(value, 1.0 - expected),
            f"{exercise}: that is the fraction of pixels that are NOT zero; count the ones equal to 0.")
    require(not is_close(value, float(np.mean(x_train < 0.5))),
            f"{exercise}: that is the fraction of dark-ish pixels (x < 0.5); the question asks for exactly 0: "
            "x_train == 0.")
    require(0.0 <= value <= 1.0, f"{exercise}: a fraction lies between 0 and 1, got {value}.")
    require(False, f"{exercise}: not quite. Compare every pixel with 0 and average the booleans: "
                   "np.mean(x_train == 0).")


def check_class_mean_pixel(answer, x_train, y_train) -> None:
    """Exercise 2: the mean pixel value (in [0, 1]) over all training images labelled "Trouser"."""
    exercise = "Exercise 2 (mean pixel of trousers)"
    if not_answered(answer, exercise):
        return
    x_train = validate_images(x_train, "x_train")
    y_train = np.asarray(y_train)
    require(y_train.shape == (len(x_train),),
            f"{exercise}: pass the labels that belong to x_train: shape ({len(x_train)},), got {y_train.shape}.")
    value = as_number(answer, exercise)
    class_mean = lambda c: float(np.mean(x_train[y_train == c])) if np.any(y_train == c) else math.nan
    expected = class_mean(TROUSER)
    if is_close(value, expected):
        return correct(exercise, "Trousers are narrow: most of their picture is background, so the mean is low.")
    require(not is_close(value, 255 * expected),
            f"{exercise}: that is on the 0..255 scale; x_train already holds values in [0, 1].")
    require(not is_close(value, float(np.mean(x_train))),
            f"{exercise}: that is the mean over all classes; keep only the trousers: x_train[y_train == 1].")
    for label in range(10):
        require(label == TROUSER or not is_close(value, class_mean(label)),
                f"{exercise}: that is the mean of class {label} ({CLASS_NAMES[label]}); Trouser is label "
                f"{TROUSER}: vh.CLASS_NAMES.index('Trouser').")
    require(False, f"{exercise}: not quite. Select the trouser images with x_train[y_train == {TROUSER}] and take "
                   "the mean of all their pixels.")


def check_batch_count(answer, n_images: int, batch_size: int = 128) -> None:
    """Exercise 3: how many batches ``vh.make_dataset`` yields for ``n_images`` images and ``batch_size``."""
    exercise = "Exercise 3 (number of batches)"
    if not_answered(answer, exercise):
        return
    require(isinstance(n_images, (int, np.integer)) and n_images > 0 and isinstance(batch_size, (int, np.integer))
            and batch_size > 0, f"{exercise}: n_images and batch_size must be positive integers.")
    value = as_number(answer, exercise)
    expected = math.ceil(n_images / batch_size)
    require(value != n_images, f"{exercise}: that is the number of images; how many groups of {batch_size} is it?")
    require(value == int(value),
            f"{exercise}: a number of batches is a whole number; {n_images} / {batch_size} = {value:.2f} is not.")
    require(not (value == n_images // batch_size and n_images % batch_size),
            f"{exercise}: the last, smaller batch counts too: make_dataset keeps it (drop_remainder=False).")
    require(value == expected, f"{exercise}: not quite. Count them: len(list(dataset)), or round n / batch up.")
    correct(exercise, "The last batch is smaller when the batch size does not divide the number of images.")
