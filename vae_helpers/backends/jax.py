"""The JAX backend: ``jax.jit``, stateless ``value_and_grad`` steps, ``keras.distribution`` (see
:mod:`vae_helpers.backends`).

JAX functions are pure: the weights, the optimizer's and the metrics' variables enter as values and leave as new
values. ``keras.StatelessScope`` maps each Keras variable to its value while the model's code runs, and collects
what that code assigns.
"""

from __future__ import annotations

import jax
import keras
import numpy as np
from keras import ops

# ----------------------------------------------------------------------------------------------- compiled functions


def compile_function(model, function, input_dims):
    """``function(model, *arrays)`` as a ``jax.jit``: traced once per input shape (``input_dims`` is TensorFlow's;
    JAX needs none)."""

    def stateless(values, *arrays):
        # The weights enter as arguments: jit must not bake their values into the compiled code.
        with keras.StatelessScope(state_mapping=list(zip(model.variables, values))):
            return function(model, *arrays)

    jitted = jax.jit(stateless)
    return lambda *arrays: jitted([variable.value for variable in model.variables], *arrays)


def value_and_gradients(function, *arrays):
    """``function(*tensors)``, a scalar, and its gradient with respect to each input (``jax.value_and_grad``)."""

    def stateless(*tensors):  # a random layer's seed update must not leak out of the trace
        with keras.StatelessScope():
            return function(*tensors)

    value, gradients = jax.value_and_grad(stateless, argnums=tuple(range(len(arrays))))(*map(np.asarray, arrays))
    return ops.convert_to_numpy(value), [ops.convert_to_numpy(gradient) for gradient in gradients]


# ----------------------------------------------------------------------------------------------- training steps


def train_step(model, state, data):
    """One optimizer step for ``model.batch_loss(data, training=True)``; returns ``(metrics' values, new state)``.

    ``state`` and ``data`` are what Keras passes to ``Model.train_step`` on JAX: ``state`` is the values of the
    ``(trainable, non-trainable, optimizer, metrics)`` variables, in that order.
    """
    trainable, non_trainable, optimizer_values, metric_values = state

    def loss_and_updates(trainable):
        mapping = [
            *zip(model.trainable_variables, trainable),
            *zip(model.non_trainable_variables, non_trainable),
            *zip(model.metrics_variables, metric_values),
            *zip(model.optimizer.variables, optimizer_values),
        ]
        with keras.StatelessScope(state_mapping=mapping) as scope:
            loss = model.optimizer.scale_loss(model.batch_loss(data, training=True))
        return loss, (
            _current_values(scope, model.non_trainable_variables, non_trainable),
            _current_values(scope, model.metrics_variables, metric_values),
        )

    (_, (non_trainable, metric_values)), gradients = jax.value_and_grad(loss_and_updates, has_aux=True)(trainable)
    trainable, optimizer_values = model.optimizer.stateless_apply(optimizer_values, gradients, trainable)
    return _metric_results(model, metric_values), (trainable, non_trainable, optimizer_values, metric_values)


def test_step(model, state, data):
    """``model.batch_loss(data, training=False)`` for the metrics only (no gradient); returns ``(metrics' values,
    new state)``, ``state`` being the values of the ``(trainable, non-trainable, metrics)`` variables."""
    trainable, non_trainable, metric_values = state
    mapping = [
        *zip(model.trainable_variables, trainable),
        *zip(model.non_trainable_variables, non_trainable),
        *zip(model.metrics_variables, metric_values),
    ]
    with keras.StatelessScope(state_mapping=mapping) as scope:
        model.batch_loss(data, training=False)
    metric_values = _current_values(scope, model.metrics_variables, metric_values)
    return _metric_results(model, metric_values), (trainable, non_trainable, metric_values)


def _current_values(scope, variables, values):
    """The values ``variables`` hold at the end of a ``StatelessScope`` (their inputs where nothing assigned them)."""
    updated = [scope.get_current_value(variable) for variable in variables]
    return [value if new is None else new for new, value in zip(updated, values)]


def _metric_results(model, metric_values):
    with keras.StatelessScope(state_mapping=list(zip(model.metrics_variables, metric_values))):
        return {metric.name: metric.result() for metric in model.metrics}


# ----------------------------------------------------------------------------------------------- devices, distribution


def gpu_count() -> int:
    """Number of GPUs JAX sees."""
    return sum(device.platform == "gpu" for device in jax.devices())


DISTRIBUTIONS = ("mirrored",)


def make_distribution(name):
    """``keras.distribution.DataParallel`` over every local device, for ``name == "mirrored"``."""
    return keras.distribution.DataParallel()


def checked_strategy(model, strategy):
    """``strategy`` if ``model``'s variables lie on as many devices as it spans (None: one device), else a clear
    error: a model built outside the distribution's scope, or inside it but trained with ``strategy=None``."""
    wanted = strategy.device_mesh.devices.size if strategy is not None else 1
    placed = _device_count(model.trainable_variables[0]) if model.trainable_variables else wanted
    if placed == wanted:
        return strategy
    if strategy is None:
        raise ValueError(
            f"strategy=None trains on one device, but the VAE was built inside a distribution's scope: its variables "
            f"lie on {placed} devices. Fix: pass the distribution it was built under, "
            "`vh.train(vae, ..., strategy=strategy)`, or build the VAE outside any `strategy.scope()` for one device."
        )
    raise ValueError(
        f"the VAE was built outside this strategy's scope: its variables lie on {placed} device(s), the strategy "
        f"spans {wanted}. Fix: `with strategy.scope(): vae = vh.build_vae()` and then "
        "`vh.train(vae, ..., strategy=strategy)`."
    )


def _device_count(variable) -> int:
    sharding = getattr(variable.value, "sharding", None)  # a jax.Array's layout over devices
    return 1 if sharding is None else len(sharding.device_set)
