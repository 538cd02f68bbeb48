"""The code that differs between Keras backends: one module per backend, picked once at import.

As ``keras/src/backend/{tensorflow,jax,torch}/`` does for Keras itself: :data:`active` is the module of the backend
Keras runs on (``KERAS_BACKEND``: ``tensorflow``, the default, ``jax`` or ``torch``), so reading one backend's path
means reading one file. Each module defines the same names:

* ``compile_function(model, function, input_dims)``: ``function(model, *arrays)`` compiled for ``model`` (the
  caching face is :func:`vae_helpers.runtime.compiled`);
* ``value_and_gradients(function, *arrays)``: a scalar and its gradients, as numpy arrays;
* ``train_step(model, *args)`` / ``test_step(model, *args)``: the model's optimizer and evaluation steps;
* ``gpu_count()``, ``DISTRIBUTIONS`` (the strategy names it can run besides ``"default"``), ``make_distribution(name)``
  for each of them (PyTorch has none) and ``checked_strategy(model, strategy)``: devices and distribution (their face
  is :mod:`vae_helpers.devices`).

Only the active module is imported, so TensorFlow is imported only on the TensorFlow backend.
"""

import keras

_NAME = keras.backend.backend()
if _NAME == "tensorflow":
    from vae_helpers.backends import tensorflow as active
elif _NAME == "jax":
    from vae_helpers.backends import jax as active
elif _NAME == "torch":
    from vae_helpers.backends import torch as active
else:
    raise ImportError(
        f"the course runs on the Keras backends tensorflow, jax and torch; KERAS_BACKEND is {_NAME!r}. "
        "Set KERAS_BACKEND=tensorflow (the default), jax or torch before starting Python."
    )
