"""The project's set-up files agree with each other and with the README's two commands."""

import inspect
import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import time
import tomllib


from conftest import load_tool

ROOT = pathlib.Path(__file__).resolve().parents[1]
test_stack = load_tool("test_stack")


def _requirement_names(requirements):
    return {re.split(r"[<>=!~ ;\[]", req.strip(), maxsplit=1)[0].lower() for req in requirements}


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _environment_pip_list():
    lines = (ROOT / "environment.yml").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "- pip:")
    return [line.strip()[2:] for line in lines[start + 1 :] if line.strip().startswith("- ")]


DEFAULT_EXTRAS = (
    "tensorflow",
    "lab",
    "test",
    "book",
)  # what make lab, make test and make book install; jax: the other backend


def test_environment_yml_installs_the_package_with_the_default_extras_and_repeats_no_dependency():
    pip_list = _environment_pip_list()
    assert pip_list == [f"-e .[{','.join(DEFAULT_EXTRAS)}]"], "environment.yml installs pyproject.toml's extras only"
    assert set(DEFAULT_EXTRAS) <= set(_pyproject()["project"]["optional-dependencies"])


def test_the_version_has_one_home():
    import vae_helpers
    from vae_helpers._version import __version__

    assert _pyproject()["project"]["dynamic"] == ["version"] and "version" not in _pyproject()["project"]
    assert _pyproject()["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "vae_helpers._version.__version__"}
    assert vae_helpers.__version__ == __version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)


def test_environment_yml_pins_python_311():
    assert re.search(r"^\s*- python=3\.11\s*$", (ROOT / "environment.yml").read_text(), re.M)


def _minimums(extra="tensorflow"):
    """``{package: minimum}`` for every ``name>=version`` dependency of pyproject.toml and of one backend extra
    (the extra's minimum wins where both name a package)."""
    project = _pyproject()["project"]
    requirements = [*project["dependencies"], *project["optional-dependencies"][extra]]
    return dict(re.fullmatch(r"([a-z0-9_-]+)>=([0-9.]+)", dep).groups() for dep in requirements)


def test_the_jax_stack_pins_the_jax_extras_minimums():
    pins = test_stack.pins(test_stack.stack_file("jax"))
    declared = dict(
        re.fullmatch(r"([a-z0-9_-]+)>=([0-9.]+)", dep).groups()
        for dep in _pyproject()["project"]["optional-dependencies"]["jax"]
    )
    assert {package: pins.get(package) for package in declared} == declared
    assert "tensorflow" not in pins


def test_the_minimum_stack_pins_exactly_the_declared_minimums():
    pins = test_stack.pins(test_stack.stack_file("minimum"))
    assert pins == _minimums(), "tools/stacks/minimum.txt and pyproject.toml's minimums disagree"
    declared_python = _pyproject()["project"]["requires-python"]
    assert declared_python == f">={test_stack.wanted_python(test_stack.stack_file('minimum'))}"


def test_the_colab_stack_is_admitted_by_the_declared_requirements():
    pins = test_stack.pins(test_stack.stack_file("colab"))
    for package, minimum in _minimums().items():
        assert package in pins, f"the Colab stack does not pin {package}"
        as_tuple = lambda version: tuple(int(part) for part in version.split("."))
        assert as_tuple(pins[package]) >= as_tuple(minimum), f"Colab's {package} {pins[package]} < {minimum}"
    assert pins["ipywidgets"].startswith("7."), "Colab runs ipywidgets 7: the explorers must work there"


def test_core_dependencies_are_declared():
    names = _requirement_names(_pyproject()["project"]["dependencies"])
    assert {"keras", "numpy", "matplotlib", "ipywidgets"} <= names and "tensorflow" not in names
    assert _requirement_names(_pyproject()["project"]["optional-dependencies"]["tensorflow"]) == {"tensorflow"}
    test_names = _requirement_names(_pyproject()["project"]["optional-dependencies"]["test"])
    assert {"pytest", "pytest-xdist", "nbval", "playwright", "voila"} <= test_names


def _readme_commands():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- two-commands -->\s*```(?:bash|sh)?\n(.*?)```", readme, re.S)
    assert block, "README must hold the two commands in a ```bash block right after <!-- two-commands -->"
    commands = [line.strip() for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]
    return commands


def test_readme_has_exactly_two_commands_lab_then_test():
    commands = _readme_commands()
    assert len(commands) == 2, commands
    assert "lab" in commands[0] and "test" in commands[1]


def test_ci_runs_exactly_the_readme_test_command_and_installs_only_make():
    ci = (ROOT / ".ci" / "run").read_text()
    test_command = _readme_commands()[1]
    assert ci.rstrip().splitlines()[-1].strip() == test_command
    assert "set -euo pipefail" in ci
    installed = re.findall(r"apt-get install \S+ \S+ (.+?) >", ci)
    assert installed == ["make"], "the test set-up belongs to `make test` (tools/course_setup.py), not to CI"


def test_makefile_targets_behind_the_readme_commands_exist():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("lab", "test", "book", "train", "bench", "pretrained"):
        assert re.search(rf"^{target}:", makefile, re.M), f"Makefile lacks target {target}"
    main_recipe = makefile.split("\ntest-main:", 1)[1].split("\n\n", 1)[0]
    assert "course_setup.py check" in main_recipe and "VAE_QUICK=1" in main_recipe and "pytest" in main_recipe
    assert main_recipe.index("course_setup.py check") < main_recipe.index("pytest"), "set-up before the tests"
    stacks_recipe = makefile.split("\ntest-stacks:", 1)[1].split("\n\n", 1)[0]
    stacks = [name for line in re.findall(r"test_stack\.py ([\w ]+)", stacks_recipe) for name in line.split()]
    assert {"minimum", "colab", "jax"} <= set(stacks)
    assert re.search(r"^test: test-main test-stacks$", makefile, re.M)


def test_pytest_runs_the_notebooks_with_nbval():
    options = _pyproject()["tool"]["pytest"]["ini_options"]
    assert "notebooks" in options["testpaths"]
    assert "--nbval-lax" in options["addopts"] and "--nbval-current-env" in options["addopts"]


def test_pytest_runs_in_parallel_with_each_test_file_and_notebook_in_one_worker():
    """pytest-xdist's ``--dist loadfile`` keeps a file's tests in one process: a notebook's cells share one kernel
    and a module's fixtures are built once."""
    addopts = _pyproject()["tool"]["pytest"]["ini_options"]["addopts"].split()
    assert "-n" in addopts and addopts[addopts.index("-n") + 1] == "auto"
    assert addopts[addopts.index("--dist") + 1] == "loadfile"


def test_data_set_is_not_committed():
    import subprocess

    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert not [f for f in tracked if "ubyte" in f], "the Fashion-MNIST files must never be committed"


def test_gitignore_keeps_environments_and_builds_out_of_git():
    ignored = set((ROOT / ".gitignore").read_text().split())
    assert {".venv/", ".venv-*/", "dist/", "runs/"} <= ignored


def test_make_lab_starts_jupyterlab_at_notebook_01_and_prints_its_url(tmp_path):
    """The real `make lab` (as whoever runs the tests: root in CI), with pip left out and a free port."""
    port = 18000 + os.getpid() % 1000
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "ws"),
    }
    process = subprocess.Popen(
        [
            "make",
            "-s",
            "lab",
            f"PYTHON={sys.executable}",
            "PIP=:",
            f"LAB_ARGS=--no-browser --port={port} --ServerApp.ip=127.0.0.1 --ServerApp.port_retries=0",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output, deadline = [], time.monotonic() + 120
    try:
        for line in process.stdout:
            output.append(line)
            if f"http://127.0.0.1:{port}/lab/tree/01_data.ipynb?token=" in line or time.monotonic() > deadline:
                break
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    text = "".join(output)
    assert "Opening the course at notebooks/01_data.ipynb" in text
    assert f"http://127.0.0.1:{port}/lab/tree/01_data.ipynb?token=" in text, text[-3000:]
    assert "Running as root is not recommended" not in text


def test_no_module_is_named_like_a_public_name_and_python_m_vae_helpers_is_the_command():
    """A submodule named like one of ``vh``'s functions would replace it on import (Python sets the package's
    attribute to each submodule it imports), as ``vae_helpers/train.py`` once did to ``vh.train``; the training
    command is ``python -m vae_helpers`` (and ``vae-train``)."""
    import vae_helpers as vh
    from vae_helpers.training import train

    modules = {path.stem for path in (ROOT / "vae_helpers").glob("*.py")}
    modules |= {path.parent.name for path in (ROOT / "vae_helpers").glob("*/__init__.py")}
    clashes = [name for name in vh.__all__ if name in modules and not inspect.ismodule(getattr(vh, name))]
    assert clashes == [], f"vae_helpers modules named like public names that are not modules: {clashes}"
    assert vh.train is train and inspect.isfunction(vh.train)
    helped = subprocess.run([sys.executable, "-m", "vae_helpers", "--help"], capture_output=True, text=True)
    assert helped.returncode == 0 and "--latent-dim" in helped.stdout, helped.stderr[-2000:]
    assert helped.stdout.startswith("usage: python -m vae_helpers "), helped.stdout[:200]


def test_every_mention_of_the_training_command_is_python_m_vae_helpers():
    """The command's old name (the package's plus ``.train``) is gone from every tracked file and notebook cell (a
    notebook's stored outputs are what its last run printed: they change when it is re-executed)."""
    old = "-m vae_helpers" + ".train"  # in two parts, so that this file does not name it
    stale = []
    for path in subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines():
        file = ROOT / path
        if not file.is_file():
            continue
        if file.suffix == ".ipynb":
            text = "".join("".join(cell["source"]) for cell in json.loads(file.read_text(encoding="utf-8"))["cells"])
        else:
            text = file.read_bytes().decode("utf-8", errors="replace")
        if old in text.replace('"-m", "', "-m "):
            stale.append(path)
    assert stale == [], f"{old} (the command is now python -m vae_helpers) in {stale}"


def test_the_vae_train_console_script_is_declared():
    assert _pyproject()["project"]["scripts"] == {"vae-train": "vae_helpers.cli:console"}
