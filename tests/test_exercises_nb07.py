"""Checkers of notebook 07: the right answer passes, each typical mistake gets its own hint, None gets a nudge."""

import numpy as np
import pytest

import vae_helpers as vh
from vae_helpers.exercises import ExerciseError

KL = np.array([2.5, 0.001, 1.2, 0.0, 0.3, 0.004])  # 3 active dimensions above 0.01 nats


@pytest.mark.parametrize("call", [
    lambda: vh.exercises.check_lowest_kl_beta(None),
    lambda: vh.exercises.check_iwae_sign(None),
    lambda: vh.exercises.check_active_dimensions(None, KL),
    lambda: vh.exercises.check_warmup_beta(None),
])
def test_none_prints_a_nudge_and_does_not_raise(call, capsys):
    call()
    assert "not answered yet" in capsys.readouterr().out


@pytest.mark.parametrize("answer", [16, 16.0, np.float32(16)])
def test_lowest_kl_beta_accepts_sixteen(answer, capsys):
    vh.exercises.check_lowest_kl_beta(answer)
    assert "Correct!" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (0.1, "HIGHEST KL"),
    (1, "plain ELBO"),
    (4, "larger weight"),
    (2, "one of the betas"),
    ("16", "single number"),
])
def test_lowest_kl_beta_mistakes_get_specific_hints(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_lowest_kl_beta(wrong)


@pytest.mark.parametrize("answer", ["negative", " Negative "])
def test_iwae_sign_accepts_negative(answer, capsys):
    vh.exercises.check_iwae_sign(answer)
    assert "Correct!" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    ("positive", "NEGATIVE log-likelihood"),
    ("zero", "true posterior"),
    (-1, "one of the words"),
    ("smaller", "one of the words"),
])
def test_iwae_sign_mistakes_get_specific_hints(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_iwae_sign(wrong)


def test_active_dimensions_accepts_the_count_above_the_threshold(capsys):
    vh.exercises.check_active_dimensions(3, KL)
    vh.exercises.check_active_dimensions(2, KL, threshold=1.0)
    assert capsys.readouterr().out.count("Correct!") == 2


@pytest.mark.parametrize("wrong, hint", [
    (6, "every dimension"),
    (5, "not quite"),
    (7, "between 0 and 6"),
    (2.5, "between 0 and 6"),
    ("3", "single number"),
])
def test_active_dimensions_mistakes_get_specific_hints(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_active_dimensions(wrong, KL)


def test_active_dimensions_counting_the_inactive_ones_gets_its_hint():
    kl = np.array([2.5, 0.001, 1.2, 0.0, 0.3, 0.004, 0.002])  # 3 active, 4 inactive
    with pytest.raises(ExerciseError, match="INACTIVE"):
        vh.exercises.check_active_dimensions(4, kl)


def test_active_dimensions_rejects_a_kl_that_is_not_one_number_per_dimension():
    with pytest.raises(ExerciseError, match="shape \\(D,\\)"):
        vh.exercises.check_active_dimensions(3, KL.reshape(2, 3))


def test_warmup_beta_accepts_half_and_agrees_with_klwarmup(capsys):
    vh.exercises.check_warmup_beta(vh.KLWarmup(warmup_epochs=4).beta_at(2))
    assert "Correct!" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (0.75, "only starting"),
    (0.25, "after epochs 1 and 2"),
    (1.0, "still below 1"),
    (0.0, "very start"),
    (0.6, "not quite"),
])
def test_warmup_beta_mistakes_get_specific_hints(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_warmup_beta(wrong)
