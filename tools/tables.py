"""Write the tables that come from data: ``python tools/tables.py`` (``--check``: only say whether they are stale).

Each table sits in a Markdown file between ``<!-- table: NAME -->`` and ``<!-- end of table: NAME -->`` and is
written from its data, never by hand:

- ``course-map`` (README.md): one row per notebook (``notebooks/[0-9][0-9]_*.ipynb``): its title and the first
  sentences of its purpose paragraph (the header cell), the reading time its header states and the run time of its
  stored full-mode run (the notebook's metadata ``vae_course.seconds``, written by tools/run_notebooks.py);
- ``model-kinds`` (README.md, docs/pretrained.md): the registry of model kinds (``vae_helpers/model_kinds.py``),
  the one the training command and ``vh.load_pretrained`` read;
- ``pretrained-vae``, ``pretrained-autoencoder``, ``pretrained-cvae`` (docs/pretrained.md), one per model kind: the
  shipped models' JSONs (``vae_helpers/pretrained/*.json``);
- ``benchmark``, ``quality`` and ``time-to-quality`` (docs/speed.md): ``benchmarks/results/`` (the rows of ``make
  bench`` in the same format as ``benchmarks/run.py --markdown``, ``benchmarks/quality.py``'s comparison and
  ``benchmarks/time_to_quality.py``'s arms and levers).

tests/test_tables.py checks that every table in the repository equals what this tool writes.
"""

from __future__ import annotations

import argparse
import difflib
import functools
import importlib.util
import json
import pathlib
import re
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]
PRETRAINED = ROOT / "vae_helpers" / "pretrained"
RESULTS = ROOT / "benchmarks" / "results"
BENCHMARK_MACHINE = "cpu-2cores-intel-xeon"  # the results file docs/speed.md shows and discusses
REPOSITORY = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
BLOCK = re.compile(r"(<!-- table: ([\w-]+) -->\n)(.*?)(<!-- end of table: \2 -->)", re.S)
READ_TIME = re.compile(r"about (\d+) min to read")


def _load(path: pathlib.Path, name: str):
    """The module at ``path`` (a script of tools/ or benchmarks/, not a package)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # a dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


SUMMARY_CHARS = 80  # a course-map summary is the purpose paragraph's first sentences, up to this length at least


def _summary(text: str) -> str:
    """The first sentences of ``text`` (one paragraph), at least SUMMARY_CHARS long, for a table cell."""
    sentences, summary = re.split(r"(?<=[.!?])\s+(?=[A-Z(])", " ".join(text.split())), ""
    for sentence in sentences:
        summary = f"{summary} {sentence}".strip()
        if len(summary) >= SUMMARY_CHARS:
            break
    return summary.replace("|", "\\|")


def course_map() -> str:
    """The README's course map: number, notebook, what it is about, times, Colab link."""
    key = _load(ROOT / "tools" / "run_notebooks.py", "run_notebooks").METADATA_KEY
    lines = ["| # | Notebook | What it is about | Time (2 CPU cores) | Colab |", "|---|---|---|---|---|"]
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        notebook = json.loads(path.read_text())
        header = "".join(notebook["cells"][0]["source"])
        title = re.match(r"#\s+\d+\s+·\s+(.+)", header)
        read = READ_TIME.search(header)
        seconds = notebook["metadata"].get(key, {}).get("seconds")
        if not (title and read and seconds):
            raise SystemExit(
                f"{path.name}: its header needs a `# NN · Title` line and `**Time:** about N min to read "
                f"...`, and its metadata {key}.seconds (tools/run_notebooks.py writes it)"
            )
        purpose = next(
            (
                paragraph
                for paragraph in header.split("\n\n")[1:]
                if paragraph.strip() and not paragraph.lstrip().startswith(("[![", "**", "#"))
            ),
            "",
        )
        run_minutes = max(1, round(seconds / 60))
        colab = (
            f"https://colab.research.google.com/github/{REPOSITORY.removeprefix('https://github.com/')}"
            f"/blob/main/notebooks/{path.name}"
        )
        lines.append(
            f"| {path.name[:2]} | [{title.group(1).strip()}](notebooks/{path.name}) | "
            f"{_summary(purpose)} | about {read.group(1)} min to read · about {run_minutes} min "
            f"to run | [Open in Colab]({colab}) |"
        )
    return "\n".join(lines)


def _models(kind: str) -> list[tuple[str, dict]]:
    models = []
    for path in sorted(PRETRAINED.glob("*.json")):
        info = json.loads(path.read_text())
        if info.get("model", "vae") == kind:
            models.append((path.stem, info))
    order = {"vae": lambda item: (item[1]["latent_dim"], item[1]["beta"], item[1]["epochs"] != 50, item[0])}
    return sorted(models, key=order.get(kind, lambda item: item[0]))


def _wall_time(info: dict) -> str:
    resumed, seconds = int(info.get("resumed_from_epoch") or 0), float(info["train_wall_seconds"])
    if resumed >= int(info["epochs"]):
        return "not recorded (scored on a resume)"
    text = f"{max(1, round(seconds / 60))} min"
    return text + (f" (resumed at epoch {resumed})" if resumed else "")


@functools.cache
def _model_kinds() -> dict:
    """``vae_helpers.model_kinds.MODEL_KINDS``, read without importing the package (no Keras backend starts)."""
    return _load(ROOT / "vae_helpers" / "model_kinds.py", "model_kinds").MODEL_KINDS


def model_kinds_table() -> str:
    """The model kinds: ``--model``, the builder, the notebook that introduces it, what it is."""
    lines = [
        "| `--model` | Built by | Notebook | What it is | KL term (β, free bits) | Labels |",
        "|---|---|---|---|---|---|",
    ]
    for kind in _model_kinds().values():
        lines.append(
            f"| `{kind.name}` | `vh.{kind.builder}` | {kind.notebook} | {kind.summary} | "
            f"{'yes' if kind.regularized else 'no'} | {'yes' if kind.conditional else 'no'} |"
        )
    return "\n".join(lines)


def pretrained_table(kind: str) -> str:
    """The shipped models of one kind (``vae``, ``autoencoder``, ``cvae``), scores in nats per image."""
    if kind == "vae":
        lines = [
            "| Model | Latent | β | Epochs × images | Test −ELBO | Reconstruction | KL | IWAE k=10 | IWAE k=100 "
            "| Wall time of its last run* |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
    elif kind == "autoencoder":
        lines = [
            "| Model | Latent | Epochs × images | Test reconstruction error | Wall time of its last run* |",
            "|---|---|---|---|---|",
        ]
    else:
        lines = [
            "| Model | Latent | β | Epochs × images | Test −ELBO given the label | Reconstruction | KL "
            "| Wall time of its last run* |",
            "|---|---|---|---|---|---|---|---|",
        ]
    for name, info in _models(kind):
        test, budget = info["scores"]["test"], f"{info['epochs']} × {info['n_train']:,}"
        if kind == "autoencoder":
            cells = [str(info["latent_dim"]), budget, f"{test['reconstruction']:.1f}"]
        else:  # a VAE's and a CVAE's columns; the VAE's table adds its IWAE bounds
            cells = [
                str(info["latent_dim"]),
                f"{info['beta']:g}",
                budget,
                f"{test['neg_elbo']:.1f}",
                f"{test['reconstruction']:.1f}",
                f"{test['kl']:.2f}",
            ]
            if kind == "vae":
                cells += [f"{info['iwae_test']['10']:.1f}", f"{info['iwae_test']['100']:.1f}"]
        lines.append("| " + " | ".join([f"`{name}`", *cells, _wall_time(info)]) + " |")
    return "\n".join(lines)


def benchmark_table() -> str:
    """The rows of ``make bench`` on BENCHMARK_MACHINE, as ``benchmarks/run.py --markdown`` prints them."""
    run = _load(ROOT / "benchmarks" / "run.py", "benchmarks_run")
    report = json.loads((RESULTS / f"{BENCHMARK_MACHINE}.json").read_text())
    versions = ", ".join(f"{name} {version}" for name, version in report["versions"].items())
    caption = (
        f"Measured on {report['cpu_count']} cores of {report['cpu']}, {report['date'][:10]}, {versions} "
        f"(`benchmarks/results/{BENCHMARK_MACHINE}.json`):"
    )
    return caption + "\n\n" + run.format_markdown(report["rows"])


def quality_table() -> str:
    """``benchmarks/quality.py``'s comparison of the reference port and the course model (test set, nats)."""
    report = json.loads((RESULTS / "quality.json").read_text())
    lines = ["| | epochs | test −ELBO | reconstruction | KL | IWAE-10 |", "|---|---:|---:|---:|---:|---:|"]
    for label, entry in (
        ("reference port", report["reference_port"]),
        ("course (`fashion-latent2`)", report["course"]),
    ):
        test = entry["test"]
        lines.append(
            f"| {label} | {entry.get('epochs', report['epochs'])} | {test['neg_elbo']:.2f} nats | "
            f"{test['reconstruction']:.2f} | {test['kl']:.2f} | {entry['iwae_test']['10']:.2f} |"
        )
    return "\n".join(lines)


def time_to_quality_tables() -> str:
    """``benchmarks/time_to_quality.py``'s arms (CPU time to the tutorial's 50-epoch test -ELBO) and levers."""
    time_to_quality = _load(ROOT / "benchmarks" / "time_to_quality.py", "time_to_quality")
    report = json.loads((RESULTS / "time_to_quality.json").read_text())
    caption = (
        f"Measured on {report['machine']['cpus']} cores ({report['machine']['processor']}), {report['date']}, "
        f"target: the tutorial's test −ELBO, {report['target_neg_elbo']:.2f} nats "
        "(`benchmarks/results/time_to_quality.json`):"
    )
    return "\n\n".join([caption, time_to_quality.table(report), time_to_quality.lever_table(report)])


TABLES = {
    "course-map": course_map,
    "model-kinds": model_kinds_table,
    **{f"pretrained-{name}": (lambda name=name: pretrained_table(name)) for name in _model_kinds()},
    "benchmark": benchmark_table,
    "quality": quality_table,
    "time-to-quality": time_to_quality_tables,
}
FILES = ("README.md", "docs/pretrained.md", "docs/speed.md")  # the files that hold tables


def regenerate(text: str, where: str) -> str:
    """``text`` with every table block rewritten from its data."""

    def block(match: re.Match) -> str:
        name = match.group(2)
        if name not in TABLES:
            raise SystemExit(f"{where}: no table named {name!r}; known: {sorted(TABLES)}")
        return f"{match.group(1)}{TABLES[name]()}\n{match.group(4)}"

    return BLOCK.sub(block, text)


def stale() -> dict[str, tuple[str, str]]:
    """``{file: (committed, generated)}`` for each file whose tables differ from their data."""
    differ = {}
    for name in FILES:
        committed = (ROOT / name).read_text()
        generated = regenerate(committed, name)
        if generated != committed:
            differ[name] = (committed, generated)
    return differ


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a table is stale")
    args = parser.parse_args(argv)
    differ = stale()
    for name, (committed, generated) in differ.items():
        if args.check:
            sys.stdout.writelines(
                difflib.unified_diff(
                    committed.splitlines(True), generated.splitlines(True), f"{name} (committed)", f"{name} (generated)"
                )
            )
        else:
            (ROOT / name).write_text(generated)
            print(f"rewrote the tables of {name}")
    if args.check and differ:
        raise SystemExit(f"stale tables in {', '.join(differ)}: run `python tools/tables.py`")


if __name__ == "__main__":
    main()
