"""Training with progress, checkpoint/resume, a NaN guard and optional data-parallel distribution (notebook 05);
KL warm-up (notebook 07).

``train`` wraps ``VAE.fit``: it feeds shuffled batches (:func:`vae_helpers.data.make_dataset`), writes
``checkpoint.weights.h5`` and ``state.json`` after every finished epoch whose losses are finite, and when those
files exist it resumes from the last such epoch, so an interrupted run loses at most the epoch in progress.
``state.json`` records the settings that shape the run (model, data, batch size, seed, package version); a resume
with other settings stops before training and names each difference (:mod:`vae_helpers.runs`).
"""

from __future__ import annotations

import json
import math
import pathlib

import keras
import numpy as np
from keras import ops

from vae_helpers import devices, runs, runtime
from vae_helpers._checks import (
    BATCH_SIZE_HINT,
    MAX_BATCH_SIZE,
    check_beta,
    check_learning_rate,
    check_positive_int,
)
from vae_helpers._version import __version__
from vae_helpers.data import make_dataset, validate_images
from vae_helpers.model import condition_for
from vae_helpers.recipes import DEFAULT_RECIPE, recipe_named, steps_per_epoch
from vae_helpers.runs import RunFolderError

CHECKPOINT_FILE = "checkpoint.weights.h5"
STATE_FILE = "state.json"


class TrainingDivergedError(RuntimeError):
    """The loss became NaN or infinite; training stopped instead of writing useless weights."""


RESUME_ADVICE = (
    "The last good checkpoint (if any) was kept. Lower the learning rate and resume: "
    "`python -m vae_helpers ... --learning-rate 1e-4` (the same command otherwise), or compile "
    "with `keras.optimizers.Adam(1e-4)` and call vh.train with the same checkpoint_dir. To name the "
    "cause, run vh.diagnose(model, x_val, history) (notebook 12)."
)


class NaNGuard(keras.callbacks.Callback):
    """Stop training with :class:`TrainingDivergedError` as soon as a batch loss is NaN or infinite."""

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            raise TrainingDivergedError(
                f"loss became {float(loss)} at batch {batch}. Usual causes: pixels outside [0, 1], a loss "
                "computed as log(sigmoid(x)) instead of from logits, or a learning rate that is too high. "
                + RESUME_ADVICE
            )


def _follows_schedule(optimizer) -> bool:
    """True when the optimizer's learning rate is a schedule (a function of its step counter)."""
    return isinstance(optimizer._learning_rate, keras.optimizers.schedules.LearningRateSchedule)


def _learning_rate(optimizer) -> float:
    """The optimizer's current learning rate (a schedule's value at the optimizer's current step)."""
    return float(ops.convert_to_numpy(optimizer.learning_rate))


class HistoryRecorder(keras.callbacks.Callback):
    """Append each epoch's logs to ``history`` (a dict metric -> list of floats), also across resumes.

    An epoch whose training or validation losses are not all finite raises :class:`TrainingDivergedError`
    before anything is recorded or saved. ``learning_rates`` gets the learning rate at the end of each epoch
    (for a schedule, the rate of the epoch's last step).
    """

    def __init__(self, history: dict, learning_rates: list):
        super().__init__()
        self.history, self.learning_rates = history, learning_rates

    def on_epoch_end(self, epoch, logs=None):
        logs = {key: float(value) for key, value in (logs or {}).items()}
        bad = {key: value for key, value in logs.items() if not math.isfinite(value)}
        if bad:
            raise TrainingDivergedError(
                f"epoch {epoch + 1} ended with non-finite losses {bad}, so it was not recorded. " + RESUME_ADVICE
            )
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)
        self.learning_rates.append(_learning_rate(self.model.optimizer))


class EpochCheckpoint(HistoryRecorder):
    """After each good epoch, write weights + optimizer state, then ``state.json`` (settings, epoch, history),
    each whole or not at all."""

    def __init__(self, directory: pathlib.Path, history: dict, learning_rates: list, settings: dict):
        super().__init__(history, learning_rates)
        self.directory, self.settings = directory, settings

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        runs.save_weights(self.model, self.directory / CHECKPOINT_FILE)
        runs.write_json(
            self.directory / STATE_FILE,
            {
                "epochs_done": epoch + 1,
                "settings": self.settings,
                "history": self.history,
                "learning_rates": self.learning_rates,
            },
        )


def read_state(checkpoint_dir) -> dict | None:
    """Return the checkpoint's state, or None when ``checkpoint_dir`` holds no checkpoint yet.

    The state is ``{"epochs_done": int, "settings": {...}, "history": {metric: [per-epoch values]},
    "learning_rates": [per-epoch values]}``.

    Raises:
        RunFolderError: the folder is incomplete (one of the two files without the other) or ``state.json`` is
            unreadable or inconsistent; the message names the folder and the way out. Nothing is changed.
    """
    folder = pathlib.Path(checkpoint_dir)
    path, weights = folder / STATE_FILE, folder / CHECKPOINT_FILE
    if not path.is_file() and not weights.is_file():
        return None
    if not (path.is_file() and weights.is_file()):
        present, absent = (path, weights) if path.is_file() else (weights, path)
        raise RunFolderError(
            f"{folder} is incomplete: it has {present.name} but not {absent.name}, so it cannot be "
            "resumed; nothing in it was changed. " + runs.ways_out(folder)
        )
    try:
        state = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise RunFolderError(
            f"{path} is not readable JSON ({err}); nothing in {folder} was changed. " + runs.ways_out(folder)
        ) from err
    problem = _state_problem(state)
    if problem:
        raise RunFolderError(
            f"{path} is inconsistent: {problem}; nothing in {folder} was changed. " + runs.ways_out(folder)
        )
    return state


def _state_problem(state) -> str | None:
    if not isinstance(state, dict):
        return f"expected a JSON object, got {type(state).__name__}"
    done, history = state.get("epochs_done"), state.get("history")
    if isinstance(done, bool) or not isinstance(done, int) or done < 1:
        return f"epochs_done must be an integer >= 1, got {done!r}"
    if not isinstance(history, dict) or not history:
        return "history must be a non-empty object of per-epoch lists"
    lengths = {key: len(values) if isinstance(values, list) else None for key, values in history.items()}
    if set(lengths.values()) != {done}:
        return f"epochs_done is {done} but the history holds {lengths} values per metric"
    if not isinstance(state.get("settings"), dict):
        return "it records no settings (a checkpoint from an older version of the course)"
    learning_rates = state.get("learning_rates")
    if not isinstance(learning_rates, list) or len(learning_rates) != done:
        return f"learning_rates must hold one value per epoch ({done})"
    return None


def run_settings(vae, x_train, x_val, batch_size: int, seed, extra: dict | None = None) -> dict:
    """What identifies a training run: the model, its optimizer's kind, the data, the batch size, the seed, the
    package version (not the number of epochs nor the learning rate: changing those continues the run), and,
    only when they are used, the model's free bits (``free_bits``, nats) and the KL warm-up
    (``kl_warmup_epochs``, recorded by :func:`train` from a :class:`KLWarmup` among its callbacks), so a run
    made without them keeps the settings it always had.

    ``extra`` adds the caller's own (the training command adds its data source).
    Values are JSON-normalised, so they compare equal to what ``state.json`` holds.
    """
    settings = {
        "model": type(vae).__name__,
        "latent_dim": getattr(vae, "latent_dim", None),
        "beta": float(ops.convert_to_numpy(vae.beta)) if hasattr(vae, "beta") else None,
        "dtype_policy": vae.dtype_policy.name,
        "weight_shapes": [list(w.shape) for w in vae.weights],
        "optimizer": type(vae.optimizer).__name__,
        "image_shape": list(x_train.shape[1:]),
        "n_train": len(x_train),
        "n_validation": 0 if x_val is None else len(x_val),
        "batch_size": batch_size,
        "seed": seed,
        "package_version": __version__,
        **(extra or {}),
    }
    if getattr(vae, "free_bits", 0.0):
        settings["free_bits"] = vae.free_bits
    return json.loads(json.dumps(settings))


def train(
    vae,
    x_train,
    x_val=None,
    epochs: int | None = None,
    batch_size: int | None = None,
    checkpoint_dir=None,
    strategy=None,
    seed: int = 42,
    verbose="auto",
    callbacks=(),
    steps_per_execution: int = 1,
    jit_compile="auto",
    restart: bool = False,
    settings: dict | None = None,
    learning_rate: float | None = None,
    y_train=None,
    y_val=None,
    recipe: str = DEFAULT_RECIPE,
):
    """Train ``vae`` on images (and, for a conditional VAE, their labels) and return the per-epoch history
    (resumed epochs included).

    Args:
        vae: a :class:`vae_helpers.VAE`. If it is not compiled yet it is compiled with Adam and the recipe's
            learning rate (the reference's: a constant 1e-3). With ``strategy``, build and compile it inside
            ``strategy.scope()`` (or let :func:`vae_helpers.build_vae` do so under the scope); see the book's
            Training page. A recipe with a schedule (``"fast"``) needs a model that is not compiled yet.
        x_train: (N, H, W, C) float images in [0, 1], the shape the model takes (default (N, 28, 28, 1)). x_val: same, or None for no validation.
        y_train, y_val: the class index of each image (N,), for a :class:`vae_helpers.CVAE` only (notebook 09):
            they travel with the images through :func:`vae_helpers.make_dataset`.
        epochs: total epochs (a resumed run counts the epochs already done); None: the recipe's (50 for the
            reference).
        batch_size: global batch size (split over replicas under a strategy), 1 to 4096 (``MAX_BATCH_SIZE``);
            None: the recipe's (128 for the reference).
        learning_rate: Adam's constant rate, or the peak of the recipe's schedule; None: the recipe's.
        recipe: ``"reference"`` (the default: the tutorial's constant 1e-3, batch 128, 50 epochs) or ``"fast"``
            (:mod:`vae_helpers.recipes`: warm-up and cosine decay over ``epochs``, 16 by default; the
            reference's quality in a fraction of its time, notebook 05). A model built in bfloat16 gets the
            recipe's bfloat16 version (the fast one: 17 epochs, batches of 256, twice the peak rate).
        checkpoint_dir: folder for ``checkpoint.weights.h5`` + ``state.json``; resumes from it if present (with
            the settings recorded there; for a constant rate, more epochs continue the run and the rate the
            model was compiled with is the one used; a schedule's length and peak are settings, and it continues
            from the saved step; the optimizer's moments are kept). One process at a time per folder.
        strategy: None for one device, or what :func:`vae_helpers.make_strategy` returns: a ``tf.distribute``
            strategy on TensorFlow, a ``keras.distribution.DataParallel`` on JAX.
        seed: shuffle seed. verbose: Keras progress bar mode. callbacks: extra Keras callbacks.
        steps_per_execution: batches run per call into the compiled graph (fewer Python round-trips).
        jit_compile: XLA compilation: True, False or "auto" (the default), which lets Keras choose per device:
            XLA on a GPU, none on a CPU, where ``benchmarks/run.py`` measures it slower for this model.
            ``steps_per_execution`` and ``jit_compile`` only apply when ``train`` compiles ``vae`` itself.
        restart: move an existing ``checkpoint_dir`` aside (to ``<name>.old-<date>``) and train from scratch.
        settings: more values that identify the run, recorded and compared with the rest (JSON-serialisable);
            a :class:`KLWarmup` among ``callbacks`` is recorded as ``kl_warmup_epochs``.

    Returns:
        dict: metric name -> list of per-epoch values (``loss``, ``reconstruction_loss``, ``kl_loss`` and
        ``val_`` versions), nats per image.

    Raises:
        TrainingDivergedError: the loss became NaN/inf (that epoch is never checkpointed).
        RunFolderError: ``checkpoint_dir`` is in use by another process, damaged, or holds a run with other
            settings (each difference is named).
    """
    if not isinstance(vae, keras.Model):
        raise ValueError(f"vae must be a keras.Model such as vh.build_vae(), got {type(vae).__name__}.")
    shape = tuple(int(d) for d in vae.inputs[0].shape[1:]) if getattr(vae, "inputs", None) else None
    shape = tuple(int(d) for d in vae.encoder.inputs[0].shape[1:]) if hasattr(vae, "encoder") else shape
    x_train = validate_images(x_train, "x_train", image_shape=shape)  # the model's own shape (notebook 10)
    if x_val is not None:
        x_val = validate_images(x_val, "x_val", image_shape=shape)
    y_train, y_val = _checked_labels(vae, x_train, x_val, y_train, y_val)
    recipe = recipe_named(recipe, vae.dtype_policy.name)
    epochs, batch_size, learning_rate = recipe.filled(epochs, batch_size, learning_rate)
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size", MAX_BATCH_SIZE, BATCH_SIZE_HINT)
    learning_rate = check_learning_rate(learning_rate)
    steps_per_execution = check_positive_int(steps_per_execution, "steps_per_execution")
    if jit_compile not in (True, False, "auto"):
        raise ValueError(f"jit_compile must be True, False or 'auto' (Keras picks per device), got {jit_compile!r}.")
    strategy = devices.checked_strategy(vae, strategy)
    schedule = recipe.learning_rate_schedule(steps_per_epoch(len(x_train), batch_size), epochs, learning_rate)
    if not vae.compiled:
        with devices.strategy_scope(strategy):
            vae.compile(
                optimizer=keras.optimizers.Adam(schedule),
                steps_per_execution=steps_per_execution,
                jit_compile=jit_compile,
            )
    elif recipe.decay != "constant":
        raise ValueError(
            f"the {recipe.name!r} recipe compiles the model with its own learning-rate schedule, but "
            "this model is compiled already. Build a new one (vh.build_vae()) and pass it uncompiled, "
            "or train this one with recipe='reference'."
        )

    user_callbacks = list(callbacks)
    if checkpoint_dir is None:
        history, learning_rates = {}, []
        _fit(
            vae,
            (x_train, y_train),
            (x_val, y_val),
            epochs,
            batch_size,
            seed,
            verbose,
            0,
            [NaNGuard(), HistoryRecorder(history, learning_rates), *user_callbacks],
            strategy,
        )
        return history
    folder = pathlib.Path(checkpoint_dir)
    if restart and folder.exists() and any(p.name != runs.LOCK_FILE for p in folder.iterdir()):
        runs.move_aside(folder)
    warmups = [callback.warmup_epochs for callback in user_callbacks if isinstance(callback, KLWarmup)]
    current = run_settings(
        vae,
        x_train,
        x_val,
        batch_size,
        seed,
        {
            **({"kl_warmup_epochs": warmups[0]} if warmups else {}),
            **recipe.run_settings(epochs, learning_rate),
            **(settings or {}),
        },
    )
    with runs.exclusive(folder):
        state = read_state(folder)
        history, learning_rates, initial_epoch = {}, [], 0
        if state is not None:
            differences = runs.differences(state["settings"], current)
            if differences:
                raise RunFolderError(
                    f"{folder} holds a run made with other settings, so it cannot be resumed with these:\n  "
                    + "\n  ".join(differences)
                    + "\n"
                    + runs.ways_out(folder)
                )
            _load_checkpoint(vae, folder, strategy)
            initial_epoch, history, learning_rates = state["epochs_done"], state["history"], state["learning_rates"]
            print(f"Resuming from {folder}: {initial_epoch} of {epochs} epochs already done.")
        # NaNGuard first, then the checkpoint, so a user callback that raises cannot lose a finished epoch
        callbacks = [NaNGuard(), EpochCheckpoint(folder, history, learning_rates, current), *user_callbacks]
        if initial_epoch < epochs:
            _fit(
                vae,
                (x_train, y_train),
                (x_val, y_val),
                epochs,
                batch_size,
                seed,
                verbose,
                initial_epoch,
                callbacks,
                strategy,
            )
        else:
            print(f"{folder} already holds {initial_epoch} finished epochs (asked for {epochs}): nothing to train.")
    return history


def _load_checkpoint(vae, folder: pathlib.Path, strategy) -> None:
    """Load weights and optimizer state (its step counter included, so a schedule continues where it stopped),
    keeping the constant learning rate ``vae`` was compiled with."""
    learning_rate = None if _follows_schedule(vae.optimizer) else _learning_rate(vae.optimizer)
    with devices.strategy_scope(strategy):
        vae.optimizer.build(vae.trainable_variables)
    try:
        vae.load_weights(folder / CHECKPOINT_FILE)
    except Exception as err:  # h5py and Keras raise several types for a truncated or foreign file
        raise RunFolderError(
            f"{folder / CHECKPOINT_FILE} cannot be read ({type(err).__name__}: {err}); it is truncated or damaged. "
            "Nothing in the folder was changed. " + runs.ways_out(folder)
        ) from err
    if learning_rate is not None:
        vae.optimizer.learning_rate = learning_rate


def _checked_labels(vae, x_train, x_val, y_train, y_val):
    """``(y_train, y_val)``, class indices (N,) int64, for a conditional model, or ``(None, None)`` for a model
    that takes images alone: checked against the images by the one labels gate (:func:`condition_for`)."""
    conditional = condition_for(vae, y_train, len(x_train), "y_train") is not None
    if x_val is not None:
        condition_for(vae, y_val, len(x_val), "y_val")
    elif y_val is not None:
        raise ValueError("y_val labels the validation images: pass x_val= with it, or drop y_val=.")
    if not conditional:
        return None, None
    return np.asarray(y_train, np.int64), None if x_val is None else np.asarray(y_val, np.int64)


def _fit(vae, train, validation, epochs, batch_size, seed, verbose, initial_epoch, callbacks, strategy) -> None:
    """``fit`` on ``train`` = ``(x_train, y_train or None)`` and ``validation`` = ``(x_val or None, y_val)``."""
    (x_train, y_train), (x_val, y_val) = train, validation
    train_data = make_dataset(x_train, batch_size, shuffle=True, seed=seed, labels=y_train)
    val_data = make_dataset(x_val, batch_size, shuffle=False, labels=y_val) if x_val is not None else None
    # On JAX the data-parallel distribution shards each batch while it is active; tf.distribute needs no scope.
    with devices.strategy_scope(None if runtime.backend() == "tensorflow" else strategy):
        vae.fit(
            train_data,
            validation_data=val_data,
            epochs=epochs,
            initial_epoch=initial_epoch,
            callbacks=callbacks,
            verbose=verbose,
            shuffle=False,
        )  # make_dataset shuffles


class KLWarmup(keras.callbacks.Callback):
    """KL warm-up: raise ``vae.beta`` linearly from 0 to ``final_beta`` over the first ``warmup_epochs`` epochs.

    Introduced in notebook 07. Before every training batch ``beta = final_beta * min(1, progress /
    warmup_epochs)``, where ``progress`` counts epochs done, fractions included (``epoch + batch /
    steps_per_epoch``; whole epochs only if Keras does not know the number of steps). Epoch numbers are those of
    ``fit``, so a resumed run continues the schedule. Early in training the decoder cannot use z yet, and a full
    KL weight can push every posterior onto the prior for good (posterior collapse); starting at beta = 0 lets
    the encoder put information into z first. The value at the end of each epoch of this run is appended to
    ``betas``.

    Args:
        warmup_epochs: epochs until beta reaches ``final_beta`` (positive int).
        final_beta: KL weight after the warm-up (>= 0; 1.0 gives the ELBO).

    Example: ``vh.train(vae, x, epochs=10, callbacks=[vh.KLWarmup(warmup_epochs=3)])``.
    """

    def __init__(self, warmup_epochs: int, final_beta: float = 1.0):
        super().__init__()
        self.warmup_epochs = check_positive_int(warmup_epochs, "warmup_epochs")
        self.final_beta = check_beta(final_beta, "final_beta")
        self.betas: list[float] = []
        self._epoch = 0

    def beta_at(self, progress: float) -> float:
        """The KL weight after ``progress`` epochs of training (a float, e.g. 1.5 = halfway through epoch 2)."""
        return self.final_beta * min(1.0, progress / self.warmup_epochs)

    def on_train_begin(self, logs=None):
        if not isinstance(getattr(self.model, "beta", None), keras.Variable):
            raise ValueError(
                f"KLWarmup needs a model with a `beta` keras.Variable (a vh.VAE), got {type(self.model).__name__}."
            )

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_begin(self, batch, logs=None):
        steps = self.params.get("steps")
        self.model.beta.assign(self.beta_at(self._epoch + (batch / steps if steps else 0.0)))

    def on_epoch_end(self, epoch, logs=None):
        self.betas.append(float(self.model.beta.numpy()))
