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


def grade_prediction(exercise: str, prediction, choices: dict, outcome: str, why: str) -> bool:
    """Grade a "predict, then run" exercise: the learner chose one of ``choices`` before running the experiment.

    Args:
        exercise: the exercise's name, e.g. ``"Exercise 4 (predict: sum vs mean)"``.
        prediction: the learner's choice, one of the keys of ``choices`` (case and spaces ignored), or None.
        choices: ``{key: what that prediction says}``, e.g. ``{"higher": "the mean-loss model has a higher KL"}``.
        outcome: the key that this run's experiment showed (computed from its values, not written by hand).
        why: the explanation printed in both cases.

    Returns:
        True when the prediction matches the outcome. A wrong prediction is not an error (it is what the
        experiment is for): the checker says what happened and why. An answer that is not one of the choices
        raises :class:`ExerciseError`.
    """
    if not_answered(prediction, exercise):
        return False
    keys = {str(key).strip().lower(): key for key in choices}
    require(outcome in choices, f"{exercise}: internal error, outcome {outcome!r} is not one of {list(choices)}")
    chosen = str(prediction).strip().lower() if isinstance(prediction, str) else None
    require(chosen in keys, f"{exercise}: answer with one of {sorted(choices)}, got {prediction!r}.")
    if keys[chosen] == outcome:
        print(f"{exercise}: Correct prediction! {choices[outcome]}. {why}")
        return True
    print(f"{exercise}: Not what happened: you predicted that {choices[keys[chosen]]}, but {choices[outcome]}. {why}")
    return False
