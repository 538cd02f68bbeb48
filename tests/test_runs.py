"""Training runs never lose, mix or mislabel work: settings checked on resume, the learning rate given at resume
used, only good epochs checkpointed, one process per folder, files written whole, bounded work per call, and one
set of argument rules. Each test reproduces a failure the course used to have (tiny data, one or two epochs)."""

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import keras
import numpy as np
import pytest

import vae_helpers as vh
from vae_helpers import runs
from vae_helpers.training import CHECKPOINT_FILE, STATE_FILE

from conftest import crossed_bars

X = crossed_bars(64, seed=11)
BATCH = 16


def train(vae, folder, epochs=1, **kwargs):
    kwargs = {"batch_size": BATCH, "verbose": 0, **kwargs}
    return vh.train(vae, kwargs.pop("x", X), epochs=epochs, checkpoint_dir=folder, **kwargs)


def state(folder):
    return json.loads((folder / STATE_FILE).read_text())


@pytest.mark.parametrize(
    "change, named",
    [
        ({"beta": 4.0}, "beta: 1.0 in the folder, 4.0 now"),
        ({"seed": 7}, "seed: 0 in the folder, 7 now"),
        ({"batch_size": 32}, "batch_size: 16 in the folder, 32 now"),
        ({"x": X[:48]}, "n_train: 64 in the folder, 48 now"),
        ({"latent_dim": 3}, "latent_dim: 2 in the folder, 3 now"),
        ({"settings": {"data": "elsewhere"}}, "data: '(not recorded)' in the folder, 'elsewhere' now"),
        ({"optimizer": "SGD"}, "optimizer: 'Adam' in the folder, 'SGD' now"),
    ],
)
def test_resuming_with_another_setting_stops_before_training_and_names_it(make_tiny_vae, tmp_path, change, named):
    train(make_tiny_vae(), tmp_path, seed=0)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name != runs.LOCK_FILE}
    change = dict(change)
    vae = make_tiny_vae(beta=change.pop("beta", 1.0), latent_dim=change.pop("latent_dim", 2))
    if change.pop("optimizer", None):
        vae.compile(optimizer=keras.optimizers.SGD())
    with pytest.raises(vh.RunFolderError, match=r"holds a run made with other settings") as caught:
        train(vae, tmp_path, epochs=2, **{"seed": 0, **change})
    assert named in str(caught.value)
    assert "another folder" in str(caught.value) and "--restart" in str(caught.value)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name != runs.LOCK_FILE} == before


def test_more_epochs_continue_the_run(make_tiny_vae, tmp_path):
    train(make_tiny_vae(), tmp_path, epochs=1)
    history = train(make_tiny_vae(), tmp_path, epochs=2)
    assert len(history["loss"]) == 2 and state(tmp_path)["epochs_done"] == 2


class LearningRateLog(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.rates = []

    def on_train_batch_begin(self, batch, logs=None):
        self.rates.append(float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)))


def test_the_learning_rate_given_at_resume_is_used_and_the_moments_are_kept(make_tiny_vae, tmp_path):
    first = make_tiny_vae()
    first.compile(optimizer=keras.optimizers.Adam(0.01))
    train(first, tmp_path, epochs=1)
    moments = [v.numpy().copy() for v in first.optimizer.variables if "momentum" in v.path]
    resumed, log = make_tiny_vae(), LearningRateLog()
    resumed.compile(optimizer=keras.optimizers.Adam(1e-5))
    resumed.optimizer.build(resumed.trainable_variables)
    train(resumed, tmp_path, epochs=2, callbacks=[log])
    assert log.rates == [pytest.approx(1e-5)] * (len(X) // BATCH)
    assert state(tmp_path)["learning_rates"] == [pytest.approx(0.01), pytest.approx(1e-5)]
    assert moments, "Adam keeps first moments"
    assert int(resumed.optimizer.iterations.numpy()) == 2 * len(X) // BATCH  # the optimizer's state came back


class PoisonAtEpochEnd(keras.callbacks.Callback):
    """Make the weights NaN after the last training batch of epoch ``epoch``: its validation loss is NaN."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch, self.current = epoch, None

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_test_begin(self, logs=None):
        if self.current == self.epoch:
            kernel = self.model.encoder.get_layer("z_mean").kernel
            kernel.assign(np.full(kernel.shape, np.nan, np.float32))


def test_an_epoch_with_a_nan_validation_loss_is_never_checkpointed_and_the_advice_works(make_tiny_vae, tmp_path):
    vae = make_tiny_vae()
    with pytest.raises(
        vh.TrainingDivergedError,
        match=r"epoch 2 ended with non-finite losses .*val_loss.*not "
        r"recorded.*--learning-rate",
    ):
        train(vae, tmp_path, epochs=3, x_val=X[:16], callbacks=[PoisonAtEpochEnd(epoch=1)])
    assert state(tmp_path)["epochs_done"] == 1  # the last good epoch
    # the advice: lower the learning rate and resume
    resumed = make_tiny_vae()
    resumed.compile(optimizer=keras.optimizers.Adam(1e-4))
    history = train(resumed, tmp_path, epochs=3, x_val=X[:16])
    assert len(history["val_loss"]) == 3 and all(np.isfinite(history["val_loss"]))
    assert state(tmp_path)["learning_rates"][1:] == [pytest.approx(1e-4)] * 2


def test_a_real_divergence_with_a_huge_learning_rate_keeps_the_last_good_epoch(make_tiny_vae, tmp_path):
    train(make_tiny_vae(), tmp_path, epochs=1, x_val=X[:16])
    exploding = make_tiny_vae()
    exploding.compile(optimizer=keras.optimizers.Adam(1e12))
    with pytest.raises(vh.TrainingDivergedError):
        train(exploding, tmp_path, epochs=4, x_val=X[:16])
    assert state(tmp_path)["epochs_done"] == 1
    assert all(np.isfinite(v) for values in state(tmp_path)["history"].values() for v in values)


HOLD = textwrap.dedent("""
    import pathlib, sys, time
    import keras
    import vae_helpers as vh
    sys.path.insert(0, {tests!r})
    from conftest import build_tiny_vae, crossed_bars

    class Hold(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            pathlib.Path({marker!r}).write_text("training")
            time.sleep(120)

    vh.train(build_tiny_vae(), crossed_bars(64), epochs=1, batch_size=16, verbose=0,
             checkpoint_dir={folder!r}, callbacks=[Hold()])
""")


def test_a_second_training_into_a_folder_in_use_fails_at_once_naming_the_other_process(make_tiny_vae, tmp_path):
    folder, marker = tmp_path / "run", tmp_path / "started"
    script = HOLD.format(tests=os.path.dirname(__file__), marker=str(marker), folder=str(folder))
    other = subprocess.Popen([sys.executable, "-c", script], env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert other.poll() is None and time.monotonic() < deadline, "the first training did not start"
            time.sleep(0.2)
        start = time.monotonic()
        with pytest.raises(
            vh.RunFolderError,
            match=rf"is in use by process {other.pid} on .*one training run per "
            r"folder",
        ):
            train(make_tiny_vae(), folder)
        assert time.monotonic() - start < 5
    finally:
        other.send_signal(signal.SIGKILL)  # as a killed training would leave it
        other.wait(timeout=30)
    history = train(make_tiny_vae(), folder)  # the dead process's lock is no obstacle
    assert len(history["loss"]) == 1


def test_restart_moves_the_old_run_aside_and_trains_from_scratch(make_tiny_vae, tmp_path):
    folder = tmp_path / "run"
    train(make_tiny_vae(), folder, epochs=2)
    old = {p.name: p.read_bytes() for p in folder.iterdir() if p.name != runs.LOCK_FILE}
    train(make_tiny_vae(beta=4.0), folder, epochs=1, restart=True)
    [aside] = [p for p in tmp_path.iterdir() if p.name.startswith("run.old-")]
    assert {p.name: p.read_bytes() for p in aside.iterdir() if p.name != runs.LOCK_FILE} == old
    assert state(folder)["epochs_done"] == 1 and state(folder)["settings"]["beta"] == 4.0


def test_a_failed_checkpoint_write_keeps_the_previous_checkpoint_whole(make_tiny_vae, tmp_path, monkeypatch):
    vae = make_tiny_vae()
    train(vae, tmp_path, epochs=1)
    good = (tmp_path / CHECKPOINT_FILE).read_bytes(), (tmp_path / STATE_FILE).read_bytes()

    def disk_full(self, path, *args, **kwargs):
        with open(path, "wb") as f:
            f.write(b"\x89HDF half a file")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(type(vae), "save_weights", disk_full)
    with pytest.raises(
        vh.RunFolderError,
        match=f"the disk holding {tmp_path} is full: {CHECKPOINT_FILE} could not "
        r"be written \(No space left on device\)",
    ):
        train(vae, tmp_path, epochs=2)
    assert ((tmp_path / CHECKPOINT_FILE).read_bytes(), (tmp_path / STATE_FILE).read_bytes()) == good
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(runs.TMP_PREFIX)]


def test_an_unwritable_folder_is_reported_before_any_epoch(make_tiny_vae, tmp_path, monkeypatch):
    real_open = open

    def read_only(path, *args, **kwargs):
        if str(path).endswith(runs.LOCK_FILE):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", read_only)
    with pytest.raises(vh.RunFolderError, match="cannot write in .*Permission denied"):
        train(make_tiny_vae(), tmp_path, epochs=1)


BOUNDED = textwrap.dedent("""
    import resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (10 * 2**30, 10 * 2**30))  # 10 GB of address space
    import numpy as np
    import vae_helpers as vh
    sys.path.insert(0, {tests!r})
    from conftest import build_tiny_vae, crossed_bars
    vae = build_tiny_vae()
    print(vh.iwae_bound(vae, crossed_bars(1), k=300_000))
    try:
        vh.latent_grid(vae, n=1000)
    except ValueError as err:
        print(err)
""")


def test_large_k_completes_and_a_huge_grid_is_refused_within_bounded_memory():
    done = subprocess.run(
        [sys.executable, "-c", BOUNDED.format(tests=os.path.dirname(__file__))],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    bound, refusal = done.stdout.strip().splitlines()[-2:]
    assert np.isfinite(float(bound)) and float(bound) > 0
    assert refusal.startswith(
        "n=1000 would decode 1,000,000 images into a 28,000 x 28,000 picture (3.1 GB); n must be at most 100"
    )


def test_iwae_with_chunked_samples_equals_the_unchunked_log_mean_exp(make_tiny_vae, monkeypatch):
    vae, x = make_tiny_vae(), crossed_bars(3, seed=2)
    whole = vh.iwae_bound(vae, x, k=40, seed=1)
    monkeypatch.setattr(vh.evaluation, "MAX_DECODES_PER_CALL", 7)  # forces chunks of samples
    assert vh.iwae_bound(vae, x, k=40, seed=1) == pytest.approx(whole, abs=1.0)  # same estimator, other draws
    assert vh.iwae_bound(vae, x, k=40, seed=1) == vh.iwae_bound(vae, x, k=40, seed=1)


@pytest.mark.parametrize(
    "call",
    [
        lambda: vh.build_vae(latent_dim=np.int64(2)),
        lambda: vh.build_vae(beta=np.float32(0.5)),
        lambda: vh.KLWarmup(np.int64(3), final_beta=np.float64(1.0)),
        lambda: vh.grid_coordinates(np.int32(5), span=np.float32(2.0)),
    ],
)
def test_numpy_numbers_are_accepted_like_python_numbers(call):
    call()


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda: vh.KLWarmup(3, final_beta=float("inf")), "final_beta must be a finite number >= 0"),
        (lambda: vh.build_vae(beta=float("nan")), "beta must be a finite number >= 0"),
        (lambda: vh.grid_coordinates(span=9, spacing="quantile"), "too wide for quantile spacing.*span <= 8"),
        (lambda: vh.build_vae(latent_dim=2.5), "latent_dim must be a positive integer"),
    ],
)
def test_infinities_nan_and_impossible_values_are_refused_clearly(call, fragment):
    with pytest.raises(ValueError, match=fragment):
        call()


@pytest.mark.parametrize(
    "function", [vh.evaluate, vh.negative_elbo, vh.kl_per_dimension, lambda model, x: vh.iwae_bound(model, x, k=2)]
)
def test_evaluation_helpers_name_the_model_they_need(make_tiny_vae, function):
    with pytest.raises(ValueError, match="needs a whole vh.VAE .*got Functional"):
        function(make_tiny_vae().encoder, X[:4])


KEEP_TRAINING = textwrap.dedent("""
    import sys
    import vae_helpers as vh
    sys.path.insert(0, {tests!r})
    from conftest import build_tiny_vae, crossed_bars
    vh.train(build_tiny_vae(), crossed_bars(64, seed=11), epochs=1000, batch_size=16, verbose=0,
             checkpoint_dir={folder!r})
""")


def test_a_run_killed_at_any_moment_resumes_from_a_whole_checkpoint(make_tiny_vae, tmp_path):
    """kill -9 lands wherever the run is, often in the middle of writing a checkpoint (one is written every few
    tens of milliseconds here); what is left must always resume."""
    folder = tmp_path / "run"
    script = KEEP_TRAINING.format(tests=os.path.dirname(__file__), folder=str(folder))
    process = subprocess.Popen([sys.executable, "-c", script], env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    try:
        deadline = time.monotonic() + 120
        while not ((folder / STATE_FILE).exists() and state(folder)["epochs_done"] >= 3):
            assert process.poll() is None and time.monotonic() < deadline, "the training did not get going"
            time.sleep(0.05)
        time.sleep(0.37)  # some moment within a later epoch
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    done = state(folder)["epochs_done"]
    history = train(make_tiny_vae(), folder, epochs=done + 1)
    assert len(history["loss"]) == done + 1 and state(folder)["epochs_done"] == done + 1
