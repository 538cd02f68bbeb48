"""Run options shared by the notebooks, the training command and the tests.

Quick mode is chosen by one environment variable, ``VAE_QUICK``. CI sets ``VAE_QUICK=1`` so that every
notebook runs in seconds on a small subset; a learner leaves it unset and gets the full course. Quick mode
changes sizes and step counts only, never which code runs.
"""

from __future__ import annotations

import dataclasses
import numbers
import os

from vae_helpers._checks import check_seed

QUICK_ENV_VAR = "VAE_QUICK"
DEFAULT_SEED = 42

# Run sizes, one home for the notebooks, the training command and the benchmarks.
N_TRAINING_IMAGES = 60_000  # Fashion-MNIST's training split
N_VALIDATION = 5_000  # held out from it for validation: 55,000 images train, 5,000 validate
QUICK_N_TRAIN = 2_048  # quick mode: training images (notebooks and `python -m vae_helpers --quick`)
QUICK_N_TEST = 1_024  # quick mode: test (and validation) images of the notebooks
QUICK_EPOCHS = 2  # quick mode: epochs of the notebooks that train


def split_validation(x_train, n_validation: int = N_VALIDATION):
    """``(train, validation)``: the last ``n_validation`` images of the training split are held out for
    validation, the rest (55,000 of Fashion-MNIST's 60,000 by default) train. Arrays (N, ...) in, views out."""
    if (
        isinstance(n_validation, bool)
        or not isinstance(n_validation, numbers.Integral)
        or not 0 < n_validation < len(x_train)
    ):
        raise ValueError(
            f"n_validation must be a whole number between 1 and {len(x_train) - 1} (the images held "
            f"out of the {len(x_train)} training images), got {n_validation!r}."
        )
    return x_train[:-n_validation], x_train[-n_validation:]


def is_quick_mode() -> bool:
    """Return True when ``$VAE_QUICK`` is set to 1/true/yes/on (case-insensitive)."""
    value = os.environ.get(QUICK_ENV_VAR, "").strip().lower()
    if value in {"", "0", "false", "no", "off"}:
        return False
    if value in {"1", "true", "yes", "on"}:
        return True
    raise ValueError(
        f"{QUICK_ENV_VAR}={value!r} is not understood: expected 1/true/yes/on for quick mode or "
        f"0/false/no/off (or unset) for the full course. Fix: `export {QUICK_ENV_VAR}=1` or "
        f"`unset {QUICK_ENV_VAR}`."
    )


@dataclasses.dataclass(frozen=True)
class RunOptions:
    """Sizes for one run of a notebook.

    Attributes:
        quick: True in quick mode (CI); False for the full course.
        seed: seed for every random number generator the notebook uses.
        n_train: number of training images to use (60,000 in full mode).
        n_test: number of test images to use (10,000 in full mode).
        epochs: training epochs for notebooks that train (50 in full mode, as in the reference tutorial);
            :meth:`epochs_for` gives a recipe's.
        batch_size: images per gradient step (128, as in the reference tutorial).
    """

    quick: bool
    seed: int = DEFAULT_SEED
    n_train: int = N_TRAINING_IMAGES
    n_test: int = 10_000
    epochs: int = 50
    batch_size: int = 128

    def epochs_for(self, recipe: str) -> int:
        """Epochs of a run with the training recipe ``recipe`` (:mod:`vae_helpers.recipes`): the recipe's own
        number in full mode (50 for ``"reference"``), :attr:`epochs` in quick mode."""
        from vae_helpers.recipes import recipe_named

        return self.epochs if self.quick else recipe_named(recipe).epochs


def run_options(seed: int = DEFAULT_SEED) -> RunOptions:
    """Return the :class:`RunOptions` for this run: small in quick mode, the reference's sizes otherwise."""
    seed = check_seed(seed, f"the course uses {DEFAULT_SEED}", allow_none=False)
    if is_quick_mode():
        return RunOptions(quick=True, seed=seed, n_train=QUICK_N_TRAIN, n_test=QUICK_N_TEST, epochs=QUICK_EPOCHS)
    return RunOptions(quick=False, seed=seed)
