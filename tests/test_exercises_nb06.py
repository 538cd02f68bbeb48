"""Checkers of notebook 06: the right answer passes, each typical mistake gets its own hint, None gets a nudge."""

import statistics

import numpy as np
import pytest

import vae_helpers as vh
from vae_helpers.exercises import ExerciseError

NORMAL = statistics.NormalDist()


def right_slerp(a, b, t):
    angle = np.arccos(a @ b / np.linalg.norm(a) / np.linalg.norm(b))
    return (np.sin((1 - t) * angle) * a + np.sin(t * angle) * b) / np.sin(angle)


@pytest.mark.parametrize(
    "check",
    [
        vh.exercises.check_quantile_grid,
        vh.exercises.check_slerp,
        lambda answer: vh.exercises.check_nearest_image(answer, np.zeros((3, 2)), [0, 0]),
    ],
)
def test_none_prints_a_nudge(check, capsys):
    check(None)
    assert "not answered yet" in capsys.readouterr().out


def test_quantile_grid_accepts_inverse_cdf_of_even_probabilities(capsys):
    probabilities = np.linspace(NORMAL.cdf(-2), NORMAL.cdf(2), 5)
    vh.exercises.check_quantile_grid([NORMAL.inv_cdf(p) for p in probabilities])
    assert "Correct!" in capsys.readouterr().out
    vh.exercises.check_quantile_grid(vh.grid_coordinates(5, 2.0, "quantile"))  # the package agrees


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (np.linspace(-2, 2, 5), "linear grid"),
        (np.linspace(NORMAL.cdf(-2), NORMAL.cdf(2), 5), "these are the probabilities"),
        ([-np.inf, -0.6, 0.0, 0.6, np.inf], "infinite"),
        ([-2.0, -0.5, 0.0, 0.5, 2.0], "not quite"),
        ([0.0, 1.0], "expected 5 coordinates"),
        ("grid", "expected 5 numbers"),
    ],
)
def test_quantile_grid_mistakes_get_specific_hints(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_quantile_grid(wrong)


def test_slerp_accepts_the_formula_and_the_package_function(capsys):
    vh.exercises.check_slerp(right_slerp)
    vh.exercises.check_slerp(lambda a, b, t: vh.interpolate_latent(a, b, t, "spherical")[0])
    assert capsys.readouterr().out.count("Correct!") == 2


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda a, b, t: (1 - t) * a + t * b, "straight line"),
        (lambda a, b, t: right_slerp(b, a, t), "t = 0 gives z_end"),
        (lambda a, b, t: right_slerp(a, b, t) * 1.1, "not quite"),
        (lambda a, b, t: None, "returns None"),
        (lambda a, b, t: np.stack([a, b]), r"shape \(2,\)"),
        (lambda a, b, t: 1 / 0, "ZeroDivisionError"),
        ("slerp", "the function itself"),
    ],
)
def test_slerp_mistakes_get_specific_hints(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_slerp(wrong)


Z = np.array([[0.0, 0.0], [1.0, 5.0], [4.0, 4.0], [-3.0, 1.0], [1.2, 1.0]])  # point (1, 1): nearest is row 4
POINT = np.array([1.0, 1.0])


def test_nearest_image_accepts_argmin_of_distances(capsys):
    vh.exercises.check_nearest_image(int(np.argmin(np.sum((Z - POINT) ** 2, axis=1))), Z, POINT)
    assert "Correct!" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (2, "farthest"),
        (1, "nearest in z\\[0\\] only"),
        (3, "square them"),
        (0, "not the nearest"),
        (7, "not an index"),
        (4.0, "one integer index"),
    ],
)
def test_nearest_image_mistakes_get_specific_hints(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_nearest_image(wrong, Z, POINT)


HOLE = [2.5, 2.6, 3.9, 3.1]  # a middle step 26 % farther from every test image than the farther end
NO_HOLE = [2.5, 2.0, 3.3, 3.1]  # 6 % farther: within the margin of 15 %


@pytest.mark.parametrize("distances, right, wrong", [(HOLE, "yes", "no"), (NO_HOLE, "no", "yes")])
def test_hole_prediction_is_graded_against_the_measured_outcome(capsys, distances, right, wrong):
    assert vh.exercises.check_hole_prediction(right, distances) is True
    assert "Correct prediction!" in capsys.readouterr().out
    assert vh.exercises.check_hole_prediction(f" {wrong.upper()} ", distances) is False
    out = capsys.readouterr().out
    assert "Not what happened" in out and "the ends 2.50 and 3.10" in out


def test_hole_prediction_states_the_margin_and_takes_another(capsys):
    vh.exercises.check_hole_prediction("no", NO_HOLE)
    assert "+6% against the farther end, and a hole needs more than +15%" in capsys.readouterr().out
    assert vh.exercises.check_hole_prediction("yes", NO_HOLE, margin=0.05) is True  # no margin to speak of


def test_hole_prediction_nudges_an_unanswered_exercise(capsys):
    assert vh.exercises.check_hole_prediction(None, HOLE) is False
    assert "not answered yet" in capsys.readouterr().out


@pytest.mark.parametrize(
    "prediction, distances, hint",
    [
        ("maybe", HOLE, "answer with one of \\['no', 'yes'\\]"),
        ("yes", [1.0, 2.0], "at least 3 steps"),
        ("yes", [1.0, float("nan"), 2.0], "finite"),
        ("yes", np.zeros((2, 3)), "shape \\(T,\\)"),
    ],
)
def test_hole_prediction_rejects_bad_answers_and_bad_experiments(prediction, distances, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_hole_prediction(prediction, distances)
