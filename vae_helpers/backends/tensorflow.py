"""The TensorFlow backend: ``tf.function``, ``GradientTape`` steps, ``tf.distribute`` (see :mod:`vae_helpers.backends`)."""

from __future__ import annotations

import functools

import tensorflow as tf
from keras import ops

# ----------------------------------------------------------------------------------------------- compiled functions


def compile_function(model, function, input_dims):
    """``function(model, *tensors)`` as a ``tf.function``: traced once per input signature.

    ``input_dims``: the sizes of every axis but the batch axis of each (float32) input, e.g. ``[(2,)]`` for latent
    points (B, 2), so that any batch size reuses one graph; None lets TensorFlow relax the shapes itself after the
    second one (``reduce_retracing``).
    """
    # A partial (not a lambda) so that TensorFlow counts traces per model and does not warn when a notebook
    # evaluates several models.
    bound = functools.partial(function, model)
    if input_dims is None:
        return tf.function(bound, reduce_retracing=True)
    signature = [tf.TensorSpec(shape=(None, *dims), dtype=tf.float32) for dims in input_dims]
    return tf.function(bound, input_signature=signature)


def value_and_gradients(function, *arrays):
    """``function(*tensors)``, a scalar, and its gradient with respect to each input (``GradientTape``)."""
    tensors = [tf.constant(array) for array in arrays]
    with tf.GradientTape() as tape:
        tape.watch(tensors)
        value = function(*tensors)
    gradients = tape.gradient(value, tensors)
    return ops.convert_to_numpy(value), [ops.convert_to_numpy(gradient) for gradient in gradients]


# ----------------------------------------------------------------------------------------------- training steps


def train_step(model, data):
    """One optimizer step for ``model.batch_loss(data, training=True)``; returns the metrics' values.

    ``data`` is what Keras passes to ``Model.train_step`` on TensorFlow (one batch).
    """
    with tf.GradientTape() as tape:
        loss = model.batch_loss(data, training=True)
        # Under tf.distribute each replica's gradients are summed: scale so the sum is the mean.
        loss = loss / tf.distribute.get_strategy().num_replicas_in_sync
        loss = model.optimizer.scale_loss(loss)  # mixed_float16 only (else a no-op)
    gradients = tape.gradient(loss, model.trainable_weights)
    model.optimizer.apply_gradients(zip(gradients, model.trainable_weights))
    return _metric_results(model)


def test_step(model, data):
    """``model.batch_loss(data, training=False)`` for the metrics only (no gradient)."""
    model.batch_loss(data, training=False)
    return _metric_results(model)


def _metric_results(model):
    results = {metric.name: metric.result() for metric in model.metrics}
    # Keras 3 reduces fit's outputs under MultiWorkerMirroredStrategy with strategy.reduce("MEAN", v, axis=0),
    # which fails on scalars (tensorflow/tensorflow#72388): give each value an axis of length 1 there.
    if isinstance(tf.distribute.get_strategy(), tf.distribute.MultiWorkerMirroredStrategy):
        results = {name: ops.expand_dims(value, 0) for name, value in results.items()}
    return results


# ----------------------------------------------------------------------------------------------- devices, distribution


def gpu_count() -> int:
    """Number of GPUs TensorFlow sees."""
    return len(tf.config.list_physical_devices("GPU"))


DISTRIBUTIONS = ("mirrored", "multiworker", "tpu")


def make_distribution(name):
    """The ``tf.distribute`` strategy called ``name`` (one of :data:`DISTRIBUTIONS`)."""
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)


def checked_strategy(model, strategy):
    """``strategy`` if ``model`` was built inside its scope (None: the strategy ``model`` was built under, the
    default one outside any scope), else a clear error."""
    built_under = model.distribute_strategy
    if strategy is None or built_under is strategy:
        return built_under
    raise ValueError(
        "the VAE was built outside this strategy's scope, so its variables are not distributed. Fix: "
        "`with strategy.scope(): vae = vh.build_vae()` and then `vh.train(vae, ..., strategy=strategy)`."
    )
