"""Claims checked where they are made: a sentence about a result is followed by ``vh.check_claim``. All notebooks.

A notebook's prose says what its outputs show ("the KL still rises at epoch 50", "the 16-D model scores lower").
``check_claim`` tests that sentence on the values of the run that produced those outputs and prints what it
checked. In full mode (what a learner runs, and what the stored notebooks come from) a claim that does not hold
raises :class:`ClaimError`, so a stored notebook cannot carry a sentence its numbers contradict. In quick mode
(``VAE_QUICK=1``, tiny data and few epochs) results are too rough to judge, so a failing claim is only reported.
"""

from __future__ import annotations

import numbers

import numpy as np

from vae_helpers.config import QUICK_ENV_VAR, is_quick_mode

CHECKED = "\u2713 checked"  # the mark a stored notebook shows under every claim that held
NOT_CHECKED_IN_QUICK_MODE = "\u2026 quick mode"


class ClaimError(AssertionError):
    """A sentence of the notebook is not true of this run's values (raised in full mode only)."""


def check_claim(claim: str, holds, **values) -> bool:
    """Check one sentence of the notebook on this run's values and print the verdict with the numbers.

    Args:
        claim: the sentence as the notebook states it, e.g. ``"the KL still rises at epoch 50"``.
        holds: whether it is true here: a bool (or numpy bool), usually a comparison of the run's values.
        **values: the numbers the claim rests on, printed beside it (scalars; floats shown to 4 significant
            digits), e.g. ``kl_epoch_45=6.47, kl_epoch_50=6.49``.

    Returns:
        ``holds`` as a Python bool.

    Raises:
        ClaimError: in full mode, when the claim does not hold.
        TypeError: when ``holds`` is not a boolean (e.g. an array: reduce it with ``.all()`` or ``.any()``).

    Example: ``vh.check_claim("validation stays within 5 nats of training", gap < 5, gap_nats=gap)``.
    """
    if not isinstance(claim, str) or not claim.strip():
        raise TypeError(f"claim must be the sentence being checked (a non-empty str), got {claim!r}.")
    if not isinstance(holds, (bool, np.bool_)):
        raise TypeError(
            f"holds must be True or False (the claim's truth on this run), got "
            f"{type(holds).__name__} {np.shape(holds) if hasattr(holds, 'shape') else ''}. "
            "Fix: reduce an array of comparisons with .all() or .any()."
        )
    shown = ", ".join(f"{name} = {_format(value)}" for name, value in values.items())
    numbers_text = f" ({shown})" if shown else ""
    if holds:
        print(f"{CHECKED}: {claim}{numbers_text}")
        return True
    if is_quick_mode():
        print(
            f'{NOT_CHECKED_IN_QUICK_MODE}: "{claim}" does not hold on this small run{numbers_text}; '
            "it is checked on the full run."
        )
        return False
    raise ClaimError(
        f'The notebook says "{claim}", but this run\'s values do not show it{numbers_text}. '
        f"Fix: rewrite the sentence to say what the output shows, or, if you changed the notebook's "
        f"sizes, rerun it in full mode ({QUICK_ENV_VAR} unset)."
    )


def _format(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        return f"{float(value):.4g}"
    array = np.asarray(value)
    if array.ndim == 0 and np.issubdtype(array.dtype, np.number):
        return _format(array.item())
    if array.ndim == 1 and array.size <= 10 and np.issubdtype(array.dtype, np.number):
        return "[" + ", ".join(_format(v) for v in array.tolist()) + "]"
    return str(value)
