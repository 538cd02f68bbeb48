"""The PyTorch backend: eager calls, ``backward`` steps, one device (see :mod:`vae_helpers.backends`)."""

from __future__ import annotations

import numpy as np
import torch
from keras import ops

# ----------------------------------------------------------------------------------------------- compiled functions


def compile_function(model, function, input_dims):
    """``function(model, *arrays)`` called eagerly without gradients: PyTorch compiles nothing here, so the Python
    function runs at every call (``input_dims`` is TensorFlow's)."""

    def call(*arrays):
        with torch.no_grad():
            return function(model, *(ops.convert_to_tensor(array) for array in arrays))

    return call


def value_and_gradients(function, *arrays):
    """``function(*tensors)``, a scalar, and its gradient with respect to each input (``backward``)."""
    tensors = [torch.tensor(np.asarray(array), requires_grad=True) for array in arrays]
    value = function(*tensors)
    value.backward()
    gradients = [tensor.grad for tensor in tensors]
    return ops.convert_to_numpy(value), [ops.convert_to_numpy(gradient) for gradient in gradients]


# ----------------------------------------------------------------------------------------------- training steps


def train_step(model, data):
    """One optimizer step for ``model.batch_loss(data, training=True)``; returns the metrics' values.

    ``data`` is what Keras passes to ``Model.train_step`` on PyTorch (one batch).
    """
    model.zero_grad()
    loss = model.optimizer.scale_loss(model.batch_loss(data, training=True))
    loss.backward()
    weights = model.trainable_weights
    with torch.no_grad():
        model.optimizer.apply([weight.value.grad for weight in weights], weights)
    return {metric.name: metric.result() for metric in model.metrics}


def test_step(model, data):
    """``model.batch_loss(data, training=False)`` for the metrics only (no gradient)."""
    model.batch_loss(data, training=False)
    return {metric.name: metric.result() for metric in model.metrics}


# ----------------------------------------------------------------------------------------------- devices, distribution


def gpu_count() -> int:
    """Number of GPUs PyTorch sees."""
    return torch.cuda.device_count()


DISTRIBUTIONS = ()  # the course trains on one device on PyTorch (so no make_distribution here)


def checked_strategy(model, strategy):
    """None (one device): the course makes no distribution on PyTorch."""
    if strategy is not None:
        raise ValueError(
            f"strategy={strategy!r} cannot train on the PyTorch backend, which trains on one device "
            "here: pass strategy=None, or set KERAS_BACKEND=tensorflow or jax to distribute."
        )
    return None
