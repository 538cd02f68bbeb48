"""Notebook 12's exercises (the tables are also tested with all the others in tests/test_exercises.py): the mystery
run is graded against what vh.diagnose finds in it, and the tables' answers against computations that do not use
them."""

import numpy as np
import pytest

import vae_helpers as vh
from vae_helpers.exercises import ExerciseError, nb12_diagnose

from vae_helpers import diagnosis as diagnosis_module


def test_the_mystery_history_is_consistent_plottable_and_diagnosed_as_overfitting():
    history = vh.exercises.mystery_history()
    np.testing.assert_allclose(history["val_loss"], np.add(history["val_reconstruction_loss"], history["val_kl_loss"]))
    np.testing.assert_allclose(history["loss"], np.add(history["reconstruction_loss"], history["kl_loss"]))
    assert vh.plot_history(history) is not None
    (_, _), (x_test, _) = vh.load_fashion_mnist()
    result = vh.diagnose(vh.load_pretrained("fashion-latent2"), x_test[:200], history=history)
    assert [f.code for f in result.problems] == ["overfitting"]


def test_the_mystery_run_praises_the_code_and_explains_each_other_one(capsys):
    vh.exercises.check_mystery_run(" Overfitting ")
    assert "Correct!" in capsys.readouterr().out
    assert set(nb12_diagnose.MYSTERY_HINTS) | {"overfitting"} == set(diagnosis_module.CODES)
    for code in nb12_diagnose.MYSTERY_HINTS:
        with pytest.raises(ExerciseError, match=f"not '{code}'"):
            vh.exercises.check_mystery_run(code)
    with pytest.raises(ExerciseError, match="not one of vh.diagnose's codes"):
        vh.exercises.check_mystery_run("underfitting")
    with pytest.raises(ExerciseError, match="as a string"):
        vh.exercises.check_mystery_run(3)
    vh.exercises.check_mystery_run(None)
    assert "not answered yet" in capsys.readouterr().out


def test_the_best_gaussian_std_is_the_one_that_minimizes_the_package_gaussian_loss(capsys):
    rms = nb12_diagnose.RECONSTRUCTION_RMS
    mean = np.full((1, 100), 0.5, np.float32)
    x = mean + rms * np.where(np.arange(100) % 2, 1.0, -1.0).astype(np.float32)  # errors of +-rms: RMS rms
    logits = np.log(mean / (1 - mean))
    stds = np.linspace(0.02, 0.3, 281)
    nll = [float(np.mean(vh.pixel_nll(x, logits, "gaussian", float(s)))) for s in stds]
    vh.exercises.check_best_gaussian_std(float(stds[int(np.argmin(nll))]))
    assert "Correct!" in capsys.readouterr().out


def test_the_per_pixel_factor_is_the_ratio_of_the_sum_to_the_mean_of_the_package_loss(capsys):
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(1, 32, 32, 3)).astype(np.float32)
    logits = rng.normal(size=x.shape).astype(np.float32)
    summed = float(vh.reconstruction_loss(x, logits)[0])
    averaged = float(np.mean(vh.pixel_nll(x, logits)))
    vh.exercises.check_per_pixel_factor(round(summed / averaged))
    assert "Correct!" in capsys.readouterr().out
