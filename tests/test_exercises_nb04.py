"""Checkers of notebook 04: the right answer passes, each typical mistake gets its own hint, None gets a nudge.

The right answers come from the package's loss functions or from a direct computation, not from the checkers.
"""

import math

import numpy as np
import pytest

import vae_helpers as vh
from vae_helpers.exercises import ExerciseError


def test_kl_by_hand_accepts_the_closed_form_of_the_package(capsys):
    kl = vh.kl_divergence(np.array([[1.0]], np.float32), np.array([[math.log(4.0)]], np.float32))
    vh.exercises.check_kl_by_hand(kl)
    assert "Correct!" in capsys.readouterr().out


KL = 0.5 * (4 + 1 - 1 - math.log(4))


@pytest.mark.parametrize("wrong, hint", [(-KL, "never negative"), (0.5 * (2 + 1 - 1 - math.log(2)), "variance"),
                                         (0.5 * (4 + 1 - 1 - math.log(2)), "log sigma\\^2 = log 4"),
                                         (2 * KL, "factor 1/2"), (KL / math.log(2), "log2"), (1.0, "not quite")])
def test_kl_by_hand_mistakes_get_specific_hints(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_kl_by_hand(wrong)


def test_pixel_nll_accepts_the_stable_loss_of_the_package(capsys):
    nll = vh.reconstruction_loss(np.array([[0.8]], np.float32), np.array([[-2.0]], np.float32))
    vh.exercises.check_pixel_nll(nll)
    assert "Correct!" in capsys.readouterr().out


p = 1 / (1 + math.exp(2.0))
NLL = -(0.8 * math.log(p) + 0.2 * math.log(1 - p))


@pytest.mark.parametrize("wrong, hint", [(-NLL, "minus sign"), (-math.log(p), "as 1"), (-math.log(1 - p), "as 0"),
                                         (NLL / math.log(2), "log2"), (-0.8 * math.log(p), "0.2"),
                                         (1.5, "not quite")])
def test_pixel_nll_mistakes_get_specific_hints(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_pixel_nll(wrong)


def test_jensen_gap_accepts_log_of_mean_minus_mean_of_log(capsys):
    w = np.array([1.0, 4.0])
    vh.exercises.check_jensen_gap(np.log(w.mean()) - np.log(w).mean())
    assert "Correct!" in capsys.readouterr().out


GAP = math.log(2.5) - math.log(2.0)


@pytest.mark.parametrize("wrong, hint", [(-GAP, "other way round"), (0, "constant"), (math.log(2.5), "log E\\[w\\] alone"),
                                         (math.log(2.0), "E\\[log w\\] alone"), (GAP / math.log(10), "log10"),
                                         (0.3, "not quite")])
def test_jensen_gap_mistakes_get_specific_hints(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_jensen_gap(wrong)


def test_mean_reduction_factor_accepts_the_ratio_of_sum_to_mean():
    x = np.full((1, 28, 28, 1), 0.3, np.float32)
    logits = np.zeros_like(x)
    summed = float(vh.reconstruction_loss(x, logits)[0])
    averaged = summed / x[0].size
    vh.exercises.check_mean_reduction_factor(round(summed / averaged))


@pytest.mark.parametrize("wrong, hint", [(1 / 784, "invert"), (28, "one row"), (1, "do differ"), (700, "not quite")])
def test_mean_reduction_factor_mistakes_get_specific_hints(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_mean_reduction_factor(wrong)


@pytest.mark.parametrize("check", [vh.exercises.check_kl_by_hand, vh.exercises.check_pixel_nll,
                                   vh.exercises.check_jensen_gap, vh.exercises.check_mean_reduction_factor])
def test_unanswered_exercises_print_a_nudge(check, capsys):
    check(None)
    assert "not answered yet" in capsys.readouterr().out
