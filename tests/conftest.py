"""Shared fixtures for the unit tests: tiny synthetic images, a quickly trained tiny VAE, synthetic IDX files.

Nothing here touches the real Fashion-MNIST: the images are "crossed bars" (one horizontal and one vertical bar
at random positions), a two-parameter family that a VAE with a 2-D latent space learns in a few epochs.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import pathlib
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import matplotlib  # noqa: E402

matplotlib.use("Agg")  # for this process only: the notebooks' kernels keep Jupyter's inline backend, as a learner's

import numpy as np
import pytest

FASHION_COUNTS = {"train": 60_000, "t10k": 10_000}
TOOLS = pathlib.Path(__file__).resolve().parents[1] / "tools"


def only_on(*backends: str):
    """Mark a test (or a module, with ``pytestmark = only_on(...)``) that exercises one Keras backend's own tools
    (``tf.distribute``, ``tf.data``, ``GradientTape``; ``jax.devices``). ``make test`` runs every stack, so each such
    test runs in the stack of its backend: the main and version stacks on TensorFlow, the JAX stack on JAX."""
    import keras

    return pytest.mark.skipif(
        keras.backend.backend() not in backends,
        reason=f"a {' / '.join(backends)} test: it runs in that backend's stack of make test",
    )


def compiled_once(compiled, shapes: int | None = None) -> tuple[int, int]:
    """Check the traces of a :func:`vae_helpers.runtime.compiled` function so far against what its backend
    guarantees, and return ``(traces, calls)`` for :func:`assert_no_retrace`.

    TensorFlow traces one graph for any batch size (the course's functions have one input signature); JAX traces
    once per input shape (``shapes``, where the test knows how many the calls had; at most one per call); PyTorch
    compiles nothing: it runs the Python function at every call (eagerly, without gradients).
    """
    import keras

    backend = keras.backend.backend()
    assert compiled.calls >= 1, "the function was never called"
    if backend == "tensorflow":
        assert compiled.traces == 1
    elif backend == "jax":
        assert compiled.traces == shapes if shapes is not None else 1 <= compiled.traces <= compiled.calls
    else:
        assert compiled.traces == compiled.calls
    return compiled.traces, compiled.calls


def assert_no_retrace(compiled, since: tuple[int, int]) -> None:
    """After ``since`` (from :func:`compiled_once`) the function was called again, with input shapes it had seen:
    TensorFlow and JAX reuse their compiled code (no new trace), PyTorch runs the Python function once per call."""
    import keras

    traces, calls = since
    new_calls = compiled.calls - calls
    assert new_calls > 0, "nothing was computed through the shared compiled function since"
    assert compiled.traces == traces + (new_calls if keras.backend.backend() == "torch" else 0)


# Source of the deterministic VAE that the distribution tests train in fresh processes (test_distribute.py on
# TensorFlow, test_distribute_jax.py on JAX): z = z_mean, so replicas and one device see the same numbers.
DETERMINISTIC_VAE = r"""
def deterministic_vae(vae_class=vh.VAE):
    images = keras.Input(shape=(28, 28, 1))
    h = layers.Dense(8, activation="tanh")(layers.Flatten()(images))
    z_mean, z_log_var = layers.Dense(2)(h), layers.Dense(2)(h)
    encoder = keras.Model(images, [z_mean, z_log_var, layers.Identity()(z_mean)])  # z = z_mean: no noise
    z = keras.Input(shape=(2,))
    logits = layers.Reshape((28, 28, 1), name="logits")(layers.Dense(784)(z))
    return vae_class(encoder, keras.Model(z, layers.Activation("sigmoid")(logits)))
"""


@pytest.fixture
def float64():
    """Float64 arithmetic for the oracle tests on every backend: JAX computes float64 arrays in float32 unless its
    x64 mode is on, so it is switched on for the test (and back off)."""
    import keras

    if keras.backend.backend() != "jax":
        yield
        return
    import jax

    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", previous)


def load_tool(name: str):
    """The maintainer script ``tools/<name>.py`` as a module (tools/ is not a package)."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


def crossed_bars(n: int, seed: int = 0) -> np.ndarray:
    """(n, 28, 28, 1) float32 images in [0, 1]: a soft horizontal and a soft vertical bar at random positions."""
    rng = np.random.default_rng(seed)
    rows, cols = rng.uniform(4, 23, size=(2, n, 1))  # bar centres, pixels
    axis = np.arange(28)[None, :]  # (1, 28)
    horizontal = np.exp(-0.5 * ((axis - rows) / 1.5) ** 2)  # (n, 28): intensity per row
    vertical = np.exp(-0.5 * ((axis - cols) / 1.5) ** 2)  # (n, 28): intensity per column
    images = np.maximum(horizontal[:, :, None], vertical[:, None, :])  # (n, 28, 28)
    return images[..., None].astype(np.float32)


def write_idx(path: pathlib.Path, magic: int, array: np.ndarray) -> None:
    """Write ``array`` (uint8) as a gzipped IDX file with the given magic number (2051 images, 2049 labels)."""
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def class_templates() -> np.ndarray:
    """(10, 28, 28) uint8: class c is a white band on rows 2c..2c+5 (so images tell their label)."""
    templates = np.zeros((10, 28, 28), np.uint8)
    for c in range(10):
        templates[c, 2 * c : 2 * c + 6, 4:24] = 255
    return templates


def write_fake_fashion_mnist(folder: pathlib.Path) -> pathlib.Path:
    """Write the four Fashion-MNIST files with the real sizes (60,000 + 10,000) but synthetic content.

    Image i of a split shows the template of its label ``i % 10``; the files compress to under 1 MB.
    """
    folder.mkdir(parents=True, exist_ok=True)
    templates = class_templates()
    for split, n in FASHION_COUNTS.items():
        labels = (np.arange(n) % 10).astype(np.uint8)
        write_idx(folder / f"{split}-images-idx3-ubyte.gz", 2051, templates[labels])
        write_idx(folder / f"{split}-labels-idx1-ubyte.gz", 2049, labels)
    return folder


@pytest.fixture(scope="session")
def images() -> np.ndarray:
    """64 synthetic images (64, 28, 28, 1), float32 in [0, 1]."""
    return crossed_bars(64, seed=1)


@pytest.fixture(scope="session")
def fake_fashion_dir(tmp_path_factory) -> pathlib.Path:
    """A folder with full-size synthetic Fashion-MNIST IDX files (read-only use: copy it to modify files)."""
    return write_fake_fashion_mnist(tmp_path_factory.mktemp("fake-fashion"))


def build_tiny_vae(latent_dim: int = 2, hidden: int = 128, beta: float = 1.0, seed: int | None = 0):
    """A small dense VAE (about 0.2 M parameters, trains in seconds) with the interface of ``vh.build_vae``.

    Encoder: image (B, 28, 28, 1) -> Dense(hidden) -> [z_mean, z_log_var, z]; decoder: z -> Dense(hidden) ->
    Dense(784) reshaped to (B, 28, 28, 1) and named ``"logits"`` -> sigmoid.
    """
    import keras
    from keras import layers

    import vae_helpers as vh

    image = keras.Input((28, 28, 1))
    h = layers.Dense(hidden, activation="relu")(layers.Flatten()(image))
    z_mean = layers.Dense(latent_dim, name="z_mean")(h)
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(h)
    z = vh.Sampling(seed=seed, name="z")([z_mean, z_log_var])
    encoder = keras.Model(image, [z_mean, z_log_var, z], name="tiny_encoder")
    z_in = keras.Input((latent_dim,))
    h = layers.Dense(hidden, activation="relu")(z_in)
    logits = layers.Reshape((28, 28, 1), name="logits")(layers.Dense(28 * 28)(h))
    decoder = keras.Model(z_in, layers.Activation("sigmoid")(logits), name="tiny_decoder")
    return vh.VAE(encoder, decoder, beta=beta, name="tiny_vae")


@pytest.fixture(scope="session")
def make_tiny_vae():
    """The :func:`build_tiny_vae` factory, for tests that need fresh models."""
    return build_tiny_vae


@pytest.fixture(scope="session")
def trained_vae():
    """A tiny VAE (latent size 2) trained for 20 epochs on 1,024 crossed-bar images (about 10 s).

    Returns ``(vae, history, x_test)`` where ``x_test`` is 256 held-out images of the same family.
    """
    import keras

    import vae_helpers as vh

    keras.utils.set_random_seed(0)
    vae = build_tiny_vae()
    vae.compile(optimizer=keras.optimizers.Adam(3e-3))
    history = vh.train(vae, crossed_bars(1024, seed=2), epochs=20, batch_size=32, seed=0, verbose=0)
    return vae, history, crossed_bars(256, seed=3)
