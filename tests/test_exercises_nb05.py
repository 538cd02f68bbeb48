"""Checkers of notebook 05: the right answer passes, each typical mistake gets its own hint, None gets a nudge."""

import math

import numpy as np
import pytest

import vae_helpers as vh
from vae_helpers.exercises import ExerciseError

CHECKERS = [vh.exercises.check_resume_epoch, vh.exercises.check_best_epoch, vh.exercises.check_bits_per_pixel]


@pytest.mark.parametrize("checker", CHECKERS)
def test_none_prints_a_nudge_and_does_not_raise(checker, capsys):
    checker(None)
    assert "not answered yet" in capsys.readouterr().out


def test_resume_epoch_accepts_seven(capsys):
    vh.exercises.check_resume_epoch(7)
    assert "Correct!" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (8, "END of an epoch"),
    (6, "epoch 6 finished"),
    (1, "does not start over"),
    (0, "counting from 1"),
    (6.5, "whole numbers"),
    (3, "not quite"),
    ("7", "single number"),
])
def test_resume_epoch_mistakes_get_specific_hints(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_resume_epoch(wrong)


def test_overfitting_history_is_consistent_and_plottable():
    history = vh.exercises.overfitting_history()
    np.testing.assert_allclose(history["loss"], np.add(history["reconstruction_loss"], history["kl_loss"]))
    np.testing.assert_allclose(history["val_loss"],
                               np.add(history["val_reconstruction_loss"], history["val_kl_loss"]))
    assert np.all(np.diff(history["loss"]) < 0), "training loss falls all the way"
    best = int(np.argmin(history["val_loss"]))
    assert 0 < best < len(history["val_loss"]) - 1, "validation loss has an interior minimum"
    assert vh.plot_history(history) is not None


def test_best_epoch_accepts_the_epoch_of_lowest_validation_loss(capsys):
    vh.exercises.check_best_epoch(int(np.argmin(vh.exercises.overfitting_history()["val_loss"])) + 1)
    assert "Correct!" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (lambda h: int(np.argmin(h["val_loss"])), "counting from 0"),
    (lambda h: int(np.argmin(h["loss"])) + 1, "lowest TRAINING loss"),
    (lambda h: int(np.argmin(h["val_loss"])) + 2, "not quite"),
    (lambda h: 0, "between 1 and 12"),
    (lambda h: 2.5, "between 1 and 12"),
])
def test_best_epoch_mistakes_get_specific_hints(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_best_epoch(wrong(vh.exercises.overfitting_history()))


def test_bits_per_pixel_accepts_nats_over_784_ln2(capsys):
    vh.exercises.check_bits_per_pixel(250.0 / (784 * math.log(2)))
    assert "Correct!" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (250.0 / 784, "nats per pixel"),
    (250.0 * math.log(2) / 784, "multiplied by ln 2"),
    (250.0 / math.log(2), "bits per IMAGE"),
    (250.0 / (784 * math.log(10)), "base 10"),
    (0.5, "not quite"),
    ([0.46, 0.46], "single number"),
])
def test_bits_per_pixel_mistakes_get_specific_hints(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_bits_per_pixel(wrong)


@pytest.mark.parametrize("outcome", sorted(vh.exercises.nb05_training.RESUME_OUTCOMES))
def test_resume_prediction_is_graded_against_what_the_experiment_saw(outcome, capsys):
    assert vh.exercises.check_resume_prediction(outcome, outcome) is True
    assert "Correct prediction!" in capsys.readouterr().out
    other = next(word for word in vh.exercises.nb05_training.RESUME_OUTCOMES if word != outcome)
    assert vh.exercises.check_resume_prediction(other, outcome) is False
    assert "Not what happened" in capsys.readouterr().out


def test_the_resume_experiment_of_notebook_05_refuses_another_batch_size(tmp_path, make_tiny_vae):
    x = np.random.default_rng(0).random((64, 28, 28, 1), dtype=np.float32)
    vh.train(make_tiny_vae(), x, epochs=1, batch_size=32, checkpoint_dir=tmp_path / "run", verbose=0)
    with pytest.raises(vh.RunFolderError, match="batch_size"):
        vh.train(make_tiny_vae(), x, epochs=2, batch_size=16, checkpoint_dir=tmp_path / "run", verbose=0)
