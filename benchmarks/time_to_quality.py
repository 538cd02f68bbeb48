"""Time to quality: the training CPU time each recipe needs to reach the tutorial's 50-epoch test −ELBO.

``python benchmarks/time_to_quality.py`` runs three arms side by side in one run on this machine, each in a fresh
process, interleaved in time (:func:`run_interleaved`: one runs while the others are paused, in rounds of 30 s),
so that all three meet the same machine (on a shared one, an arm run alone after another can see its speed
change by a quarter within the hour):

1. **tutorial**: the straightforward port of the reference tutorial (:class:`vae_helpers.reference.ReferenceVAE`,
   ``compile(optimizer="adam")``, ``fit`` with batches of 128, float32) for 50 epochs on the 55,000 training
   images, validating on the 5,000 held out. Its test −ELBO is the **target**.
2. **fast**: the training command, ``python -m vae_helpers --recipe fast``, at this machine's default precision
   (``--precision auto``: bfloat16 where the CPU computes it natively), into ``runs/time-to-quality/``.
3. **fast, float32**: the same with ``--precision float32`` (what a CPU without native bfloat16 does).

Cost is the process CPU time of training (epochs and validation; loading and scoring excluded) as the training
command records it (``train_cpu_seconds`` in ``metrics.json``; a paused process uses none), measured the same way
around the port's ``fit``; beside it the wall seconds each arm ran (loading and scoring included, pauses not; the
``train_wall_seconds`` in the ``metrics.json`` of a run made here counts the pauses). Every arm is scored by the
same code on the 10,000 test images (``vh.evaluate``, seed 42), which is never used for a decision. The ratio is
the tutorial's CPU seconds over the arm's.

Then the **levers**, one after the other: training CPU milliseconds per image of the course's model (median of 2
epochs on 12,800 images after a warm-up epoch, each setting in a fresh process) for float32 at batch 128 (the
reference),
float32 at batch 256, bfloat16, bfloat16 at batch 256, and the decoder's upsampling fused into its convolutions
(:func:`vae_helpers.fast_decoding.decoder_forward`, trained through; measured, not assumed). The recipe's third
lever, its schedule, shows as the epochs column of the arms.

Writes ``benchmarks/results/time_to_quality.json`` (the book's Speed page and notebook 05 show it; ``python
tools/tables.py`` writes the table) and prints the table. ``--quick``: a smoke run on 2,048 images, one epoch
each, that writes nothing unless ``--out`` is given.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import signal
import subprocess
import sys
import tempfile
import time

if __package__ in (None, ""):  # run as `python benchmarks/time_to_quality.py`
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "time_to_quality.json"
RUNS = (
    ROOT / "runs" / "time-to-quality"
)  # the recipes' run folders (the float32 one is shipped as fashion-latent2-fast)
SEED, TUTORIAL_EPOCHS, TUTORIAL_BATCH = 42, 50, 128
LEVER_IMAGES, LEVER_EPOCHS = 12_800, 3  # the first epoch warms up; the median of the others is kept
QUICK = {"n_train": 2_048, "n_val": 512, "n_test": 512, "epochs": 1, "lever_images": 1_024}
# The three arms run interleaved (run_interleaved): each round of ROUND_SECONDS gives the port, the fast recipe at
# the default precision and in float32 these shares, about their whole runs' lengths (loading and scoring included),
# so that all three run over the same stretch of time.
SHARES, ROUND_SECONDS, QUICK_ROUND_SECONDS = (50, 15, 25), 30.0, 3.0


def _child(code: str) -> dict:
    """Run ``code`` (Python that prints one JSON line last) in a fresh interpreter, alone; return that JSON."""
    (done,) = run_interleaved([[sys.executable, "-c", code]], [1], ROUND_SECONDS)
    return _last_json(done["stdout"])


def _last_json(stdout: str) -> dict:
    """The JSON line a child process prints last."""
    return json.loads(stdout.strip().splitlines()[-1])


TUTORIAL = """
import json, time, keras, numpy as np
import vae_helpers as vh
from vae_helpers.config import split_validation
from vae_helpers.reference import ReferenceVAE
from benchmarks.quality import as_course_vae
n_train, n_val, n_test, epochs, seed = {n_train}, {n_val}, {n_test}, {epochs}, {seed}
(x, _), (x_test, _) = vh.load_fashion_mnist()
x_train, x_val = split_validation(x)
x_train, x_val, x_test = x_train[:n_train], x_val[:n_val], x_test[:n_test]
keras.utils.set_random_seed(seed)
port = ReferenceVAE()
port.compile(optimizer="adam")
cpu = time.process_time()
port.fit(x_train, x_train, epochs=epochs, batch_size={batch}, shuffle=True, validation_data=(x_val, x_val), verbose=2)
cpu = time.process_time() - cpu
score = vh.evaluate(as_course_vae(port), x_test, seed=seed)
print(json.dumps({{"epochs": epochs, "train_cpu_seconds": cpu, "test": score}}))
"""

LEVER = """
import json, statistics, time, keras, numpy as np
from keras import ops
import vae_helpers as vh
from vae_helpers import devices
from vae_helpers.fast_decoding import decoder_forward
policy, batch, fused, n, epochs = {policy!r}, {batch}, {fused}, {n}, {epochs}

class FusedDecoderVAE(vh.VAE):
    # the decoder's logits through decoder_forward: each upsampling + 3x3 convolution as four 2x2 convolutions
    def _reconstruct(self, x, training, eps=None, condition=None):
        z_mean, z_log_var, z = self.encoder(x, training=training)  # training only: no eps, no condition
        logits = self.fused_logits(z)
        z_mean, z_log_var, logits = (ops.cast(t, "float32") for t in (z_mean, z_log_var, logits))
        return self.reconstruction_nll(x, logits), z_mean, z_log_var

class EpochCPU(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.seconds = []
    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.process_time()
    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.process_time() - self.start)

(x, _), _ = vh.load_fashion_mnist()
keras.utils.set_random_seed(0)
with devices.dtype_policy(policy):
    parts = vh.build_encoder(2, seed=0), vh.build_decoder(2)
    vae = (FusedDecoderVAE if fused else vh.VAE)(*parts, name="vae")
vae.fused_logits = decoder_forward(vae.decoder_logits)
clock = EpochCPU()
vh.train(vae, x[:n], epochs=epochs, batch_size=batch, verbose=0, callbacks=[clock])
print(json.dumps({{"cpu_ms_per_image": 1000 * statistics.median(clock.seconds[1:]) / n}}))
"""


def tutorial_command(sizes: dict) -> list[str]:
    """The port trained like the tutorial (its test -ELBO is the target): a fresh interpreter that prints its
    result as one JSON line last."""
    return [sys.executable, "-c", TUTORIAL.format(**sizes, batch=TUTORIAL_BATCH, seed=SEED)]


def recipe_command(recipe: str, precision: str, sizes: dict, folder: pathlib.Path, quick: bool) -> list[str]:
    """``python -m vae_helpers --recipe RECIPE --precision PRECISION --restart`` into ``folder`` (a finished run
    there is moved aside, never overwritten)."""
    out = folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder  # the JSON names no machine path
    command = [sys.executable, "-m", "vae_helpers", "--recipe", recipe, "--precision", precision]
    command += ["--seed", str(SEED), "--out", str(out), "--restart"]
    return command + (["--quick", "--n-val", str(sizes["n_val"])] if quick else [])


def recipe_result(folder: pathlib.Path) -> dict:
    """What a training command's ``metrics.json`` in ``folder`` says of its run."""
    metrics = json.loads((folder / "metrics.json").read_text())
    return {
        "command": metrics["command"],
        "precision": metrics["training_precision"],
        "epochs": metrics["epochs"],
        "batch_size": metrics["batch_size"],
        "train_cpu_seconds": metrics["train_cpu_seconds"],
        "test": metrics["scores"]["test"],
        "evaluated_on": metrics["evaluated_on"]["test"],
    }


def run_interleaved(commands: list[list[str]], shares: list[float], round_seconds: float) -> list[dict]:
    """Run ``commands`` side by side in time, one at a time: in every round of about ``round_seconds`` each
    unfinished command runs for its share (``shares``, relative) and is paused (SIGSTOP) while the others run.

    A shared machine speeds up and slows down over an hour; one arm after the other would give each arm a
    different machine, and the ratios would move with it. Interleaved, every arm samples the same stretch of
    time. Process CPU time does not count while a process is paused, so each arm's ``train_cpu_seconds`` stays
    its own work; its wall clock does count the pauses, so the wall time reported is the time it ran
    (``running_wall_seconds``: loading, training and scoring). Returns, per command: ``stdout``,
    ``running_wall_seconds``. Raises RuntimeError (with the end of its stderr) if a command fails.
    """
    total = sum(shares)
    slices = [round_seconds * share / total for share in shares]
    with tempfile.TemporaryDirectory() as logs:
        jobs = [
            {"command": command, "process": None, "ran": 0.0, "out": pathlib.Path(logs) / f"{i}.out"}
            for i, command in enumerate(commands)
        ]
        try:
            while any(job["process"] is None or job["process"].poll() is None for job in jobs):
                for job, seconds in zip(jobs, slices):
                    process = job["process"]
                    if process is not None and process.poll() is not None:
                        continue
                    start = time.perf_counter()
                    if process is None:
                        with job["out"].open("w") as out, job["out"].with_suffix(".err").open("w") as err:
                            job["process"] = process = subprocess.Popen(
                                job["command"],
                                cwd=ROOT,
                                stdout=out,
                                stderr=err,
                                text=True,
                                env={**os.environ, "PYTHONPATH": str(ROOT)},
                                start_new_session=True,  # its own process group: paused and resumed as one
                            )
                    else:
                        _signal(process, signal.SIGCONT)
                    try:
                        process.wait(timeout=seconds)
                    except subprocess.TimeoutExpired:
                        _signal(process, signal.SIGSTOP)
                    job["ran"] += time.perf_counter() - start
        finally:
            for job in jobs:  # an interrupted benchmark leaves no paused process behind
                if job["process"] is not None and job["process"].poll() is None:
                    _signal(job["process"], signal.SIGKILL)
        results = []
        for job in jobs:
            if job["process"].returncode:
                stderr = job["out"].with_suffix(".err").read_text()
                raise RuntimeError(f"{' '.join(job['command'][1:3])} ... failed:\n{stderr[-3000:]}")
            results.append({"stdout": job["out"].read_text(), "running_wall_seconds": job["ran"]})
    return results


def _signal(process: subprocess.Popen, number: int) -> None:
    """Send signal ``number`` to ``process``'s process group, unless it has just ended."""
    try:
        os.killpg(process.pid, number)
    except ProcessLookupError:
        pass


def levers(n_images: int) -> list[dict]:
    """Training CPU ms per image of each setting, in fresh processes."""
    settings = [
        ("float32, batch 128 (the tutorial's)", "float32", 128, False),
        ("float32, batch 256", "float32", 256, False),
        ("bfloat16, batch 128", "mixed_bfloat16", 128, False),
        ("bfloat16, batch 256", "mixed_bfloat16", 256, False),
        ("float32, batch 128, upsampling fused into the convolutions", "float32", 128, True),
        ("bfloat16, batch 128, upsampling fused", "mixed_bfloat16", 128, True),
    ]
    rows = []
    for label, policy, batch, fused in settings:
        print(f"lever: {label} ...", flush=True)
        measured = _child(LEVER.format(policy=policy, batch=batch, fused=fused, n=n_images, epochs=LEVER_EPOCHS))
        rows.append({"setting": label, "dtype_policy": policy, "batch_size": batch, "fused_decoder": fused, **measured})
    return rows


def table(report: dict) -> str:
    """The arms as a Markdown table (what tools/tables.py writes into the book's Speed page)."""
    target = report["target_neg_elbo"]
    lines = [
        "| Run | Epochs | Training CPU s | Wall s, whole run | Test −ELBO (nats) | Target reached | CPU ratio |",
        "|---|---:|---:|---:|---:|:-:|---:|",
    ]
    for arm in report["arms"]:
        lines.append(
            f"| {arm['label']} | {arm['epochs']} | {arm['train_cpu_seconds']:.0f} | "
            f"{arm['running_wall_seconds']:.0f} | {arm['test']['neg_elbo']:.2f} | "
            f"{'yes' if arm['test']['neg_elbo'] <= target else 'no'} | {arm['cpu_ratio']:.2f}× |"
        )
    return "\n".join(lines)


def lever_table(report: dict) -> str:
    """The levers as a Markdown table: CPU ms per training image and the ratio to the reference setting."""
    base = report["levers"][0]["cpu_ms_per_image"]
    lines = ["| Setting | Training CPU ms per image | Ratio to the reference |", "|---|---:|---:|"]
    lines += [
        f"| {row['setting']} | {row['cpu_ms_per_image']:.3f} | {base / row['cpu_ms_per_image']:.2f}× |"
        for row in report["levers"]
    ]
    return "\n".join(lines)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run on 2,048 images (writes only to --out)")
    parser.add_argument("--out", type=pathlib.Path, default=None, help=f"results file (default {OUT})")
    args = parser.parse_args(argv)
    out = args.out if args.out is not None or args.quick else OUT
    sizes = (
        {"n_train": QUICK["n_train"], "n_val": QUICK["n_val"], "n_test": QUICK["n_test"], "epochs": 1}
        if args.quick
        else {"n_train": 55_000, "n_val": 5_000, "n_test": 10_000, "epochs": TUTORIAL_EPOCHS}
    )
    with tempfile.TemporaryDirectory() as scratch:
        runs = pathlib.Path(scratch) if args.quick else RUNS
        folders = [runs / "fast-auto", runs / "fast-float32"]
        print(
            f"the tutorial's port ({sizes['epochs']} epochs) and the fast recipe at the default precision and in "
            "float32, interleaved ...",
            flush=True,
        )
        tutorial, auto, float32 = run_interleaved(
            [
                tutorial_command(sizes),
                recipe_command("fast", "auto", sizes, folders[0], args.quick),
                recipe_command("fast", "float32", sizes, folders[1], args.quick),
            ],
            SHARES,
            QUICK_ROUND_SECONDS if args.quick else ROUND_SECONDS,
        )
        arms = [
            {
                "label": "tutorial's recipe (the port, float32)",
                "recipe": "tutorial",
                "precision": "float32",
                "batch_size": TUTORIAL_BATCH,
                **_last_json(tutorial["stdout"]),
                "running_wall_seconds": tutorial["running_wall_seconds"],
            },
            {
                "label": "fast recipe, default precision",
                **recipe_result(folders[0]),
                "running_wall_seconds": auto["running_wall_seconds"],
            },
            {
                "label": "fast recipe, float32",
                **recipe_result(folders[1]),
                "running_wall_seconds": float32["running_wall_seconds"],
            },
        ]
    for arm in arms:
        arm["cpu_ratio"] = arms[0]["train_cpu_seconds"] / arm["train_cpu_seconds"]
    report = {
        "what": "training CPU seconds (process CPU time of epochs and validation) to reach the test -ELBO of the "
        "tutorial's recipe after 50 epochs; test -ELBO in nats per image on the test images, lower is "
        "better; cpu_ratio = the tutorial's CPU seconds / the run's",
        "quick": args.quick,
        "sizes": sizes,
        "seed": SEED,
        "machine": {
            "cpus": os.cpu_count(),
            "processor": platform.processor() or platform.machine(),
            "platform": platform.platform(),
        },
        "target_neg_elbo": arms[0]["test"]["neg_elbo"],
        "arms": arms,
        "levers": levers(QUICK["lever_images"] if args.quick else LEVER_IMAGES),
        "date": time.strftime("%Y-%m-%d"),
    }
    print(table(report), lever_table(report), sep="\n\n")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=1) + "\n")
        print(f"Wrote {out}.")
    return report


if __name__ == "__main__":
    main()
