"""Shipped pretrained models: ``vh.load_pretrained("fashion-latent2")`` in one call. Used in notebooks 06-08.

Each model is a weights file ``<name>.weights.h5`` with a ``<name>.json`` beside it in ``vae_helpers/pretrained/``:
the JSON says how the model was made (the exact training command, seed, latent size, beta, library versions, wall
time) and what it scores (-ELBO, reconstruction and KL for train, validation and test; IWAE bounds for k = 1, 10,
100 on the test set), all in nats per image. They are made by ``make pretrained`` (``python -m vae_helpers.train``).

Only weights are shipped, no model configuration and no optimizer state: the architecture is rebuilt from code
(:func:`vae_helpers.build_vae` with the JSON's latent size and beta, :func:`vae_helpers.build_autoencoder` when
the JSON's ``model`` is ``"autoencoder"``, as for ``fashion-autoencoder2``, :func:`vae_helpers.build_cvae` when it
is ``"cvae"``, as for ``fashion-cvae2``) and the weights are read into it. An HDF5
weights file holds arrays and nothing that runs, and every Keras 3 release and backend reads it.
"""

from __future__ import annotations

import json
import os
import pathlib

PRETRAINED_DIR = pathlib.Path(__file__).with_name("pretrained")
WEIGHTS_SUFFIX = ".weights.h5"
RUN_WEIGHTS = "model" + WEIGHTS_SUFFIX  # what the training command writes into its --out folder
RUN_METRICS = "metrics.json"


def list_pretrained() -> list[str]:
    """Sorted names of the shipped models, e.g. ``["fashion-latent16", "fashion-latent2", ...]``."""
    return sorted(path.name[: -len(WEIGHTS_SUFFIX)] for path in PRETRAINED_DIR.glob("*" + WEIGHTS_SUFFIX)
                  if path.with_name(path.name[: -len(WEIGHTS_SUFFIX)] + ".json").is_file())


def _files(name_or_folder) -> tuple[pathlib.Path, pathlib.Path]:
    """``(weights, metrics JSON)`` of a shipped model name, or of a folder written by the training command."""
    if isinstance(name_or_folder, str) and name_or_folder in list_pretrained():
        return PRETRAINED_DIR / f"{name_or_folder}{WEIGHTS_SUFFIX}", PRETRAINED_DIR / f"{name_or_folder}.json"
    if not isinstance(name_or_folder, (str, os.PathLike)):
        raise ValueError(f"expected a model name (str) or a run folder (path), got {type(name_or_folder).__name__}.")
    folder = pathlib.Path(name_or_folder).expanduser()
    if folder.is_dir():
        missing = [file for file in (RUN_WEIGHTS, RUN_METRICS) if not (folder / file).is_file()]
        if missing:
            raise ValueError(
                f"{folder} is not a finished training run: it lacks {' and '.join(missing)}. A run folder is "
                "written by `python -m vae_helpers.train --out FOLDER` once training ends."
            )
        return folder / RUN_WEIGHTS, folder / RUN_METRICS
    raise ValueError(
        f"no pretrained model named {str(name_or_folder)!r}; available: {list_pretrained()}. "
        "You may also pass the --out folder of a finished `python -m vae_helpers.train` run."
    )


def pretrained_info(name: str) -> dict:
    """The metrics JSON of a shipped model (how it was made and what it scores), or of a run folder."""
    return json.loads(_files(name)[1].read_text())


def load_pretrained(name="fashion-latent2"):
    """Load a shipped model, or the model of a finished training run, as a :class:`vae_helpers.VAE` (or, for a
    model trained with ``--model autoencoder`` such as ``"fashion-autoencoder2"``, a
    :class:`vae_helpers.Autoencoder`; with ``--model cvae`` such as ``"fashion-cvae2"``, a :class:`vae_helpers.CVAE`).

    Args:
        name: a name from :func:`list_pretrained`, or the ``--out`` folder of ``python -m vae_helpers.train``.

    The architecture is built by :func:`vae_helpers.build_vae` from the JSON's ``latent_dim``, ``beta``,
    ``free_bits`` and ``seed`` (by :func:`vae_helpers.build_autoencoder` from ``latent_dim`` and ``seed``, by
    :func:`vae_helpers.build_cvae` from ``latent_dim``, ``beta`` and ``seed``); only the weight arrays are read from
    the file, so no code from the file ever runs.

    Raises:
        ValueError: unknown name, an unfinished run folder, or a weights file that does not fit the architecture.
    """
    from vae_helpers.autoencoder import build_autoencoder
    from vae_helpers.conditional import build_cvae
    from vae_helpers.model import build_vae

    weights, metrics = _files(name)
    info = json.loads(metrics.read_text())
    kind = info.get("model", "vae")  # JSONs written before the autoencoder existed are VAEs
    try:
        latent_dim, seed = int(info["latent_dim"]), info.get("seed")
        if kind == "autoencoder":
            model, builder = build_autoencoder(latent_dim, seed=seed), "build_autoencoder"
        elif kind == "cvae":
            model, builder = build_cvae(latent_dim, beta=float(info["beta"]), seed=seed), "build_cvae"
        elif kind == "vae":
            beta = float(info["beta"])
            free_bits = float(info.get("free_bits") or 0.0)  # older JSONs predate free bits
            own = {key: info[key] for key in ("likelihood", "gaussian_std") if key in info}  # notebook 10
            if "image_shape" in info:
                own["image_shape"] = tuple(info["image_shape"])
            model, builder = build_vae(latent_dim, beta=beta, seed=seed, free_bits=free_bits, **own), "build_vae"
        else:
            raise ValueError(f"model {kind!r} is none of 'vae', 'autoencoder' and 'cvae'")
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"{metrics} must record the model's latent_dim and beta (only latent_dim when its "
                         f"\"model\" is \"autoencoder\") ({err}).") from err
    try:
        model.load_weights(weights)
    except Exception as err:  # h5py and Keras raise several types for a file that does not fit
        raise ValueError(
            f"{weights} does not hold the weights of vh.{builder}(latent_dim={latent_dim}) "
            f"({type(err).__name__}: {err}). Retrain it with the command recorded in {metrics}."
        ) from err
    return model
