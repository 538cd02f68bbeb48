"""`import vae_helpers` with a backend that is not installed stops with what to install, not a deep traceback."""

import importlib.util
import os
import subprocess
import sys

import pytest

BACKENDS = ("tensorflow", "jax", "torch")
MISSING = [name for name in BACKENDS if importlib.util.find_spec(name) is None]


@pytest.mark.skipif(not MISSING, reason="every backend is installed here; each stack of make test lacks one")
def test_importing_with_a_backend_that_is_not_installed_says_how_to_install_one():
    env = {**os.environ, "KERAS_BACKEND": MISSING[0], "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-c", "import vae_helpers"], capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode != 0
    last_line = done.stderr.strip().splitlines()[-1]
    assert last_line.startswith("ImportError: Keras could not load its backend"), last_line
    assert "pip install -e '.[tensorflow]'" in last_line and "KERAS_BACKEND=jax" in last_line
