"""Checkers of notebook 03: the right answer passes, each typical mistake gets its own hint, None gets a nudge.

The right answers come from Keras itself or from a formula written here, not from the checkers.
"""

import keras
import numpy as np
import pytest

import vae_helpers as vh
from vae_helpers.exercises import ExerciseError


def test_conv_params_accepts_the_count_keras_reports(capsys):
    second_conv = [layer for layer in vh.build_encoder().layers if isinstance(layer, keras.layers.Conv2D)][1]
    vh.exercises.check_conv_params(second_conv.count_params())
    assert "Correct!" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [(18432, "bias"), (640, "all 32 input channels"),
                                         (28 * 28 * 32 * 64 + 64, "image size"), (18000, "not quite"),
                                         ("18496", "single number")])
def test_conv_params_mistakes_get_specific_hints(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_conv_params(wrong)


def test_pooled_shape_accepts_the_shape_keras_computes_with_or_without_batch_axis(capsys):
    shape = keras.layers.MaxPooling2D(2, padding="same").compute_output_shape((None, 7, 7, 64))
    vh.exercises.check_pooled_shape(shape)
    vh.exercises.check_pooled_shape(list(shape[1:]))
    assert capsys.readouterr().out.count("Correct!") == 2


@pytest.mark.parametrize("wrong, hint", [((4, 4, 32), "channel by channel"), ((3, 3, 64), "rounded up"),
                                         ((7, 7, 64), "halves"), ((2, 2, 64), "not quite"),
                                         ((4, 4), "height, width, channels"), ("4x4x64", "tuple of integers")])
def test_pooled_shape_mistakes_get_specific_hints(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_pooled_shape(wrong)


def test_extra_decoder_params_accepts_the_extra_weights_of_the_first_dense_layer(capsys):
    vh.exercises.check_extra_decoder_params((16 - 2) * 7 * 7 * 64)  # 14 more inputs to each of 3,136 units
    assert "Correct!" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [(16 * 3136, "subtract"), (vh.build_decoder(16).count_params(), "whole decoder"), (14, "every one"),
                                         (-43904, "positive"), (np.int64(40000), "not quite")])
def test_extra_decoder_params_mistakes_get_specific_hints(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_extra_decoder_params(wrong)


@pytest.mark.parametrize("check", [vh.exercises.check_conv_params, vh.exercises.check_pooled_shape,
                                   vh.exercises.check_extra_decoder_params])
def test_unanswered_exercises_print_a_nudge(check, capsys):
    check(None)
    assert "not answered yet" in capsys.readouterr().out
