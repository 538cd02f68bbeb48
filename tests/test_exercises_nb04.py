"""Checkers of notebook 04 that are not a table (tests/test_exercises.py tests the tables): the wide-proposal
prediction, graded against closed-form gaps."""

import numpy as np
import pytest

import vae_helpers as vh
from vae_helpers.exercises import ExerciseError


def test_wide_proposal_is_graded_against_the_closed_form_gaps(capsys):
    """Oracle: for the notebook's linear-Gaussian model the gap is KL(q || N(1, 1/3)) in closed form."""
    kl = lambda v: 0.5 * (np.log((1 / 3) / v) + v / (1 / 3) - 1)  # equal means
    gaps = kl(4.0), kl(0.05)
    assert vh.exercises.check_wide_proposal("larger", *gaps) is True
    assert "Correct prediction" in capsys.readouterr().out
    assert vh.exercises.check_wide_proposal("smaller", *gaps) is False
    assert "Not what happened" in capsys.readouterr().out
    assert vh.exercises.check_wide_proposal("smaller", 0.1, 0.5) is True


@pytest.mark.parametrize("answer, gaps, hint", [("wider", (1.0, 0.5), "one of"), ("larger", ([1, 2], 0.5), "gap_wide")])
def test_wide_proposal_rejects_bad_input(answer, gaps, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_wide_proposal(answer, *gaps)


def test_an_unanswered_prediction_prints_a_nudge(capsys):
    vh.exercises.check_wide_proposal(None, 1.0, 0.5)
    assert "not answered yet" in capsys.readouterr().out
