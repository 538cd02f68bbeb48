"""The shared graders. A numeric table: the order in which it tries the answer, its mistakes and its conditions, and
exact or 0.1 % matching. The "predict, then run" grader: right, wrong (explained, not an error), not one of the
choices, None."""

import dataclasses

import pytest

from vae_helpers.exercises import ExerciseError, NumericExercise
from vae_helpers.exercises._feedback import grade_prediction

TABLE = NumericExercise(
    name="Ex",
    answer=2.0,
    mistakes=((2.0, "hidden by the answer"), (4.0, "doubled: {value:g}"), (4.001, "hidden by the mistake before")),
    conditions=((lambda value: value > 0, "positive, got {value}"),),
    fallback_hint="not quite",
)


def test_a_table_tries_the_answer_then_its_mistakes_in_order_then_its_conditions():
    assert TABLE.hint_for(2.0) is None
    assert TABLE.hint_for(4.0015) == "Ex: doubled: 4.0015"
    assert TABLE.hint_for(-1.0) == "Ex: positive, got -1.0"
    assert TABLE.hint_for(3.0) == "Ex: not quite"


def test_an_exact_table_counts_only_equal_numbers():
    assert TABLE.hint_for(2.001) is None  # within 0.1 %
    assert dataclasses.replace(TABLE, exact=True).hint_for(2.001) == "Ex: not quite"


CHOICES = {"higher": "the KL is higher", "lower": "the KL is lower"}


def test_a_right_prediction_is_praised_and_explained(capsys):
    assert grade_prediction("Ex", " Higher ", CHOICES, "higher", "Because of beta.") is True
    assert capsys.readouterr().out == "Ex: Correct prediction! the KL is higher. Because of beta.\n"


def test_a_wrong_prediction_says_what_happened_without_raising(capsys):
    assert grade_prediction("Ex", "lower", CHOICES, "higher", "Because of beta.") is False
    assert capsys.readouterr().out == (
        "Ex: Not what happened: you predicted that the KL is lower, but the KL is higher. Because of beta.\n"
    )


@pytest.mark.parametrize("answer", ["same", 1, True])
def test_an_answer_outside_the_choices_is_refused_with_the_choices(answer):
    with pytest.raises(ExerciseError, match="answer with one of \\['higher', 'lower'\\]"):
        grade_prediction("Ex", answer, CHOICES, "higher", "")


def test_none_is_a_nudge(capsys):
    assert grade_prediction("Ex", None, CHOICES, "higher", "") is False
    assert "not answered yet" in capsys.readouterr().out
