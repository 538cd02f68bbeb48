"""training.py: training lowers the loss, checkpoints resume without redoing epochs, NaN stops training."""

import json
import pathlib

import keras
import numpy as np
import pytest

import vae_helpers as vh
from vae_helpers.training import CHECKPOINT_FILE, STATE_FILE

from conftest import crossed_bars, only_on

X_TRAIN = crossed_bars(64, seed=10)  # 4 batches of 16 per epoch
BATCH = 16


class Interrupted(Exception):
    """Stands for a crash or Ctrl-C in the middle of a run."""


class EpochLog(keras.callbacks.Callback):
    """Records the epochs fit runs, the weights after each epoch, and raises when epoch ``stop_at`` begins."""

    def __init__(self, stop_at=None):
        super().__init__()
        self.stop_at, self.epochs_begun, self.weights_after_epoch = stop_at, [], {}
        self.weights_at_start = self.iterations_at_start = None

    def on_train_begin(self, logs=None):
        self.weights_at_start = [w.copy() for w in self.model.get_weights()]
        self.iterations_at_start = int(self.model.optimizer.iterations.numpy())

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.stop_at:
            raise Interrupted(f"stopped before epoch {epoch}")
        self.epochs_begun.append(epoch)

    def on_epoch_end(self, epoch, logs=None):
        self.weights_after_epoch[epoch] = [w.copy() for w in self.model.get_weights()]


def state_of(folder):
    return json.loads((folder / STATE_FILE).read_text())


def test_fixture_training_lowers_the_loss(trained_vae):
    _, history, _ = trained_vae
    assert set(history) == {"loss", "reconstruction_loss", "kl_loss"}
    assert all(len(values) == 20 for values in history.values())
    assert history["loss"][-1] < history["loss"][0] - 50  # nats per image, from about 440 to about 290
    np.testing.assert_allclose(np.add(history["reconstruction_loss"], history["kl_loss"]), history["loss"], rtol=1e-4)


def test_history_includes_validation_metrics_and_default_optimizer(make_tiny_vae):
    vae = make_tiny_vae()
    history = vh.train(vae, X_TRAIN, X_TRAIN[:16], epochs=2, batch_size=BATCH, verbose=0)
    assert set(history) == {
        "loss",
        "reconstruction_loss",
        "kl_loss",
        "val_loss",
        "val_reconstruction_loss",
        "val_kl_loss",
    }
    assert all(len(values) == 2 for values in history.values())
    assert isinstance(vae.optimizer, keras.optimizers.Adam)
    assert float(vae.optimizer.learning_rate.numpy()) == pytest.approx(1e-3)


def test_interrupted_run_resumes_where_it_stopped(make_tiny_vae, tmp_path, capsys):
    epochs, stop_at, steps_per_epoch = 4, 2, len(X_TRAIN) // BATCH
    first = EpochLog(stop_at=stop_at)
    with pytest.raises(Interrupted):
        vh.train(
            make_tiny_vae(seed=1),
            X_TRAIN,
            epochs=epochs,
            batch_size=BATCH,
            checkpoint_dir=tmp_path,
            callbacks=[first],
            verbose=0,
        )
    state = state_of(tmp_path)
    assert state["epochs_done"] == stop_at == len(state["history"]["loss"])
    assert vh.read_state(tmp_path) == state

    resumed_vae = make_tiny_vae(seed=2)  # different initial weights: they must be replaced by the checkpoint
    second = EpochLog()
    history = vh.train(
        resumed_vae, X_TRAIN, epochs=epochs, batch_size=BATCH, checkpoint_dir=tmp_path, callbacks=[second], verbose=0
    )
    assert f"{stop_at} of {epochs} epochs already done" in capsys.readouterr().out
    assert second.epochs_begun == [2, 3]  # no finished epoch is redone
    for restored, saved in zip(second.weights_at_start, first.weights_after_epoch[stop_at - 1]):
        np.testing.assert_array_equal(restored, saved)
    assert second.iterations_at_start == stop_at * steps_per_epoch  # optimizer state came back too
    assert all(len(values) == epochs for values in history.values())
    assert history["loss"][:stop_at] == state["history"]["loss"]
    assert state_of(tmp_path)["epochs_done"] == epochs and state_of(tmp_path)["history"] == history


def run_files(folder):
    """Bytes and modification time of every file of a run (the lock file aside)."""
    return {
        path.name: (path.read_bytes(), path.stat().st_mtime_ns) for path in folder.iterdir() if path.name != ".lock"
    }


def test_finished_run_does_nothing(make_tiny_vae, tmp_path, capsys):
    vh.train(make_tiny_vae(seed=1), X_TRAIN, epochs=2, batch_size=BATCH, checkpoint_dir=tmp_path, verbose=0)
    files = run_files(tmp_path)
    vae, log = make_tiny_vae(seed=3), EpochLog()
    history = vh.train(vae, X_TRAIN, epochs=2, batch_size=BATCH, checkpoint_dir=tmp_path, callbacks=[log], verbose=0)
    assert log.epochs_begun == [] and log.weights_at_start is None  # fit was not even called
    assert history == state_of(tmp_path)["history"] and len(history["loss"]) == 2
    assert run_files(tmp_path) == files
    assert "already holds 2 finished epochs (asked for 2): nothing to train" in capsys.readouterr().out
    reference = make_tiny_vae(seed=4)
    reference.compile(optimizer=keras.optimizers.Adam())
    reference.optimizer.build(reference.trainable_variables)
    reference.load_weights(tmp_path / CHECKPOINT_FILE)
    for loaded, expected in zip(vae.get_weights(), reference.get_weights()):  # the checkpoint was loaded
        np.testing.assert_array_equal(loaded, expected)


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("{not json", "is not readable JSON"),
        ("", "is not readable JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"history": {}}', "epochs_done must be an integer >= 1"),
        ('{"epochs_done": "two", "history": {}}', "epochs_done must be an integer >= 1"),
        ('{"epochs_done": -3, "history": {"loss": []}}', "epochs_done must be an integer >= 1, got -3"),
        ('{"epochs_done": 99, "history": {"loss": [1.0]}}', r"epochs_done is 99 but the history holds \{'loss': 1\}"),
        ('{"epochs_done": 1, "history": []}', "history must be a non-empty object"),
        ('{"epochs_done": 1, "history": {"loss": [1.0]}}', "records no settings"),
    ],
)
def test_a_damaged_state_file_stops_the_run_and_changes_nothing(make_tiny_vae, tmp_path, content, fragment):
    (tmp_path / CHECKPOINT_FILE).write_bytes(b"weights")
    (tmp_path / STATE_FILE).write_text(content)
    files = run_files(tmp_path)
    with pytest.raises(vh.RunFolderError, match=f"{STATE_FILE}.*{fragment}.*nothing in .* was changed.*--restart"):
        vh.train(make_tiny_vae(), X_TRAIN, epochs=1, batch_size=BATCH, checkpoint_dir=tmp_path, verbose=0)
    assert run_files(tmp_path) == files


def test_read_state_of_an_empty_folder_is_none(tmp_path):
    assert vh.read_state(tmp_path) is None


@pytest.mark.parametrize("present", [STATE_FILE, CHECKPOINT_FILE])
def test_a_checkpoint_missing_one_of_its_two_files_is_reported_not_discarded(make_tiny_vae, tmp_path, present):
    vh.train(make_tiny_vae(seed=1), X_TRAIN, epochs=1, batch_size=BATCH, checkpoint_dir=tmp_path, verbose=0)
    (tmp_path / ({STATE_FILE, CHECKPOINT_FILE} - {present}).pop()).unlink()
    files = run_files(tmp_path)
    with pytest.raises(vh.RunFolderError, match=f"is incomplete: it has {present} but not"):
        vh.train(make_tiny_vae(seed=1), X_TRAIN, epochs=2, batch_size=BATCH, checkpoint_dir=tmp_path, verbose=0)
    assert run_files(tmp_path) == files  # nothing was retrained over the remaining file


def test_a_truncated_checkpoint_names_the_file(make_tiny_vae, tmp_path):
    vh.train(make_tiny_vae(seed=1), X_TRAIN, epochs=1, batch_size=BATCH, checkpoint_dir=tmp_path, verbose=0)
    weights = tmp_path / CHECKPOINT_FILE
    weights.write_bytes(weights.read_bytes()[:2000])  # what a killed writer without atomic renames would leave
    files = run_files(tmp_path)
    with pytest.raises(vh.RunFolderError, match=f"{CHECKPOINT_FILE} cannot be read .* truncated or damaged"):
        vh.train(make_tiny_vae(seed=1), X_TRAIN, epochs=2, batch_size=BATCH, checkpoint_dir=tmp_path, verbose=0)
    assert run_files(tmp_path) == files


def poison(vae):
    """Set one kernel to NaN, so the very first batch loss is NaN."""
    kernel = vae.encoder.get_layer("z_mean").kernel
    kernel.assign(np.full(kernel.shape, np.nan, np.float32))


def test_nan_loss_stops_training_with_a_helpful_error(make_tiny_vae, tmp_path):
    vae = make_tiny_vae()
    poison(vae)
    with pytest.raises(
        vh.TrainingDivergedError,
        match=r"loss became nan at batch 0.*log\(sigmoid\(x\)\).*learning "
        r"rate",
    ):
        vh.train(vae, X_TRAIN, epochs=2, batch_size=BATCH, checkpoint_dir=tmp_path, verbose=0)
    assert vh.read_state(tmp_path) is None  # no checkpoint of NaN weights


def test_nan_after_a_good_epoch_keeps_the_last_good_checkpoint(make_tiny_vae, tmp_path):
    vae = make_tiny_vae()
    vh.train(vae, X_TRAIN, epochs=1, batch_size=BATCH, checkpoint_dir=tmp_path, verbose=0)
    good = (tmp_path / CHECKPOINT_FILE).read_bytes()
    poison(vae)
    with pytest.raises(vh.TrainingDivergedError):
        vh.train(vae, X_TRAIN, epochs=3, batch_size=BATCH, verbose=0)
    assert state_of(tmp_path)["epochs_done"] == 1 and (tmp_path / CHECKPOINT_FILE).read_bytes() == good


def test_nan_pixels_are_rejected_before_training(make_tiny_vae):
    x = X_TRAIN.copy()
    x[3, 4, 5, 0] = np.nan
    with pytest.raises(ValueError, match=r"x_train values must lie in \[0, 1\]"):
        vh.train(make_tiny_vae(), x, epochs=1, verbose=0)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"epochs": 0}, "epochs must be a positive integer"),
        ({"epochs": -3}, "epochs must be a positive integer"),
        ({"epochs": 2.5}, "epochs must be a positive integer"),
        ({"batch_size": 0}, "batch_size must be a positive integer"),
        ({"steps_per_execution": 0}, "steps_per_execution must be a positive integer"),
        ({"x_train": X_TRAIN[..., 0]}, r"x_train must have shape \(N, 28, 28, 1\)"),
        ({"x_val": (X_TRAIN * 255).astype(np.uint8)}, "x_val must hold floats"),
        ({"vae": "my_vae"}, "vae must be a keras.Model"),
    ],
)
def test_train_rejects_bad_arguments(make_tiny_vae, kwargs, fragment):
    arguments = {"vae": make_tiny_vae(), "x_train": X_TRAIN, "epochs": 1, "verbose": 0, **kwargs}
    with pytest.raises(ValueError, match=fragment):
        vh.train(**arguments)


@only_on("tensorflow")
def test_train_rejects_a_model_built_outside_the_strategy(make_tiny_vae):
    import tensorflow as tf

    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    with pytest.raises(ValueError, match=r"built outside this strategy's scope.*strategy.scope\(\)"):
        vh.train(make_tiny_vae(), X_TRAIN, epochs=1, strategy=strategy, verbose=0)


@only_on("tensorflow")
def test_train_under_a_strategy_built_in_its_scope(make_tiny_vae):
    import tensorflow as tf

    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    with strategy.scope():
        vae = make_tiny_vae()
    history = vh.train(vae, X_TRAIN, epochs=1, batch_size=BATCH, strategy=strategy, steps_per_execution=2, verbose=0)
    assert vae.distribute_strategy is strategy and np.isfinite(history["loss"][0])


def test_make_strategy_names():
    assert vh.make_strategy("default") is None
    with pytest.raises(ValueError, match=r"strategy must be one of \('default', 'mirrored', 'multiworker', 'tpu'\)"):
        vh.make_strategy("gpu")


@pytest.mark.parametrize(
    "flags, gpus, backend, expected",
    [
        (["fpu", "avx2", "avx512_bf16"], 0, "tensorflow", "mixed_bfloat16"),  # native bfloat16 (AVX-512 BF16)
        (["amx_bf16", "avx2"], 0, "tensorflow", "mixed_bfloat16"),  # Intel AMX
        (["fpu", "avx2", "avx512f"], 0, "tensorflow", "float32"),  # bfloat16 would be emulated: slower
        (["avx512_bf16"], 1, "tensorflow", "float32"),  # a GPU: no measurement in the course
        (["amx_bf16", "avx512_bf16"], 0, "jax", "float32"),  # JAX: bfloat16 measured slower on the same CPU
        (["amx_bf16", "avx512_bf16"], 0, "torch", "float32"),  # PyTorch: not measured
    ],
)
def test_fastest_dtype_policy(flags, gpus, backend, expected):
    assert vh.fastest_dtype_policy(cpu_flags=flags, gpus=gpus, backend_name=backend) == expected


def test_fastest_dtype_policy_reads_this_machines_cpu_and_backend():
    flags = pathlib.Path("/proc/cpuinfo").read_text() if pathlib.Path("/proc/cpuinfo").is_file() else ""
    native = "avx512_bf16" in flags or "amx_bf16" in flags
    on_tensorflow = keras.backend.backend() == "tensorflow"
    assert vh.fastest_dtype_policy(gpus=0) == ("mixed_bfloat16" if native and on_tensorflow else "float32")
