"""The Keras backend's part in the course: compiled functions, gradients and the model's training steps.

The model, the losses and the helpers are written once with ``keras.ops``; what differs between backends
(``KERAS_BACKEND`` = ``tensorflow``, the default, ``jax`` or ``torch``) lives in one file per backend,
``vae_helpers/backends/{tensorflow,jax,torch}.py``, of which only the active one is imported
(:mod:`vae_helpers.backends`). This module is their face:

* :func:`compiled`: ``function(model, *arrays)`` compiled once per model (a ``tf.function`` on TensorFlow, a
  ``jax.jit`` on JAX, plain eager calls without gradients on PyTorch), cached weakly and shared by every helper, so
  the latent grid, the explorers and the evaluation never compile the same decoder twice;
* :func:`value_and_gradients`: the package's one automatic differentiation call;
* :func:`train_step` / :func:`test_step`: one small optimizer step per backend around the model's own
  ``batch_loss`` (TensorFlow's ``GradientTape``, JAX's stateless ``value_and_grad``, PyTorch's ``backward``).

Devices, precision and distribution are in :mod:`vae_helpers.devices`.

Why the models keep their own steps instead of only overriding Keras' ``compute_loss`` hook (as the VAE of
Chollet's *Deep Learning with Python*, 3rd ed., does): Keras' step first calls ``model(x)``, which returns only the
decoded probabilities, so ``compute_loss`` would run the encoder and draw the sampling noise a second time; Keras
records the ``loss`` metric itself, weighting each batch by its size where the course's trackers average the batch
means (a partial last batch would change the reported numbers); and on TensorFlow the override would still have to
scale the loss by 1/replicas itself (``tests/test_distribute.py`` trains a step that forgets it and catches it) and
give the metrics an axis under ``MultiWorkerMirroredStrategy`` (tensorflow/tensorflow#72388, also tested there).
"""

from __future__ import annotations

import weakref

import keras
from keras import ops

from vae_helpers.backends import active


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
        self._call = active.compile_function(proxy, self._counting(function), input_dims)

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


# ----------------------------------------------------------------------------------------------- gradients and steps

# value_and_gradients(function, *arrays) -> (value, [gradient per array]), numpy arrays: ``function(*tensors)``, a
# scalar, and its gradient with respect to each input; the oracle tests check the gradients of the losses and of the
# sampling with it. Random layers inside ``function`` draw their noise as usual.
value_and_gradients = active.value_and_gradients

# train_step(model, *args): one optimizer step on a batch for ``model.batch_loss(data, training=True)``; returns the
# metrics' values. The arguments are those Keras passes to ``Model.train_step`` on this backend: ``(data,)`` on
# TensorFlow and PyTorch, ``(state, data)`` on JAX (which returns ``(logs, state)``).
train_step = active.train_step

# test_step(model, *args): ``model.batch_loss(data, training=False)`` for the metrics only (no gradient); arguments
# and results as train_step's.
test_step = active.test_step
