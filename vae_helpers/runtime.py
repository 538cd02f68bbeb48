"""Where the course runs: the Keras backend, compiled functions, training steps, precision, devices, distribution.

Everything that depends on the backend (``KERAS_BACKEND`` = ``tensorflow``, the default, ``jax`` or ``torch``) lives
here, so the model, the losses and the helpers are written once with ``keras.ops``:

* :func:`compiled`: ``function(model, *arrays)`` compiled once per model (a ``tf.function`` on TensorFlow, a
  ``jax.jit`` on JAX, plain eager calls without gradients on PyTorch), cached weakly and shared by every helper, so
  the latent grid, the explorers and the evaluation never compile the same decoder twice;
* :func:`train_step` / :func:`test_step`: one small optimizer step per backend around the model's own
  ``batch_loss`` (TensorFlow's ``GradientTape``, JAX's stateless ``value_and_grad``, PyTorch's ``backward``);
* :func:`fastest_dtype_policy`, :func:`make_strategy` and :func:`gpu_count`: precision and devices.

TensorFlow is imported only on the TensorFlow backend (and by ``tf.data``/``tf.distribute`` there).
"""

from __future__ import annotations

import contextlib
import functools
import pathlib
import weakref

import keras
import numpy as np
from keras import ops

def backend() -> str:
    """The Keras backend in use: ``"tensorflow"``, ``"jax"`` or ``"torch"`` (set ``KERAS_BACKEND`` before
    ``import keras`` to change it)."""
    return keras.backend.backend()


# ----------------------------------------------------------------------------------------------- compiled functions

class Compiled:
    """``function(model, *arrays)`` compiled for one model; call it with numpy arrays, get numpy arrays back.

    It reads the model's current weights at every call (they are inputs of the compiled code, never constants), so
    it stays right while the model trains. ``calls`` counts the calls; ``traces`` counts how often the Python
    function ran: once per input signature on TensorFlow (``input_dims`` fixes every axis but the first), once per
    input shape on JAX, and at every call on PyTorch, which runs eagerly (``traces == calls`` there).
    """

    def __init__(self, model, function, input_dims=None):
        self.traces = 0
        self.calls = 0
        proxy = weakref.proxy(model)  # the cache must never keep a model alive
        name = backend()
        if name == "tensorflow":
            self._call = _tensorflow_function(proxy, self._counting(function), input_dims)
        elif name == "jax":
            self._call = _jax_function(proxy, self._counting(function))
        else:
            self._call = _torch_function(proxy, self._counting(function))

    def _counting(self, function):
        def traced(model, *args):
            self.traces += 1  # Python code of a compiled function runs only while it is traced
            return function(model, *args)
        return traced

    def __call__(self, *arrays):
        self.calls += 1
        return keras.tree.map_structure(ops.convert_to_numpy, self._call(*arrays))


_COMPILED = weakref.WeakKeyDictionary()  # model -> {python function: its Compiled for that model}


def compiled(model, function, input_dims=None) -> Compiled:
    """The one compiled version of ``function(model, *arrays)`` for ``model``, created on first use.

    ``input_dims``: on TensorFlow, the sizes of every axis but the batch axis of each input, e.g. ``[(2,)]`` for
    latent points (B, 2): then any batch size reuses one graph. Without it TensorFlow relaxes the shapes itself
    after the second one (``reduce_retracing``).
    """
    functions = _COMPILED.setdefault(model, {})
    if function not in functions:
        functions[function] = Compiled(model, function, input_dims)
    return functions[function]


def _tensorflow_function(model, function, input_dims):
    import tensorflow as tf

    # A partial (not a lambda) so that TensorFlow counts traces per model and does not warn when a notebook
    # evaluates several models.
    bound = functools.partial(function, model)
    if input_dims is None:
        return tf.function(bound, reduce_retracing=True)
    signature = [tf.TensorSpec(shape=(None, *dims), dtype=tf.float32) for dims in input_dims]
    return tf.function(bound, input_signature=signature)


def _jax_function(model, function):
    import jax

    def stateless(values, *arrays):
        # The weights enter as arguments: jit must not bake their values into the compiled code.
        with keras.StatelessScope(state_mapping=list(zip(model.variables, values))):
            return function(model, *arrays)

    jitted = jax.jit(stateless)
    return lambda *arrays: jitted([variable.value for variable in model.variables], *arrays)


def _torch_function(model, function):
    import torch

    def call(*arrays):
        with torch.no_grad():
            return function(model, *(ops.convert_to_tensor(array) for array in arrays))
    return call


def value_and_gradients(function, *arrays):
    """``function(*tensors)``, a scalar, and its gradient with respect to each input, all as numpy arrays.

    The one automatic differentiation call of the package, for every backend (``GradientTape``, ``jax.grad``,
    ``backward``); the oracle tests check the gradients of the losses and of the sampling with it. Random layers
    inside ``function`` draw their noise as usual.
    """
    name = backend()
    if name == "tensorflow":
        import tensorflow as tf

        tensors = [tf.constant(array) for array in arrays]
        with tf.GradientTape() as tape:
            tape.watch(tensors)
            value = function(*tensors)
        gradients = tape.gradient(value, tensors)
    elif name == "jax":
        import jax

        def stateless(*tensors):  # a random layer's seed update must not leak out of the trace
            with keras.StatelessScope():
                return function(*tensors)

        value, gradients = jax.value_and_grad(stateless, argnums=tuple(range(len(arrays))))(*map(np.asarray, arrays))
    else:
        import torch

        tensors = [torch.tensor(np.asarray(array), requires_grad=True) for array in arrays]
        value = function(*tensors)
        value.backward()
        gradients = [tensor.grad for tensor in tensors]
    return ops.convert_to_numpy(value), [ops.convert_to_numpy(gradient) for gradient in gradients]


# ----------------------------------------------------------------------------------------------- training steps

def train_step(model, *args):
    """One optimizer step on a batch for ``model.batch_loss(data, training=True)``; returns the metrics' values.

    The arguments are those Keras passes to ``Model.train_step`` on this backend: ``(data,)`` on TensorFlow and
    PyTorch, ``(state, data)`` on JAX (which returns ``(logs, state)``).
    """
    return {"tensorflow": _tensorflow_train_step, "jax": _jax_train_step, "torch": _torch_train_step}[backend()](
        model, *args)


def test_step(model, *args):
    """``model.batch_loss(data, training=False)`` for the metrics only (no gradient); arguments as :func:`train_step`."""
    if backend() == "jax":
        state, data = args
        trainable, non_trainable, metric_values = state
        mapping = [*zip(model.trainable_variables, trainable), *zip(model.non_trainable_variables, non_trainable),
                   *zip(model.metrics_variables, metric_values)]
        with keras.StatelessScope(state_mapping=mapping) as scope:
            model.batch_loss(data, training=False)
        metric_values = _current_values(scope, model.metrics_variables, metric_values)
        return _jax_metric_results(model, metric_values), (trainable, non_trainable, metric_values)
    (data,) = args
    model.batch_loss(data, training=False)
    return _metric_results(model)


def _tensorflow_train_step(model, data):
    import tensorflow as tf

    with tf.GradientTape() as tape:
        loss = model.batch_loss(data, training=True)
        # Under tf.distribute each replica's gradients are summed: scale so the sum is the mean.
        loss = loss / tf.distribute.get_strategy().num_replicas_in_sync
        loss = model.optimizer.scale_loss(loss)  # mixed_float16 only (else a no-op)
    gradients = tape.gradient(loss, model.trainable_weights)
    model.optimizer.apply_gradients(zip(gradients, model.trainable_weights))
    return _metric_results(model)


def _torch_train_step(model, data):
    import torch

    model.zero_grad()
    loss = model.optimizer.scale_loss(model.batch_loss(data, training=True))
    loss.backward()
    weights = model.trainable_weights
    with torch.no_grad():
        model.optimizer.apply([weight.value.grad for weight in weights], weights)
    return _metric_results(model)


def _jax_train_step(model, state, data):
    import jax

    trainable, non_trainable, optimizer_values, metric_values = state

    def loss_and_updates(trainable):
        mapping = [*zip(model.trainable_variables, trainable), *zip(model.non_trainable_variables, non_trainable),
                   *zip(model.metrics_variables, metric_values), *zip(model.optimizer.variables, optimizer_values)]
        with keras.StatelessScope(state_mapping=mapping) as scope:
            loss = model.optimizer.scale_loss(model.batch_loss(data, training=True))
        return loss, (_current_values(scope, model.non_trainable_variables, non_trainable),
                      _current_values(scope, model.metrics_variables, metric_values))

    (_, (non_trainable, metric_values)), gradients = jax.value_and_grad(loss_and_updates, has_aux=True)(trainable)
    trainable, optimizer_values = model.optimizer.stateless_apply(optimizer_values, gradients, trainable)
    return _jax_metric_results(model, metric_values), (trainable, non_trainable, optimizer_values, metric_values)


def _current_values(scope, variables, values):
    """The values ``variables`` hold at the end of a ``StatelessScope`` (their inputs where nothing assigned them)."""
    updated = [scope.get_current_value(variable) for variable in variables]
    return [value if new is None else new for new, value in zip(updated, values)]


def _jax_metric_results(model, metric_values):
    with keras.StatelessScope(state_mapping=list(zip(model.metrics_variables, metric_values))):
        return {metric.name: metric.result() for metric in model.metrics}


def _metric_results(model):
    results = {metric.name: metric.result() for metric in model.metrics}
    if backend() == "tensorflow":
        import tensorflow as tf

        # Keras 3 reduces fit's outputs under MultiWorkerMirroredStrategy with strategy.reduce("MEAN", v, axis=0),
        # which fails on scalars (tensorflow/tensorflow#72388): give each value an axis of length 1 there.
        if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
            results = {name: ops.expand_dims(value, 0) for name, value in results.items()}
    return results


# ----------------------------------------------------------------------------------------------- devices, precision

def gpu_count() -> int:
    """Number of GPUs the backend sees."""
    name = backend()
    if name == "tensorflow":
        import tensorflow as tf

        return len(tf.config.list_physical_devices("GPU"))
    if name == "jax":
        import jax

        return sum(device.platform == "gpu" for device in jax.devices())
    import torch

    return torch.cuda.device_count()


def fastest_dtype_policy(cpu_flags=None, gpus=None, backend_name=None) -> str:
    """Name the dtype policy that trains the VAE fastest here without costing quality (for ``build_vae``).

    ``"mixed_bfloat16"`` on TensorFlow, on a machine without GPU whose CPU computes bfloat16 natively
    (``avx512_bf16`` or ``amx_bf16`` among its flags): ``benchmarks/run.py`` measured 1.5x to 2x less CPU work
    per image there, and ``benchmarks/results/precision.json`` the same test -ELBO after the full 50 epochs.
    ``"float32"`` elsewhere: on JAX the same CPU does more work in bfloat16 than in float32 (measured by
    ``benchmarks/run.py``), where a CPU only emulates bfloat16 it is not expected to pay off, and on GPUs the
    course has no measurement yet.

    Args:
        cpu_flags: the CPU's feature flags (default: read from ``/proc/cpuinfo``; none if it is absent).
        gpus: number of GPUs (default: :func:`gpu_count`).
        backend_name: the Keras backend (default: the one running, :func:`backend`).
    """
    backend_name = backend() if backend_name is None else backend_name
    gpus = gpu_count() if gpus is None else gpus
    cpu_flags = _cpu_flags() if cpu_flags is None else cpu_flags
    if backend_name == "tensorflow" and gpus == 0 and {"avx512_bf16", "amx_bf16"} & set(cpu_flags):
        return "mixed_bfloat16"
    return "float32"


def _cpu_flags() -> list[str]:
    try:
        text = pathlib.Path("/proc/cpuinfo").read_text()
    except OSError:  # not Linux: no native-bfloat16 detection
        return []
    return next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])


DTYPE_POLICIES = ("float32", "mixed_bfloat16", "mixed_float16")


@contextlib.contextmanager
def dtype_policy(name):
    """Build layers under the dtype policy ``name`` (one of :data:`DTYPE_POLICIES`, or None: leave it)."""
    if name is None:
        yield
        return
    if name not in DTYPE_POLICIES:
        raise ValueError(f"dtype_policy must be None or one of {DTYPE_POLICIES}, got {name!r}.")
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


# ----------------------------------------------------------------------------------------------- distribution

STRATEGIES = ("default", "mirrored", "multiworker", "tpu")
TENSORFLOW_ONLY_STRATEGIES = ("multiworker", "tpu")


def make_strategy(name: str = "default"):
    """Return the distribution called ``name`` (one of :data:`STRATEGIES`), or None for the default (one device).

    ``mirrored``: every local GPU (or the CPU), data-parallel: ``tf.distribute.MirroredStrategy`` on TensorFlow,
    ``keras.distribution.DataParallel`` on JAX. On TensorFlow only: ``multiworker``, one replica per worker listed in
    ``$TF_CONFIG``, and ``tpu``, the TPU of a Colab/Cloud TPU runtime. Either kind has ``.scope()``: build the model
    inside it, then pass the strategy to :func:`vae_helpers.train`.
    """
    if name not in STRATEGIES:
        raise ValueError(f"strategy must be one of {STRATEGIES}, got {name!r}.")
    if name == "default":
        return None
    if backend() != "tensorflow":
        if name in TENSORFLOW_ONLY_STRATEGIES or backend() != "jax":
            raise ValueError(f"strategy {name!r} needs the TensorFlow backend (this is {backend()}); on JAX use "
                             "'mirrored' (keras.distribution.DataParallel), or set KERAS_BACKEND=tensorflow.")
        return keras.distribution.DataParallel()
    import tensorflow as tf

    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)


def checked_strategy(model, strategy):
    """The distribution to train ``model`` under: ``strategy`` if ``model`` was built inside its scope, else a clear
    error. ``strategy=None`` means on TensorFlow the strategy ``model`` was built under (the default one outside any
    scope); on JAX and PyTorch one device, so a model built inside a ``DataParallel`` scope needs that strategy."""
    if backend() == "tensorflow":
        built_under = model.distribute_strategy
        if strategy is None or built_under is strategy:
            return built_under
        raise ValueError(
            "the VAE was built outside this strategy's scope, so its variables are not distributed. Fix: "
            "`with strategy.scope(): vae = vh.build_vae()` and then `vh.train(vae, ..., strategy=strategy)`.")
    wanted = strategy.device_mesh.devices.size if strategy is not None else 1
    placed = _device_count(model.trainable_variables[0]) if model.trainable_variables else wanted
    if placed == wanted:
        return strategy
    if strategy is None:
        raise ValueError(
            f"strategy=None trains on one device, but the VAE was built inside a distribution's scope: its variables "
            f"lie on {placed} devices. Fix: pass the distribution it was built under, "
            "`vh.train(vae, ..., strategy=strategy)`, or build the VAE outside any `strategy.scope()` for one device.")
    raise ValueError(
        f"the VAE was built outside this strategy's scope: its variables lie on {placed} device(s), the strategy "
        f"spans {wanted}. Fix: `with strategy.scope(): vae = vh.build_vae()` and then "
        "`vh.train(vae, ..., strategy=strategy)`.")


def _device_count(variable) -> int:
    sharding = getattr(variable.value, "sharding", None)  # a jax.Array's layout over devices
    return 1 if sharding is None else len(sharding.device_set)


def strategy_scope(strategy):
    """``strategy.scope()``, or a no-op for None (one device)."""
    return contextlib.nullcontext() if strategy is None else strategy.scope()

