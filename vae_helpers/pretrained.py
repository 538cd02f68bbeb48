"""Shipped pretrained models: ``vh.load_pretrained("fashion-latent2")`` in one call. Used in notebooks 06-08.

Each model is a weights file ``<name>.weights.h5`` with a ``<name>.json`` beside it in ``vae_helpers/pretrained/``:
the JSON says how the model was made (the exact training command, seed, latent size, beta, library versions, wall
time) and what it scores (-ELBO, reconstruction and KL for train, validation and test; IWAE bounds for k = 1, 10,
100 on the test set), all in nats per image. They are made by ``make pretrained`` (``python -m vae_helpers``).

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
    return sorted(
        path.name[: -len(WEIGHTS_SUFFIX)]
        for path in PRETRAINED_DIR.glob("*" + WEIGHTS_SUFFIX)
        if path.with_name(path.name[: -len(WEIGHTS_SUFFIX)] + ".json").is_file()
    )


def _files(name_or_folder) -> tuple[pathlib.Path, pathlib.Path]:
    """``(weights, metrics JSON)`` of a shipped model name, or of a folder written by the training command."""
    if isinstance(name_or_folder, str) and name_or_folder in list_pretrained():
        return PRETRAINED_DIR / f"{name_or_folder}{WEIGHTS_SUFFIX}", PRETRAINED_DIR / f"{name_or_folder}.json"
    if not isinstance(name_or_folder, (str, os.PathLike)) or not str(name_or_folder).strip():
        raise ValueError(
            f"expected a model name (str, e.g. 'fashion-latent2') or a run folder (path), got "
            f"{name_or_folder!r}; available: {list_pretrained()}."
        )
    folder = pathlib.Path(name_or_folder).expanduser()
    try:
        is_folder = folder.is_dir()
    except OSError as err:  # e.g. a name too long for the file system
        raise ValueError(
            f"{str(name_or_folder)[:80]!r}... is neither a pretrained model nor a folder "
            f"({err.strerror}); available: {list_pretrained()}."
        ) from None
    if is_folder:
        missing = [file for file in (RUN_WEIGHTS, RUN_METRICS) if not (folder / file).is_file()]
        if missing:
            raise ValueError(
                f"{folder} is not a finished training run: it lacks {' and '.join(missing)}. A run folder is "
                "written by `python -m vae_helpers --out FOLDER` once training ends."
            )
        return folder / RUN_WEIGHTS, folder / RUN_METRICS
    raise ValueError(
        f"no pretrained model named {str(name_or_folder)!r}; available: {list_pretrained()}. "
        "You may also pass the --out folder of a finished `python -m vae_helpers` run."
    )


def pretrained_info(name: str) -> dict:
    """The metrics JSON of a shipped model (how it was made and what it scores), or of a run folder."""
    return _read_metrics(_files(name)[1])


def _read_metrics(path: pathlib.Path) -> dict:
    """The JSON object in ``path``; ValueError naming the file if it is unreadable or not an object."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as err:
        raise ValueError(
            f"{path} is not readable JSON ({type(err).__name__}: {str(err)[:200]}). It is written by "
            "`python -m vae_helpers`; run that again."
        ) from None
    if not isinstance(info, dict):
        raise ValueError(f"{path} must hold a JSON object (how the model was made), got a {type(info).__name__}.")
    return info


def _build(info: dict):
    """``(model, builder name)`` from a metrics JSON: its ``"model"`` kind (:data:`vae_helpers.model_kinds.MODEL_KINDS`;
    a JSON without one is a VAE's) built from its settings, each value checked by the builder (bounds included)
    before anything is allocated. KeyError for a missing value, ValueError/TypeError for a bad one."""
    from vae_helpers.model_kinds import model_kind

    kind = model_kind(info.get("model", "vae"))  # JSONs written before the autoencoder existed are VAEs
    missing = [key for key in ("latent_dim", *(("beta",) if kind.regularized else ())) if key not in info]
    if missing:
        raise KeyError(missing[0])
    return kind.build(info), kind.builder


def _check_declared_shapes(model, weights: pathlib.Path, builder: str) -> None:
    """Compare the shapes of the arrays ``weights`` declares with the model's before any array is read, so a small
    file declaring huge arrays costs no memory. ValueError naming the file if they differ or it is not HDF5."""
    import h5py

    declared = []
    try:
        with h5py.File(weights, "r") as file:
            file.visititems(
                lambda _, item: declared.append(tuple(item.shape)) if isinstance(item, h5py.Dataset) else None
            )
    except (OSError, RuntimeError, ValueError) as err:
        raise ValueError(f"{weights} is not a readable weights file ({type(err).__name__}: {err}).") from None
    expected = sorted(tuple(int(d) for d in w.shape) for w in model.weights)
    if sorted(declared) != expected:
        unexpected = sorted(set(declared) - set(expected)) or sorted(declared)
        raise ValueError(
            f"{weights} does not hold the weights of vh.{builder}(latent_dim={model.latent_dim}): it "
            f"declares {len(declared)} arrays (shapes such as {unexpected[:3]}), the model has "
            f"{len(expected)}. Retrain it with the command recorded beside it."
        )


def load_pretrained(name="fashion-latent2"):
    """Load a shipped model, or the model of a finished training run, as a :class:`vae_helpers.VAE` (or, for a
    model trained with ``--model autoencoder`` such as ``"fashion-autoencoder2"``, a
    :class:`vae_helpers.Autoencoder`; with ``--model cvae`` such as ``"fashion-cvae2"``, a :class:`vae_helpers.CVAE`).

    Args:
        name: a name from :func:`list_pretrained`, or the ``--out`` folder of ``python -m vae_helpers``.

    The architecture is built by :func:`vae_helpers.build_vae` from the JSON's ``latent_dim``, ``beta``,
    ``free_bits`` and ``seed`` (by :func:`vae_helpers.build_autoencoder` from ``latent_dim`` and ``seed``, by
    :func:`vae_helpers.build_cvae` from ``latent_dim``, ``beta`` and ``seed``); only the weight arrays are read from
    the file, so no code from the file ever runs.

    Raises:
        ValueError: unknown name, an unfinished run folder, a metrics JSON that is unreadable or describes no model
            the course builds (latent_dim 1..1024, image sides up to 256: checked before anything is built), or a
            weights file that does not fit the architecture (the shapes it declares are compared before any array
            is read).
    """
    weights, metrics = _files(name)
    info = _read_metrics(metrics)
    try:
        model, builder = _build(info)
    except KeyError as err:
        raise ValueError(
            f"{metrics} must record the model's latent_dim and beta (only latent_dim when its "
            f'"model" is "autoencoder"); it lacks {err}.'
        ) from None
    except (TypeError, ValueError) as err:
        raise ValueError(f"{metrics} does not describe a model the course builds: {err}") from None
    latent_dim = model.latent_dim
    _check_declared_shapes(model, weights, builder)
    try:
        model.load_weights(weights)
    except Exception as err:  # h5py and Keras raise several types for a file that does not fit
        raise ValueError(
            f"{weights} does not hold the weights of vh.{builder}(latent_dim={latent_dim}) "
            f"({type(err).__name__}: {err}). Retrain it with the command recorded in {metrics}."
        ) from err
    return model
