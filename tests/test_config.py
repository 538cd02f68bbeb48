"""config.py: quick mode is one environment variable, read strictly; it changes sizes only."""

import dataclasses

import numpy as np
import pytest

import vae_helpers as vh


@pytest.mark.parametrize("value", ["1", "true", "YES", " on ", "True"])
def test_quick_mode_on(monkeypatch, value):
    monkeypatch.setenv("VAE_QUICK", value)
    assert vh.is_quick_mode() is True


@pytest.mark.parametrize("value", ["", "0", "false", "No", "off"])
def test_quick_mode_off(monkeypatch, value):
    monkeypatch.setenv("VAE_QUICK", value)
    assert vh.is_quick_mode() is False


def test_quick_mode_off_when_unset(monkeypatch):
    monkeypatch.delenv("VAE_QUICK", raising=False)
    assert vh.is_quick_mode() is False
    options = vh.run_options()
    assert options == vh.RunOptions(quick=False, seed=42, n_train=60_000, n_test=10_000, epochs=50, batch_size=128)


@pytest.mark.parametrize("value", ["2", "quick", "y"])
def test_unknown_quick_value_is_an_error_naming_it(monkeypatch, value):
    monkeypatch.setenv("VAE_QUICK", value)
    for function in (vh.is_quick_mode, vh.run_options):
        with pytest.raises(ValueError, match=f"VAE_QUICK='{value}' is not understood.*export VAE_QUICK=1"):
            function()


def test_quick_options_only_shrink_sizes(monkeypatch):
    monkeypatch.setenv("VAE_QUICK", "1")
    quick = vh.run_options(seed=7)
    monkeypatch.setenv("VAE_QUICK", "0")
    full = vh.run_options(seed=7)
    assert quick.quick and not full.quick and quick.seed == full.seed == 7
    assert quick.n_train < full.n_train and quick.n_test < full.n_test and quick.epochs < full.epochs
    assert quick.batch_size == full.batch_size == 128
    assert quick.n_train % quick.batch_size == 0  # whole batches in quick mode


def test_run_options_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        vh.run_options().epochs = 3


@pytest.mark.parametrize("seed", [-1, 1.5, "42", None, True])
def test_run_options_rejects_bad_seed(seed):
    with pytest.raises(ValueError, match="seed must be an integer from 0 to 2"):
        vh.run_options(seed=seed)


def test_run_options_accepts_numpy_integer_seed():
    assert vh.run_options(seed=np.int64(3)).seed == 3


def test_the_validation_split_holds_out_the_last_5000_training_images():
    x = np.arange(60_000)
    train, validation = vh.split_validation(x)
    assert len(train) == 55_000 and len(validation) == vh.N_VALIDATION == 5_000
    assert train[-1] + 1 == validation[0] == 55_000 and validation[-1] == 59_999


@pytest.mark.parametrize("n_validation", [0, 10, -1, 2.5, True])
def test_a_validation_split_that_leaves_nothing_is_refused(n_validation):
    with pytest.raises(ValueError, match="n_validation must be a whole number between 1 and 9"):
        vh.split_validation(np.arange(10), n_validation)
