"""Turn a learner's answer into a number or a shape, or explain what type was expected (used by the checkers)."""

from __future__ import annotations

import math

import numpy as np

from vae_helpers.exercises._feedback import require


def as_number(answer, exercise: str) -> float:
    """Return ``answer`` as a finite Python float; raise ExerciseError if it is not a single finite number.

    Accepts ints, floats, numpy scalars and arrays or tensors holding exactly one value.
    """
    values = None
    if not isinstance(answer, (str, bytes)):
        try:
            values = np.asarray(answer, dtype=np.float64).ravel()
        except (TypeError, ValueError):
            pass
    require(
        values is not None and values.size == 1,
        f"{exercise}: expected a single number, got {type(answer).__name__} "
        f"{'with shape ' + str(np.shape(answer)) if values is not None else repr(answer)[:60]}.",
    )
    value = float(values[0])
    require(math.isfinite(value), f"{exercise}: expected a finite number, got {value}.")
    return value


def is_close(value: float, target: float, rel: float = 1e-3, abs_tol: float = 1e-4) -> bool:
    """True when ``value`` matches ``target`` to 0.1 % (or 1e-4 absolute, for targets near 0)."""
    return math.isclose(value, target, rel_tol=rel, abs_tol=abs_tol)


def as_shape(answer, exercise: str) -> tuple:
    """Return ``answer`` (a tuple or list of ints, possibly starting with None for the batch) as a tuple."""
    require(
        isinstance(answer, (tuple, list)) and all(d is None or isinstance(d, (int, np.integer)) for d in answer),
        f"{exercise}: expected a shape such as (28, 28, 1) (a tuple of integers), got {answer!r}.",
    )
    return tuple(None if d is None else int(d) for d in answer)


def measured_ratio(before, after, names: tuple[str, str], exercise: str, what: str) -> tuple[float, float, float]:
    """Two positive measurements of a predict-then-run experiment and their ratio ``after / before``.

    Args:
        before, after: the experiment's two values (single positive numbers).
        names: their argument names, for the error messages, e.g. ``("params_28", "params_56")``.
        exercise: the exercise's name. what: what the values are, e.g. ``"parameter counts"``.

    Returns:
        ``(before, after, after / before)`` as floats; raises ExerciseError unless both are positive numbers.
    """
    first = as_number(before, f"{exercise}, {names[0]}")
    second = as_number(after, f"{exercise}, {names[1]}")
    require(
        first > 0 and second > 0,
        f"{exercise}: {what} must be positive, got {first} and {second}. Rerun the experiment cell.",
    )
    return first, second, second / first
