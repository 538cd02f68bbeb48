"""Checkers for the exercises of notebook 06 (exploring the latent space)."""

from __future__ import annotations

import statistics

import numpy as np

from vae_helpers.exercises._feedback import ExerciseError, correct, grade_prediction, not_answered, require

# Exercise 1: a quantile grid of this many points over [-SPAN, SPAN].
GRID_POINTS, GRID_SPAN = 5, 2.0


def _quantile_grid() -> np.ndarray:
    normal = statistics.NormalDist()
    probabilities = np.linspace(normal.cdf(-GRID_SPAN), normal.cdf(GRID_SPAN), GRID_POINTS)
    return np.array([normal.inv_cdf(p) for p in probabilities])


def check_quantile_grid(answer) -> None:
    """Exercise 1: the 5 quantile-spaced coordinates over [-2, 2], ``Phi^-1`` of evenly spaced probabilities."""
    exercise = "Exercise 1 (quantile grid)"
    if not_answered(answer, exercise):
        return
    try:
        values = np.asarray(answer, dtype=np.float64).ravel()
    except (TypeError, ValueError) as err:
        raise ExerciseError(
            f"{exercise}: expected {GRID_POINTS} numbers (a list or an array), got {type(answer).__name__}."
        ) from err
    require(values.size == GRID_POINTS, f"{exercise}: expected {GRID_POINTS} coordinates, got {values.size}.")
    normal = statistics.NormalDist()
    close = lambda target: np.allclose(values, target, atol=1e-4)
    require(
        np.all(np.isfinite(values)),
        f"{exercise}: some coordinates are infinite: Phi^-1(0) and Phi^-1(1) "
        f"are -inf and +inf. Start from Phi(-{GRID_SPAN:g}), not 0.",
    )
    require(
        not close(np.linspace(-GRID_SPAN, GRID_SPAN, GRID_POINTS)),
        f"{exercise}: these are evenly spaced, the linear grid. Space the probabilities evenly instead, then "
        "map them through the quantile function NormalDist().inv_cdf.",
    )
    require(
        not close(np.linspace(normal.cdf(-GRID_SPAN), normal.cdf(GRID_SPAN), GRID_POINTS)),
        f"{exercise}: these are the probabilities. Map each through NormalDist().inv_cdf to get coordinates.",
    )
    require(
        close(_quantile_grid()),
        f"{exercise}: not quite. Take {GRID_POINTS} evenly spaced probabilities from "
        f"Phi(-{GRID_SPAN:g}) to Phi({GRID_SPAN:g}) and apply Phi^-1 to each.",
    )
    correct(exercise, "The middle cells are narrower: the grid follows the prior's mass.")


def check_slerp(function) -> None:
    """Exercise 2: ``function(z_start, z_end, t)`` returns the point of the spherical path at t, shape (D,)."""
    exercise = "Exercise 2 (spherical interpolation)"
    if not_answered(function, exercise):
        return
    require(callable(function), f"{exercise}: pass the function itself (my_slerp), not {type(function).__name__}.")
    start, end = np.array([2.0, 0.0]), np.array([0.0, 2.0])  # orthogonal, same length
    points = {}
    for t in (0.0, 0.25, 0.5, 1.0):
        try:
            point = function(start, end, t)
        except Exception as err:
            raise ExerciseError(f"{exercise}: your function raised {type(err).__name__}: {err}") from err
        require(point is not None, f"{exercise}: your function returns None; add a `return` statement.")
        points[t] = np.asarray(point, dtype=np.float64).ravel()
        require(
            points[t].shape == (2,),
            f"{exercise}: expected one point of shape (2,) like z_start, got shape {np.shape(point)}.",
        )
    require(
        np.allclose(points[0.0], start, atol=1e-5) or not np.allclose(points[0.0], end, atol=1e-5),
        f"{exercise}: t = 0 gives z_end; the path must start at z_start (swap the two weights).",
    )
    require(
        not np.allclose(points[0.5], [1.0, 1.0], atol=1e-4),
        f"{exercise}: this is the straight line: its midpoint has length 1.41, shorter than both codes (2). "
        "Weight the codes by sin((1 - t) w) / sin(w) and sin(t w) / sin(w), w the angle between them.",
    )
    expected = {t: 2.0 * np.array([np.cos(t * np.pi / 2), np.sin(t * np.pi / 2)]) for t in points}
    require(
        all(np.allclose(points[t], expected[t], atol=1e-4) for t in points),
        f"{exercise}: not quite. With w = arccos(z_start . z_end / (|z_start| |z_end|)), return "
        "(sin((1 - t) w) z_start + sin(t w) z_end) / sin(w).",
    )
    correct(exercise, "Between two codes of the same length, the path keeps that length.")


def check_nearest_image(answer, z, point) -> None:
    """Exercise 3: the index of the row of ``z`` (N, 2) nearest to ``point`` (2,) in Euclidean distance."""
    exercise = "Exercise 3 (nearest test image)"
    if not_answered(answer, exercise):
        return
    z, point = np.asarray(z, dtype=np.float64), np.asarray(point, dtype=np.float64)
    require(
        isinstance(answer, (int, np.integer)) and not isinstance(answer, bool),
        f"{exercise}: expected one integer index (e.g. int(np.argmin(...))), got {type(answer).__name__}.",
    )
    require(0 <= answer < len(z), f"{exercise}: {answer} is not an index of z (0 to {len(z) - 1}).")
    distances = np.sum((z - point) ** 2, axis=1)  # (N,)
    if np.isclose(distances[answer], distances.min()):
        correct(exercise, "Nearest in latent space is usually the same kind of garment.")
        return
    require(answer != int(np.argmax(distances)), f"{exercise}: this is the farthest image: use argmin, not argmax.")
    require(
        answer != int(np.argmin(np.abs(z[:, 0] - point[0]))),
        f"{exercise}: this image is nearest in z[0] only; the distance uses both coordinates.",
    )
    require(
        answer != int(np.argmin(np.sum(z - point, axis=1))),
        f"{exercise}: differences can be negative: square them before summing.",
    )
    raise ExerciseError(
        f"{exercise}: not the nearest. Compute the squared distance of every row of z to the point and take np.argmin."
    )


HOLE_MARGIN = 0.15  # a hole lies more than 15 % farther from every test image than the farther end
HOLE_CHOICES = {
    "yes": "some step between the ends is more than 15 % farther from every test image than both ends are",
    "no": "no step between the ends is more than 15 % farther from every test image than the farther end",
}


def check_hole_prediction(prediction, distances, margin: float = HOLE_MARGIN) -> bool:
    """Exercise 4 (predict, then run): is there a hole on the path, measured by ``distances``?

    A hole is a step between the ends that lies more than ``margin`` (a fraction: 0.15 = 15 %) farther from its
    nearest test image than the farther of the two ends: a step only a little farther is within the spread of
    what a reconstruction of a real image scores, not a hole.

    Args:
        prediction: ``"yes"`` or ``"no"``, written before running the experiment.
        distances: (T,) distance of each decoded step of the path (T >= 3, ends included) to its nearest test
            image, in pixel values (:func:`vae_helpers.nearest_distances`).
        margin: how much farther than the farther end a step must lie to count as a hole (>= 0).

    Returns:
        True when the prediction matches what the distances show.
    """
    exercise = "Exercise 4 (predict: a hole on the path?)"
    if prediction is None:
        return grade_prediction(exercise, prediction, HOLE_CHOICES, "yes", "")
    distances = np.asarray(distances, dtype=np.float64)
    if distances.ndim != 1 or distances.size < 3 or not np.all(np.isfinite(distances)):
        raise ExerciseError(
            f"{exercise}: distances must be the finite distances of at least 3 steps, ends "
            f"included (shape (T,)), got shape {distances.shape}. Run the experiment cell first."
        )
    ends, inner = max(distances[0], distances[-1]), distances[1:-1]
    excess = inner.max() / ends - 1  # how much farther the worst step is than the farther end, a fraction
    outcome = "yes" if excess > margin else "no"
    why = (
        f"The worst step lies {inner.max():.2f} from its nearest test image, the ends {distances[0]:.2f} and "
        f"{distances[-1]:.2f} (step {int(inner.argmax()) + 1} of {distances.size - 2} between them): "
        f"{excess:+.0%} against the farther end, and a hole needs more than {margin:+.0%}. The ends are "
        "decoded from codes of real images; a step between them is a hole when the decoder draws something no "
        "test image resembles, typically a blend where two classes meet on the 2-D map. A blend can look like "
        "a plausible garment at a glance and still be far from every real image: look at the worst step in "
        "the strip."
    )
    return grade_prediction(exercise, prediction, HOLE_CHOICES, outcome, why)
