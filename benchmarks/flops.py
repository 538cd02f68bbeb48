"""Floating-point work: analytic FLOPs of a Keras model and the machine's measured matmul peak.

A FLOP here is one multiply or one add, so a multiply-add counts 2 (the usual convention, the same one used for
the matmul peak: an (n, n) @ (n, n) product is 2 n^3 FLOPs). Only the layers that do the real arithmetic are
counted: ``Dense``, ``Conv2D`` and ``Conv2DTranspose`` (multiply-adds of their kernels; biases, activations,
pooling, up-sampling and the loss are elementwise and add well under 1 % for the reference VAE). Training costs
about 3x the forward pass: the forward pass, the gradient with respect to each layer's input and the gradient
with respect to its kernel each do the same multiply-adds (:data:`TRAINING_FLOPS_FACTOR`).
"""

from __future__ import annotations

import time

import keras
import numpy as np

TRAINING_FLOPS_FACTOR = 3  # forward + input gradient + kernel gradient


def layer_flops(layer) -> int:
    """FLOPs of one image through ``layer`` (2 per multiply-add); 0 for layers without a kernel product.

    Shapes come from the layer's functional input/output, so ``layer`` must belong to a built functional model.
    """
    if isinstance(layer, keras.layers.Dense):
        return 2 * int(np.prod(layer.input.shape[1:])) * layer.units
    if isinstance(layer, keras.layers.Conv2DTranspose):  # before Conv2D: check the subclass first
        kh, kw = layer.kernel_size
        # every input pixel scatters a (kh, kw, filters) patch per input channel
        return 2 * int(np.prod(layer.input.shape[1:])) * kh * kw * layer.filters
    if isinstance(layer, keras.layers.Conv2D):
        kh, kw = layer.kernel_size
        in_channels = layer.input.shape[-1]
        # every output pixel is a (kh, kw, in_channels) dot product per filter
        return 2 * int(np.prod(layer.output.shape[1:])) * kh * kw * in_channels // layer.groups
    return 0


def forward_flops(model: keras.Model) -> int:
    """FLOPs of one image through a functional ``model``, nested models included (see :func:`layer_flops`)."""
    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a keras.Model, got {type(model).__name__}.")
    total = 0
    for layer in model.layers:
        total += forward_flops(layer) if isinstance(layer, keras.Model) else layer_flops(layer)
    return total


def vae_training_flops(vae) -> int:
    """Training FLOPs per image of a VAE with ``encoder`` and ``decoder`` models: 3 x their forward FLOPs."""
    for part in ("encoder", "decoder"):
        if not isinstance(getattr(vae, part, None), keras.Model):
            raise ValueError(f"vae must have an `{part}` keras.Model (vh.VAE or ReferenceVAE).")
    return TRAINING_FLOPS_FACTOR * (forward_flops(vae.encoder) + forward_flops(vae.decoder))


def matmul_peak_flops(size: int = 2048, repeats: int = 5) -> float:
    """Measured float32 FLOP/s of a large (size x size) ``keras.ops.matmul`` on the backend's default device: best
    of ``repeats``.

    This is the practical peak the model's throughput is compared with (a convolution is a matmul in disguise).
    One product is 2 size^3 FLOPs, large enough that the call's own overhead does not count.
    """
    from keras import ops

    a = keras.random.normal((size, size), seed=0)
    b = keras.random.normal((size, size), seed=1)
    ops.convert_to_numpy(ops.sum(ops.matmul(a, b)))  # warm-up: allocate; convert_to_numpy waits for the device
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        ops.convert_to_numpy(ops.sum(ops.matmul(a, b)))
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best
