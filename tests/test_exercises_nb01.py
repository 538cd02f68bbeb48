"""Checkers of notebook 01 that are not a table (tests/test_exercises.py tests the tables): the steps of a training
run (two numbers) and the perfect-decoder prediction."""

import math

import numpy as np
import pytest
from keras import ops

import vae_helpers as vh
from vae_helpers.exercises import ExerciseError


@pytest.fixture(scope="module")
def images():
    """20 small synthetic images: about half of the pixels are exactly 0, the rest uniform grey levels."""
    rng = np.random.default_rng(0)
    x = rng.random((20, 28, 28, 1))
    x[rng.random(x.shape) < 0.5] = 0.0
    return x.astype(np.float32)


def test_training_steps_agree_with_the_real_pipeline(images, capsys):
    batches = list(vh.make_dataset(images, batch_size=8))  # 20 images -> 8 + 8 + 4
    answer = (3 * len(batches), len(batches[-1]))
    vh.exercises.check_training_steps(answer, len(images), batch_size=8, epochs=3)
    assert "Correct!" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, hint",
    [
        ((430, 88), "one epoch"),
        ((429 * 50, 88), "round up"),
        ((55_000 * 50, 88), "counts images"),
        ((469 * 50, 96), "holds 5,000 of them out for validation"),  # the 60,000 images of the whole training set
        ((23_000, 88), "not quite"),
        ((430 * 50, 128), "what is left"),
        ((430 * 50, 100), "last batch is not"),
        (21_500, "two numbers"),
    ],
)
def test_training_steps_mistakes_get_specific_hints(wrong, hint):
    """The reference recipe's run (notebook 01, exercise 2): 55,000 images (60,000 minus 5,000 for validation),
    batches of 128, 50 epochs: 430 steps per epoch, the last one with 55,000 - 429 * 128 = 88 images."""
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_training_steps(wrong, 55_000, batch_size=128, epochs=50)


def test_training_steps_right_answer_for_notebook_05(capsys):
    vh.exercises.check_training_steps((21_500, 88), 55_000, batch_size=128, epochs=50)
    assert "50 epochs x 430 steps; each epoch ends with a batch of 88 images" in capsys.readouterr().out


@pytest.mark.parametrize(
    "n_images, batch_size, epochs",
    [(100, 10, 1), (7, 1, 2), (256, 128, 4)],
    ids=["one epoch", "batches of one image", "no smaller last batch"],
)
def test_training_steps_accepts_the_right_answer_where_a_typical_mistake_gives_the_same_numbers(
    n_images, batch_size, epochs, capsys
):
    per_epoch = math.ceil(n_images / batch_size)
    answer = (epochs * per_epoch, n_images - (per_epoch - 1) * batch_size)
    vh.exercises.check_training_steps(answer, n_images, batch_size=batch_size, epochs=epochs)
    assert "Correct!" in capsys.readouterr().out


def test_training_steps_rejects_sizes_that_are_not_counts():
    with pytest.raises(ExerciseError, match="batch_size must be a positive integer"):
        vh.exercises.check_training_steps((1, 1), 55_000, batch_size=0, epochs=50)


def test_perfect_decoder_grades_the_prediction_against_the_measured_loss(capsys):
    x = np.full((2, 28, 28, 1), 0.3, np.float32)  # grey pixels: the floor is 784 * H(0.3) = 479 nats
    logits = np.log(x / (1 - x))
    loss = float(ops.mean(vh.reconstruction_loss(x, logits)))
    assert loss == pytest.approx(-784 * (0.3 * np.log(0.3) + 0.7 * np.log(0.7)), rel=1e-4)
    assert vh.exercises.check_perfect_decoder("hundreds", loss) is True
    assert "Correct prediction" in capsys.readouterr().out
    assert vh.exercises.check_perfect_decoder(" Zero", loss) is False
    assert "Not what happened" in capsys.readouterr().out


@pytest.mark.parametrize("loss, outcome", [(0.001, "zero"), (42.0, "tens"), (185.0, "hundreds")])
def test_perfect_decoder_outcome_follows_the_number(loss, outcome):
    assert vh.exercises.check_perfect_decoder(outcome, loss) is True


@pytest.mark.parametrize(
    "answer, loss, hint",
    [
        ("low", 185.0, "one of"),
        ("zero", -1.0, "never negative"),
        ("zero", None, "perfect_loss: expected a finite number"),
    ],
)
def test_perfect_decoder_rejects_bad_input(answer, loss, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_perfect_decoder(answer, loss)


@pytest.mark.parametrize(
    "check, args",
    [
        (vh.exercises.check_training_steps, (1000, 128, 2)),
        (vh.exercises.check_perfect_decoder, (185.0,)),
    ],
)
def test_unanswered_exercises_print_a_nudge(check, args, capsys):
    check(None, *args)
    assert "not answered yet" in capsys.readouterr().out
