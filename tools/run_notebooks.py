"""Execute notebooks in place and strip volatile metadata, so stored outputs match the code.

Usage: ``python tools/run_notebooks.py [--quick] notebooks/01_data.ipynb [...]`` (default: all numbered notebooks).
Full mode (the default) stores what a learner sees; ``--quick`` sets ``VAE_QUICK=1`` as CI does.
Fails if a cell errors, except cells tagged ``raises-exception``.
"""

from __future__ import annotations

import argparse
import os
import re
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[1] / "notebooks"
VOLATILE_CELL_KEYS = ("execution", "collapsed", "scrolled")
# TensorFlow's C++ start-up lines (absl/oneDNN/CUDA probing) reach stderr before TF_CPP_MIN_LOG_LEVEL applies;
# they differ per machine and teach nothing, so they are not stored.
TF_NOISE = re.compile(r"^(?:[IWE]\d{4} \S+ +\d+ \S+\] .*|WARNING: All log messages before absl::InitializeLog\(\) .*"
                      r"|To enable the following instructions: .*)$")


def strip(nb: nbformat.NotebookNode) -> None:
    """Remove timings and widget state; pin the kernelspec to ``python3``."""
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    for cell in nb.cells:
        for key in VOLATILE_CELL_KEYS:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = [output for output in map(_drop_tf_noise, cell.outputs) if output is not None]


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
    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}},
                   record_timing=False).execute()
    strip(nb)
    nbformat.write(nb, path)
    print(f"{path.name}: executed in {'quick' if quick else 'full'} mode in {time.perf_counter() - start:.0f} s")


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
