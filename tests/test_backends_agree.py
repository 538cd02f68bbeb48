"""TensorFlow and JAX give the same numbers: a model saved on one backend loads on the other and scores the same,
and the same short training run from the same weights reaches -ELBOs within 1 nat of each other.

Each backend runs in its own Python process (the backend is fixed when Keras is imported). TensorFlow's process
builds the model from seed 0 and saves its weights; JAX's loads them. The training run is five steps on one batch
of 2,048 images, so the shuffling order (tf.data's vs numpy's) plays no part; the runs differ only in the sampling
noise, which each backend draws with its own generator. (Over hundreds of steps that difference grows as it does
between two seeds on one backend: a 2-D VAE's early training is chaotic.) The scores use numpy's noise
(``vh.evaluate(seed=0)``), the same on both. The main stack of ``make test`` installs both backends.
"""

import importlib.util
import json
import os
import subprocess
import sys

import pytest

SCRIPT = r"""
import json
import pathlib
import sys

import keras
import vae_helpers as vh

weights = pathlib.Path(sys.argv[1])
keras.utils.set_random_seed(0)
vae = vh.build_vae(2)
if weights.exists():
    vae.load_weights(weights)
else:
    vae.save_weights(weights)
(x_train, _), (x_test, _) = vh.load_fashion_mnist()
before = vh.evaluate(vae, x_test[:1000], seed=0)["neg_elbo"]
vh.train(vae, x_train[:2048], epochs=5, batch_size=2048, seed=0, verbose=0)  # one batch: any order
after = vh.evaluate(vae, x_test[:1000], seed=0)["neg_elbo"]
print(json.dumps({"backend": keras.backend.backend(), "before": before, "after": after}))
"""
BACKENDS = ("tensorflow", "jax")
missing = [name for name in BACKENDS if importlib.util.find_spec(name) is None]
pytestmark = pytest.mark.skipif(
    bool(missing),
    reason=f"needs both backends installed ({', '.join(missing)} is not): the main stack of make test has both",
)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    weights = tmp_path_factory.mktemp("backends") / "initial.weights.h5"
    found = {}
    for backend in BACKENDS:  # TensorFlow first: it writes the initial weights
        done = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(weights)],
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"},
        )
        assert done.returncode == 0, done.stderr[-3000:]
        found[backend] = json.loads(done.stdout.strip().splitlines()[-1])
        assert found[backend]["backend"] == backend
    return found


def test_a_model_saved_on_tensorflow_scores_the_same_on_jax(results):
    assert results["jax"]["before"] == pytest.approx(results["tensorflow"]["before"], abs=1e-3)


def test_the_same_short_training_reaches_the_same_elbo_within_one_nat(results):
    for backend in BACKENDS:
        assert results[backend]["after"] < results[backend]["before"] - 10, "training must have moved the model"
    assert abs(results["jax"]["after"] - results["tensorflow"]["after"]) < 1.0, results
