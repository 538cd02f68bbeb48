"""p(x|z), the decoder's likelihood, as an object: one class per kind. Bernoulli in notebook 04, Gaussian and
continuous Bernoulli in notebook 10.

The decoder outputs logits (B, H, W, C), one per pixel and channel; a :class:`Likelihood` turns them into

* ``pixel_nll(x, logits)``: ``-log p(x|z)`` of each pixel, nats, the shape of ``x`` (what the error map shows);
* ``nll(x, logits)``: its sum over the pixels of each image, (B,) nats (the reconstruction term of -ELBO);
* ``mean(logits)``: the mean image E[x|z], (B, H, W, C) in [0, 1];
* ``sample(logits, seed)``: an image x ~ p(x|z), (B, H, W, C).

Every model kind scores with its own ``model.likelihood`` (:class:`vae_helpers.model.EncoderDecoderModel`). A new
likelihood is one subclass with a ``name``, its ``_pixel_nll``, ``mean`` and ``sample``, listed in :data:`KINDS`.
The functions :func:`reconstruction_loss` and :func:`pixel_nll` are the same numbers for a likelihood named by a
string; :func:`bernoulli_nll_per_pixel` and the others are each class's per-pixel term as a function.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from vae_helpers._checks import check_finite, check_float, shape_of, shapes_agree

DEFAULT_GAUSSIAN_STD = 0.1  # pixels in [0, 1]: a decoder mean 0.1 away from a pixel costs half a nat more


class Likelihood:
    """p(x|z) of each pixel given the decoder's logits; pixels are independent given z.

    Subclasses set ``name`` and ``settings`` (the names of their constructor's keyword arguments, which are also
    the keys of :meth:`config`) and write ``_pixel_nll``, ``mean`` and ``sample``.
    """

    name = ""
    settings: tuple[str, ...] = ()

    def pixel_nll(self, x, logits):
        """``-log p(x|z)`` of each pixel, in nats: a tensor of the shape of ``x`` (B, ...), ``logits`` the same shape.

        For a density over continuous pixels (Gaussian, continuous Bernoulli) the values can be negative."""
        return self._pixel_nll(*_checked_pair(x, logits))

    def nll(self, x, logits):
        """``-log p(x|z)`` of each image, the sum over its pixels: (B,) nats, for ``x`` and ``logits`` (B, H, W, C)."""
        per_pixel = self.pixel_nll(x, logits)
        return ops.sum(ops.reshape(per_pixel, (ops.shape(per_pixel)[0], -1)), axis=1)

    def mean(self, logits):
        """The mean image E[x|z] for ``logits`` (B, H, W, C): values in [0, 1], the same shape."""
        return ops.sigmoid(logits)

    def sample(self, logits, seed=None):
        """One image x ~ p(x|z) for ``logits`` (B, H, W, C), the same shape. ``seed``: None, an int or a
        ``keras.random.SeedGenerator``."""
        raise NotImplementedError

    def config(self) -> dict:
        """What rebuilds this likelihood with :func:`likelihood_named` (JSON values), e.g. ``{"likelihood":
        "gaussian", "gaussian_std": 0.1}``: the keys a model's configuration and a run's metrics record."""
        return {"likelihood": self.name, **{key: getattr(self, key) for key in self.settings}}

    def _pixel_nll(self, x, logits):
        raise NotImplementedError

    def __repr__(self):
        settings = ", ".join(f"{key}={getattr(self, key)!r}" for key in self.settings)
        return f"{type(self).__name__}({settings})"


class Bernoulli(Likelihood):
    """Each pixel is 1 with probability ``sigmoid(l)``: the reference's likelihood (notebook 04).

    ``-[x log sigmoid(l) + (1-x) log(1 - sigmoid(l))] = max(l, 0) - x*l + log(1 + exp(-|l|))`` for a pixel value x
    in [0, 1]. The right-hand side never evaluates ``log(0)``, so it stays finite for any logit, even +-1000, while
    the left-hand side gives NaN/inf once sigmoid(l) rounds to 0 or 1 in float32 (about |l| > 17). Each term is
    >= 0 for binary x. The reconstruction explorer's error map shows these values (notebook 06).
    """

    name = "bernoulli"

    def _pixel_nll(self, x, logits):
        return ops.relu(logits) - x * logits + ops.log1p(ops.exp(-ops.abs(logits)))

    def sample(self, logits, seed=None):
        probabilities = ops.sigmoid(logits)
        return ops.cast(keras.random.uniform(ops.shape(logits), seed=seed) < probabilities, probabilities.dtype)


class Gaussian(Likelihood):
    """``N(x; mu, std^2)`` with mean ``mu = sigmoid(l)`` and a fixed ``gaussian_std`` in pixel units (notebook 10).

    ``-log p = 1/2 log(2 pi std^2) + (x - mu)^2 / (2 std^2)``: a squared error scaled by 1 / (2 std^2) plus a
    constant. With std = 0.1 the constant is -1.38 nats per pixel, so a good fit has a negative value (a density,
    not a probability).
    """

    name = "gaussian"
    settings = ("gaussian_std",)

    def __init__(self, gaussian_std: float = DEFAULT_GAUSSIAN_STD):
        self.gaussian_std = check_gaussian_std(gaussian_std)

    def _pixel_nll(self, x, logits):
        std = self.gaussian_std
        return 0.5 * float(np.log(2 * np.pi * std * std)) + ops.square(x - ops.sigmoid(logits)) / (2.0 * std * std)

    def sample(self, logits, seed=None):
        mean = ops.sigmoid(logits)
        return mean + self.gaussian_std * keras.random.normal(ops.shape(logits), dtype=mean.dtype, seed=seed)


class ContinuousBernoulli(Likelihood):
    """The continuous Bernoulli ``CB(x; lambda)``, ``lambda = sigmoid(l)``, a density on [0, 1] (Loaiza-Ganem &
    Cunningham 2019; notebook 10).

    ``-log CB = bernoulli_nll - log C(lambda)`` (:func:`continuous_bernoulli_log_norm`): the Bernoulli
    cross-entropy, which is not a density for pixels strictly between 0 and 1, corrected by the constant that makes
    it one. Often negative. The density is proportional to ``exp(l x)``, so its mean is not lambda (it is pulled
    towards 1/2): :meth:`mean` is :func:`continuous_bernoulli_mean`.
    """

    name = "continuous_bernoulli"

    def _pixel_nll(self, x, logits):
        return Bernoulli()._pixel_nll(x, logits) - continuous_bernoulli_log_norm(logits)

    def mean(self, logits):
        return continuous_bernoulli_mean(logits)

    def sample(self, logits, seed=None):
        """Inverse-CDF sampling: ``F(x) = expm1(l x) / expm1(l)``, so ``x = 1 + log(u + (1 - u) e^-l) / l`` for
        l > 0, ``log1p(u expm1(l)) / l`` for l < 0 (neither overflows), and x = u for |l| < 1e-3."""
        logits = ops.convert_to_tensor(logits)
        u = keras.random.uniform(ops.shape(logits), dtype=logits.dtype, seed=seed)
        small = ops.abs(logits) < 1e-3
        safe = ops.where(small, ops.ones_like(logits), logits)
        positive = 1.0 + ops.log(u + (1.0 - u) * ops.exp(-ops.abs(safe))) / ops.abs(safe)
        negative = ops.log1p(u * ops.expm1(-ops.abs(safe))) / -ops.abs(safe)
        return ops.clip(ops.where(small, u, ops.where(safe > 0, positive, negative)), 0.0, 1.0)


def check_gaussian_std(gaussian_std, name: str = "gaussian_std") -> float:
    """The Gaussian's standard deviation as a float if it is a finite number > 0 (pixel units), else a clear error
    naming ``name``."""
    return check_finite(
        gaussian_std, name, minimum=0.0, strict=True, hint="the Gaussian's standard deviation in pixel units, e.g. 0.1"
    )


KINDS = {kind.name: kind for kind in (Bernoulli, Gaussian, ContinuousBernoulli)}
LIKELIHOODS = tuple(KINDS)  # their names: ("bernoulli", "gaussian", "continuous_bernoulli")


def likelihood_named(likelihood="bernoulli", **settings) -> Likelihood:
    """The :class:`Likelihood` named ``likelihood`` (one of :data:`LIKELIHOODS`) with its ``settings`` (e.g.
    ``gaussian_std=0.1``; settings of other likelihoods are ignored), or ``likelihood`` itself if it is one.

    The one place where a name becomes a likelihood: the models, the training command and the functions below.
    """
    if isinstance(likelihood, Likelihood):
        return likelihood
    if likelihood not in KINDS:
        raise ValueError(
            f"likelihood must be one of {LIKELIHOODS}, got {likelihood!r}. 'bernoulli' is the "
            "reference's; 'gaussian' or 'continuous_bernoulli' suit photographs (notebook 10)."
        )
    kind = KINDS[likelihood]
    return kind(**{key: value for key, value in settings.items() if key in kind.settings})


def reconstruction_loss(x, logits, likelihood: str = "bernoulli", gaussian_std: float = DEFAULT_GAUSSIAN_STD):
    """Negative log-likelihood ``-log p(x|z)`` summed over pixels, computed stably from logits.

    Args:
        x: (B, H, W, C) target pixels in [0, 1] (or any (B, ...) shape matching ``logits``), e.g. (B, 28, 28, 1).
        logits: decoder outputs before the sigmoid, same shape as ``x``.
        likelihood: ``"bernoulli"`` (the default, notebook 04), ``"gaussian"`` (mean sigmoid(logits), fixed std
            ``gaussian_std``) or ``"continuous_bernoulli"`` (notebook 10), or a :class:`Likelihood`.

    Returns:
        (B,) tensor: nats per image.
    """
    return likelihood_named(likelihood, gaussian_std=gaussian_std).nll(x, logits)


def pixel_nll(x, logits, likelihood: str = "bernoulli", gaussian_std: float = DEFAULT_GAUSSIAN_STD):
    """``-log p(x|z)`` of each pixel under the chosen ``likelihood`` (see :func:`reconstruction_loss`), in nats.

    Returns a tensor of the shape of ``x`` (B, ...). For a density over continuous pixels (Gaussian, continuous
    Bernoulli) the values can be negative: a density can exceed 1.
    """
    return likelihood_named(likelihood, gaussian_std=gaussian_std).pixel_nll(x, logits)


def bernoulli_nll_per_pixel(x, logits):
    """:class:`Bernoulli`'s ``-log p(x|z)`` of each pixel, nats; ``x`` (B, ...) in [0, 1], ``logits`` the same
    shape (the decoder's for Fashion-MNIST: (B, 28, 28, 1))."""
    return Bernoulli().pixel_nll(x, logits)


def gaussian_nll_per_pixel(x, logits, std: float = DEFAULT_GAUSSIAN_STD):
    """:class:`Gaussian`'s ``-log N(x; sigmoid(logits), std^2)`` of each pixel, nats; ``x`` and ``logits`` (B, ...)."""
    return Gaussian(std).pixel_nll(x, logits)


def continuous_bernoulli_nll_per_pixel(x, logits):
    """:class:`ContinuousBernoulli`'s ``-log CB(x; sigmoid(logits))`` of each pixel, nats; ``x``, ``logits`` (B, ...)."""
    return ContinuousBernoulli().pixel_nll(x, logits)


def continuous_bernoulli_log_norm(logits):
    """``log C(lambda)`` of the continuous Bernoulli with ``lambda = sigmoid(logits)``, in nats, elementwise.

    Loaiza-Ganem & Cunningham (2019): ``p(x|lambda) = C(lambda) lambda^x (1 - lambda)^(1-x)`` on [0, 1], with
    ``C(lambda) = 2 artanh(1 - 2 lambda) / (1 - 2 lambda)`` (``C(1/2) = 2``). From logits l this is
    ``C = l / tanh(l / 2)``, so ``log C = log|l| - log(1 - e^-|l|) + log(1 + e^-|l|)``; for |l| < 0.1, where that
    difference loses precision, the Taylor expansion ``log 2 + l^2/12 - 7 l^4/1440`` is used (error < 1e-9).
    """
    logits = ops.convert_to_tensor(logits)
    a = ops.abs(logits)
    small = a < 0.1
    safe = ops.where(small, ops.ones_like(a), a)  # no log(0) or NaN gradient in the branch not taken
    exact = ops.log(safe) - ops.log1p(-ops.exp(-safe)) + ops.log1p(ops.exp(-safe))
    square = ops.square(logits)
    taylor = float(np.log(2.0)) + square / 12.0 - 7.0 * ops.square(square) / 1440.0
    return ops.where(small, taylor, exact)


def continuous_bernoulli_mean(logits):
    """The mean of the continuous Bernoulli with ``lambda = sigmoid(logits)``, elementwise, in [0, 1].

    The density is proportional to ``exp(l x)`` on [0, 1], so its mean is ``1 / (1 - exp(-l)) - 1 / l``
    (``1/2 + l/12`` near l = 0, used for |l| < 1e-2). Not ``lambda``: a CB decoder's picture is this mean
    (notebook 10), for lambda = 0.9 it is 1.125 - 1 / ln 9 = 0.67.
    """
    logits = ops.convert_to_tensor(logits)
    small = ops.abs(logits) < 1e-2
    safe = ops.where(small, ops.ones_like(logits), logits)
    exact = 1.0 / (-ops.expm1(-safe)) - 1.0 / safe
    return ops.clip(ops.where(small, 0.5 + logits / 12.0, exact), 0.0, 1.0)


def _checked_pair(x, logits):
    """``(x, logits)`` as tensors of ``x``'s dtype, checked once: floats of the same shape (B, ...)."""
    for name, value in (("x", x), ("logits", logits)):
        check_float(value, name)
    if not shapes_agree(shape_of(x), shape_of(logits)) or len(shape_of(x)) < 2:
        raise ValueError(
            f"x and logits must have the same shape (B, ...) with a batch axis, got {shape_of(x)} "
            f"and {shape_of(logits)}. The decoder's logits for Fashion-MNIST have shape (B, 28, 28, 1)."
        )
    x = ops.convert_to_tensor(x)
    return x, ops.cast(ops.convert_to_tensor(logits), x.dtype)
