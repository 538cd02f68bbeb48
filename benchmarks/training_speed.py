"""Training throughput of one variant, measured in a fresh process: ``python -m benchmarks.training_speed NAME``.

Every variant runs in its own process, with ``KERAS_BACKEND`` set to its backend, because the backend, thread
counts and the global dtype policy are fixed once Keras starts, and so that no variant inherits another's warm
caches. A run trains for one warm-up epoch
(tracing, first-epoch dataset caching), then for ``epochs`` measured epochs, each with validation as in its
path. Throughput is training images per second of wall time over the measured epochs, validation included.

Validation follows each path, scaled to the subset: the reference tutorial trains on 60,000 images and validates
on the 10,000 test images every epoch (1/6 of the training set size); the course trains on 55,000 and validates on
5,000 held-out training images (1/11).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import subprocess
import sys
import time

from vae_helpers.config import N_TRAINING_IMAGES, N_VALIDATION

REFERENCE_VALIDATION_FRACTION = 10_000 / 60_000
COURSE_VALIDATION_FRACTION = N_VALIDATION / (N_TRAINING_IMAGES - N_VALIDATION)  # the training command's
N_QUALITY_IMAGES = 2_000  # test images for the -ELBO reached by each course variant (same seed, same steps)
BACKENDS = ("tensorflow", "jax", "torch")  # Keras 3's backends; the first is the course's default


@dataclasses.dataclass(frozen=True)
class Variant:
    """One way of training the reference VAE; ``path`` is "reference" (the port) or "course" (``vh.train``), on
    the Keras ``backend`` named (one of :data:`BACKENDS`)."""

    name: str
    description: str
    path: str = "course"
    jit_compile: bool | str = "auto"
    steps_per_execution: int = 1
    dtype_policy: str = "auto"  # "auto": vh.fastest_dtype_policy(), as `python -m vae_helpers` does
    inter_op_threads: int = 0  # 0: TensorFlow's default (one per core)
    intra_op_threads: int = 0
    devices: tuple[str, ...] = ("CPU", "GPU")
    backend: str = "tensorflow"


VARIANTS = (
    Variant(
        "reference",
        "straightforward port: ReferenceVAE, numpy arrays into fit, defaults, float32",
        path="reference",
        dtype_policy="float32",
    ),
    Variant(
        "course",
        "the training command's defaults: vh.train (tf.data, loss from logits), precision vh.fastest_dtype_policy()",
    ),
    Variant("course-fp32", "vh.train, float32", dtype_policy="float32"),
    Variant(
        "course-fp32-spe16", "vh.train, float32, steps_per_execution=16", dtype_policy="float32", steps_per_execution=16
    ),
    Variant("course-fp32-xla", "vh.train, float32, jit_compile=True (XLA)", dtype_policy="float32", jit_compile=True),
    Variant(
        "course-fp32-1-inter-thread",
        "vh.train, float32, inter-op threads 1 (intra-op default)",
        dtype_policy="float32",
        inter_op_threads=1,
    ),
    Variant("course-fp16", "vh.train, mixed_float16 policy (GPU)", dtype_policy="mixed_float16", devices=("GPU",)),
    Variant("reference-jax", "the same port on JAX, float32", path="reference", dtype_policy="float32", backend="jax"),
    Variant("course-jax", "the training command's defaults on JAX (jax.jit step, PyDataset batches)", backend="jax"),
    Variant(
        "reference-torch",
        "the same port on PyTorch, float32",
        path="reference",
        dtype_policy="float32",
        backend="torch",
    ),
    Variant(
        "course-torch", "the training command's defaults on PyTorch (eager step, PyDataset batches)", backend="torch"
    ),
)
BY_NAME = {variant.name: variant for variant in VARIANTS}


def installed_backends() -> list[str]:
    """The backends of :data:`BACKENDS` whose package is installed here (``torch`` for PyTorch)."""
    return [name for name in BACKENDS if importlib.util.find_spec(name) is not None]


def port_and_course(backend: str) -> tuple[str, str]:
    """Names of the port's and the training command's variants on ``backend``: the pair every ratio compares."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; Keras 3's backends are {list(BACKENDS)}.")
    suffix = "" if backend == BACKENDS[0] else f"-{backend}"
    return f"reference{suffix}", f"course{suffix}"


def variants_for(device: str, backends=BACKENDS) -> list[Variant]:
    """The variants worth measuring on ``device`` ("CPU" or "GPU") with the given backends."""
    if device not in ("CPU", "GPU"):
        raise ValueError(f"device must be 'CPU' or 'GPU', got {device!r}.")
    unknown = set(backends) - set(BACKENDS)
    if unknown:
        raise ValueError(f"unknown backend(s) {sorted(unknown)}; Keras 3's backends are {list(BACKENDS)}.")
    return [variant for variant in VARIANTS if device in variant.devices and variant.backend in backends]


def validation_size(path: str, n_train: int) -> int:
    """Validation images per epoch for ``n_train`` training images, in the proportion each path uses."""
    fraction = {"reference": REFERENCE_VALIDATION_FRACTION, "course": COURSE_VALIDATION_FRACTION}[path]
    return max(1, round(n_train * fraction))


def measure(variant: Variant, n_train: int, epochs: int, seed: int = 0) -> dict:
    """Train ``variant`` in this process and return its timings (call at most once per process, with
    ``KERAS_BACKEND`` set to the variant's backend, as :func:`measure_in_subprocess` does)."""
    import keras

    if keras.backend.backend() != variant.backend:
        raise RuntimeError(
            f"variant {variant.name!r} runs on {variant.backend}, but Keras started on "
            f"{keras.backend.backend()}: set KERAS_BACKEND={variant.backend} before importing keras."
        )
    threads = None
    if variant.backend == "tensorflow":  # thread counts are a TensorFlow setting
        import tensorflow as tf

        if variant.inter_op_threads:
            tf.config.threading.set_inter_op_parallelism_threads(variant.inter_op_threads)
        if variant.intra_op_threads:
            tf.config.threading.set_intra_op_parallelism_threads(variant.intra_op_threads)
        threads = [
            tf.config.threading.get_inter_op_parallelism_threads(),
            tf.config.threading.get_intra_op_parallelism_threads(),
        ]

    import vae_helpers as vh
    from vae_helpers.reference import ReferenceVAE

    precision = vh.fastest_dtype_policy() if variant.dtype_policy == "auto" else variant.dtype_policy
    keras.mixed_precision.set_global_policy(precision)
    (x_train, _), (x_test, _) = vh.load_fashion_mnist()
    epoch_times = []

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = (time.perf_counter(), time.process_time())

        def on_epoch_end(self, epoch, logs=None):
            wall, cpu = time.perf_counter() - self.start[0], time.process_time() - self.start[1]
            epoch_times.append((wall, cpu))

    keras.utils.set_random_seed(seed)
    n_val = validation_size(variant.path, n_train)
    compile_args = dict(
        optimizer=keras.optimizers.Adam(),
        jit_compile=variant.jit_compile,
        steps_per_execution=variant.steps_per_execution,
    )
    if variant.path == "reference":  # the tutorial: fit on arrays, validation on the test images
        model = ReferenceVAE()
        model.compile(**compile_args)
        x, x_val = x_train[:n_train], x_test[:n_val]
        model.fit(
            x,
            x,
            epochs=1 + epochs,
            batch_size=128,
            shuffle=True,
            validation_data=(x_val, x_val),
            callbacks=[EpochTimer()],
            verbose=0,
        )
        quality = None
    else:  # the course: hold out the end of the training set, as `python -m vae_helpers` does
        model = vh.build_vae(seed=seed)
        model.compile(**compile_args)
        vh.train(
            model,
            x_train[:n_train],
            x_train[-n_val:],
            epochs=1 + epochs,
            seed=seed,
            verbose=0,
            callbacks=[EpochTimer()],
        )
        keras.utils.set_random_seed(seed)
        quality = vh.evaluate(model, x_test[-N_QUALITY_IMAGES:])["neg_elbo"]
    measured = epoch_times[1:]  # the first epoch is the warm-up
    wall = sum(t for t, _ in measured)
    return {
        "variant": variant.name,
        "description": variant.description,
        "backend": variant.backend,
        "precision": precision,
        "n_train": n_train,
        "n_validation": n_val,
        "measured_epochs": epochs,
        "images_per_second": n_train * epochs / wall,
        "cpu_ms_per_image": 1000 * sum(c for _, c in measured) / (n_train * epochs),
        "warmup_epoch_seconds": epoch_times[0][0],
        "epoch_seconds": [t for t, _ in measured],
        "neg_elbo_after": quality,
        "threads": threads,
    }


def measure_in_subprocess(name: str, n_train: int, epochs: int, timeout: float = 600) -> dict:
    """Run :func:`measure` for the variant called ``name`` in a fresh Python process; return its result.

    On failure the result is ``{"variant": name, "error": "..."}`` so one broken variant does not stop the run.
    """
    if name not in BY_NAME:
        raise ValueError(f"unknown variant {name!r}; known: {sorted(BY_NAME)}.")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": BY_NAME[name].backend}
    command = [
        sys.executable,
        "-m",
        "benchmarks.training_speed",
        name,
        "--n-train",
        str(n_train),
        "--epochs",
        str(epochs),
    ]
    try:
        done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"variant": name, "error": f"timed out after {timeout:.0f} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        return {"variant": name, "error": (done.stderr.strip().splitlines() or ["no output"])[-1]}
    return json.loads(lines[-1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variant", choices=sorted(BY_NAME))
    parser.add_argument("--n-train", type=int, default=12_000)
    parser.add_argument("--epochs", type=int, default=1, help="measured epochs after the warm-up epoch")
    args = parser.parse_args(argv)
    print(json.dumps(measure(BY_NAME[args.variant], args.n_train, args.epochs)))


if __name__ == "__main__":
    main()
