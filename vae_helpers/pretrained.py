"""Shipped pretrained models: ``vh.load_pretrained("fashion-latent2")`` in one call. Used in notebooks 06-07.

Each model is a ``<name>.keras`` file with a ``<name>.json`` beside it in ``vae_helpers/pretrained/``: the exact
training command, seed, library versions, wall time, and the scores (-ELBO, reconstruction and KL for train,
validation and test; IWAE bounds for k = 1, 10, 100 on the test set), all in nats per image. They are made by
``make pretrained`` (which runs ``python -m vae_helpers.train``).
"""

from __future__ import annotations

import json
import pathlib

PRETRAINED_DIR = pathlib.Path(__file__).with_name("pretrained")


def list_pretrained() -> list[str]:
    """Sorted names of the shipped models, e.g. ``["fashion-latent16", "fashion-latent2", "fashion-latent2-beta4"]``."""
    return sorted(path.stem for path in PRETRAINED_DIR.glob("*.keras"))


def _path(name: str, suffix: str) -> pathlib.Path:
    available = list_pretrained()
    if name not in available:
        raise ValueError(f"no pretrained model named {name!r}; available: {available}.")
    return PRETRAINED_DIR / f"{name}{suffix}"


def pretrained_info(name: str) -> dict:
    """The metrics JSON of a shipped model (how it was made and what it scores)."""
    return json.loads(_path(name, ".json").read_text())


def load_pretrained(name: str = "fashion-latent2"):
    """Load a shipped model as a :class:`vae_helpers.VAE` (with ``safe_mode=True``: no arbitrary code runs)."""
    import keras

    import vae_helpers.model  # noqa: F401  (registers VAE and Sampling for deserialization)

    return keras.models.load_model(_path(name, ".keras"), safe_mode=True)
