"""Does mixed precision cost quality? The shipped float32 recipe against the same recipe in bfloat16.

``python benchmarks/precision.py`` runs ``python -m vae_helpers --latent-dim 2 --epochs 50
--precision mixed_bfloat16`` (the command of the shipped ``fashion-latent2`` model, same seed and data, only the
precision differs) into ``runs/precision-check-bf16``, then compares its test scores (-ELBO,
reconstruction, KL, IWAE-k, all computed in float32 on the 10,000 test images) with the shipped model's JSON. With
``--epochs N`` other than the shipped 50, the float32 side is trained here too, for the same epochs. Writes
``benchmarks/results/precision.json``. A run that is interrupted resumes (the training command checkpoints); a
finished one is reused.

``vh.fastest_dtype_policy`` picks ``mixed_bfloat16`` on CPUs with native bfloat16 only because this comparison
stays within ``MAX_COST_NATS`` of float32 (issue 7's bar for mixed precision).
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "precision.json"
SHIPPED_JSON = ROOT / "vae_helpers" / "pretrained" / "fashion-latent2.json"
SHIPPED_EPOCHS = 50
MAX_COST_NATS = 1.0  # mixed precision may cost at most this much test -ELBO


SHORT_NAMES = {"float32": "fp32", "mixed_bfloat16": "bf16", "mixed_float16": "fp16"}


def train(precision: str, epochs: int) -> dict:
    """Run the training command in ``precision`` for ``epochs`` (reused or resumed if it ran before); return its
    metrics."""
    out = pathlib.Path("runs") / (
        "precision-check-" + SHORT_NAMES[precision] + ("" if epochs == SHIPPED_EPOCHS else f"-{epochs}ep")
    )
    metrics_file = ROOT / out / "metrics.json"
    if metrics_file.is_file():
        metrics = json.loads(metrics_file.read_text())
        if metrics["epochs"] == epochs and metrics.get("training_precision") == precision and not metrics["quick"]:
            print(f"Reusing {metrics_file} ({metrics['command']}).")
            return metrics
    command = [
        sys.executable,
        "-m",
        "vae_helpers",
        "--latent-dim",
        "2",
        "--epochs",
        str(epochs),
        "--precision",
        precision,
        "--out",
        str(out),
    ]
    print("$", " ".join(command[1:]), flush=True)
    subprocess.run(command, cwd=ROOT, check=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    return json.loads((out / "metrics.json").read_text())


def summary(metrics: dict) -> dict:
    """The comparable part of a metrics JSON: command, precision, test scores, IWAE bounds, training time."""
    return {
        "command": metrics["command"],
        "precision": metrics.get("training_precision", "float32"),
        "epochs": metrics["epochs"],
        "test": metrics["scores"]["test"],
        "iwae_test": metrics["iwae_test"],
        "train_seconds_last_run": metrics["train_wall_seconds"],
    }


def compare(float32: dict, mixed: dict) -> dict:
    """Differences mixed - float32 in nats per image (positive: mixed precision is worse) and the verdict."""
    cost = mixed["test"]["neg_elbo"] - float32["test"]["neg_elbo"]
    return {
        "neg_elbo_cost_nats": cost,
        "iwae_cost_nats": {k: mixed["iwae_test"][k] - float32["iwae_test"][k] for k in float32["iwae_test"]},
        "max_cost_nats": MAX_COST_NATS,
        "within_bar": cost <= MAX_COST_NATS,
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=SHIPPED_EPOCHS)
    parser.add_argument("--precision", choices=("mixed_bfloat16", "mixed_float16"), default="mixed_bfloat16")
    parser.add_argument("--out", type=pathlib.Path, default=OUT)
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error(f"--epochs must be >= 1, got {args.epochs}")
    if args.epochs == SHIPPED_EPOCHS:
        float32 = dict(summary(json.loads(SHIPPED_JSON.read_text())), source=str(SHIPPED_JSON.relative_to(ROOT)))
    else:
        float32 = summary(train("float32", args.epochs))
    mixed = summary(train(args.precision, args.epochs))
    report = {
        "float32": float32,
        args.precision: mixed,
        "comparison": compare(float32, mixed),
        "units": "nats per image on the 10,000 test images; lower is better",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    verdict = report["comparison"]
    print(
        f"test -ELBO: float32 {float32['test']['neg_elbo']:.2f}, {args.precision} {mixed['test']['neg_elbo']:.2f} "
        f"nats: cost {verdict['neg_elbo_cost_nats']:+.2f} nats "
        f"({'within' if verdict['within_bar'] else 'OVER'} the {MAX_COST_NATS:g}-nat bar). Wrote {args.out}."
    )
    return report


if __name__ == "__main__":
    main()
