"""An exercise whose answer is one number, written as a table: the answer, the typical wrong answers with their
hints, and a hint for any other number. A notebook module declares the table, e.g.
``nb02_sampling.SAMPLE_STD_TABLE``, and its checker is one line: ``SAMPLE_STD_TABLE.grade(answer)``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from collections.abc import Callable

from vae_helpers.exercises._answers import as_number, is_close
from vae_helpers.exercises._feedback import ExerciseError, correct, not_answered


@dataclass(frozen=True, kw_only=True)
class NumericExercise:
    """The table of a numeric exercise, and how it grades an answer.

    Every message starts with ``"<name>: "``, so the hints leave it out. A hint may show the learner's number as
    ``{value}`` or ``{value:.4g}``: hints are ``str.format`` templates (write a literal brace twice).

    Attributes:
        name: the exercise's name, e.g. ``"Exercise 2 (spread of the samples)"``.
        answer: the right number.
        mistakes: ``(wrong value, hint)`` for each typical wrong answer, tried in this order.
        conditions: ``(holds, hint)`` for what every answer is, e.g. positive or a whole number: ``holds(value)``
            is true for the answer, and ``hint`` is for a number where it is false. Tried after the mistakes.
        fallback_hint: the hint for any other number.
        success: what the success line says after "Correct!" (printed by :meth:`grade`).
        exact: compare numbers with ``==`` (counts, epoch numbers) instead of :func:`is_close` (0.1 %).
    """

    name: str
    answer: float
    mistakes: tuple[tuple[float, str], ...] = ()
    conditions: tuple[tuple[Callable[[float], bool], str], ...] = ()
    fallback_hint: str
    success: str = ""
    exact: bool = False

    def matches(self, value: float, target: float) -> bool:
        """True when ``value`` counts as ``target``: equal if ``exact``, else within :func:`is_close`."""
        return value == target if self.exact else is_close(value, target)

    def hint_for(self, value: float) -> str | None:
        """The message for the number ``value``: None when it is the answer (tried first, so a mistake that a table
        built from runtime inputs makes equal to the answer never hides it); else the hint of the first mistake it
        matches, or of the first condition it breaks, or the fallback hint."""
        if self.matches(value, self.answer):
            return None
        mistaken = (hint for wrong, hint in self.mistakes if self.matches(value, wrong))
        broken = (hint for holds, hint in self.conditions if not holds(value))
        hint = next(itertools.chain(mistaken, broken), self.fallback_hint)
        return f"{self.name}: {hint.format(value=value)}"

    def grade(self, answer) -> None:
        """Grade the learner's ``answer``: print the "not answered yet" nudge for None and the success line for the
        right number; raise :class:`ExerciseError` with the hint for a wrong number, or with the error of
        :func:`as_number` for something that is not a single finite number."""
        if not_answered(answer, self.name):
            return
        message = self.hint_for(as_number(answer, self.name))
        if message is not None:
            raise ExerciseError(message)
        correct(self.name, self.success)
