"""Checkers of notebook 01: the right answer passes, each typical mistake gets its own hint, None gets a nudge."""

import numpy as np
import pytest

import vae_helpers as vh
from vae_helpers.exercises import ExerciseError


@pytest.fixture(scope="module")
def data():
    """20 small synthetic images with labels 0..9 twice: about half of the pixels are exactly 0 and the
    brightness grows with the label, so every class has its own mean pixel value."""
    rng = np.random.default_rng(0)
    labels = np.arange(20) % 10
    x = rng.random((20, 28, 28, 1)) * (labels[:, None, None, None] + 1) / 10
    x[rng.random(x.shape) < 0.5] = 0.0
    return x.astype(np.float32), labels


def test_background_fraction_accepts_the_fraction_of_zero_pixels(data, capsys):
    x, _ = data
    vh.exercises.check_background_fraction(float(np.mean(x == 0)), x)
    assert "Correct!" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (lambda x: np.sum(x == 0), "count"),
    (lambda x: 1 - np.mean(x == 0), "NOT zero"),
    (lambda x: np.mean(x < 0.5), "x < 0.5"),
    (lambda x: np.mean(x == 0) + 0.01, "not quite"),
    (lambda x: [0.5, 0.5], "single number"),
])
def test_background_fraction_mistakes_get_specific_hints(data, wrong, hint):
    x, _ = data
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_background_fraction(wrong(x), x)


def test_class_mean_pixel_accepts_the_trouser_mean(data, capsys):
    x, y = data
    vh.exercises.check_class_mean_pixel(np.mean(x[y == 1]), x, y)
    assert "Correct!" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (lambda x, y: 255 * np.mean(x[y == 1]), "0..255"),
    (lambda x, y: np.mean(x), "all classes"),
    (lambda x, y: np.mean(x[y == 2]), "class 2 \\(Pullover\\)"),
    (lambda x, y: np.mean(x[y == 1]) * 1.1, "not quite"),
])
def test_class_mean_pixel_mistakes_get_specific_hints(data, wrong, hint):
    x, y = data
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_class_mean_pixel(wrong(x, y), x, y)


def test_class_mean_pixel_rejects_labels_of_another_array(data):
    x, y = data
    with pytest.raises(ExerciseError, match="labels that belong to x_train"):
        vh.exercises.check_class_mean_pixel(0.1, x, y[:5])


def test_batch_count_agrees_with_the_real_pipeline(data, capsys):
    x, _ = data
    n_batches = len(list(vh.make_dataset(x, batch_size=8)))  # 20 images -> 8 + 8 + 4
    vh.exercises.check_batch_count(n_batches, len(x), batch_size=8)
    assert "Correct!" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [(1000, "number of images"), (7.8125, "whole number"),
                                         (7, "last, smaller batch"), (9, "not quite")])
def test_batch_count_mistakes_get_specific_hints(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_batch_count(wrong, 1000, batch_size=128)


@pytest.mark.parametrize("check, extra", [
    (vh.exercises.check_background_fraction, ("x",)),
    (vh.exercises.check_class_mean_pixel, ("x", "y")),
    (vh.exercises.check_batch_count, (1000,)),
])
def test_unanswered_exercises_print_a_nudge(check, extra, data, capsys):
    args = [{"x": data[0], "y": data[1]}.get(a, a) for a in extra]
    check(None, *args)
    assert "not answered yet" in capsys.readouterr().out
