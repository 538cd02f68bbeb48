"""Build the course's web book: ``python tools/book.py`` (``make book``) writes ``build/book/index.html``.

The book is the README (its landing page: the course map), the stored notebooks (``notebooks/*.ipynb``, taken by
glob, never executed: their outputs are the full-mode run the repository stores) and the pages of ``docs/``,
rendered by Sphinx with myst-nb and sphinx-book-theme. The sources are copied into ``build/book-src/`` and changed
there, never in place:

- links: ``README.md`` becomes the landing page ``index.md``, so ``../README.md#course-map`` lands on its course
  map; a link to a repository file that is not a page of the book (``Makefile``, ``vae_helpers/``) goes to the
  file on GitHub (pyproject.toml's ``[project.urls] Repository``);
- the Colab badge (an image on Google's server) becomes a text link "Run in Colab", followed by "Download
  notebook" (the notebook as stored in the repository);
- code cells tagged ``solution`` are collapsed (myst-nb's ``hide-input`` and ``hide-output`` tags);
- an explorer's widget output (no kernel runs in the book) is replaced by the live, in-page explorer for notebook
  06's ``vh.explore_latent`` and notebook 09's ``vh.explore_conditional`` (``docs/_static/explorer.js``, running the
  decoders exported by ``tools/export_decoders.py`` with onnxruntime-web), and by a note for the others, whose
  stored snapshot stays on the page.

Nothing in the site is fetched from another host: MathJax and onnxruntime-web are copied from their npm packages
(versions locked in ``docs/package.json`` and ``docs/package-lock.json``, installed once into ``build/npm/``; set
``VAE_BOOK_NPM_DIR`` to a folder holding an installed ``node_modules/`` to build with no registry). Where npm is
missing, Debian's ``npm`` is installed with apt-get as ``make test`` installs a Chromium (as root or ``sudo -n``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SOURCE = ROOT / "build" / "book-src"
OUTPUT = ROOT / "build" / "book"
NPM_DIR = ROOT / "build" / "npm"
REPOSITORY = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]

COLAB_BADGE = re.compile(
    r"\[!\[Open In Colab\]\(https://colab\.research\.google\.com/assets/colab-badge\.svg\)\]"
    r"\((https://colab\.research\.google\.com/[^)\s]+)\)"
)
MARKDOWN_LINK = re.compile(r"(?<!!)\]\(([^)\s]+)\)")  # the target of [text](target), not of an image ![..](..)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# The explorers that run on the page: the helper the notebook calls -> the explorer.js kind (docs/_static/models/
# explorers.json says which exported decoder each uses)
LIVE_EXPLORERS = {"vh.explore_latent(": "latent", "vh.explore_conditional(": "conditional"}
# The pages of docs/ in the book's menu, in this order (a page not listed comes after them, by name)
PAGES = (
    "training",
    "pretrained",
    "explorers",
    "backends",
    "speed",
    "tests",
    "troubleshooting",
    "reference",
    "maintainers",
)
# What npm installs -> where it goes in _static (only the files the pages load)
VENDORED = {
    "mathjax/es5/tex-chtml.js": "mathjax/tex-chtml.js",
    "mathjax/es5/input/tex/extensions": "mathjax/input/tex/extensions",
    "mathjax/es5/output/chtml/fonts/woff-v2": "mathjax/output/chtml/fonts/woff-v2",
    "mathjax/es5/ui": "mathjax/ui",
    "mathjax/es5/a11y": "mathjax/a11y",
    "mathjax/LICENSE": "mathjax/LICENSE",
    "onnxruntime-web/dist/ort.wasm.min.js": "onnxruntime/ort.wasm.min.js",
    "onnxruntime-web/dist/ort-wasm-simd-threaded.mjs": "onnxruntime/ort-wasm-simd-threaded.mjs",
    "onnxruntime-web/dist/ort-wasm-simd-threaded.wasm": "onnxruntime/ort-wasm-simd-threaded.wasm",
}


def rewrite_links(text: str, source: pathlib.Path) -> str:
    """Markdown ``text`` of the repository file ``source`` with its links made to work inside the book."""

    def target(match: re.Match) -> str:
        link = match.group(1)
        if re.match(r"^[a-z][a-z0-9+.-]*:", link) or link.startswith("#"):
            return match.group(0)  # a URL or an anchor on the same page
        path, _, anchor = link.partition("#")
        resolved = (source.parent / path).resolve()
        try:
            relative = resolved.relative_to(ROOT)
        except ValueError:
            raise SystemExit(f"{source.relative_to(ROOT)} links to {link}, outside the repository") from None
        if relative == pathlib.Path("README.md"):
            book_path = pathlib.Path("index.md")
        elif relative.suffix in (".md", ".ipynb") and relative.parts[0] in ("docs", "notebooks"):
            book_path = relative
        elif relative.parts[0] == "docs" and resolved.exists():
            return match.group(0)  # an image or file of docs/, copied with it
        else:  # a repository file that is not a page of the book
            kind = "tree" if resolved.is_dir() else "blob"
            url = f"{REPOSITORY}/{kind}/main/{relative.as_posix()}" + (f"#{anchor}" if anchor else "")
            return f"]({url})"
        here = pathlib.Path(os.path.relpath(SOURCE / book_path, (SOURCE / book_source(source)).parent))
        return f"]({here.as_posix()}" + (f"#{anchor}" if anchor else "") + ")"

    return MARKDOWN_LINK.sub(target, text)


def book_source(source: pathlib.Path) -> pathlib.Path:
    """Where the repository file ``source`` lives in build/book-src/ (relative)."""
    relative = source.relative_to(ROOT)
    return pathlib.Path("index.md") if relative == pathlib.Path("README.md") else relative


def colab_links(text: str, notebook: str | None) -> str:
    """Replace the Colab badge image by a text link (plus a download link on a notebook's page)."""
    download = f" · {{download}}`Download notebook <../_originals/{notebook}>`" if notebook else ""
    return COLAB_BADGE.sub(lambda m: f"[Run in Colab]({m.group(1)}){download}", text)


def explorer_cell(source: str) -> dict:
    """The markdown cell that replaces an explorer's widget output: the live explorer, or a note."""
    kind = next((kind for call, kind in LIVE_EXPLORERS.items() if call in source), None)
    if kind:
        text = (
            f'<div class="live-explorer" data-explorer="{kind}">Loading the live explorer (it runs in your '
            "browser, with no Python)…</div>\n"
        )
    else:
        text = (
            '<p class="kernel-explorer-note"><em>This explorer needs a Python kernel: the picture above is its '
            "stored snapshot. Run the notebook in JupyterLab (<code>make lab</code>) or in Colab (the link at "
            "the top of this page) to use it.</em></p>\n"
        )
    return {
        "cell_type": "markdown",
        "id": f"book-explorer-{kind or 'note'}-{len(source)}",
        "metadata": {},
        "source": text,
    }


def stage_notebook(path: pathlib.Path) -> dict:
    """The notebook at ``path`` as the book shows it (see the module docstring)."""
    notebook = json.loads(path.read_text())
    cells, previous_source = [], ""
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            cell["source"] = colab_links(rewrite_links(source, path), path.name)
        if cell["cell_type"] == "code" and "solution" in cell["metadata"].get("tags", []):
            hide = ["hide-input"] + (["hide-output"] if cell.get("outputs") else [])
            cell["metadata"]["tags"] = cell["metadata"]["tags"] + hide
            cell["metadata"]["mystnb"] = {
                "code_prompt_show": "Show the solution's {type}",
                "code_prompt_hide": "Hide the solution's {type}",
            }
        cells.append(cell)
        widgets = [out for out in cell.get("outputs", []) if WIDGET_VIEW in out.get("data", {})]
        if widgets:
            cell["outputs"] = [out for out in cell["outputs"] if out not in widgets]
            cells.append(explorer_cell(previous_source + source))
        if cell["cell_type"] == "code":
            previous_source = source
    notebook["cells"] = cells
    return notebook


def _install_npm() -> str | None:
    """On Debian/Ubuntu, install npm through apt-get (as root or with ``sudo -n``, as ``make test`` gets a Chromium:
    tools/course_setup.py); the path of npm, or None."""
    spec = importlib.util.spec_from_file_location("course_setup", ROOT / "tools" / "course_setup.py")
    course_setup = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(course_setup)
    print("npm is missing: installing Debian's npm with apt-get, once", flush=True)
    course_setup.apt_install(course_setup.this_machine(), "npm")
    return shutil.which("npm")


def vendor(static: pathlib.Path) -> None:
    """Copy MathJax and onnxruntime-web from their npm packages into ``static`` (installing them if needed)."""
    npm_dir = pathlib.Path(os.environ.get("VAE_BOOK_NPM_DIR", NPM_DIR))
    lock = DOCS / "package-lock.json"
    installed = npm_dir / "node_modules" / ".package-lock.json"
    if "VAE_BOOK_NPM_DIR" not in os.environ and (
        not installed.exists() or installed.stat().st_mtime < lock.stat().st_mtime
    ):
        npm = shutil.which("npm") or _install_npm()
        if npm is None:
            raise SystemExit(
                "make book needs npm (Node.js) once, to get MathJax and onnxruntime-web into build/npm/:"
                " install it (Debian/Ubuntu: `sudo apt-get install npm`), or set VAE_BOOK_NPM_DIR to a folder "
                "with those packages in its node_modules/."
            )
        npm_dir.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy2(DOCS / name, npm_dir / name)
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"], cwd=npm_dir, check=True
        )
    for source, target in VENDORED.items():
        origin, destination = npm_dir / "node_modules" / source, static / target
        if not origin.exists():
            raise SystemExit(f"{origin} is missing: run `npm ci` in {npm_dir} (docs/package.json lists the packages)")
        destination.parent.mkdir(parents=True, exist_ok=True)
        if origin.is_dir():
            shutil.copytree(origin, destination)
        else:
            shutil.copy2(origin, destination)


def stage() -> None:
    """Write build/book-src/: conf.py and _static/ from docs/, the README as index.md, docs/ pages, notebooks."""
    shutil.rmtree(SOURCE, ignore_errors=True)
    SOURCE.mkdir(parents=True)
    shutil.copy2(DOCS / "conf.py", SOURCE / "conf.py")
    shutil.copytree(DOCS / "_static", SOURCE / "_static")
    vendor(SOURCE / "_static")
    pages = sorted(
        DOCS.glob("*.md"), key=lambda path: (PAGES.index(path.stem) if path.stem in PAGES else len(PAGES), path.stem)
    )
    readme = ROOT / "README.md"
    index = colab_links(rewrite_links(readme.read_text(), readme), None)
    toctree = ["", "```{toctree}", ":hidden:", ":caption: Notebooks", ""]
    toctree += [f"notebooks/{path.stem}" for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))]
    toctree += ["```", "", "```{toctree}", ":hidden:", ":caption: Manual", ""]
    toctree += [f"docs/{path.stem}" for path in pages] + ["```", ""]
    (SOURCE / "index.md").write_text(index + "\n".join(toctree))
    (SOURCE / "docs").mkdir()
    for path in pages:
        (SOURCE / "docs" / path.name).write_text(rewrite_links(path.read_text(), path))
    for folder in (path for path in DOCS.iterdir() if path.is_dir() and not path.name.startswith("_")):
        shutil.copytree(folder, SOURCE / "docs" / folder.name)
    (SOURCE / "notebooks").mkdir()
    (SOURCE / "_originals").mkdir()
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        shutil.copy2(path, SOURCE / "_originals" / path.name)
        (SOURCE / "notebooks" / path.name).write_text(json.dumps(stage_notebook(path), indent=1))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="fail on any Sphinx warning (a broken link, ...)")
    args = parser.parse_args(argv)
    stage()
    shutil.rmtree(OUTPUT, ignore_errors=True)
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-j", "auto", str(SOURCE), str(OUTPUT)]
    if args.strict:
        command[3:3] = ["-W", "--keep-going"]
    subprocess.run(command, check=True)
    print(f"the book is in {OUTPUT.relative_to(ROOT)}/index.html")


if __name__ == "__main__":
    main()
