"""Execute notebooks in place and strip volatile metadata, so stored outputs match the code.

Usage: ``python tools/run_notebooks.py [--quick] notebooks/01_data.ipynb [...]`` (default: all numbered notebooks).
Full mode (the default) stores what a learner sees; ``--quick`` sets ``VAE_QUICK=1`` as CI does.
Fails if a cell errors, except cells tagged ``raises-exception``. Records in the notebook's metadata
(``vae_course``) the mode, the wall time and a hash of its code cells, so a test can tell when stored outputs are
from quick mode or older than the code.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
VOLATILE_CELL_KEYS = ("execution", "collapsed", "scrolled")
# TensorFlow's C++ start-up lines (absl/oneDNN/CUDA probing) reach stderr before TF_CPP_MIN_LOG_LEVEL applies;
# they differ per machine and teach nothing, so they are not stored.
TF_NOISE = re.compile(
    r"^(?:[IWE]\d{4} \S+ +\d+ \S+\] .*|WARNING: All log messages before absl::InitializeLog\(\) .*"
    r"|To enable the following instructions: .*)$"
)
# Paths of the machine that ran the notebook (tracebacks, printed folders) say nothing to a learner and change per
# machine: the installed libraries become ".../site-packages/", the course's own files are shown relative to the
# repository, and temporary folders become "/tmp/...".
MACHINE_PATHS = [
    (re.compile(r"(?:~|/)[^\s'\"\x1b:]*?/(?:site|dist)-packages/"), "\u2026/site-packages/"),
    (re.compile(re.escape(str(ROOT)) + r"/"), ""),
    (re.compile(r"/tmp/tmp[\w-]+"), "/tmp/\u2026"),
]


METADATA_KEY = "vae_course"
SOLUTION_TAG = "solution"


def code_hash(nb: nbformat.NotebookNode) -> str:
    """SHA-256 of the notebook's code cells (sources only): changes whenever what runs changes."""
    digest = hashlib.sha256()
    for cell in nb.cells:
        if cell.cell_type == "code":
            digest.update(cell.source.encode() + b"\0")
    return digest.hexdigest()


def strip(nb: nbformat.NotebookNode) -> None:
    """Remove timings, widget state, TensorFlow's start-up noise and machine paths; pin the kernelspec; show
    progress bars as their final state; collapse solution cells and store none of their output."""
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    for cell in nb.cells:
        for key in VOLATILE_CELL_KEYS:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            outputs = [
                _without_machine_paths(output) for output in map(_drop_tf_noise, cell.outputs) if output is not None
            ]
            cell.outputs = _as_jupyter_shows(outputs)
            if SOLUTION_TAG in cell.metadata.get("tags", []):
                cell.metadata["jupyter"] = {"source_hidden": True, "outputs_hidden": True}
                cell.outputs = []  # the checker's verdict would give the answer away on GitHub, nbviewer and Colab


def as_terminal_shows(text: str) -> str:
    """What Jupyter displays for a stream: each backspace erases the character before it and a carriage return
    restarts its line (Keras' progress bars redraw themselves this way, hundreds of times per epoch)."""
    erase = re.compile(r"[^\x08\n]\x08")
    while erase.search(text):
        text = erase.sub("", text)
    text = text.replace("\x08", "")  # a backspace at the start of a line has nothing to erase
    return re.sub(r"^[^\n]*\r(?!$)", "", text, flags=re.M).replace("\r", "")


def _as_jupyter_shows(outputs: list) -> list:
    """Merge consecutive stream outputs of the same stream and render them with :func:`as_terminal_shows`."""
    merged = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            output.get("output_type") == "stream"
            and previous is not None
            and previous.get("output_type") == "stream"
            and previous.get("name") == output.get("name")
        ):
            previous.text += output.text
        else:
            merged.append(output)
    for output in merged:
        if output.get("output_type") == "stream":
            output.text = as_terminal_shows(output.text)
    return merged


def without_machine_paths(text: str) -> str:
    for pattern, replacement in MACHINE_PATHS:
        text = pattern.sub(replacement, text)
    return text


def _without_machine_paths(output):
    if output.get("output_type") == "stream":
        output.text = without_machine_paths(output.text)
    elif output.get("output_type") == "error":
        output.traceback = [without_machine_paths(line) for line in output.traceback]
        output.evalue = without_machine_paths(output.evalue)
    for kind in ("text/plain", "text/html"):
        if kind in output.get("data", {}):
            output.data[kind] = without_machine_paths(output.data[kind])
    return output


def _drop_tf_noise(output):
    if output.get("output_type") != "stream" or output.get("name") != "stderr":
        return output
    kept = [line for line in output.text.splitlines(keepends=True) if not TF_NOISE.match(line.rstrip("\n"))]
    if not kept:
        return None
    output.text = "".join(kept)
    return output


def run(path: pathlib.Path, quick: bool, timeout: int) -> None:
    nb = nbformat.read(path, as_version=4)
    os.environ["VAE_QUICK"] = "1" if quick else "0"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    start = time.perf_counter()
    NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
    ).execute()
    seconds = time.perf_counter() - start
    strip(nb)
    nb.metadata[METADATA_KEY] = {
        "mode": "quick" if quick else "full",
        "seconds": round(seconds),
        "cpus": os.cpu_count(),
        "code_sha256": code_hash(nb),
    }
    nbformat.write(nb, path)
    print(f"{path.name}: executed in {'quick' if quick else 'full'} mode in {seconds:.0f} s")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path)
    parser.add_argument("--quick", action="store_true", help="run with VAE_QUICK=1, as CI does")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    parser.add_argument("--strip-only", action="store_true", help="only strip metadata and TF noise, do not run")
    args = parser.parse_args(argv)
    for path in args.notebooks or sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        if args.strip_only:
            nb = nbformat.read(path, as_version=4)
            strip(nb)
            nbformat.write(nb, path)
        else:
            run(path, args.quick, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
