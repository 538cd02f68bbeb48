"""The shared "predict, then run" grader: right, wrong (explained, not an error), not one of the choices, None."""

import pytest

from vae_helpers.exercises import ExerciseError
from vae_helpers.exercises._feedback import grade_prediction

CHOICES = {"higher": "the KL is higher", "lower": "the KL is lower"}


def test_a_right_prediction_is_praised_and_explained(capsys):
    assert grade_prediction("Ex", " Higher ", CHOICES, "higher", "Because of beta.") is True
    assert capsys.readouterr().out == "Ex: Correct prediction! the KL is higher. Because of beta.\n"


def test_a_wrong_prediction_says_what_happened_without_raising(capsys):
    assert grade_prediction("Ex", "lower", CHOICES, "higher", "Because of beta.") is False
    assert capsys.readouterr().out == ("Ex: Not what happened: you predicted that the KL is lower, but the KL is "
                                       "higher. Because of beta.\n")


@pytest.mark.parametrize("answer", ["same", 1, True])
def test_an_answer_outside_the_choices_is_refused_with_the_choices(answer):
    with pytest.raises(ExerciseError, match="answer with one of \\['higher', 'lower'\\]"):
        grade_prediction("Ex", answer, CHOICES, "higher", "")


def test_none_is_a_nudge(capsys):
    assert grade_prediction("Ex", None, CHOICES, "higher", "") is False
    assert "not answered yet" in capsys.readouterr().out
