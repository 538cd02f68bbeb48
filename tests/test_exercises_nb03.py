"""Checkers of notebook 03 that are not a table (tests/test_exercises.py tests the tables): the shape after pooling
and the image-size prediction.

The right answers come from Keras itself or from a formula written here, not from the checkers.
"""

import keras
import pytest

import vae_helpers as vh
from vae_helpers.exercises import ExerciseError


def test_pooled_shape_accepts_the_shape_keras_computes_with_or_without_batch_axis(capsys):
    shape = keras.layers.MaxPooling2D(2, padding="same").compute_output_shape((None, 7, 7, 64))
    vh.exercises.check_pooled_shape(shape)
    vh.exercises.check_pooled_shape(list(shape[1:]))
    assert capsys.readouterr().out.count("Correct!") == 2


@pytest.mark.parametrize(
    "wrong, hint",
    [
        ((4, 4, 32), "channel by channel"),
        ((3, 3, 64), "rounded up"),
        ((7, 7, 64), "halves"),
        ((2, 2, 64), "not quite"),
        ((4, 4), "height, width, channels"),
        ("4x4x64", "tuple of integers"),
    ],
)
def test_pooled_shape_mistakes_get_specific_hints(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_pooled_shape(wrong)


def _encoder_params(size):
    """Independent oracle: the reference encoder's layers rebuilt for size x size images, parameters counted."""
    model = keras.Sequential(
        [
            keras.Input((size, size, 1)),
            keras.layers.Conv2D(32, 3, padding="same"),
            keras.layers.MaxPooling2D(2, padding="same"),
            keras.layers.Conv2D(64, 3, padding="same"),
            keras.layers.MaxPooling2D(2, padding="same"),
            keras.layers.Flatten(),
            keras.layers.Dense(16),
            keras.layers.Dense(4),
        ]
    )  # Dense(4): both (16 -> 2) heads
    return model.count_params()


def test_image_size_is_graded_against_the_counted_parameters(capsys):
    counts = _encoder_params(28), _encoder_params(56)
    assert counts[0] == vh.build_encoder().count_params()
    assert vh.exercises.check_image_size("less than 4x", *counts) is True
    assert "Correct prediction" in capsys.readouterr().out
    assert vh.exercises.check_image_size("unchanged", *counts) is False
    assert "Not what happened" in capsys.readouterr().out


@pytest.mark.parametrize(
    "counts, outcome", [((100, 100), "unchanged"), ((100, 399), "less than 4x"), ((100, 400), "4x or more")]
)
def test_image_size_outcome_follows_the_numbers(counts, outcome):
    assert vh.exercises.check_image_size(outcome, *counts) is True


@pytest.mark.parametrize(
    "answer, counts, hint",
    [("4", (1, 2), "one of"), ("unchanged", (0, 2), "positive"), ("unchanged", ("many", 2), "params_28")],
)
def test_image_size_rejects_bad_input(answer, counts, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_image_size(answer, *counts)


@pytest.mark.parametrize(
    "check, args", [(vh.exercises.check_pooled_shape, ()), (vh.exercises.check_image_size, (1, 2))]
)
def test_unanswered_exercises_print_a_nudge(check, args, capsys):
    check(None, *args)
    assert "not answered yet" in capsys.readouterr().out
