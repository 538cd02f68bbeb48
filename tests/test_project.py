"""The project's set-up files agree with each other and with the README's two commands."""

import pathlib
import re
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _requirement_names(requirements):
    return {re.split(r"[<>=!~ ;\[]", req.strip(), maxsplit=1)[0].lower() for req in requirements}


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _environment_pip_list():
    lines = (ROOT / "environment.yml").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "- pip:")
    return [line.strip()[2:] for line in lines[start + 1:] if line.strip().startswith("- ")]


def test_environment_yml_installs_exactly_the_pyproject_requirements():
    project = _pyproject()["project"]
    declared = set(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        declared |= set(extra)
    pip_list = [req for req in _environment_pip_list() if not req.startswith("-e")]
    assert sorted(set(pip_list)) == sorted(declared), "environment.yml and pyproject.toml disagree"
    assert "-e ." in _environment_pip_list(), "environment.yml must install the package itself"


def test_environment_yml_pins_python_311():
    assert re.search(r"^\s*- python=3\.11\s*$", (ROOT / "environment.yml").read_text(), re.M)


def test_ipywidgets_requirement_admits_colab_7x():
    deps = [d for d in _pyproject()["project"]["dependencies"] if d.startswith("ipywidgets")]
    assert deps == ["ipywidgets>=7.6"], "Colab ships ipywidgets 7.7: declare ipywidgets>=7.6"


def test_core_dependencies_are_declared():
    names = _requirement_names(_pyproject()["project"]["dependencies"])
    assert {"tensorflow", "keras", "numpy", "matplotlib", "ipywidgets"} <= names
    test_names = _requirement_names(_pyproject()["project"]["optional-dependencies"]["test"])
    assert {"pytest", "nbval", "playwright", "voila"} <= test_names


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


def test_ci_runs_exactly_the_readme_test_command_after_installing_the_data():
    ci = (ROOT / ".ci" / "run").read_text()
    test_command = _readme_commands()[1]
    assert ci.rstrip().splitlines()[-1].strip() == test_command
    assert "apt-get update" in ci and "dataset-fashion-mnist" in ci and "chromium" in ci
    assert "set -euo pipefail" in ci


def test_makefile_targets_behind_the_readme_commands_exist():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("lab", "test", "train", "bench", "pretrained"):
        assert re.search(rf"^{target}:", makefile, re.M), f"Makefile lacks target {target}"
    test_recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "VAE_QUICK=1" in test_recipe and "pytest" in test_recipe


def test_pytest_runs_the_notebooks_with_nbval():
    options = _pyproject()["tool"]["pytest"]["ini_options"]
    assert "notebooks" in options["testpaths"]
    assert "--nbval-lax" in options["addopts"] and "--nbval-current-env" in options["addopts"]


def test_data_set_is_not_committed():
    import subprocess

    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert not [f for f in tracked if "ubyte" in f], "the Fashion-MNIST files must never be committed"
