"""Checkers for the exercises of notebook 03 (encoder and decoder)."""

from __future__ import annotations

from vae_helpers.exercises._answers import as_shape, measured_ratio
from vae_helpers.exercises._feedback import correct, grade_prediction, not_answered, require
from vae_helpers.exercises._table import NumericExercise

KERNEL = 3 * 3  # every convolution of the reference uses 3x3 kernels
DENSE_UNITS = 7 * 7 * 64  # units of the decoder's first Dense layer


CONV_PARAMS_TABLE = NumericExercise(
    name="Exercise 1 (parameters of a convolution)",
    answer=KERNEL * 64 * 128 + 128,
    exact=True,
    mistakes=(
        (KERNEL * 64 * 128, "almost: each of the 128 filters also has one bias."),
        *(
            (one_channel, "each filter spans all 64 input channels: a 3 x 3 x 64 kernel per filter.")
            for one_channel in (KERNEL * 128 + 128, KERNEL * 128)
        ),
        (
            KERNEL * 32 * 128 + 128,
            "the new layer reads the output of the second convolution block: 64 channels, not 32.",
        ),
        (7 * 7 * 64 * 128 + 128, "a convolution shares its kernel over all positions: the 7 x 7 size does not count."),
    ),
    fallback_hint="not quite. (kernel height x width x input channels + 1 bias) x filters.",
    success="3 x 3 x 64 weights + 1 bias for each of the 128 filters. Doubling both the input and the output "
    "channels multiplies a convolution's parameters by about 4.",
)


def check_conv_params(answer) -> None:
    """Exercise 1: parameters of a third ``Conv2D(128, 3)`` added after the encoder's second pooling (64 channels)."""
    CONV_PARAMS_TABLE.grade(answer)


def check_pooled_shape(answer) -> None:
    """Exercise 2: output shape (without the batch axis) of ``MaxPooling2D(2, padding="same")`` on (7, 7, 64)."""
    exercise = "Exercise 2 (shape after pooling)"
    if not_answered(answer, exercise):
        return
    shape = as_shape(answer, exercise)
    shape = shape[1:] if len(shape) == 4 and shape[0] is None else shape
    require(len(shape) == 3, f"{exercise}: give (height, width, channels), e.g. (7, 7, 64); got {shape}.")
    require(shape[2] == 64, f"{exercise}: pooling works channel by channel: the 64 channels stay 64.")
    require(
        shape[:2] != (3, 3),
        f"{exercise}: with padding='same' the size is rounded up: ceil(7 / 2) = 4. (3 would be padding='valid'.)",
    )
    require(shape[:2] != (7, 7), f"{exercise}: a 2 x 2 pooling halves height and width.")
    require(
        shape == (4, 4, 64),
        f"{exercise}: not quite. Try it: keras.layers.MaxPooling2D(2, padding='same')(np.zeros((1, 7, 7, 64))).shape",
    )
    correct(exercise, "padding='same' pads 7 to 8 and halves it: (4, 4, 64).")


EXTRA_DECODER_PARAMS = "Exercise 3 (decoder size and latent size)"


def extra_decoder_params_table() -> NumericExercise:
    """The table of exercise 3, from the parameter counts of ``build_decoder(16)`` and ``build_decoder(2)``."""
    from vae_helpers.model import build_decoder

    total_16, total_2 = build_decoder(16).count_params(), build_decoder(2).count_params()
    return NumericExercise(
        name=EXTRA_DECODER_PARAMS,
        answer=total_16 - total_2,
        exact=True,
        mistakes=(
            (
                16 * DENSE_UNITS,
                "that is all the weights of the first Dense layer for latent size 16; subtract those "
                "it already has for latent size 2.",
            ),
            (total_16, "that is the whole decoder for latent size 16; subtract the decoder for latent size 2."),
            (14, "each extra latent input connects to every one of the 7*7*64 units."),
        ),
        conditions=((lambda value: value > 0, "a larger input means more weights, so the answer is positive."),),
        fallback_hint="not quite. Only the first Dense layer sees z; check with vh.build_decoder(16).count_params() "
        "- vh.build_decoder(2).count_params().",
        success="Only the first Dense layer grows: 14 extra inputs x 3,136 units = 43,904.",
    )


def check_extra_decoder_params(answer) -> None:
    """Exercise 3: how many more parameters ``build_decoder(16)`` has than ``build_decoder(2)``."""
    if not not_answered(answer, EXTRA_DECODER_PARAMS):
        extra_decoder_params_table().grade(answer)


IMAGE_SIZE_CHOICES = {
    "unchanged": "the encoder for 56 x 56 images has as many parameters as the one for 28 x 28",
    "less than 4x": "the encoder for 56 x 56 images has more parameters, but less than 4 times as many",
    "4x or more": "the encoder for 56 x 56 images has at least 4 times as many parameters",
}


def check_image_size(answer, params_28, params_56) -> bool:
    """Exercise 4 (predict, then run): how the encoder's parameter count changes from 28 x 28 to 56 x 56 images.

    Args:
        answer: the prediction, one of ``IMAGE_SIZE_CHOICES`` ("unchanged", "less than 4x", "4x or more").
        params_28, params_56: the experiment's parameter counts of the same layers for both image sizes.
    """
    exercise = "Exercise 4 (predict: a larger image)"
    small, large, ratio = measured_ratio(params_28, params_56, ("params_28", "params_56"), exercise, "parameter counts")
    outcome = "unchanged" if ratio == 1 else "less than 4x" if ratio < 4 else "4x or more"
    why = (
        f"{small:,.0f} -> {large:,.0f} parameters (x {ratio:.2f}). The convolutions share their 3 x 3 kernels "
        "over all positions, so their parameters do not depend on the image size; only Dense(16) reads every "
        "position of the flattened map, and that map has 4 times as many numbers (14 x 14 x 64 instead of "
        "7 x 7 x 64). Dense layers are where image size costs weights."
    )
    return grade_prediction(exercise, answer, IMAGE_SIZE_CHOICES, outcome, why)
