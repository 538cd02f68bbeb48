"""Checkers of notebook 07: the right answer passes, each typical mistake gets its own hint, None gets a nudge."""

import numpy as np
import pytest

import vae_helpers as vh
from vae_helpers.exercises import ExerciseError

KL = np.array([2.5, 0.001, 1.2, 0.0, 0.3, 0.004])  # 3 active dimensions above 0.01 nats


@pytest.mark.parametrize("call", [
    lambda: vh.exercises.check_free_bits_kl(None),
    lambda: vh.exercises.check_active_dimensions(None, KL),
    lambda: vh.exercises.check_warmup_beta(None),
    lambda: vh.exercises.check_collapsed_iwae_gap(None, 0.0, 3.0),
])
def test_none_prints_a_nudge_and_does_not_raise(call, capsys):
    call()
    assert "not answered yet" in capsys.readouterr().out


def test_free_bits_kl_accepts_the_hand_computation_which_the_package_agrees_with(capsys):
    # an independent oracle: the package's free_bits_kl on means and log-variances built to have these KLs
    # (log-variance 0, mean sqrt(2 * KL): KL = mu^2 / 2 per dimension)
    kl = np.array([0.1, 0.8, 0.0, 2.0])
    z_mean = np.sqrt(2 * kl)[None, :].astype(np.float32)
    package = float(vh.losses.free_bits_kl(z_mean, np.zeros_like(z_mean), 0.5))
    assert package == pytest.approx(3.8, rel=1e-5)
    vh.exercises.check_free_bits_kl(3.8)
    assert "Correct!" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (2.9, "plain KL term"),
    (4.9, "do not ADD"),
    (2.8, "do not drop out"),
    (2.0, "pays its own KL"),
    (3.5, "not quite"),
    ("3.8", "single number"),
])
def test_free_bits_kl_mistakes_get_specific_hints(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_free_bits_kl(wrong)


@pytest.mark.parametrize("gap, reference, outcome", [
    (0.001, 3.0, "zero"),
    (-0.02, 3.0, "zero"),  # sampling noise around zero
    (2.5, 3.0, "similar"),
    (0.5, 3.0, "similar"),
    (9.0, 3.0, "larger"),
])
def test_collapsed_iwae_gap_grades_against_the_measured_gap(gap, reference, outcome, capsys):
    for prediction in ("larger", "similar", "zero"):
        assert vh.exercises.check_collapsed_iwae_gap(f" {prediction.upper()} ", gap, reference) == (
            prediction == outcome)
        out = capsys.readouterr().out
        assert ("Correct prediction!" in out) == (prediction == outcome)
        assert f"{gap:.3f} nats" in out and "lower bound on E KL(q(z|x) || p(z|x))" in out
        assert "worst in the table" in out


@pytest.mark.parametrize("prediction, gap, reference, hint", [
    ("bigger", 0.0, 3.0, "answer with one of"),
    ("zero", 0.0, -1.0, "positive number"),
    ("zero", float("nan"), 3.0, "finite number"),
])
def test_collapsed_iwae_gap_rejects_what_it_cannot_grade(prediction, gap, reference, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_collapsed_iwae_gap(prediction, gap, reference)


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
