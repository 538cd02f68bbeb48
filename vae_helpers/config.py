"""Run options shared by the notebooks, the training command and the tests.

Quick mode is chosen by one environment variable, ``VAE_QUICK``. CI sets ``VAE_QUICK=1`` so that every
notebook runs in seconds on a small subset; a learner leaves it unset and gets the full course. Quick mode
changes sizes and step counts only, never which code runs.
"""

from __future__ import annotations

import dataclasses
import numbers
import os

QUICK_ENV_VAR = "VAE_QUICK"
DEFAULT_SEED = 42


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
        epochs: training epochs for notebooks that train (50 in full mode, as in the reference tutorial).
        batch_size: images per gradient step (128, as in the reference tutorial).
    """

    quick: bool
    seed: int = DEFAULT_SEED
    n_train: int = 60_000
    n_test: int = 10_000
    epochs: int = 50
    batch_size: int = 128


def run_options(seed: int = DEFAULT_SEED) -> RunOptions:
    """Return the :class:`RunOptions` for this run: small in quick mode, the reference's sizes otherwise."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise ValueError(f"seed must be an integer >= 0 (the course uses {DEFAULT_SEED}), got {seed!r}.")
    if is_quick_mode():
        return RunOptions(quick=True, seed=seed, n_train=2_048, n_test=1_024, epochs=2)
    return RunOptions(quick=False, seed=seed)
