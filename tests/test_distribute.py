"""tf.distribute (TensorFlow backend; JAX: test_distribute_jax.py): MirroredStrategy over two logical CPU devices trains exactly like one device.

Two logical CPUs must be configured before TensorFlow initializes its devices, so the training runs in a fresh
Python process (:data:`SCRIPT`), which prints its results as JSON; MultiWorkerMirroredStrategy runs as two
worker processes on this machine, one replica each. The VAE there is deterministic (``z =
z_mean``: its encoder's third output is the mean itself), because the sampling noise of two replicas cannot
match one device's; everything else is the course's code: ``vh.VAE.train_step`` and ``vh.train``. Plain SGD is
used because Adam divides by the gradient's scale, so it would hide a loss scaled by the wrong factor; the
negative control (a VAE whose ``train_step`` forgets the 1/num_replicas scaling) shows the comparison catches that.
Each epoch is one batch of all 64 images (32 per replica): the distributed input pipeline may shuffle the images
into batches in another (equally random) order, and with several batches per epoch that alone changes the weights.
"""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

from conftest import DETERMINISTIC_VAE, only_on

pytestmark = only_on("tensorflow")

TRAINING = (
    r"""
import json
import os
import tensorflow as tf

if "TF_CONFIG" not in os.environ:  # one process, two logical CPUs (before TensorFlow initializes its devices)
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

import keras
import numpy as np
from keras import layers

import vae_helpers as vh


class UnscaledVAE(vh.VAE):
    # the bug the test must catch: each replica's gradient of its own mean loss, summed over replicas
    def train_step(self, data):
        with tf.GradientTape() as tape:
            loss = self.batch_loss(data, training=True)
        self.optimizer.apply_gradients(zip(tape.gradient(loss, self.trainable_weights), self.trainable_weights))
        return {m.name: m.result() for m in self.metrics}


"""
    + DETERMINISTIC_VAE
    + r"""


def train(strategy, vae_class=vh.VAE):
    keras.utils.set_random_seed(0)  # same initial weights for every run
    with (strategy or tf.distribute.get_strategy()).scope():
        vae = deterministic_vae(vae_class)
        vae.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-3))
    initial = [w.numpy().ravel().tolist() for w in vae.trainable_weights]
    x = np.random.default_rng(0).uniform(size=(64, 28, 28, 1)).astype("float32")
    history = vh.train(vae, x, epochs=3, batch_size=64, strategy=strategy, verbose=0)
    return {"loss": history["loss"], "initial": initial,
            "weights": [w.numpy().ravel().tolist() for w in vae.trainable_weights]}
"""
)
SCRIPT = (
    TRAINING
    + r"""
mirrored = vh.make_strategy("mirrored")
print(json.dumps({
    "replicas": mirrored.num_replicas_in_sync,
    "devices": list(mirrored.extended.worker_devices),
    "single": train(None),
    "mirrored": train(mirrored),
    "mirrored_unscaled": train(vh.make_strategy("mirrored"), UnscaledVAE),
}))
"""
)
LOSS_RTOL = 1e-5  # float32 sums over 32 + 32 images vs over 64 differ only by rounding
UPDATE_RTOL = 1e-3  # allowed relative difference between the two runs' weight updates


@pytest.fixture(scope="module")
def runs():
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def update(run) -> np.ndarray:
    """All weights after training minus before, flattened."""
    flat = lambda key: np.concatenate([np.asarray(w) for w in run[key]])
    return flat("weights") - flat("initial")


def relative_difference(run, reference) -> float:
    """||update(run) - update(reference)|| / ||update(reference)||: 0 for identical training, 1 for 2x steps."""
    return float(np.linalg.norm(update(run) - update(reference)) / np.linalg.norm(update(reference)))


def test_mirrored_strategy_uses_both_logical_cpus(runs):
    assert runs["replicas"] == 2
    assert len(set(runs["devices"])) == 2


def test_two_replicas_train_like_one_device(runs):
    assert runs["mirrored"]["initial"] == runs["single"]["initial"]
    assert np.linalg.norm(update(runs["single"])) > 0
    assert relative_difference(runs["mirrored"], runs["single"]) < UPDATE_RTOL
    np.testing.assert_allclose(runs["mirrored"]["loss"], runs["single"]["loss"], rtol=LOSS_RTOL)


def test_the_comparison_catches_a_missing_loss_scaling(runs):
    # Without the 1/2 scaling the summed gradients are twice the mean: the update is about twice as large.
    assert relative_difference(runs["mirrored_unscaled"], runs["single"]) > 0.5


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for sock in sockets:
        sock.bind(("localhost", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def test_two_workers_train_like_one_device(runs):
    # MultiWorkerMirroredStrategy: two processes on this machine, one replica each, as in docs/training.md's example
    cluster = {"worker": [f"localhost:{port}" for port in _free_ports(2)]}
    script = TRAINING + 'print(json.dumps(train(vh.make_strategy("multiworker"))))'
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={
                **os.environ,
                "TF_CPP_MIN_LOG_LEVEL": "3",
                "CUDA_VISIBLE_DEVICES": "",
                "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}}),
            },
        )
        for i in range(2)
    ]
    outputs = [worker.communicate(timeout=300) for worker in workers]
    for worker, (_, err) in zip(workers, outputs):
        assert worker.returncode == 0, err[-3000:]
    results = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
    for result in results:
        assert relative_difference(result, runs["single"]) < UPDATE_RTOL
        np.testing.assert_allclose(result["loss"], runs["single"]["loss"], rtol=LOSS_RTOL)
