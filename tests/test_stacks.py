"""tools/test_stack.py: how a stack's constraints file is read and how its Python is found (fake interpreters)."""

import stat

import pytest

from conftest import load_tool

test_stack = load_tool("test_stack")


def fake_python(path, version):
    """An executable that answers like ``python -c ...`` of the given X.Y version."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho {version}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_pins_and_python_are_read_from_the_constraints_file(tmp_path):
    stack = tmp_path / "s.txt"
    stack.write_text("# a comment\n# python: 3.12\nKeras==3.7.0\nml_dtypes==0.5.1\nnumpy>=1\n")
    assert test_stack.pins(stack) == {"keras": "3.7.0", "ml-dtypes": "0.5.1"}
    assert test_stack.wanted_python(stack) == "3.12"
    stack.write_text("keras==3.7.0\n")
    with pytest.raises(SystemExit, match="must name its Python"):
        test_stack.wanted_python(stack)


def test_every_shipped_stack_names_a_python_its_extras_and_pins_keras():
    for name in ("minimum", "colab", "jax", "torch"):
        path = test_stack.stack_file(name)
        assert test_stack.wanted_python(path) and "keras" in test_stack.pins(path)
        assert "test" in test_stack.settings(path)["extras"].split(",")
    with pytest.raises(
        SystemExit, match=r"no stack named 'nightly': expected one of \['colab', 'jax', 'minimum', 'torch'\]"
    ):
        test_stack.stack_file("nightly")


def test_the_jax_stack_runs_without_tensorflow_and_names_its_notebooks():
    stack = test_stack.settings(test_stack.stack_file("jax"))
    assert stack["backend"] == "jax" and "tensorflow" not in stack["extras"]
    assert "notebooks/05_training.ipynb" in stack["notebooks"]
    assert stack["skip"] == ["tests/test_colab.py"]  # Colab runs TensorFlow; nothing of JAX's own is left out
    assert test_stack.settings(test_stack.stack_file("minimum"))["backend"] == "tensorflow"


def test_the_tests_left_to_the_main_stack_exist_and_no_stack_leaves_out_a_notebook_or_its_own_backends_tests():
    root = test_stack.ROOT
    assert all((root / path).exists() for path in test_stack.MAIN_STACK_ONLY), test_stack.MAIN_STACK_ONLY
    assert not any(
        path.startswith("notebooks") or "distribute" in path or "backends" in path
        for path in test_stack.MAIN_STACK_ONLY
    )


def test_the_torch_stack_runs_without_tensorflow_or_jax_and_pins_a_cpu_wheel():
    path = test_stack.stack_file("torch")
    stack, pinned = test_stack.settings(path), test_stack.pins(path)
    assert stack["backend"] == "torch" and set(stack["extras"].split(",")) == {"torch", "test"}
    assert not {"tensorflow", "jax", "jaxlib"} & set(pinned)
    assert pinned["torch"].endswith("+cpu")  # PyPI's wheel brings the CUDA libraries
    assert stack["notebooks"] == test_stack.settings(test_stack.stack_file("jax"))["notebooks"]  # as on JAX


def test_extras_that_pyproject_does_not_declare_are_named():
    assert test_stack.unknown_extras("tensorflow,test") == []
    assert test_stack.unknown_extras("jax,tensorflw,test") == ["tensorflw"]


def test_a_stack_naming_a_missing_notebook_or_no_extras_is_refused(tmp_path):
    stack = tmp_path / "s.txt"
    stack.write_text("# python: 3.11\n# extras: test\n# notebooks: 05 99\nkeras==3.7.0\n")
    with pytest.raises(SystemExit, match=r"names notebooks \['05', '99'\]"):
        test_stack.settings(stack)
    stack.write_text("# python: 3.11\nkeras==3.7.0\n")
    with pytest.raises(SystemExit, match="must name the course's extras"):
        test_stack.settings(stack)
    stack.write_text("# python: 3.11\n# extras: test\n# skip: tests/test_nothing.py\nkeras==3.7.0\n")
    with pytest.raises(SystemExit, match=r"skips test files that do not exist: \['tests/test_nothing.py'\]"):
        test_stack.settings(stack)


def test_find_python_skips_a_shim_that_cannot_run_and_takes_the_newest_pyenv_patch(tmp_path, monkeypatch):
    shim = fake_python(tmp_path / "shims" / "python3.12", "3.11")  # a shim answering for another Python
    monkeypatch.setenv("PATH", str(shim.parent))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    fake_python(tmp_path / "pyenv/versions/3.12.2/bin/python", "3.12")
    newest = fake_python(tmp_path / "pyenv/versions/3.12.10/bin/python", "3.12")
    assert test_stack.find_python("3.12") == str(newest)
    assert test_stack.find_python("3.9") is None


def test_the_requirements_installed_before_the_course_are_its_dependencies_and_the_stacks_extras():
    required = test_stack.requirements("jax,test")
    names = {requirement.split(">")[0].split("=")[0] for requirement in required}
    assert {"keras", "numpy", "jax", "pytest", "pytest-xdist", "nbval"} <= names and "tensorflow" not in names
    assert "tensorflow>=2.16.1" in test_stack.requirements("tensorflow,test")
