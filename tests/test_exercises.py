"""Every exercise graded by a table (``vh.exercises.TABLES`` and ``TABLE_BUILDERS``), against its own table: the
answer is praised, each typical mistake gets its own hint, None gets the nudge, what is not a number is refused,
and any other number gets the fallback hint. The answers of the tables are checked against computations that do
not use them (Keras, the package's losses, or by hand).

The checkers of the other exercises (a function, a shape, a prediction) are tested in ``test_exercises_nb0*.py``.
"""

import math

import keras
import numpy as np
import pytest

import vae_helpers as vh
from conftest import only_on
from vae_helpers.exercises import ExerciseError
from vae_helpers.exercises._answers import as_number


def _half_black_images():
    """20 small synthetic images: about half of the pixels are exactly 0, the rest uniform grey levels."""
    rng = np.random.default_rng(0)
    x = rng.random((20, 28, 28, 1))
    x[rng.random(x.shape) < 0.5] = 0.0
    return x.astype(np.float32)


IMAGES = _half_black_images()
KL_PER_DIM = np.array([2.5, 0.001, 1.2, 0.0, 0.3, 0.004, 0.002])  # nats: 3 dimensions above 0.01, 4 below

# The inputs after the answer, for each checker whose table is built from its inputs.
EXAMPLE_INPUTS = {
    vh.exercises.check_constant_guess_loss: (IMAGES,),
    vh.exercises.check_extra_decoder_params: (),
    vh.exercises.check_active_dimensions: (KL_PER_DIM,),
    vh.exercises.check_image_nll: (IMAGES[0], np.clip(IMAGES[1], 0.05, 0.95)),
}


def _with_inputs(checker, inputs):
    """``checker`` as a function of the answer alone, ``inputs`` following it."""
    return lambda answer: checker(answer, *inputs)


def _cases():
    """``(check, table)`` for every table-driven exercise: ``check(answer)`` grades with ``table``."""
    cases = [pytest.param(checker, table, id=checker.__name__) for checker, table in vh.exercises.TABLES.items()]
    for checker, inputs in EXAMPLE_INPUTS.items():
        table = vh.exercises.TABLE_BUILDERS[checker](*inputs)
        cases.append(pytest.param(_with_inputs(checker, inputs), table, id=checker.__name__))
    return cases


CASES = _cases()
MISTAKES = [
    pytest.param(*case.values, wrong, hint, id=f"{case.id}-{wrong:g}")
    for case in CASES
    for wrong, hint in case.values[1].mistakes
]


def test_every_table_built_from_inputs_has_example_inputs():
    assert set(EXAMPLE_INPUTS) == set(vh.exercises.TABLE_BUILDERS)


@pytest.mark.parametrize("check, table", CASES)
def test_the_answer_is_praised(check, table, capsys):
    check(table.answer)
    assert capsys.readouterr().out == f"{table.name}: Correct! {table.success}\n"


@pytest.mark.parametrize("check, table, wrong, hint", MISTAKES)
def test_each_typical_mistake_gets_its_own_hint(check, table, wrong, hint):
    with pytest.raises(ExerciseError) as error:
        check(wrong)
    assert str(error.value) == f"{table.name}: {hint.format(value=float(wrong))}"


@pytest.mark.parametrize("check, table", CASES)
def test_none_gets_the_nudge(check, table, capsys):
    check(None)
    assert capsys.readouterr().out == (
        f"{table.name}: not answered yet. Replace `None` with your answer and run the cell again.\n"
    )


@pytest.mark.parametrize("not_a_number", [str, lambda answer: [answer, answer]], ids=["text", "two numbers"])
@pytest.mark.parametrize("check, table", CASES)
def test_what_is_not_one_number_is_refused_as_by_as_number(check, table, not_a_number):
    answer = not_a_number(table.answer)
    with pytest.raises(ExerciseError) as expected:
        as_number(answer, table.name)
    with pytest.raises(ExerciseError) as error:
        check(answer)
    assert str(error.value) == str(expected.value)


def _off_the_table(table):
    """A number that is neither the answer nor a listed mistake and meets every condition: the answer + 1, 2 or 3."""
    known = [table.answer] + [wrong for wrong, _ in table.mistakes]
    for value in (table.answer + step for step in (1, 2, 3)):
        if not any(table.matches(value, number) for number in known) and all(
            holds(value) for holds, _ in table.conditions
        ):
            return float(value)
    raise AssertionError(f"{table.name}: the answer + 1, 2 and 3 are all on the table")


@pytest.mark.parametrize("check, table", CASES)
def test_any_other_number_gets_the_fallback_hint(check, table):
    value = _off_the_table(table)
    with pytest.raises(ExerciseError) as error:
        check(value)
    assert str(error.value) == f"{table.name}: {table.fallback_hint.format(value=value)}"


@pytest.mark.parametrize("check, table", CASES)
def test_no_table_hides_its_own_answer(check, table):
    """A listed mistake equal (or close) to the answer would be the answer; the answer meets every condition."""
    assert [wrong for wrong, _ in table.mistakes if table.matches(table.answer, wrong)] == []
    assert all(holds(table.answer) for holds, _ in table.conditions)


@pytest.mark.parametrize(
    "check, answer, hint",
    [
        (vh.exercises.check_sample_std, -0.37, "a standard deviation is positive."),
        (vh.exercises.check_extra_decoder_params, -43904, "so the answer is positive."),
        (vh.exercises.check_resume_epoch, 6.5, "whole numbers (1, 2, ...), got 6.5."),
        (vh.exercises.check_best_epoch, 0, "an epoch number between 1 and 12."),
        (vh.exercises.check_best_epoch, 2.5, "an epoch number between 1 and 12."),
        (_with_inputs(vh.exercises.check_active_dimensions, (KL_PER_DIM,)), 8, "dimensions between 0 and 7."),
        (_with_inputs(vh.exercises.check_active_dimensions, (KL_PER_DIM,)), 2.5, "dimensions between 0 and 7."),
        (_with_inputs(vh.exercises.check_constant_guess_loss, (IMAGES,)), -5, "positive for grey pixels, got -5.0."),
    ],
    ids=[
        "sample std",
        "extra decoder params",
        "resume epoch",
        "best epoch 0",
        "best epoch 2.5",
        "active dims 8",
        "active dims 2.5",
        "constant guess",
    ],
)
def test_a_number_that_breaks_a_condition_gets_its_hint(check, answer, hint):
    with pytest.raises(ExerciseError) as error:
        check(answer)
    assert str(error.value).endswith(hint)


def _best_constant_loss():
    """The lowest mean Bernoulli loss per image of IMAGES over a fine grid of constant guesses p."""
    p = np.linspace(1e-4, 1 - 1e-4, 20_001)
    mean = IMAGES.astype(np.float64).mean()  # the loss is linear in x: its image mean only needs the mean pixel
    return (-784 * (mean * np.log(p) + (1 - mean) * np.log(1 - p))).min()


def _gradient_tape_grad_log_var():
    """dz/d(log sigma^2) of z = 0.5 + exp(0.5 log sigma^2) * -0.8 at log sigma^2 = 1, by tf.GradientTape."""
    import tensorflow as tf

    log_var = tf.Variable([[1.0]])
    with tf.GradientTape() as tape:
        z = 0.5 + tf.exp(0.5 * log_var) * -0.8
    return tape.gradient(z, log_var)


def _keras_conv_params():
    """The parameters of a Conv2D(128, 3) on the 64 channels after the encoder's second pooling, counted by Keras."""
    third_conv = keras.layers.Conv2D(128, 3, padding="same")
    third_conv.build((None, 7, 7, 64))
    return third_conv.count_params()


def _beta_of_the_averaged_loss():
    """The beta with Rec + beta KL = 784 (Rec / 784 + KL / 2), for one model output and the package's losses."""
    x = np.full((1, 28, 28, 1), 0.3, np.float32)
    logits = np.zeros_like(x)
    z_mean, z_log_var = np.float32([[0.5, -1.0]]), np.float32([[0.2, -0.3]])
    reconstruction = float(vh.reconstruction_loss(x, logits)[0])  # summed over the 784 pixels
    kl = float(vh.kl_divergence(z_mean, z_log_var)[0])  # summed over the 2 dimensions
    averaged = reconstruction / x[0].size + kl / z_mean.shape[1]
    return (784 * averaged - reconstruction) / kl


def _package_free_bits_kl():
    """The package's free-bits term with lambda 0.5 for codes whose dimensions have KL 0.1, 0.8, 0.0 and 2.0 nats
    (log-variance 0 and mean sqrt(2 KL): KL = mu^2 / 2 per dimension)."""
    z_mean = np.sqrt(2 * np.array([0.1, 0.8, 0.0, 2.0]))[None, :].astype(np.float32)
    return vh.losses.free_bits_kl(z_mean, np.zeros_like(z_mean), 0.5)


@pytest.mark.parametrize(
    "check, compute",
    [
        (_with_inputs(vh.exercises.check_constant_guess_loss, (IMAGES,)), _best_constant_loss),
        (vh.exercises.check_sample_std, lambda: math.exp(0.5 * -2.0)),
        pytest.param(
            vh.exercises.check_grad_log_var, _gradient_tape_grad_log_var, marks=only_on("tensorflow")
        ),  # differentiates with GradientTape, as notebook 02 teaches
        (vh.exercises.check_conv_params, _keras_conv_params),
        (vh.exercises.check_extra_decoder_params, lambda: (16 - 2) * 7 * 7 * 64),  # 14 more inputs to 3,136 units
        (
            vh.exercises.check_kl_by_hand,
            lambda: vh.kl_divergence(np.array([[1.0]], np.float32), np.array([[math.log(4.0)]], np.float32)),
        ),
        (
            vh.exercises.check_pixel_nll,
            lambda: vh.reconstruction_loss(np.array([[0.8]], np.float32), np.array([[-2.0]], np.float32)),
        ),
        (vh.exercises.check_jensen_gap, lambda: np.log(np.mean([1.0, 4.0])) - np.mean(np.log([1.0, 4.0]))),
        (vh.exercises.check_mean_reduction_factor, _beta_of_the_averaged_loss),
        (vh.exercises.check_resume_epoch, lambda: 7),
        (vh.exercises.check_best_epoch, lambda: int(np.argmin(vh.exercises.overfitting_history()["val_loss"])) + 1),
        (vh.exercises.check_bits_per_pixel, lambda: 250.0 / (784 * math.log(2))),
        (vh.exercises.check_free_bits_kl, _package_free_bits_kl),
        (_with_inputs(vh.exercises.check_active_dimensions, (KL_PER_DIM,)), lambda: 3),
        (_with_inputs(vh.exercises.check_active_dimensions, (KL_PER_DIM, 1.0)), lambda: 2),
        (vh.exercises.check_warmup_beta, lambda: vh.KLWarmup(warmup_epochs=4).beta_at(2)),
        (
            vh.exercises.check_label_weights,
            lambda: vh.build_decoder(12).count_params() - vh.build_decoder(2).count_params(),
        ),
        (vh.exercises.check_label_nats, lambda: -np.log(np.mean(np.arange(10_000) % 10 == 3))),
    ],
    ids=[
        "constant guess: scan of p",
        "sample std",
        "grad_log_var: GradientTape",
        "conv params: Keras",
        "extra decoder params",
        "kl: vh.kl_divergence",
        "pixel nll: vh.reconstruction_loss",
        "jensen gap",
        "mean reduction: the package's losses",
        "resume epoch",
        "best epoch: argmin",
        "bits per pixel",
        "free bits: vh.losses.free_bits_kl",
        "active dimensions",
        "active dimensions above 1 nat",
        "warmup beta: KLWarmup",
        "label weights: Keras's count",
        "label nats: a class's frequency",
    ],
)
def test_an_answer_computed_without_the_table_is_praised(check, compute, capsys):
    check(compute())
    assert "Correct!" in capsys.readouterr().out
