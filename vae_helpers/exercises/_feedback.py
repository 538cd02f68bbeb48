"""The three outcomes of every exercise checker: not answered yet, wrong (with a hint), correct."""

from __future__ import annotations


class ExerciseError(AssertionError):
    """The answer is wrong; the message says what is off and gives a hint."""


def not_answered(answer, exercise: str) -> bool:
    """Print a nudge and return True when ``answer`` is still None (the notebook's placeholder)."""
    if answer is None:
        print(f"{exercise}: not answered yet. Replace `None` with your answer and run the cell again.")
        return True
    return False


def require(condition: bool, hint: str) -> None:
    """Raise :class:`ExerciseError` with ``hint`` unless ``condition`` holds."""
    if not condition:
        raise ExerciseError(hint)


def correct(exercise: str, message: str = "") -> None:
    """Print the success line (deterministic, so notebooks can check it with nbval)."""
    print(f"{exercise}: Correct! {message}".rstrip())
