"""Training with progress, checkpoint/resume, a NaN guard and optional ``tf.distribute`` (notebook 05); KL warm-up
(notebook 07).

``train`` wraps ``VAE.fit``: it feeds a ``tf.data`` pipeline (see :func:`vae_helpers.data.make_dataset`), writes
``checkpoint.weights.h5`` and ``state.json`` after every finished epoch, and when those files exist it resumes
from the last finished epoch, so an interrupted run loses at most the epoch in progress.
"""

from __future__ import annotations

import json
import math
import os
import pathlib

import keras
import numpy as np

from vae_helpers._checks import check_positive_int
from vae_helpers.data import make_dataset, validate_images

CHECKPOINT_FILE = "checkpoint.weights.h5"
STATE_FILE = "state.json"


class TrainingDivergedError(RuntimeError):
    """The loss became NaN or infinite; training stopped instead of writing useless weights."""


class NaNGuard(keras.callbacks.Callback):
    """Stop training with :class:`TrainingDivergedError` as soon as a batch loss is NaN or infinite."""

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            raise TrainingDivergedError(
                f"loss became {float(loss)} at batch {batch}. Usual causes: pixels outside [0, 1], a loss "
                "computed as log(sigmoid(x)) instead of from logits, or a learning rate that is too high. "
                "The last good checkpoint (if any) was kept; lower the learning rate and resume."
            )


class HistoryRecorder(keras.callbacks.Callback):
    """Append each epoch's logs to ``history`` (a dict metric -> list of floats), also across resumes."""

    def __init__(self, history: dict):
        super().__init__()
        self.history = history

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))


class EpochCheckpoint(HistoryRecorder):
    """After each epoch, atomically save weights + optimizer state and ``state.json`` (epoch, history)."""

    def __init__(self, directory: pathlib.Path, history: dict):
        super().__init__(history)
        self.directory = directory

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        tmp_weights = self.directory / ("tmp-" + CHECKPOINT_FILE)
        self.model.save_weights(tmp_weights, overwrite=True)
        os.replace(tmp_weights, self.directory / CHECKPOINT_FILE)
        tmp_state = self.directory / (STATE_FILE + ".tmp")
        tmp_state.write_text(json.dumps({"epochs_done": epoch + 1, "history": self.history}, indent=1))
        os.replace(tmp_state, self.directory / STATE_FILE)


def read_state(checkpoint_dir) -> dict | None:
    """Return ``{"epochs_done": int, "history": {metric: [per-epoch values]}}`` or None if no checkpoint."""
    path = pathlib.Path(checkpoint_dir) / STATE_FILE
    if not path.is_file() or not (pathlib.Path(checkpoint_dir) / CHECKPOINT_FILE).is_file():
        return None
    try:
        state = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON ({err}); move the folder aside to start afresh.") from err
    if not (isinstance(state, dict) and isinstance(state.get("epochs_done"), int)
            and isinstance(state.get("history"), dict)):
        raise ValueError(
            f"{path} must hold {{\"epochs_done\": int, \"history\": {{...}}}}, got {str(state)[:80]!r}; "
            "move the folder aside to start afresh."
        )
    return state


def train(vae, x_train, x_val=None, epochs: int = 50, batch_size: int = 128, checkpoint_dir=None, strategy=None,
          seed: int = 42, verbose="auto", callbacks=(), steps_per_execution: int = 1, jit_compile="auto"):
    """Train ``vae`` on images and return the per-epoch history (resumed epochs included).

    Args:
        vae: a :class:`vae_helpers.VAE`. If it is not compiled yet it is compiled with Adam (learning rate 1e-3,
            as in the reference). With ``strategy``, build and compile it inside ``strategy.scope()`` (or let
            :func:`vae_helpers.build_vae` do so under the scope); see the README's "Training on many machines".
        x_train: (N, 28, 28, 1) float images in [0, 1]. x_val: same, or None for no validation.
        epochs: total epochs (a resumed run counts the epochs already done).
        batch_size: global batch size (split over replicas under a strategy).
        checkpoint_dir: folder for ``checkpoint.weights.h5`` + ``state.json``; resumes from it if present.
        strategy: a ``tf.distribute.Strategy`` or None for the default (one device).
        seed: shuffle seed. verbose: Keras progress bar mode. callbacks: extra Keras callbacks.
        steps_per_execution: batches run per call into the compiled graph (fewer Python round-trips).
        jit_compile: XLA compilation: True, False or "auto" (the default), which lets Keras choose per device:
            XLA on a GPU, none on a CPU, where ``benchmarks/run.py`` measures it slower for this model.
            ``steps_per_execution`` and ``jit_compile`` only apply when ``train`` compiles ``vae`` itself.

    Returns:
        dict: metric name -> list of per-epoch values (``loss``, ``reconstruction_loss``, ``kl_loss`` and
        ``val_`` versions), nats per image.

    Raises:
        TrainingDivergedError: the loss became NaN/inf.
    """
    if not isinstance(vae, keras.Model):
        raise ValueError(f"vae must be a keras.Model such as vh.build_vae(), got {type(vae).__name__}.")
    x_train = validate_images(x_train, "x_train")
    if x_val is not None:
        x_val = validate_images(x_val, "x_val")
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    steps_per_execution = check_positive_int(steps_per_execution, "steps_per_execution")
    if jit_compile not in (True, False, "auto"):
        raise ValueError(f"jit_compile must be True, False or 'auto' (Keras picks per device), got {jit_compile!r}.")
    if strategy is not None and vae.distribute_strategy is not strategy:
        raise ValueError(
            "the VAE was built outside this strategy's scope, so its variables are not distributed. Fix: "
            "`with strategy.scope(): vae = vh.build_vae()` and then `vh.train(vae, ..., strategy=strategy)`."
        )
    strategy = vae.distribute_strategy
    if not vae.compiled:
        with strategy.scope():
            vae.compile(optimizer=keras.optimizers.Adam(), steps_per_execution=steps_per_execution,
                        jit_compile=jit_compile)

    history, initial_epoch = {}, 0
    user_callbacks = list(callbacks)
    callbacks = [NaNGuard()]  # then the checkpoint, so a user callback that raises cannot lose a finished epoch
    if checkpoint_dir is not None:
        checkpoint_dir = pathlib.Path(checkpoint_dir)
        checkpoint_dir.mkdir(parents=True, exist_ok=True)
        state = read_state(checkpoint_dir)
        if state is not None:
            with strategy.scope():
                vae.optimizer.build(vae.trainable_variables)
            vae.load_weights(checkpoint_dir / CHECKPOINT_FILE)
            initial_epoch, history = int(state["epochs_done"]), state["history"]
            print(f"Resuming from {checkpoint_dir}: {initial_epoch} of {epochs} epochs already done.")
        callbacks.append(EpochCheckpoint(checkpoint_dir, history))
    else:
        callbacks.append(HistoryRecorder(history))
    callbacks += user_callbacks
    if initial_epoch >= epochs:
        return history

    train_ds = make_dataset(x_train, batch_size, shuffle=True, seed=seed)
    val_ds = make_dataset(x_val, batch_size, shuffle=False) if x_val is not None else None
    vae.fit(train_ds, validation_data=val_ds, epochs=epochs, initial_epoch=initial_epoch,
            callbacks=callbacks, verbose=verbose, shuffle=False)  # make_dataset shuffles
    return history


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
        if isinstance(final_beta, bool) or not isinstance(final_beta, (int, float)) or not final_beta >= 0:
            raise ValueError(f"final_beta must be a number >= 0 (1.0 gives the ELBO), got {final_beta!r}.")
        self.final_beta = float(final_beta)
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


def fastest_dtype_policy(cpu_flags=None, gpus=None) -> str:
    """Name the dtype policy that trains the VAE fastest here without costing quality (for ``build_vae``).

    ``"mixed_bfloat16"`` on a machine without GPU whose CPU computes bfloat16 natively (``avx512_bf16`` or
    ``amx_bf16`` among its flags): ``benchmarks/run.py`` measured about 1.5x less CPU work per image there, and
    ``benchmarks/results/precision.json`` the same test -ELBO after the full 50 epochs. ``"float32"`` elsewhere:
    where a CPU only emulates bfloat16 it is not expected to pay off, and on GPUs the course has no TensorFlow
    measurement yet (neither is measured).

    Args:
        cpu_flags: the CPU's feature flags (default: read from ``/proc/cpuinfo``; none if it is absent).
        gpus: number of GPUs (default: those TensorFlow sees).
    """
    if gpus is None:
        import tensorflow as tf

        gpus = len(tf.config.list_physical_devices("GPU"))
    if cpu_flags is None:
        cpu_flags = _cpu_flags()
    if gpus == 0 and {"avx512_bf16", "amx_bf16"} & set(cpu_flags):
        return "mixed_bfloat16"
    return "float32"


def _cpu_flags() -> list[str]:
    try:
        text = pathlib.Path("/proc/cpuinfo").read_text()
    except OSError:  # not Linux: no native-bfloat16 detection
        return []
    return next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])


STRATEGIES = ("default", "mirrored", "multiworker", "tpu")


def make_strategy(name: str = "default"):
    """Return the ``tf.distribute`` strategy called ``name`` (one of :data:`STRATEGIES`), or None for default.

    ``mirrored``: all local GPUs (or CPU). ``multiworker``: one replica per worker listed in ``$TF_CONFIG``.
    ``tpu``: the TPU of a Colab/Cloud TPU runtime.
    """
    import tensorflow as tf

    if name == "default":
        return None
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    raise ValueError(f"strategy must be one of {STRATEGIES}, got {name!r}.")
