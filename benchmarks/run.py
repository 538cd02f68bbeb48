"""Speed of the course code against the straightforward port of the reference tutorial, measured in one run.

``python benchmarks/run.py`` (``make bench``) prints a table and writes ``benchmarks/results/<machine>.json``;
``--quick`` is a one-minute smoke run on tiny sizes that writes nothing unless ``--out`` is given. Rows:

* training throughput (images/s over full epochs, validation included) of the port (``ReferenceVAE``, numpy
  arrays into ``fit``) and of ``vh.train`` with each setting tried (see ``training_speed.py``), on every Keras
  backend installed (TensorFlow, JAX, PyTorch), as ratios to the port on the same backend, and as a fraction of
  the machine's measured float32 matmul peak (FLOPs counted in ``flops.py``). Each variant runs in ``rounds``
  fresh processes, the variants interleaved, each process timing ``epochs`` epochs after a warm-up; throughput is
  the **median** epoch's, and the CPU time per image (process CPU time over the measured epochs) is the steadier
  measure of work on a shared machine; the fastest epoch is kept in the note;
* the decoded latent grid: ``vh.latent_grid`` (one compiled call, upsampling fused) against ``reference_latent_grid`` (n*n
  ``predict`` calls), checked to give the same image;
* evaluation of the shipped model on the whole test set: -ELBO and IWAE-k, seconds each;
* the explorers' latency (``vh.explore_latent``, ``vh.explore_conditional``), from ``benchmarks/explore_latency.py``
  when that file exists.

Every number comes from this run on this machine; a device or a backend that is absent gives no row (nothing is
estimated), and the run says so.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import pathlib
import platform
import re
import statistics
import sys
import time

if __package__ in (None, ""):  # run as `python benchmarks/run.py`: make `benchmarks` importable
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from benchmarks import flops, training_speed  # noqa: E402

RESULTS_DIR = pathlib.Path(__file__).resolve().parent / "results"
# n_train_cpu_other_backends: JAX and PyTorch train this model several times slower than TensorFlow on a CPU, so
# their pairs (port and course, always measured on the same sizes) train on fewer images there.
FULL = {
    "n_train": 12_000,
    "n_train_cpu_other_backends": 3_000,
    "epochs": 2,
    "rounds": 2,
    "grid_n": 30,
    "n_eval": 10_000,
    "iwae_ks": (1, 10, 100),
}
QUICK = {
    "n_train": 1_024,
    "n_train_cpu_other_backends": 256,
    "epochs": 1,
    "rounds": 1,
    "grid_n": 6,
    "n_eval": 200,
    "iwae_ks": (1, 10, 100),
    "only_port_and_course": True,
}
GRID_TOLERANCE = 1e-5  # max abs pixel difference allowed between the batched and the per-point latent grid
# Goals on the default path (the training command on TensorFlow against the port): issue 7's throughput (median
# epochs), issue 14's CPU work per training image, issue 7's latent grid against 900 predict calls.
GOALS = {"training": 1.5, "training CPU work": 2.0, "latent grid": 500.0}
GRID_ROW = "vh.latent_grid (1 compiled call)"  # the latent-grid row the goal is judged on


def machine_name(
    device: str, cpu_count: int | None = None, cpu_model: str | None = None, gpu_name: str | None = None
) -> str:
    """File-name-safe machine label, e.g. ``cpu-2cores-amd-epyc`` or ``gpu-nvidia-h100-80gb-hbm3``."""

    def slug(text: str) -> str:
        words = re.sub(r"\(r\)|\(tm\)|cpu|processor|@.*", " ", text.lower())
        return "-".join(re.findall(r"[a-z0-9]+", words))[:40] or "unknown"

    if device == "GPU":
        return f"gpu-{slug(gpu_name or 'unknown')}"
    return f"cpu-{cpu_count or os.cpu_count()}cores-{slug(cpu_model or _cpu_model())}"


def _cpu_model() -> str:
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def fraction_of_peak(images_per_second: float, flops_per_image: float, peak_flops: float) -> float:
    """Share of the measured peak FLOP/s that ``images_per_second`` x ``flops_per_image`` represents."""
    if peak_flops <= 0:
        raise ValueError(f"peak_flops must be > 0, got {peak_flops}.")
    return images_per_second * flops_per_image / peak_flops


def merge_rounds(rounds: list[dict]) -> dict:
    """One result from several runs of a variant: images/s from the median epoch of all, the fastest kept too;
    CPU-ms per image averaged over the runs.

    Each run is a :func:`training_speed.measure` result; a failed run makes the merged result that error.
    """
    failed = next((r for r in rounds if "error" in r), None)
    if failed is not None:
        return failed
    epochs = sorted(t for r in rounds for t in r["epoch_seconds"])
    n_train = rounds[0]["n_train"]
    merged = dict(rounds[0], epoch_seconds=[r["epoch_seconds"] for r in rounds], rounds=len(rounds))
    merged["images_per_second"] = n_train / statistics.median(epochs)
    merged["best_images_per_second"] = n_train / epochs[0]
    merged["cpu_ms_per_image"] = statistics.mean(r["cpu_ms_per_image"] for r in rounds)
    return merged


def training_rows(results: list[dict], flops_per_image: float, peak_flops: float) -> list[dict]:
    """Table rows for the training variants: median-epoch throughput; ``ratio``, the throughput over the port's on
    the same backend; ``cpu_ratio``, the port's CPU-ms per image over the variant's (how many times less work);
    the share of the measured peak."""
    ports = {
        r.get("backend", "tensorflow"): r for r in results if r["variant"].startswith("reference") and "error" not in r
    }
    rows = []
    for result in results:
        if "error" in result:
            rows.append(
                {
                    "section": "training",
                    "name": result["variant"],
                    "value": None,
                    "unit": "images/s",
                    "note": "failed: " + result["error"],
                }
            )
            continue
        ips = result["images_per_second"]
        port = ports.get(result.get("backend", "tensorflow"))
        note = f"{fraction_of_peak(ips, flops_per_image, peak_flops):.1%} of fp32 matmul peak"
        if "precision" in result:
            note = f"{result.get('backend', 'tensorflow')}, {result['precision']}; {note}"
        if "best_images_per_second" in result:
            note += f"; fastest epoch {result['best_images_per_second']:,.0f} images/s"
        cpu_ratio = None
        if "cpu_ms_per_image" in result:  # CPU work per image: steadier than wall time on a shared machine
            note += f"; {result['cpu_ms_per_image']:.2f} CPU-ms/image"
            if port is not None and "cpu_ms_per_image" in port:
                cpu_ratio = port["cpu_ms_per_image"] / result["cpu_ms_per_image"]
                if port is not result:
                    note += f" ({cpu_work(cpu_ratio)} than the port)"
        if result.get("neg_elbo_after") is not None:
            note += f"; -ELBO after {result['measured_epochs'] + 1} epochs {result['neg_elbo_after']:.2f}"
        rows.append(
            {
                "section": "training",
                "name": result["variant"],
                "value": ips,
                "unit": "images/s",
                "ratio": ips / port["images_per_second"] if port else None,
                "cpu_ratio": cpu_ratio,
                "note": note,
            }
        )
    return rows


def cpu_work(cpu_ratio: float) -> str:
    """``"2.50x less CPU work"`` for a port/variant CPU-time ratio of 2.5, ``"1.25x more CPU work"`` for 0.8."""
    return f"{cpu_ratio:.2f}x less CPU work" if cpu_ratio >= 1 else f"{1 / cpu_ratio:.2f}x more CPU work"


def goal_lines(rows: list[dict]) -> list[str]:
    """One line per goal (:data:`GOALS`): the measured ratio of the course's default row, met or not."""
    judged = {
        "training": ("training", "course", "ratio"),
        "training CPU work": ("training", "course", "cpu_ratio"),
        "latent grid": ("latent grid", GRID_ROW, "ratio"),
    }
    lines = []
    for goal_name, goal in GOALS.items():
        section, name, key = judged[goal_name]
        ratio = next((row.get(key) for row in rows if row["section"] == section and row["name"] == name), None)
        if ratio is None:
            lines.append(f"Goal {goal_name}: >= {goal:g}x: not measured in this run.")
        else:
            lines.append(f"Goal {goal_name}: >= {goal:g}x: {ratio:.2f}x, {'met' if ratio >= goal else 'NOT met'}.")
    return lines


def backend_lines(rows: list[dict], backends: list[str]) -> list[str]:
    """One line per Keras backend: the training command against the port on that backend, or why no row."""
    lines = []
    for backend in training_speed.BACKENDS:
        port, course = training_speed.port_and_course(backend)
        row = next((r for r in rows if r["section"] == "training" and r["name"] == course), None)
        if backend not in backends:
            lines.append(f"Backend {backend}: not installed here, no row.")
        elif row is None or row.get("value") is None or row.get("ratio") is None:
            lines.append(f"Backend {backend}: {course} or {port} did not run (see the table).")
        else:
            lines.append(
                f"Backend {backend}: {course} {row['value']:,.0f} images/s (median epoch), "
                f"{row['ratio']:.2f}x the port's images/s, {cpu_work(row['cpu_ratio'])} per image."
            )
    return lines


def format_table(rows: list[dict]) -> str:
    """Render rows (section, name, value, unit, optional ratio and note) as an aligned plain-text table."""
    header = ("section", "row", "value", "unit", "ratio", "note")
    lines = [header]
    for row in rows:
        value = row.get("value")
        value_text = "-" if value is None else (f"{value:,.0f}" if abs(value) >= 100 else f"{value:.4g}")
        ratio = row.get("ratio")
        lines.append(
            (
                row["section"],
                row["name"],
                value_text,
                row.get("unit", ""),
                "" if ratio is None else f"{ratio:.2f}x",
                row.get("note", ""),
            )
        )
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header) - 1)]
    rendered = []
    for line in lines:
        cells = [
            str(cell).rjust(w) if i in (2, 4) else str(cell).ljust(w)
            for i, (cell, w) in enumerate(zip(line[:-1], widths))
        ]
        rendered.append("  ".join(cells + [str(line[-1])]).rstrip())
    rendered.insert(1, "-" * max(len(r) for r in rendered))
    return "\n".join(rendered)


def format_markdown(rows: list[dict]) -> str:
    """The same rows as a Markdown table (docs/speed.md, through tools/tables.py): section, row, value with unit, ratio, note."""
    lines = ["| section | row | value | ratio | note |", "|---|---|---:|---:|---|"]
    for row in rows:
        value = row.get("value")
        value_text = "-" if value is None else (f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}")
        ratio = row.get("ratio")
        cells = (
            row["section"],
            row["name"],
            f"{value_text} {row.get('unit', '')}".strip(),
            "" if ratio is None else f"{ratio:.2f}x",
            row.get("note", ""),
        )
        lines.append("| " + " | ".join(str(cell).replace("|", "/") for cell in cells) + " |")
    return "\n".join(lines)


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def _shipped_or_fresh_vae():
    import vae_helpers as vh
    from benchmarks.quality import SHIPPED, shipped_model

    source = shipped_model()
    if source is not None:
        return vh.load_pretrained(source), SHIPPED
    return vh.build_vae(seed=0), f"untrained model ({SHIPPED} not trained yet)"


def latent_grid_rows(vae, n: int) -> list[dict]:
    """Time ``vh.latent_grid`` (best of 3 after a warm-up call) and ``reference_latent_grid`` (once)."""
    import numpy as np

    import vae_helpers as vh
    from vae_helpers.reference import flip_tile_rows, reference_latent_grid

    batched = vh.latent_grid(vae.decoder, n)  # warm-up
    batched_seconds = min(_timed(vh.latent_grid, vae.decoder, n)[1] for _ in range(3))
    reference, reference_seconds = _timed(reference_latent_grid, vae.decoder, n)
    max_diff = float(np.max(np.abs(batched - flip_tile_rows(reference, n))))  # the tutorial's z[1] grows downwards
    if max_diff > GRID_TOLERANCE:
        raise AssertionError(f"latent grids differ: max abs pixel difference {max_diff:.2e} > {GRID_TOLERANCE}.")
    return [
        {
            "section": "latent grid",
            "name": f"reference ({n * n} predict calls)",
            "value": reference_seconds,
            "unit": "s",
        },
        {
            "section": "latent grid",
            "name": GRID_ROW,
            "value": batched_seconds,
            "unit": "s",
            "ratio": reference_seconds / batched_seconds,
            "note": f"same image: max abs diff {max_diff:.1e}",
        },
    ]


def evaluation_rows(vae, x_test, iwae_ks) -> list[dict]:
    """Time the -ELBO and each IWAE-k bound over ``x_test`` (batched passes), with their values in nats."""
    import keras

    import vae_helpers as vh

    keras.utils.set_random_seed(0)
    scores, seconds = _timed(vh.evaluate, vae, x_test)
    rows = [
        {
            "section": "evaluation",
            "name": f"-ELBO, {len(x_test):,} test images",
            "value": seconds,
            "unit": "s",
            "note": f"{scores['neg_elbo']:.2f} nats",
        }
    ]
    for k in iwae_ks:
        bound, seconds = _timed(vh.iwae_bound, vae, x_test, k, seed=0)
        rows.append(
            {
                "section": "evaluation",
                "name": f"IWAE-{k}, {len(x_test):,} test images",
                "value": seconds,
                "unit": "s",
                "note": f"{bound:.2f} nats ({k * len(x_test):,} decodes)",
            }
        )
    return rows


def latency_rows(result: dict) -> list[dict]:
    """Table rows from ``explore_latency.run()``: p50/p95 of each explorer and kind of update
    (``explore_latency.SIDES``; ratio naive/course), decoder traces."""
    from benchmarks.explore_latency import SIDES, timings_of

    rows = []
    naive = result.get("naive", {})
    for side, part, label in SIDES:
        timings = timings_of(result, side, part)
        if timings is None:
            continue
        for stat in ("p50_ms", "p95_ms"):
            if stat not in timings:
                continue
            row = {"section": "explorer latency", "name": f"{label}, {stat[:3]}", "value": timings[stat], "unit": "ms"}
            if side != "naive" and stat in naive:
                row["ratio"] = naive[stat] / timings[stat]
                if "traces" in result[side]:
                    row["note"] = f"decoder traced {result[side]['traces']} time(s)"
            rows.append(row)
    return rows


def _explorer_latency(quick: bool) -> list[dict]:
    if not pathlib.Path(__file__).with_name("explore_latency.py").is_file():
        print("Note: benchmarks/explore_latency.py is not there yet; skipping the latent-explorer latency rows.")
        return []
    module = importlib.import_module("benchmarks.explore_latency")
    return latency_rows(module.run(20) if quick else module.run())


def gpu_name() -> str | None:
    """The first GPU's name as this process's Keras backend reports it, None without a GPU. On TensorFlow the
    GPU's memory then grows on demand, so that the training subprocesses can have it."""
    import keras

    from vae_helpers.devices import gpu_count

    if gpu_count() == 0:
        return None
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        for gpu in gpus:
            tf.config.experimental.set_memory_growth(gpu, True)
        return tf.config.experimental.get_device_details(gpus[0]).get("device_name", "unknown GPU")
    if backend == "jax":
        import jax

        return next(device.device_kind for device in jax.devices() if device.platform == "gpu")
    import torch

    return torch.cuda.get_device_name(0)


def backend_versions(backends: list[str]) -> dict:
    """Versions of Python, Keras and each installed backend's package."""
    from importlib.metadata import version

    import keras

    return {
        "python": platform.python_version(),
        "keras": keras.__version__,
        **{name: version(name) for name in backends},
    }


def variant_names(device: str, backends: list[str], only_port_and_course: bool) -> list[str]:
    """The variants this run measures: every one worth measuring on ``device`` with the installed ``backends``, or
    only each backend's port and training command (the quick run)."""
    if only_port_and_course:
        return [name for backend in backends for name in training_speed.port_and_course(backend)]
    return [variant.name for variant in training_speed.variants_for(device, backends)]


def training_images(sizes: dict, device: str, backend: str) -> int:
    """Training images per epoch for ``backend``'s variants (see :data:`FULL`)."""
    return sizes["n_train"] if device == "GPU" or backend == "tensorflow" else sizes["n_train_cpu_other_backends"]


def run(quick: bool = False) -> dict:
    """Measure everything on this machine and return ``{"machine", "rows", "raw", ...}`` (see module doc)."""
    import keras

    sizes = QUICK if quick else FULL
    gpu = gpu_name()
    device = "GPU" if gpu else "CPU"
    backends = training_speed.installed_backends()
    names = variant_names(device, backends, sizes.get("only_port_and_course", False))

    import vae_helpers as vh

    # Trace the evaluation graphs now: autograph reads the source file at the first trace, so this long run must
    # not meet an edited evaluation.py for the first time at its end.
    (_, _), (x_test, _) = vh.load_fashion_mnist()
    vh.evaluate(vh.build_vae(), x_test[:2]), vh.iwae_bound(vh.build_vae(), x_test[:2], 1)
    load_before = os.getloadavg()
    runs = {name: [] for name in names}
    for round_number in range(sizes["rounds"]):  # interleaved, so that a busy minute hits every variant alike
        for name in names:
            print(f"training, round {round_number + 1} of {sizes['rounds']}: {name} ...", flush=True)
            n_train = training_images(sizes, device, training_speed.BY_NAME[name].backend)
            runs[name].append(training_speed.measure_in_subprocess(name, n_train, sizes["epochs"]))
    results = [merge_rounds(rounds) for rounds in runs.values()]

    peak = flops.matmul_peak_flops(1024 if quick else 2048)
    train_flops = flops.vae_training_flops(vh.build_vae())
    rows = [
        {"section": "machine", "name": "fp32 matmul peak (measured)", "value": peak / 1e9, "unit": "GFLOP/s"},
        {
            "section": "machine",
            "name": "training FLOPs per image",
            "value": train_flops / 1e6,
            "unit": "MFLOP",
            "note": "3 x forward (flops.py)",
        },
    ]
    rows += training_rows(results, train_flops, peak)
    course = [r for r in results if r["variant"].startswith("course") and "error" not in r]
    best = max(course, key=lambda r: r["images_per_second"])["variant"] if course else None
    vae, which = _shipped_or_fresh_vae()
    print("latent grid and evaluation ...", flush=True)
    rows += latent_grid_rows(vae, sizes["grid_n"])
    rows += [
        dict(row, note=f"{row['note']}; {which}")
        for row in evaluation_rows(vae, x_test[: sizes["n_eval"]], sizes["iwae_ks"])
    ]
    rows += _explorer_latency(quick)
    return {
        "machine": machine_name(device, gpu_name=gpu),
        "device": device,
        "gpu": gpu,
        "backend": keras.backend.backend(),
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "quick": quick,
        "sizes": {k: list(v) if isinstance(v, tuple) else v for k, v in sizes.items()},
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "versions": backend_versions(backends),
        "backends": backends,
        "gpu_note": None if gpu else "no GPU available in this run: no GPU row (nothing is estimated)",
        "load_average_1min": {"start": round(load_before[0], 2), "end": round(os.getloadavg()[0], 2)},
        "best_course_variant": best,
        "rows": rows,
        "training_raw": results,
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one-minute smoke run on tiny sizes")
    parser.add_argument(
        "--out",
        type=pathlib.Path,
        default=None,
        help="JSON path (default benchmarks/results/<machine>.json; --quick writes none by default)",
    )
    parser.add_argument(
        "--markdown",
        type=pathlib.Path,
        default=None,
        metavar="JSON",
        help="only print the rows of an earlier results JSON as a Markdown table",
    )
    args = parser.parse_args(argv)
    if args.markdown is not None:
        report = json.loads(args.markdown.read_text())
        print(format_markdown(report["rows"]))
        return report
    start = time.perf_counter()
    report = run(quick=args.quick)
    report["total_seconds"] = round(time.perf_counter() - start, 1)
    print(format_table(report["rows"]))
    if report["quick"]:
        print("Quick run: sizes too small to judge the goals (the full run decodes a 30 x 30 grid).")
    else:
        print("\n".join(goal_lines(report["rows"])))
    print("\n".join(backend_lines(report["rows"], report["backends"])))
    print(f"Fastest vh.train setting on this {report['device']}: {report['best_course_variant']}.")
    if report["gpu_note"]:
        print(report["gpu_note"])
    out = args.out or (None if args.quick else RESULTS_DIR / f"{report['machine']}.json")
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=1) + "\n")
        print(f"Wrote {out} ({report['total_seconds']:.0f} s).")
    return report


if __name__ == "__main__":
    main()
