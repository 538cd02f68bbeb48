"""Checkers for the exercises of notebook 03 (encoder and decoder)."""

from __future__ import annotations

from vae_helpers.exercises._answers import as_number, as_shape
from vae_helpers.exercises._feedback import correct, not_answered, require

KERNEL = 3 * 3  # every convolution of the reference uses 3x3 kernels
DENSE_UNITS = 7 * 7 * 64  # units of the decoder's first Dense layer


def check_conv_params(answer) -> None:
    """Exercise 1: parameters of the encoder's second ``Conv2D(64, 3)``, which reads 32 channels."""
    exercise = "Exercise 1 (parameters of a convolution)"
    if not_answered(answer, exercise):
        return
    value = as_number(answer, exercise)
    require(value != KERNEL * 32 * 64, f"{exercise}: almost: each of the 64 filters also has one bias.")
    require(value not in (KERNEL * 64 + 64, KERNEL * 64),
            f"{exercise}: each filter spans all 32 input channels: a 3 x 3 x 32 kernel per filter.")
    require(value != 28 * 28 * 32 * 64 + 64,
            f"{exercise}: a convolution shares its kernel over all positions: the image size does not count.")
    require(value == KERNEL * 32 * 64 + 64,
            f"{exercise}: not quite. (kernel height x width x input channels + 1 bias) x filters.")
    correct(exercise, "3 x 3 x 32 x 64 weights + 64 biases = 18,496.")


def check_pooled_shape(answer) -> None:
    """Exercise 2: output shape (without the batch axis) of ``MaxPooling2D(2, padding="same")`` on (7, 7, 64)."""
    exercise = "Exercise 2 (shape after pooling)"
    if not_answered(answer, exercise):
        return
    shape = as_shape(answer, exercise)
    shape = shape[1:] if len(shape) == 4 and shape[0] is None else shape
    require(len(shape) == 3, f"{exercise}: give (height, width, channels), e.g. (7, 7, 64); got {shape}.")
    require(shape[2] == 64, f"{exercise}: pooling works channel by channel: the 64 channels stay 64.")
    require(shape[:2] != (3, 3), f"{exercise}: with padding='same' the size is rounded up: ceil(7 / 2) = 4. "
                                 "(3 would be padding='valid'.)")
    require(shape[:2] != (7, 7), f"{exercise}: a 2 x 2 pooling halves height and width.")
    require(shape == (4, 4, 64), f"{exercise}: not quite. Try it: keras.layers.MaxPooling2D(2, padding='same')"
                                 "(np.zeros((1, 7, 7, 64))).shape")
    correct(exercise, "padding='same' pads 7 to 8 and halves it: (4, 4, 64).")


def check_extra_decoder_params(answer) -> None:
    """Exercise 3: how many more parameters ``build_decoder(16)`` has than ``build_decoder(2)``."""
    exercise = "Exercise 3 (decoder size and latent size)"
    if not_answered(answer, exercise):
        return
    from vae_helpers.model import build_decoder

    value = as_number(answer, exercise)
    total_16, total_2 = build_decoder(16).count_params(), build_decoder(2).count_params()
    expected = total_16 - total_2
    require(value != 16 * DENSE_UNITS, f"{exercise}: that is all the weights of the first Dense layer for "
                                       "latent size 16; subtract those it already has for latent size 2.")
    require(value != total_16, f"{exercise}: that is the whole decoder for latent size 16; subtract the "
                               "decoder for latent size 2.")
    require(value != 14, f"{exercise}: each extra latent input connects to every one of the 7*7*64 units.")
    require(value > 0, f"{exercise}: a larger input means more weights, so the answer is positive.")
    require(value == expected, f"{exercise}: not quite. Only the first Dense layer sees z; check with "
                               "vh.build_decoder(16).count_params() - vh.build_decoder(2).count_params().")
    correct(exercise, "Only the first Dense layer grows: 14 extra inputs x 3,136 units = 43,904.")
