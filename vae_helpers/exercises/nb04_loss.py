"""Checkers for the exercises of notebook 04 (the loss, ELBO)."""

from __future__ import annotations

import math

from vae_helpers.exercises._answers import as_number, is_close
from vae_helpers.exercises._feedback import correct, not_answered, require

# Exercise 1: KL(N(mu, sigma^2) || N(0, 1)) in one dimension.
KL_MU, KL_SIGMA = 1.0, 2.0
# Exercise 2: Bernoulli NLL of a grey pixel for a given logit.
PIXEL, LOGIT = 0.8, -2.0
# Exercise 3: w takes these values with equal probability.
JENSEN_VALUES = (1.0, 4.0)


def _kl_1d(mu: float, variance: float, log_variance: float) -> float:
    return 0.5 * (variance + mu ** 2 - 1.0 - log_variance)


def check_kl_by_hand(answer) -> None:
    """Exercise 1: ``KL(N(1, 2^2) || N(0, 1))`` in nats."""
    exercise = "Exercise 1 (KL by hand)"
    if not_answered(answer, exercise):
        return
    value = as_number(answer, exercise)
    var, log_var = KL_SIGMA ** 2, math.log(KL_SIGMA ** 2)
    expected = _kl_1d(KL_MU, var, log_var)
    require(not is_close(value, -expected), f"{exercise}: a KL divergence is never negative: check the sign of "
                                            "-1/2 (1 + log sigma^2 - mu^2 - sigma^2).")
    require(not is_close(value, _kl_1d(KL_MU, KL_SIGMA, math.log(KL_SIGMA))),
            f"{exercise}: you used sigma where the formula has the variance sigma^2 = 4.")
    require(not is_close(value, _kl_1d(KL_MU, var, math.log(KL_SIGMA))),
            f"{exercise}: the formula has log sigma^2 = log 4, not log sigma.")
    require(not is_close(value, 2 * expected), f"{exercise}: almost: do not forget the factor 1/2.")
    require(not is_close(value, expected / math.log(2)), f"{exercise}: use natural logarithms (nats), not log2.")
    require(is_close(value, expected),
            f"{exercise}: not quite. KL = 1/2 (sigma^2 + mu^2 - 1 - log sigma^2); check with vh.kl_divergence.")
    correct(exercise, "1/2 (4 + 1 - 1 - log 4) ~ 1.307 nats.")


def check_pixel_nll(answer) -> None:
    """Exercise 2: Bernoulli negative log-likelihood (nats) of pixel value 0.8 under logit -2."""
    exercise = "Exercise 2 (NLL of one pixel)"
    if not_answered(answer, exercise):
        return
    value = as_number(answer, exercise)
    p = 1.0 / (1.0 + math.exp(-LOGIT))  # sigmoid(logit)
    nll = lambda x: -(x * math.log(p) + (1 - x) * math.log(1 - p))
    expected = nll(PIXEL)
    require(not is_close(value, -expected), f"{exercise}: a negative log-likelihood is positive (log p < 0): "
                                            "did you drop the minus sign?")
    require(not is_close(value, nll(1.0)), f"{exercise}: that treats the pixel as 1; it is 0.8, so both terms "
                                           "count: 0.8 log p + 0.2 log(1 - p).")
    require(not is_close(value, nll(0.0)), f"{exercise}: that treats the pixel as 0; it is 0.8.")
    require(not is_close(value, expected / math.log(2)), f"{exercise}: use natural logarithms (nats), not log2.")
    require(not is_close(value, -(PIXEL * math.log(p))),
            f"{exercise}: almost: add the (1 - x) log(1 - p) term for the remaining 0.2.")
    require(is_close(value, expected),
            f"{exercise}: not quite. p = sigmoid(-2); NLL = -(0.8 log p + 0.2 log(1 - p)); check with "
            "vh.reconstruction_loss on (1, 1) arrays.")
    correct(exercise, "-(0.8 log sigmoid(-2) + 0.2 log sigmoid(2)) ~ 1.727 nats.")


def check_jensen_gap(answer) -> None:
    """Exercise 3: ``log E[w] - E[log w]`` for w equal to 1 or 4 with probability 1/2 each."""
    exercise = "Exercise 3 (Jensen gap)"
    if not_answered(answer, exercise):
        return
    value = as_number(answer, exercise)
    log_of_mean = math.log(sum(JENSEN_VALUES) / len(JENSEN_VALUES))
    mean_of_log = sum(math.log(w) for w in JENSEN_VALUES) / len(JENSEN_VALUES)
    expected = log_of_mean - mean_of_log
    require(not is_close(value, -expected), f"{exercise}: log is concave, so log E[w] >= E[log w]: the gap is "
                                            "positive. You subtracted the other way round.")
    require(not is_close(value, 0.0), f"{exercise}: the two sides are equal only when w is constant; here it is "
                                      "1 or 4.")
    require(not is_close(value, log_of_mean), f"{exercise}: that is log E[w] alone; subtract E[log w].")
    require(not is_close(value, mean_of_log), f"{exercise}: that is E[log w] alone; compute log E[w] - E[log w].")
    require(not is_close(value, expected / math.log(10)), f"{exercise}: use natural logarithms, not log10.")
    require(is_close(value, expected), f"{exercise}: not quite. E[w] = 2.5, E[log w] = (log 1 + log 4) / 2.")
    correct(exercise, "log 2.5 - log 2 ~ 0.223 nats: what the ELBO loses when q is not the true posterior.")


def check_mean_reduction_factor(answer) -> None:
    """Exercise 4: by what factor averaging (instead of summing) over 784 pixels multiplies the KL's weight."""
    exercise = "Exercise 4 (sum or mean)"
    if not_answered(answer, exercise):
        return
    value = as_number(answer, exercise)
    require(not is_close(value, 1 / 784), f"{exercise}: the reconstruction term shrinks by 784, so the KL's "
                                          "relative weight grows: invert your answer.")
    require(value != 28, f"{exercise}: the mean is over all 28 x 28 pixels, not over one row.")
    require(value != 1, f"{exercise}: the two reductions do differ: one divides the reconstruction term by the "
                        "number of pixels.")
    require(value == 784, f"{exercise}: not quite. mean = sum / (number of pixels); the KL term is unchanged.")
    correct(exercise, "Averaging over 784 pixels is a beta-VAE with beta = 784.")
