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


def test_mean_reduction_factor_accepts_the_beta_of_the_averaged_loss(capsys):
    """Oracle: the averaged loss times 784 equals Rec + beta KL for the same model outputs."""
    x = np.full((1, 28, 28, 1), 0.3, np.float32)
    logits = np.zeros_like(x)
    z_mean, z_log_var = np.float32([[0.5, -1.0]]), np.float32([[0.2, -0.3]])
    reconstruction = float(vh.reconstruction_loss(x, logits)[0])  # summed over the 784 pixels
    kl = float(vh.kl_divergence(z_mean, z_log_var)[0])  # summed over the 2 dimensions
    averaged = reconstruction / x[0].size + kl / z_mean.shape[1]
    beta = (784 * averaged - reconstruction) / kl
    vh.exercises.check_mean_reduction_factor(beta)
    assert "Correct!" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [(1 / 392, "inverse"), (784, "only the reconstruction"),
                                         (1568, "do not multiply"), (1, "different numbers"), (400, "not quite")])
def test_mean_reduction_factor_mistakes_get_specific_hints(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_mean_reduction_factor(wrong)


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


@pytest.mark.parametrize("check, args", [(vh.exercises.check_kl_by_hand, ()), (vh.exercises.check_pixel_nll, ()),
                                         (vh.exercises.check_jensen_gap, ()),
                                         (vh.exercises.check_mean_reduction_factor, ()),
                                         (vh.exercises.check_wide_proposal, (1.0, 0.5))])
def test_unanswered_exercises_print_a_nudge(check, args, capsys):
    check(None, *args)
    assert "not answered yet" in capsys.readouterr().out
