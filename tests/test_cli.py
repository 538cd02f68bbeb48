"""The training command ``python -m vae_helpers``: one quick run end to end (on synthetic Fashion-MNIST
files), a second identical run that resumes instead of retraining, and argument validation."""

import json
import os
import pathlib
import subprocess
import sys

import h5py
import keras
import numpy as np
import pytest
from keras import ops

import vae_helpers as vh
from vae_helpers import cli

from conftest import class_templates

METRICS_KEYS = {
    "command",
    "latent_dim",
    "beta",
    "epochs",
    "batch_size",
    "seed",
    "quick",
    "strategy",
    "n_train",
    "n_validation",
    "evaluated_on",
    "units",
    "scores",
    "iwae_test",
    "train_wall_seconds",
    "train_cpu_seconds",
    "recipe",
    "resumed_from_epoch",
    "machine",
    "versions",
    "history",
    "training_precision",
    "learning_rate",
    "learning_rate_per_epoch",
    "free_bits",
    "kl_warmup_epochs",
    "weights_sha256",
    "diagnosis",
}


def run_command(args, data_dir, cwd):
    env = {**os.environ, "VAE_DATA_DIR": str(data_dir), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [sys.executable, "-m", "vae_helpers", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=900
    )


@pytest.fixture(scope="session")
def quick_runs(fake_fashion_dir, tmp_path_factory):
    """Run ``--quick --out OUT`` twice; return OUT and, per run, (process, metrics, checkpoint bytes)."""
    cwd = tmp_path_factory.mktemp("cli")
    out = cwd / "quick"
    runs = []
    for _ in range(2):
        process = run_command(["--quick", "--out", str(out)], fake_fashion_dir, cwd)
        assert process.returncode == 0, process.stderr[-3000:]
        files = {
            path: (path.read_bytes(), path.stat().st_mtime_ns)
            for path in (out / "metrics.json", out / "model.weights.h5", out / "checkpoint" / "checkpoint.weights.h5")
        }
        runs.append((process, json.loads((out / "metrics.json").read_text()), files))
    return out, runs


def test_quick_run_writes_the_model_and_the_documented_metrics(quick_runs):
    out, [(process, metrics, _), _] = quick_runs
    assert (out / "model.weights.h5").is_file() and "Wrote" in process.stdout
    assert set(metrics) == METRICS_KEYS
    assert metrics["command"] == f"python -m vae_helpers --quick --out {out}"
    assert metrics["quick"] is True and metrics["epochs"] == 1 and metrics["resumed_from_epoch"] == 0
    assert metrics["n_train"] == cli.QUICK["n_train"] and metrics["n_validation"] == cli.QUICK["n_val"]
    n = cli.QUICK["n_eval"]
    assert metrics["evaluated_on"] == {"train": n, "validation": n, "test": n}
    assert set(metrics["history"]) == {
        "loss",
        "reconstruction_loss",
        "kl_loss",
        "val_loss",
        "val_reconstruction_loss",
        "val_kl_loss",
    }
    assert all(len(values) == 1 for values in metrics["history"].values())
    for split in ("train", "validation", "test"):
        scores = metrics["scores"][split]
        assert scores["neg_elbo"] == pytest.approx(scores["reconstruction"] + scores["kl"], rel=1e-6)
    assert set(metrics["iwae_test"]) == {"1", "10", "100"}
    assert all(np.isfinite(value) and value > 0 for value in metrics["iwae_test"].values())
    backend = keras.backend.backend()
    assert metrics["versions"]["backend"] == backend
    assert set(metrics["versions"]) == {"python", "backend", backend, "keras", "numpy"}
    assert metrics["training_precision"] == vh.fastest_dtype_policy()  # --precision auto
    assert metrics["free_bits"] == 0.0 and metrics["kl_warmup_epochs"] == 0
    settings = json.loads((out / "checkpoint" / "state.json").read_text())["settings"]
    assert "free_bits" not in settings and "kl_warmup_epochs" not in settings  # as before these options existed


def test_free_bits_and_warmup_are_used_recorded_and_a_resume_with_others_refuses(fake_fashion_dir, tmp_path):
    out = tmp_path / "fb"
    options = {"--beta": "4", "--free-bits": "0.5", "--kl-warmup-epochs": "2"}

    def argv(**changed):
        return ["--quick", *[part for item in {**options, **changed}.items() for part in item], "--out", str(out)]

    process = run_command(argv(), fake_fashion_dir, tmp_path)
    assert process.returncode == 0, process.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert (metrics["free_bits"], metrics["kl_warmup_epochs"], metrics["beta"]) == (0.5, 2, 4.0)
    settings = json.loads((out / "checkpoint" / "state.json").read_text())["settings"]
    assert (settings["free_bits"], settings["kl_warmup_epochs"], settings["beta"]) == (0.5, 2, 4.0)
    # Validation pays the true KL (under the 2 * 0.5 nats of free bits here) at the beta the warm-up reached
    # with the epoch's last batch: 15 of the 16 batches done, half-way through the 2-epoch schedule.
    history, beta_reached = metrics["history"], vh.KLWarmup(2, final_beta=4.0).beta_at(15 / 16)
    assert history["val_kl_loss"][0] < 2 * 0.5
    assert history["val_loss"][0] == pytest.approx(
        history["val_reconstruction_loss"][0] + beta_reached * history["val_kl_loss"][0], rel=1e-5
    )
    assert float(vh.load_pretrained(out).beta.numpy()) == 4.0
    for changed, difference in (
        ({"--free-bits": "1"}, "free_bits: 0.5 in the folder, 1.0 now"),
        ({"--kl-warmup-epochs": "3"}, "kl_warmup_epochs: 2 in the folder, 3 now"),
    ):
        process = run_command(argv(**changed), fake_fashion_dir, tmp_path)
        assert process.returncode == 1 and difference in process.stderr, process.stderr[-2000:]


def test_mixed_precision_training_saves_and_evaluates_a_float32_model(fake_fashion_dir, tmp_path):
    out = tmp_path / "bf16"
    process = run_command(["--quick", "--precision", "mixed_bfloat16", "--out", str(out)], fake_fashion_dir, tmp_path)
    assert process.returncode == 0, process.stderr[-3000:]
    assert json.loads((out / "metrics.json").read_text())["training_precision"] == "mixed_bfloat16"
    with h5py.File(out / "model.weights.h5") as weights:  # float32 arrays, no optimizer state
        dtypes = set()
        weights.visititems(lambda name, item: dtypes.add(str(item.dtype)) if isinstance(item, h5py.Dataset) else None)
        assert dtypes == {"float32"} and "optimizer" not in weights


def test_the_run_ends_with_a_diagnosis_printed_and_stored(quick_runs):
    _, [(process, metrics, _), _] = quick_runs
    assert "Diagnosis:" in process.stdout
    assert isinstance(metrics["diagnosis"], list)
    for found in metrics["diagnosis"]:
        assert set(found) == {"code", "severity", "message", "evidence"} and found["severity"] in ("problem", "note")
        assert f"[{found['severity']}] {found['code']}: " in process.stdout


def test_quick_model_loads_and_is_the_evaluated_one(quick_runs):
    out, [_, (_, metrics, _)] = quick_runs
    vae = vh.load_pretrained(out)  # a run folder loads like a shipped model
    assert isinstance(vae, vh.VAE) and vae.latent_dim == 2 and float(vae.beta.numpy()) == 1.0
    # The JSON was scored with the run's seed: a fresh evaluation of the saved weights reproduces it.
    x_test = (class_templates()[np.arange(cli.QUICK["n_eval"]) % 10] / 255.0).astype(np.float32)[..., None]
    kl = float(ops.convert_to_numpy(ops.mean(vh.kl_divergence(*vae.encoder(x_test)[:2]))))
    assert kl == pytest.approx(metrics["scores"]["test"]["kl"], rel=1e-4, abs=1e-4)
    fresh = vh.evaluate(vae, x_test, seed=metrics["seed"])
    assert fresh["neg_elbo"] == pytest.approx(metrics["scores"]["test"]["neg_elbo"], abs=1e-3)


def test_running_a_finished_command_again_says_so_and_touches_nothing(quick_runs):
    out, [(_, first, files), (process, second, files_again)] = quick_runs
    assert f"Resuming from {out / 'checkpoint'}: 1 of 1 epochs already done." in process.stdout
    assert "This run was already finished (1 epochs)" in process.stdout and "left as they are" in process.stdout
    assert second == first  # the metrics (wall time included) are those of the real run
    assert files_again == files  # bytes and modification times: nothing was rewritten
    assert json.loads((out / "checkpoint" / "state.json").read_text())["epochs_done"] == 1


def test_the_learning_rate_is_recorded(quick_runs):
    _, [(_, metrics, _), _] = quick_runs
    assert metrics["learning_rate"] == 1e-3 and metrics["learning_rate_per_epoch"] == [pytest.approx(1e-3)]


def test_other_settings_into_a_finished_folder_stop_with_the_difference_and_the_ways_out(
    quick_runs, fake_fashion_dir, tmp_path
):
    out, [_, (_, _, files)] = quick_runs
    process = run_command(["--quick", "--beta", "4", "--out", str(out)], fake_fashion_dir, tmp_path)
    assert process.returncode == 1
    assert (
        "holds a run made with other settings" in process.stderr
        and "beta: 1.0 in the folder, 4.0 now" in process.stderr
    )
    assert "--restart" in process.stderr and "Traceback" not in process.stderr
    assert {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in files} == files


def test_restart_moves_the_old_run_aside(fake_fashion_dir, tmp_path):
    out = tmp_path / "run"
    for beta in ("1", "4"):
        process = run_command(["--quick", "--beta", beta, "--restart", "--out", str(out)], fake_fashion_dir, tmp_path)
        assert process.returncode == 0, process.stderr[-3000:]
    [aside] = [p for p in tmp_path.iterdir() if p.name.startswith("run.old-")]
    assert json.loads((aside / "metrics.json").read_text())["beta"] == 1.0
    assert json.loads((out / "metrics.json").read_text())["beta"] == 4.0
    assert "Moved the old run aside" in process.stdout


def test_negative_epochs_exit_with_code_2_and_a_message(tmp_path):
    process = run_command(["--epochs", "-1", "--out", str(tmp_path / "never")], tmp_path, tmp_path)
    assert process.returncode == 2
    assert "--epochs must be a positive integer, got -1" in process.stderr
    assert not (tmp_path / "never").exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--epochs", "0"], "--epochs must be a positive integer, got 0"),
        (["--latent-dim", "0"], "--latent-dim must be a positive integer up to 1,024 (the course uses 2 to 64), got 0"),
        (["--batch-size", "-8"], "--batch-size must be a positive integer up to 4,096"),
        (["--n-val", "0"], "--n-val must be a positive integer, got 0"),
        (["--n-val", "60000"], "--n-val must be < 60000"),
        (["--n-train", "0"], "--n-train must be a positive integer, got 0"),
        (["--n-train", "-5"], "--n-train must be a positive integer, got -5"),
        (["--steps-per-execution", "0"], "--steps-per-execution must be a positive integer, got 0"),
        (["--beta", "-0.5"], "--beta must be a finite number >= 0 (1.0 gives the ELBO), got -0.5"),
        (["--beta", "nan"], "--beta must be a finite number >= 0 (1.0 gives the ELBO), got nan"),
        (
            ["--seed", "-1"],
            "--seed must be an integer from 0 to 2**32 - 1 = 4294967295 (numpy's seeds are 32-bit), got -1",
        ),
        (["--free-bits", "-0.1"], "--free-bits must be a finite number >= 0 (nats per latent dimension;"),
        (["--free-bits", "nan"], "--free-bits must be a finite number >= 0"),
        (["--free-bits", "inf"], "--free-bits must be a finite number >= 0"),
        (["--kl-warmup-epochs", "-1"], "--kl-warmup-epochs must be >= 0 (0: no warm-up), got -1"),
        (["--kl-warmup-epochs", "2.5"], "invalid int value: '2.5'"),
        (["--learning-rate", "0"], "--learning-rate must be a finite number > 0 (the reference uses 0.001), got 0.0"),
        (["--learning-rate", "inf"], "--learning-rate must be a finite number > 0 (the reference uses 0.001), got inf"),
        (["--strategy", "gpu"], "invalid choice: 'gpu'"),
        (["--precision", "float16"], "invalid choice: 'float16'"),
        (["--epochs", "ten"], "invalid int value: 'ten'"),
    ],
)
def test_bad_arguments_are_rejected_with_a_message(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        cli.parse_args(argv)
    assert info.value.code == 2
    assert message in capsys.readouterr().err


def test_defaults_and_quick_mode():
    args = cli.apply_recipe(cli.parse_args([]), "float32")
    assert (args.epochs, args.latent_dim, args.beta, args.batch_size) == (50, 2, 1.0, 128)  # the reference's
    assert args.out == pathlib.Path("runs/latent2-beta1") and args.n_train is None
    quick = cli.parse_args(["--quick", "--epochs", "30"])
    assert (quick.epochs, quick.n_train, quick.n_val) == (cli.QUICK["epochs"], cli.QUICK["n_train"], cli.QUICK["n_val"])
    assert quick.out == pathlib.Path("runs/latent2-beta1-quick")
    assert cli.parse_args(["--latent-dim", "16", "--beta", "0.1"]).out == pathlib.Path("runs/latent16-beta0.1")
    assert (args.free_bits, args.kl_warmup_epochs) == (0.0, 0)  # both off by default
    assert cli.parse_args(["--beta", "16", "--free-bits", "0.5", "--kl-warmup-epochs", "5"]).out == pathlib.Path(
        "runs/latent2-beta16-freebits0.5-warmup5"
    )


def test_the_command_line_accepts_each_strategy_and_rejects_others(capsys):
    for name in ("default", "mirrored", "multiworker", "tpu"):
        assert cli.parse_args(["--strategy", name]).strategy == name
    with pytest.raises(SystemExit):
        cli.parse_args(["--strategy", "gpu"])
    assert "invalid choice" in capsys.readouterr().err
