"""vae_helpers/backends/: one file per Keras backend with the same names, only the active one imported."""

import ast
import importlib.util
import os
import pathlib
import subprocess
import sys

import keras
import pytest

from vae_helpers import backends, devices, runtime

BACKENDS = pathlib.Path(backends.__file__).parent
NAMES = {
    "compile_function",
    "value_and_gradients",
    "train_step",
    "test_step",
    "gpu_count",
    "DISTRIBUTIONS",
    "checked_strategy",
}


def _top_level_names(path: pathlib.Path) -> dict:
    """The functions and constants a module defines at its top level: name -> its AST node."""
    names = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef):
            names[node.name] = node
        elif isinstance(node, ast.Assign):
            names.update({target.id: node for target in node.targets if isinstance(target, ast.Name)})
    return names


def test_every_backend_file_defines_the_same_public_names():
    # read, not imported: a stack has one or two of the three libraries
    for name in ("tensorflow", "jax", "torch"):
        defined = _top_level_names(BACKENDS / f"{name}.py")
        public = {n for n in defined if not n.startswith("_")}
        distributions = ast.literal_eval(defined["DISTRIBUTIONS"].value)
        expected = NAMES | ({"make_distribution"} if distributions else set())
        assert public == expected, f"backends/{name}.py: {sorted(public ^ expected)}"
        assert set(distributions) <= set(devices.STRATEGIES) - {"default"}


def test_the_active_backend_is_the_one_keras_runs_and_the_face_uses_it():
    assert backends.active.__name__ == f"vae_helpers.backends.{keras.backend.backend()}"
    assert runtime.train_step is backends.active.train_step and devices.gpu_count is backends.active.gpu_count


def _import_vae_helpers(backend: str, code: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [sys.executable, "-c", f"import sys, vae_helpers; {code}"], capture_output=True, text=True, env=env, timeout=300
    )


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed in this stack")
def test_tensorflow_is_not_imported_on_jax():
    done = _import_vae_helpers("jax", "print('tensorflow' in sys.modules)")
    assert done.stdout.split()[-1:] == ["False"], done.stderr[-2000:]


def test_a_keras_backend_the_course_does_not_support_is_named_at_import():
    """KERAS_BACKEND=numpy: the import stops with an ImportError that names the backends the course runs on. Keras
    releases whose numpy backend needs JAX (3.7, the minimum stack's) fail inside ``import keras`` already, where the
    package's face says the same in its own words."""
    done = _import_vae_helpers("numpy")
    last_line = done.stderr.strip().splitlines()[-1]
    assert done.returncode != 0 and last_line.startswith("ImportError:"), last_line
    assert last_line.startswith(
        ("ImportError: the course runs on the Keras backends", "ImportError: Keras could not")
    ), last_line
    assert all(name in last_line for name in ("tensorflow", "jax", "torch")), last_line
