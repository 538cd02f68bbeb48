"""Checkers of notebook 07 beyond the tables (tests/test_exercises.py tests those): the collapsed-IWAE prediction,
and what the active-dimensions checker refuses before its table."""

import numpy as np
import pytest

import vae_helpers as vh
from vae_helpers.exercises import ExerciseError

KL = np.array([2.5, 0.001, 1.2, 0.0, 0.3, 0.004])  # 3 active dimensions above 0.01 nats


def test_an_unanswered_prediction_prints_a_nudge(capsys):
    vh.exercises.check_collapsed_iwae_gap(None, 0.0, 3.0)
    assert "not answered yet" in capsys.readouterr().out


@pytest.mark.parametrize(
    "gap, reference, outcome",
    [
        (0.001, 3.0, "zero"),
        (-0.02, 3.0, "zero"),  # sampling noise around zero
        (2.5, 3.0, "similar"),
        (0.5, 3.0, "similar"),
        (9.0, 3.0, "larger"),
    ],
)
def test_collapsed_iwae_gap_grades_against_the_measured_gap(gap, reference, outcome, capsys):
    for prediction in ("larger", "similar", "zero"):
        assert vh.exercises.check_collapsed_iwae_gap(f" {prediction.upper()} ", gap, reference) == (
            prediction == outcome
        )
        out = capsys.readouterr().out
        assert ("Correct prediction!" in out) == (prediction == outcome)
        assert f"{gap:.3f} nats" in out and "lower bound on E KL(q(z|x) || p(z|x))" in out
        assert "worst in the table" in out


@pytest.mark.parametrize(
    "prediction, gap, reference, hint",
    [
        ("bigger", 0.0, 3.0, "answer with one of"),
        ("zero", 0.0, -1.0, "positive number"),
        ("zero", float("nan"), 3.0, "finite number"),
    ],
)
def test_collapsed_iwae_gap_rejects_what_it_cannot_grade(prediction, gap, reference, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_collapsed_iwae_gap(prediction, gap, reference)


def test_active_dimensions_rejects_a_kl_that_is_not_one_number_per_dimension():
    with pytest.raises(ExerciseError, match="shape \\(D,\\)"):
        vh.exercises.check_active_dimensions(3, KL.reshape(2, 3))
