"""Checkers for the exercises of notebook 12 (when training goes wrong): diagnose a run you have not seen, the
Gaussian std that fits the reconstructions, how much too much the KL weighs when the loss is averaged over pixels."""

from __future__ import annotations

from vae_helpers import diagnosis
from vae_helpers.exercises._feedback import correct, not_answered, require
from vae_helpers.exercises._table import NumericExercise

MYSTERY_RUN = "Exercise 1 (diagnose this run)"
RECONSTRUCTION_RMS = 0.08  # Exercise 2: the RMS error of a Gaussian decoder's reconstructions, pixel units
IMAGE_SIZE, CHANNELS = 32, 3  # Exercise 3: notebook 10's images, 32 x 32 RGB


def mystery_history() -> dict:
    """The history of exercise 1: a made-up run of 15 epochs, nats per image, with the keys of
    :func:`vae_helpers.train`'s history (so ``vh.plot_history`` draws it and ``vh.diagnose`` reads it)."""
    reconstruction = [
        262.0,
        248.0,
        241.0,
        237.0,
        234.0,
        231.5,
        229.5,
        227.5,
        225.8,
        224.2,
        222.7,
        221.3,
        220.0,
        218.8,
        217.7,
    ]
    kl = [9.0, 10.5, 11.2, 11.6, 11.9, 12.1, 12.3, 12.5, 12.6, 12.7, 12.8, 12.9, 13.0, 13.1, 13.2]
    val_reconstruction = [
        258.0,
        249.0,
        244.5,
        242.0,
        240.4,
        239.5,
        239.1,
        239.0,
        239.4,
        240.1,
        241.0,
        242.1,
        243.3,
        244.6,
        246.0,
    ]
    return {
        "loss": [r + k for r, k in zip(reconstruction, kl)],
        "reconstruction_loss": reconstruction,
        "kl_loss": kl,
        "val_loss": [r + k + 0.2 for r, k in zip(val_reconstruction, kl)],
        "val_reconstruction_loss": val_reconstruction,
        "val_kl_loss": [k + 0.2 for k in kl],
    }


def _history_problem(history) -> str:
    """The one problem code that :func:`vae_helpers.diagnose` finds in ``history`` alone (the oracle)."""
    problems = [f.code for f in diagnosis._history_findings(history) if f.severity == "problem"]
    require(len(problems) == 1, f"{MYSTERY_RUN}: internal error, the history shows {problems}")
    return problems[0]


MYSTERY_HINTS = {
    "diverged": "every value of the history is a finite number: nothing diverged.",
    "still_improving": "look at the LAST epochs of the validation loss: is it still falling?",
    "posterior_collapse": "the KL term is 13 nats per image, far from 0: the code carries information.",
    "inactive_dimensions": "a history does not show single dimensions; and that code is a note, not a problem.",
    "loss_per_pixel": "the reconstruction term is about 230 nats per image, the size of a sum over 784 pixels.",
    "pixel_range": "the history says nothing about the images' range; their losses look like Fashion-MNIST's.",
    "gaussian_std_too_large": "nothing in a history tells the decoder's likelihood; compare the two loss curves.",
}


def check_mystery_run(answer) -> None:
    """Exercise 1: the code of the problem in :func:`mystery_history` (a string such as ``"diverged"``)."""
    if not_answered(answer, MYSTERY_RUN):
        return
    require(
        isinstance(answer, str),
        f'{MYSTERY_RUN}: answer with the code as a string, e.g. "diverged"; got {type(answer).__name__}.',
    )
    code, history = answer.strip().lower(), mystery_history()
    right = _history_problem(history)
    require(code == right or code not in MYSTERY_HINTS, f"{MYSTERY_RUN}: not {code!r}: {MYSTERY_HINTS.get(code, '')}")
    require(
        code == right,
        f"{MYSTERY_RUN}: {code!r} is not one of vh.diagnose's codes ({sorted(MYSTERY_HINTS)} "
        f"and {right!r}). Run vh.diagnose(model, x_val, history=vh.exercises.mystery_history()) "
        "and read its report.",
    )
    values = history["val_loss"]
    best = values.index(min(values)) + 1
    correct(
        MYSTERY_RUN,
        f"the validation loss is lowest at epoch {best} and rises for the {len(values) - best} "
        "epochs after it while the training loss keeps falling: keep the weights of epoch "
        f"{best}, or train on more images.",
    )


BEST_STD_TABLE = NumericExercise(
    name="Exercise 2 (the Gaussian std that fits)",
    answer=RECONSTRUCTION_RMS,
    mistakes=(
        (
            RECONSTRUCTION_RMS**2,
            "that is the variance; the decoder's gaussian_std is a standard deviation, in pixel units like the error.",
        ),
        (0.1, "0.1 is the course's default, a fair guess before training; after training, measure the error."),
        (
            1.0,
            "a std of 1 says each pixel is noise over the whole range [0, 1]: every reconstruction, blurred or "
            "sharp, costs about the same, so the model blurs.",
        ),
        (
            2 * RECONSTRUCTION_RMS,
            "that is the threshold above which vh.diagnose reports gaussian_std_too_large; the "
            "likelihood is highest at a smaller std.",
        ),
    ),
    conditions=((lambda value: value > 0, "a standard deviation is positive."),),
    fallback_hint="not quite. Over a fixed std s, the mean Gaussian -log p per pixel is ln s + e^2 / (2 s^2) + "
    "const for an RMS error e: set its derivative in s to 0.",
    success="the Gaussian likelihood of the reconstructions is highest when its std equals their RMS error, "
    "0.08: a std far above it makes blur cheap (notebook 12's gaussian_std_too_large).",
)


def check_best_gaussian_std(answer) -> None:
    """Exercise 2: the fixed Gaussian std (pixel units) with the highest likelihood for reconstructions whose RMS
    error is 0.08."""
    BEST_STD_TABLE.grade(answer)


def _per_pixel_factor_table() -> NumericExercise:
    pixels = IMAGE_SIZE * IMAGE_SIZE
    values = pixels * CHANNELS
    return NumericExercise(
        name="Exercise 3 (how much too much)",
        answer=values,
        exact=True,
        mistakes=(
            (
                pixels,
                f"a {IMAGE_SIZE} x {IMAGE_SIZE} RGB image has {CHANNELS} values per pixel, and the mean runs "
                "over all of them.",
            ),
            (784, "784 is Fashion-MNIST's 28 x 28 x 1; these images are 32 x 32 RGB."),
            (1 / values, "that is the factor of the reconstruction term; the question is how much MORE the KL weighs."),
        ),
        conditions=((lambda value: value == int(value) and value >= 1, "answer with a whole number >= 1."),),
        fallback_hint="not quite. The mean over the values of an image is their sum divided by how many there are: "
        "height x width x channels.",
        success=f"the mean divides the reconstruction term by {values}, so beside it the KL weighs {values}x too "
        "much: loss_per_pixel, then posterior_collapse.",
    )


PER_PIXEL_FACTOR_TABLE = _per_pixel_factor_table()


def check_per_pixel_factor(answer) -> None:
    """Exercise 3: how many times too much the KL weighs when the reconstruction term of 32 x 32 RGB images is
    averaged over their values instead of summed."""
    PER_PIXEL_FACTOR_TABLE.grade(answer)
