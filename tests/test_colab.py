"""Colab: every badge and install cell names the repository of pyproject.toml's [project.urls], and the install
cell, run in a simulated Colab (a fake ``google.colab`` module, a wheel built from this checkout in place of the
GitHub URL), installs a course package that imports and loads a shipped model."""

import json
import os
import pathlib
import re
import subprocess
import sys
import tomllib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
REPOSITORY = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
OWNER_AND_NAME = REPOSITORY.removeprefix("https://github.com/")
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
INSTALL_CELL = f"""\
import sys
if "google.colab" in sys.modules:  # on Colab only: install the course package
    %pip install -q "vae-helpers @ git+{REPOSITORY}\""""
COLAB_LINK = re.compile(r"https://colab\.research\.google\.com/github/[^)\s\"'\\]+")
GITHUB_URL = re.compile(r"github\.com/[\w.-]+/[\w.-]+")


def _texts():
    """(place, text) for the README and every notebook cell."""
    yield "README.md", (ROOT / "README.md").read_text()
    for path in NOTEBOOKS:
        for index, cell in enumerate(json.loads(path.read_text())["cells"]):
            yield f"{path.name} cell {index}", "".join(cell["source"])


def _first_code_cell(path):
    return "".join(next(c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")["source"])


def test_the_repository_url_is_a_github_repository():
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", REPOSITORY)


def test_every_colab_link_opens_a_notebook_of_this_repository():
    links = [(place, link) for place, text in _texts() for link in COLAB_LINK.findall(text)]
    assert len(links) >= 2 * len(NOTEBOOKS)  # a badge in each notebook and in the README's course map
    for place, link in links:
        prefix = f"https://colab.research.google.com/github/{OWNER_AND_NAME}/blob/main/notebooks/"
        assert link.startswith(prefix), f"{place}: {link} is not a notebook of {REPOSITORY}"
        assert (ROOT / "notebooks" / link.removeprefix(prefix)).is_file(), f"{place}: {link} names no notebook"


def test_every_other_github_url_of_the_course_is_the_repository():
    owner = OWNER_AND_NAME.split("/")[0]
    for place, text in _texts():
        for url in GITHUB_URL.findall(text):
            if url.split("/")[1] == owner:
                assert url == f"github.com/{OWNER_AND_NAME}", f"{place}: {url} is not {REPOSITORY}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_starts_with_the_same_install_cell(path):
    assert _first_code_cell(path) == INSTALL_CELL


@pytest.fixture(scope="module")
def colab_run(tmp_path_factory):
    """Run notebook 01's install cell in IPython twice, with and without a fake google.colab module.

    The GitHub URL is replaced by a wheel built from this checkout (as pip builds one from the repository on
    Colab); pip installs into a folder of its own (PIP_TARGET, without dependencies, which this environment
    already has), so nothing here touches the environment running the tests.
    """
    root = tmp_path_factory.mktemp("colab")
    fake = root / "fake-colab"
    (fake / "google" / "colab").mkdir(parents=True)
    (fake / "google" / "__init__.py").write_text("")
    (fake / "google" / "colab" / "__init__.py").write_text('"""Stands in for Colab\'s own module."""\n')
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(root / "wheel"), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    [wheel] = (root / "wheel").glob("vae_helpers-*.whl")
    cell = _first_code_cell(NOTEBOOKS[0])
    assert f"git+{REPOSITORY}" in cell
    local_cell = cell.replace(f"git+{REPOSITORY}", wheel.as_uri())
    results = {}
    for name, on_colab in (("colab", True), ("elsewhere", False)):
        target = root / name
        target.mkdir()
        env = {**os.environ, "PIP_TARGET": str(target), "PIP_NO_DEPS": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
        code = local_cell
        if on_colab:  # Colab's kernel has imported google.colab before the first cell runs
            env["PYTHONPATH"] = os.pathsep.join([str(fake), env.get("PYTHONPATH", "")])
            code = "import google.colab\n" + local_cell
        done = subprocess.run(
            [sys.executable, "-m", "IPython", "--no-banner", "--quick", "-c", code],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            cwd=root,
        )
        # %pip reports a failed install in its output, not in IPython's exit code
        assert done.returncode == 0 and "ERROR" not in done.stdout + done.stderr, done.stdout[-3000:]
        results[name] = target
    return results


def test_on_colab_the_cell_installs_a_package_that_loads_a_shipped_model(colab_run):
    target = colab_run["colab"]
    script = (
        "import vae_helpers as vh, numpy as np; print(vh.__file__); "  # tuple: PyTorch prints a torch.Size
        "vae = vh.load_pretrained('fashion-latent2'); "
        "print(tuple(vae.decode(np.zeros((1, 2), 'float32')).shape))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "PYTHONPATH": str(target), "TF_CPP_MIN_LOG_LEVEL": "3"},
        capture_output=True,
        text=True,
        timeout=300,
        cwd=target.parent,
    )  # not this checkout
    assert done.returncode == 0, done.stderr[-3000:]
    where, shape = done.stdout.split("\n")[:2]
    assert pathlib.Path(where).is_relative_to(target), "the installed copy, not this checkout, was imported"
    assert shape == "(1, 28, 28, 1)"
    shipped = {p.name for p in (target / "vae_helpers" / "pretrained").iterdir()}
    assert {"fashion-latent2.weights.h5", "fashion-latent2.json"} <= shipped


def test_elsewhere_the_cell_installs_nothing(colab_run):
    assert list(colab_run["elsewhere"].iterdir()) == []
