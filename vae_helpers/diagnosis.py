"""When training goes wrong: ``vh.diagnose(model, x, history)`` names what it measures. Notebook 12.

Each finding has a stable ``code``, a ``severity`` (``"problem"``: the model is broken or wasted; ``"note"``:
worth knowing), a ``message`` (what was seen, with the numbers, and the fix) and its ``evidence`` (the measured
values, JSON-ready). The codes and what decides them (the thresholds are the constants below, one home each):

* ``diverged`` (problem): a NaN or infinite value in the history or in the weights.
* ``pixel_range`` (problem): ``x`` has values outside [0, 1] (e.g. 0-255 images), non-finite values, is constant,
  or was divided by 255 twice (its largest value is at most :data:`TWICE_SCALED_MAX`).
* ``posterior_collapse`` (problem): every latent dimension's KL (:func:`vae_helpers.kl_per_dimension`) is below
  :data:`ACTIVE_KL_NATS`: q(z|x) is the prior for every image. The evidence says how much the decoder's output
  still moves under z ~ N(0, I) (:data:`PRIOR_SAMPLES` samples), against the spread of the images themselves.
* ``inactive_dimensions`` (note): some, not all, dimensions below :data:`ACTIVE_KL_NATS`.
* ``loss_per_pixel`` (problem): the history's reconstruction term is more than :data:`PER_PIXEL_RATIO` x sqrt(pixels)
  times smaller than the model's own (per image, :func:`vae_helpers.evaluate`): the training loss averaged the
  reconstruction over pixels, so the KL weighed (pixels)x too much.
* ``gaussian_std_too_large`` (problem): a Gaussian decoder whose fixed std is more than :data:`GAUSSIAN_STD_RATIO`
  times the root-mean-square error of its own reconstructions: the likelihood says the pixels are noisier than
  they are, so blur costs little.
* ``still_improving`` (note): the validation loss (else the training loss), averaged over its last W epochs, is
  lower than over the W epochs before by more than :data:`STILL_IMPROVING_FALL` of its value per epoch
  (W = :data:`STILL_IMPROVING_EPOCHS`, or half the history when it is shorter; averages, so one noisy epoch does
  not decide).
* ``overfitting`` (problem): the validation loss's best epoch is at least :data:`OVERFITTING_EPOCHS` epochs before
  the end, its mean over the last :data:`OVERFITTING_EPOCHS` epochs is above the best by more than
  :data:`OVERFITTING_RISE` of it, and the training loss fell since the best epoch.

The model is scored on at most :data:`MAX_IMAGES` images of ``x`` (the first ones), with a fixed seed.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from keras import ops

from vae_helpers._checks import image_shape_of
from vae_helpers.data import validate_images
from vae_helpers.model import condition_for

MAX_IMAGES = 1_000  # images scored: enough for means within a few tenths of a nat, about a second per pass on a CPU
SEED = 0  # the noise of the scores and of the prior samples
ACTIVE_KL_NATS = 0.01  # a dimension whose mean KL is below this carries (almost) no information about x: inactive
PRIOR_SAMPLES = 100  # z ~ N(0, I) decoded to measure how much the decoder's output moves
DECODER_REACTS = 0.1  # the decoder "still reacts" when its output spread is above this share of the images' spread
TWICE_SCALED_MAX = 2 / 255  # largest pixel below 2/255: the images were divided by 255 twice (real images are brighter)
PER_PIXEL_RATIO = 1.0  # model's / history's reconstruction above 1.0 x sqrt(pixels) (28 for 28x28): per pixel
GAUSSIAN_STD_RATIO = 2.0  # a Gaussian std above twice the reconstructions' RMS error: too large, blur is cheap
STILL_IMPROVING_EPOCHS = 3  # the last 3 epochs against the 3 before, for "still improving"
STILL_IMPROVING_FALL = 0.001  # a fall of more than 0.1 % of the loss per epoch between them: train longer
OVERFITTING_EPOCHS = 3  # epochs since the best validation loss (and averaged at the end) for overfitting
OVERFITTING_RISE = 0.01  # a rise of more than 1 % of the best validation loss (above the noise of one z per image)

SEVERITIES = ("problem", "note")
CODES = (
    "diverged",
    "pixel_range",
    "posterior_collapse",
    "inactive_dimensions",
    "loss_per_pixel",
    "gaussian_std_too_large",
    "still_improving",
    "overfitting",
)  # every code a finding can have


@dataclasses.dataclass(frozen=True)
class Finding:
    """One thing :func:`diagnose` found: ``code`` (stable), ``severity`` (``"problem"`` or ``"note"``),
    ``message`` (what was seen, the numbers, the fix) and ``evidence`` (the measured values, JSON-ready)."""

    code: str
    severity: str
    message: str
    evidence: dict

    def as_dict(self) -> dict:
        return {"code": self.code, "severity": self.severity, "message": self.message, "evidence": self.evidence}


@dataclasses.dataclass(frozen=True)
class Diagnosis:
    """What :func:`diagnose` found: ``findings`` (problems first), and what was measured (``measured``)."""

    findings: list
    measured: dict

    @property
    def problems(self) -> list:
        return [f for f in self.findings if f.severity == "problem"]

    @property
    def codes(self) -> list:
        return [f.code for f in self.findings]

    @property
    def ok(self) -> bool:
        """True when no finding is a problem (notes may remain)."""
        return not self.problems

    def as_dicts(self) -> list:
        """The findings as JSON-ready dicts (what the training command stores in ``metrics.json``)."""
        return [f.as_dict() for f in self.findings]

    def _lines(self) -> list:
        n_problems, n_notes = len(self.problems), len(self.findings) - len(self.problems)
        head = (
            f"Diagnosis: {n_problems} problem(s), {n_notes} note(s)" if self.findings else "Diagnosis: no problem found"
        )
        return [head, *(f"[{f.severity}] {f.code}: {f.message}" for f in self.findings)]

    def __str__(self) -> str:
        return "\n".join(self._lines())

    def _repr_markdown_(self) -> str:
        head, *rest = self._lines()
        return "\n".join([f"**{head}**", "", *(f"* {line}" for line in rest)])


def diagnose(model, x, history=None, labels=None) -> Diagnosis:
    """Measure ``model`` on images ``x`` (and its training ``history``) and name what went wrong. Notebook 12.

    Args:
        model: a :class:`vae_helpers.VAE`, :class:`vae_helpers.CVAE` or :class:`vae_helpers.Autoencoder` (no KL:
            only the codes that do not need one).
        x: (N, H, W, C) images the model should fit (e.g. validation images), the model's image shape. Only the
            first :data:`MAX_IMAGES` are scored.
        history: None, the dict that :func:`vae_helpers.train` returns (metric -> per-epoch values, nats per
            image), or the ``keras.callbacks.History`` that ``fit`` returns.
        labels: the class index of each image (N,), for a CVAE only.

    Returns:
        :class:`Diagnosis`: ``.findings`` (problems first), ``.ok``; prints as a short report.

    Raises:
        ValueError: ``model`` is not one of the three, ``x`` is not a batch of images of its shape, ``history`` is
            not metric -> equal-length lists of numbers, or ``labels`` is missing (CVAE) or given (other models).
    """
    _check_model(model)
    history = _checked_history(history)
    shape = image_shape_of(model)
    array = _checked_array(x, shape)[:MAX_IMAGES]
    one_hot = condition_for(model, labels, len(np.asarray(x)))
    one_hot = None if one_hot is None else one_hot[:MAX_IMAGES]
    findings = [*_diverged(model, history), *_pixel_range(array)]
    measured = {"images_scored": len(array)}
    if not findings:  # measure the model only when its weights and the images make sense
        findings += _model_findings(model, validate_images(array, image_shape=shape), one_hot, history, measured)
    findings += _history_findings(history)
    findings.sort(key=lambda f: SEVERITIES.index(f.severity))
    return Diagnosis(findings, measured)


def _check_model(model) -> None:
    if not all(hasattr(model, part) for part in ("encoder", "decoder", "decoder_logits")):
        raise ValueError(
            f"diagnose needs a whole model (vh.VAE, vh.CVAE or vh.Autoencoder), got "
            f"{type(model).__name__}. Pass the model built by vh.build_vae() or loaded by "
            "vh.load_pretrained(), not one of its parts."
        )


def _checked_history(history) -> dict:
    """``history`` as {metric: [floats]} (empty for None); a ``keras.callbacks.History`` gives its ``.history``."""
    history = getattr(history, "history", history)
    if history is None:
        return {}
    problem = None
    if not isinstance(history, dict):
        problem = f"got {type(history).__name__}"
    else:
        lengths = {}
        for key, values in history.items():
            try:
                lengths[key] = len(np.asarray(values, dtype=np.float64).reshape(-1))
                ok = isinstance(key, str) and np.ndim(values) == 1
            except (TypeError, ValueError):
                ok = False
            if not ok:
                problem = f"its entry {key!r} is not a list of numbers"
                break
        if problem is None and len(set(lengths.values())) > 1:
            problem = f"its lists have different lengths {lengths}"
    if problem:
        raise ValueError(
            f"history must be what vh.train returns (a dict metric -> per-epoch numbers, e.g. "
            f"{{'loss': [...], 'val_loss': [...]}}) or fit's History; {problem}."
        )
    return {key: [float(v) for v in values] for key, values in history.items()}


def _checked_array(x, shape) -> np.ndarray:
    """``x`` as a numpy array of numbers of shape (N, *shape), N >= 1; any values (the range is diagnosed)."""
    array = np.asarray(x)
    if array.ndim != 4 or tuple(array.shape[1:]) != tuple(shape) or not len(array) or array.dtype.kind not in "uif":
        validate_images(x, image_shape=shape)  # raises its clear error about the shape or dtype
        raise ValueError(
            f"x must be numbers of shape (N, {', '.join(map(str, shape))}), got {array.dtype} {array.shape}."
        )  # not reached for arrays validate_images rejects
    return array


def _finding(code, severity, message, **evidence) -> Finding:
    return Finding(code, severity, message, {k: _json_ready(v) for k, v in evidence.items()})


def _json_ready(value):
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_json_ready(v) for v in (value.tolist() if isinstance(value, np.ndarray) else value)]
    if isinstance(value, (bool, np.bool_, str)) or value is None:
        return value if not isinstance(value, np.bool_) else bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    value = float(value)
    return round(value, 6) if math.isfinite(value) else str(value)  # JSON has no NaN: "nan", "inf"


def _diverged(model, history) -> list:
    bad_history = {
        key: next(i + 1 for i, v in enumerate(values) if not math.isfinite(v))
        for key, values in history.items()
        if not all(math.isfinite(v) for v in values)
    }
    bad_weights = [w.path for w in model.weights if not np.all(np.isfinite(ops.convert_to_numpy(w)))]
    if not bad_history and not bad_weights:
        return []
    seen = []
    if bad_history:
        seen.append("the history turns NaN/inf at epoch " + ", ".join(f"{e} ({k})" for k, e in bad_history.items()))
    if bad_weights:
        seen.append(f"{len(bad_weights)} of {len(model.weights)} weight tensors hold NaN/inf (first: {bad_weights[0]})")
    return [
        _finding(
            "diverged",
            "problem",
            f"training diverged: {'; '.join(seen)}. Usual causes: a learning rate that is too high, pixels outside "
            "[0, 1], or log(sigmoid(x)) instead of a loss computed from logits. Fix: rebuild the model and train again "
            "with a 10x smaller learning rate (vh.train(..., learning_rate=1e-4)), or resume from the last good "
            "checkpoint; the model's other measurements were skipped.",
            nonfinite_history_epoch=bad_history,
            nonfinite_weights=bad_weights[:10],
        )
    ]


def _pixel_range(x) -> list:
    values = x.astype(np.float64)
    finite = bool(np.all(np.isfinite(values)))
    lo, hi = (float(np.nanmin(values)), float(np.nanmax(values))) if np.any(np.isfinite(values)) else (0.0, 0.0)
    evidence = {"min": lo, "max": hi, "dtype": str(x.dtype), "finite": finite}
    if not finite:
        seen, fix = "x holds NaN or infinite pixels", "find where they come from (a division by 0, a corrupt file)"
    elif lo < 0 or hi > 1:
        seen = f"x ranges over [{lo:g}, {hi:g}], not [0, 1]"
        fix = (
            "divide 8-bit pixels by 255: x = x.astype('float32') / 255"
            if hi <= 255 and lo >= 0
            else "rescale to [0, 1]: x = (x - x.min()) / (x.max() - x.min())"
        )
    elif hi == lo:
        seen, fix = f"every pixel of x is {lo:g}: constant images carry nothing to learn", "check the loading code"
    elif hi <= TWICE_SCALED_MAX:
        seen = f"the brightest pixel of x is {hi:.3g} (below 2/255): the images were divided by 255 twice"
        fix = "divide by 255 once"
    else:
        return []
    return [
        _finding(
            "pixel_range",
            "problem",
            f"{seen}. The Bernoulli loss needs pixels in [0, 1] (outside it "
            f"the loss can go below 0 and keep falling). Fix: {fix}. The model was not measured.",
            **evidence,
        )
    ]


def _model_findings(model, x, one_hot, history, measured) -> list:
    from vae_helpers.autoencoder import reconstruction_error
    from vae_helpers.evaluation import evaluate

    has_kl = hasattr(model, "beta")
    if has_kl:
        scores = evaluate(model, x, seed=SEED, labels=None if one_hot is None else np.argmax(one_hot, axis=1))
        reconstruction = scores["reconstruction"]
        measured.update(scores)
    else:
        reconstruction = measured["reconstruction"] = reconstruction_error(model, x)
    findings = _per_pixel(reconstruction, history, x)
    if has_kl:
        findings += _latent_findings(model, x, one_hot, measured)
    if model.likelihood.name == "gaussian":
        findings += _gaussian_std(model, x, one_hot)
    return findings


def _per_pixel(reconstruction, history, x) -> list:
    recorded = history.get("val_reconstruction_loss", history.get("reconstruction_loss"))
    if not recorded or recorded[-1] <= 0:
        return []
    pixels = int(np.prod(x.shape[1:]))
    ratio, limit = reconstruction / recorded[-1], PER_PIXEL_RATIO * math.sqrt(pixels)
    if ratio <= limit:
        return []
    return [
        _finding(
            "loss_per_pixel",
            "problem",
            f"the history's reconstruction term ends at {recorded[-1]:.4g} nats, {ratio:.0f}x less than the model's "
            f"own per-image value ({reconstruction:.1f} nats; {pixels} pixels per image): the training loss averaged "
            f"it over pixels (e.g. keras.losses.binary_crossentropy, or ops.mean instead of a sum), so the KL weighed "
            f"about {pixels}x too much. Fix: sum -log p(x|z) over the pixels of each image, then average over images "
            "(vh.reconstruction_loss does).",
            history_reconstruction=recorded[-1],
            model_reconstruction=reconstruction,
            ratio=ratio,
            pixels=pixels,
            threshold_ratio=limit,
        )
    ]


def _kl_per_dimension(model, x, one_hot) -> np.ndarray:
    """Mean KL of each latent dimension (D,), nats: :func:`vae_helpers.kl_per_dimension`, or for a CVAE the same
    terms (:func:`vae_helpers.losses.kl_per_dimension_terms`) from its encoder given the labels."""
    from vae_helpers.evaluation import kl_per_dimension
    from vae_helpers.losses import kl_per_dimension_terms

    if one_hot is None:
        return kl_per_dimension(model, x)
    z_mean, z_log_var, _ = model.encoder([x, one_hot], training=False)
    terms = kl_per_dimension_terms(ops.cast(z_mean, "float32"), ops.cast(z_log_var, "float32"))  # (N, D)
    return np.asarray(ops.convert_to_numpy(ops.mean(terms, axis=0)), dtype=np.float64)


def _decoder_spread(model, one_hot) -> float:
    """Mean over pixels of the std, over :data:`PRIOR_SAMPLES` z ~ N(0, I), of the decoder's output (pixels)."""
    z = np.random.default_rng(SEED).standard_normal((PRIOR_SAMPLES, model.latent_dim), dtype=np.float32)
    inputs = z if one_hot is None else [z, np.resize(one_hot, (PRIOR_SAMPLES, one_hot.shape[1]))]
    images = ops.convert_to_numpy(model.decoder(inputs, training=False))  # (S, H, W, C)
    return float(np.mean(np.std(images, axis=0)))


def _latent_findings(model, x, one_hot, measured) -> list:
    kl = _kl_per_dimension(model, x, one_hot)  # (D,)
    inactive = [int(d) for d in np.flatnonzero(kl < ACTIVE_KL_NATS)]
    measured["kl_per_dimension"] = _json_ready(kl)
    beta = float(ops.convert_to_numpy(model.beta))
    if len(inactive) == len(kl):
        spread, data_spread = _decoder_spread(model, one_hot), float(np.mean(np.std(x, axis=0)))
        reacts = spread > DECODER_REACTS * data_spread
        decoder = (
            f"the decoder still reacts to z (its output moves by {spread:.3g} per pixel under z ~ N(0, I), "
            f"the images by {data_spread:.3g}), so the encoder alone was pushed onto the prior"
            if reacts
            else f"the decoder barely reacts to z either (its output moves by {spread:.3g} per pixel under z ~ N(0, I), "
            f"the images by {data_spread:.3g}): every output is about the same image"
        )
        return [
            _finding(
                "posterior_collapse",
                "problem",
                f"posterior collapse: the KL of every one of the {len(kl)} latent dimensions is below "
                f"{ACTIVE_KL_NATS} nats (largest {kl.max():.3g}, total {kl.sum():.3g}), so z carries no information "
                f"about x; {decoder}. Fix: check that the reconstruction term is summed over pixels (not averaged), "
                f"lower beta (now {beta:g}), or train with a KL warm-up (vh.KLWarmup) or free bits (free_bits=).",
                kl_per_dimension=kl,
                total_kl=float(kl.sum()),
                threshold_nats=ACTIVE_KL_NATS,
                beta=beta,
                decoder_output_spread=spread,
                data_spread=data_spread,
                decoder_reacts=reacts,
            )
        ]
    if inactive:
        return [
            _finding(
                "inactive_dimensions",
                "note",
                f"{len(inactive)} of {len(kl)} latent dimensions are inactive (KL below {ACTIVE_KL_NATS} nats): "
                f"{inactive} with KL {[float(f'{kl[d]:.2g}') for d in inactive]}; the other {len(kl) - len(inactive)} "
                f"carry {kl.sum():.3g} nats in all. Common and harmless when a smaller latent space would do; to use "
                "more of them, lower beta or add free bits.",
                inactive=inactive,
                kl_inactive=kl[inactive],
                active=len(kl) - len(inactive),
                threshold_nats=ACTIVE_KL_NATS,
            )
        ]
    return []


def _gaussian_std(model, x, one_hot) -> list:
    from vae_helpers.model import encode_means

    labels = None if one_hot is None else np.argmax(one_hot, axis=1)
    codes = encode_means(model, x, labels=labels)  # (N, D)
    means = ops.convert_to_numpy(model.decoder(codes if one_hot is None else [codes, one_hot], training=False))
    rms = float(np.sqrt(np.mean((x - means) ** 2)))  # means: (N, H, W, C)
    std = model.likelihood.gaussian_std
    ratio = std / max(rms, 1e-12)
    if ratio <= GAUSSIAN_STD_RATIO:
        return []
    return [
        _finding(
            "gaussian_std_too_large",
            "problem",
            f"the Gaussian decoder's fixed std is {std:g}, {ratio:.1f}x the RMS error of its own reconstructions "
            f"({rms:.3g}): the likelihood says the pixels are that noisy, so a blurred reconstruction costs little "
            f"and the KL wins. Fix: retrain with a std of {rms:.2g} or less (the course uses 0.1) and diagnose "
            "again, or use the Bernoulli or continuous Bernoulli likelihood.",
            gaussian_std=std,
            reconstruction_rms=rms,
            ratio=ratio,
            threshold_ratio=GAUSSIAN_STD_RATIO,
        )
    ]


def _history_findings(history) -> list:
    findings = []
    key = "val_loss" if "val_loss" in history else "loss" if "loss" in history else None
    values = history.get(key, [])
    if len(values) >= 2 and all(math.isfinite(v) for v in values):
        window = min(STILL_IMPROVING_EPOCHS, len(values) // 2)
        before, last = float(np.mean(values[-2 * window : -window])), float(np.mean(values[-window:]))
        fall = (before - last) / window / abs(last)  # share of the loss per epoch
        if fall > STILL_IMPROVING_FALL:
            findings.append(
                _finding(
                    "still_improving",
                    "note",
                    f"{key} was still falling at the end: {100 * fall:.2g} % per epoch (mean of the last {window} "
                    f"epoch(s) {last:.2f} nats, of the {window} before {before:.2f}). Fix: train longer (the same "
                    "vh.train call with more epochs= continues from the checkpoint).",
                    metric=key,
                    fall_per_epoch=fall,
                    window=window,
                    threshold=STILL_IMPROVING_FALL,
                )
            )
    train = history.get("loss", [])
    values = history.get("val_loss", [])
    if len(values) > OVERFITTING_EPOCHS and len(train) == len(values) and all(math.isfinite(v) for v in values + train):
        best = int(np.argmin(values))
        end = float(np.mean(values[-OVERFITTING_EPOCHS:]))
        rise = (end - values[best]) / abs(values[best])
        if len(values) - 1 - best >= OVERFITTING_EPOCHS and rise > OVERFITTING_RISE and train[-1] < train[best]:
            findings.append(
                _finding(
                    "overfitting",
                    "problem",
                    f"overfitting: the validation loss was lowest at epoch {best + 1} ({values[best]:.2f} nats); over "
                    f"the last {OVERFITTING_EPOCHS} epochs it averages {end:.2f}, {100 * rise:.2g} % higher, while the "
                    f"training loss fell from {train[best]:.2f} to {train[-1]:.2f}. Fix: keep the weights of epoch "
                    f"{best + 1} (keras.callbacks.EarlyStopping(restore_best_weights=True)), or train on more images.",
                    best_epoch=best + 1,
                    best_val_loss=values[best],
                    last_val_loss_mean=end,
                    rise=rise,
                    epochs_since_best=len(values) - 1 - best,
                    threshold_epochs=OVERFITTING_EPOCHS,
                    threshold_rise=OVERFITTING_RISE,
                )
            )
            findings = [f for f in findings if f.code != "still_improving"]  # more epochs would not help
    return findings
