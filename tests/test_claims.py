"""vh.check_claim: a true claim prints its numbers; a false one raises in full mode and is reported in quick mode."""

import numpy as np
import pytest

import vae_helpers as vh


@pytest.fixture
def full_mode(monkeypatch):
    monkeypatch.setenv("VAE_QUICK", "0")


@pytest.fixture
def quick_mode(monkeypatch):
    monkeypatch.setenv("VAE_QUICK", "1")


@pytest.mark.parametrize("mode", ["0", "1"])
def test_a_true_claim_prints_what_was_checked_and_its_numbers(monkeypatch, capsys, mode):
    monkeypatch.setenv("VAE_QUICK", mode)
    kl = np.array([5.5, 6.0, 6.4, 6.49], np.float32)
    assert (
        vh.check_claim(
            "the KL still rises at the end", kl[-1] > kl[-2], kl_before=kl[-2], kl_last=kl[-1], epochs=len(kl)
        )
        is True
    )
    assert capsys.readouterr().out == (
        "\u2713 checked: the KL still rises at the end (kl_before = 6.4, kl_last = 6.49, epochs = 4)\n"
    )


def test_a_false_claim_raises_in_full_mode_with_the_sentence_and_the_numbers(full_mode, capsys):
    with pytest.raises(vh.ClaimError, match=r'says "the KL settles", but .* \(change_nats = 0\.9\).*full mode'):
        vh.check_claim("the KL settles", 0.9 < 0.1, change_nats=0.9)
    assert capsys.readouterr().out == ""


def test_a_false_claim_is_only_reported_in_quick_mode(quick_mode, capsys):
    assert vh.check_claim("beta = 4 has the lower rate", np.float32(3.0) < np.float32(2.0), rate=3.0) is False
    out = capsys.readouterr().out
    assert "does not hold on this small run (rate = 3)" in out and "checked on the full run" in out
    assert "\u2713" not in out


@pytest.mark.parametrize("holds", [np.array([True, False]), 1, "yes", None])
def test_holds_must_be_one_boolean(full_mode, holds):
    with pytest.raises(TypeError, match="holds must be True or False"):
        vh.check_claim("something", holds)


def test_numpy_booleans_and_arrays_of_numbers_are_accepted_and_shown(full_mode, capsys):
    vh.check_claim("all steps are finite", np.isfinite([1.0, 2.0]).all(), steps=np.array([1.25, 2.5]))
    assert capsys.readouterr().out.endswith("(steps = [1.25, 2.5])\n")


def test_the_claim_must_be_a_sentence(full_mode):
    with pytest.raises(TypeError, match="non-empty str"):
        vh.check_claim("  ", True)
