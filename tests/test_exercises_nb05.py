"""Notebook 05's exercises beyond the tables (tests/test_exercises.py tests those): the made-up overfitting history
and the resume prediction, with the experiment behind it."""

import numpy as np
import pytest

import vae_helpers as vh


def test_overfitting_history_is_consistent_and_plottable():
    history = vh.exercises.overfitting_history()
    np.testing.assert_allclose(history["loss"], np.add(history["reconstruction_loss"], history["kl_loss"]))
    np.testing.assert_allclose(history["val_loss"], np.add(history["val_reconstruction_loss"], history["val_kl_loss"]))
    assert np.all(np.diff(history["loss"]) < 0), "training loss falls all the way"
    best = int(np.argmin(history["val_loss"]))
    assert 0 < best < len(history["val_loss"]) - 1, "validation loss has an interior minimum"
    assert vh.plot_history(history) is not None


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
