"""keras.distribution.DataParallel (JAX backend; TensorFlow: test_distribute.py) over two logical CPU devices trains
exactly like one device; a model built outside the distribution's scope, or one built inside it but trained with
strategy=None, is refused with the fix.

The devices must be configured before JAX initializes, so the training runs in a fresh Python process, which prints
its results as JSON. As in test_distribute.py the VAE is deterministic (z = z_mean), plain SGD is used (Adam would
hide a wrongly scaled gradient) and each epoch is one batch of all 64 images (32 per device).
"""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import DETERMINISTIC_VAE, only_on

pytestmark = only_on("jax")

SCRIPT = (
    r"""
import json
import os

os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"  # before JAX initializes its devices
import jax
import keras
import numpy as np
from keras import layers

import vae_helpers as vh
from vae_helpers import devices


"""
    + DETERMINISTIC_VAE
    + r"""


def train(strategy):
    keras.utils.set_random_seed(0)  # same initial weights for every run
    with devices.strategy_scope(strategy):
        vae = deterministic_vae()
        vae.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-3))
    initial = [np.asarray(w).ravel().tolist() for w in vae.trainable_weights]
    x = np.random.default_rng(0).uniform(size=(64, 28, 28, 1)).astype("float32")
    history = vh.train(vae, x, epochs=3, batch_size=64, strategy=strategy, verbose=0)
    return {"loss": history["loss"], "initial": initial,
            "weights": [np.asarray(w).ravel().tolist() for w in vae.trainable_weights],
            "devices": len(vae.trainable_weights[0].value.sharding.device_set)}


def refusal(vae, strategy):  # the error of training vae under strategy ("" if it trains)
    try:
        vh.train(vae, np.zeros((4, 28, 28, 1), "float32"), epochs=1, strategy=strategy, verbose=0)
    except ValueError as err:
        return str(err)
    return ""


parallel = vh.make_strategy("mirrored")
with parallel.scope():
    distributed = deterministic_vae()
print(json.dumps({"devices": len(jax.devices()), "single": train(None), "parallel": train(parallel),
                  "refused": refusal(deterministic_vae(), parallel), "refused_none": refusal(distributed, None)}))
"""
)
LOSS_RTOL = 1e-5  # float32 sums over 32 + 32 images vs over 64 differ only by rounding
UPDATE_RTOL = 1e-3


@pytest.fixture(scope="module")
def runs():
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "KERAS_BACKEND": "jax"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def update(run) -> np.ndarray:
    flat = lambda key: np.concatenate([np.asarray(w) for w in run[key]])
    return flat("weights") - flat("initial")


def test_data_parallel_training_uses_both_devices(runs):
    assert runs["devices"] == 2
    assert runs["parallel"]["devices"] == 2 and runs["single"]["devices"] == 1


def test_two_devices_train_like_one(runs):
    assert runs["parallel"]["initial"] == runs["single"]["initial"]
    reference = update(runs["single"])
    assert np.linalg.norm(reference) > 0
    assert np.linalg.norm(update(runs["parallel"]) - reference) / np.linalg.norm(reference) < UPDATE_RTOL
    np.testing.assert_allclose(runs["parallel"]["loss"], runs["single"]["loss"], rtol=LOSS_RTOL)


def test_a_model_built_outside_the_scope_is_refused_with_the_fix(runs):
    assert "built outside this strategy's scope" in runs["refused"] and "strategy.scope()" in runs["refused"]


def test_a_distributed_model_trained_with_strategy_none_is_refused_with_the_fix(runs):
    message = runs["refused_none"]
    assert "strategy=None trains on one device" in message and "lie on 2 devices" in message
    assert "vh.train(vae, ..., strategy=strategy)" in message and "outside this strategy's scope" not in message
