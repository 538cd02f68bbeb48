"""Checkers of notebook 01: the right answer passes, each typical mistake gets its own hint, None gets a nudge."""

import math

import numpy as np
import pytest

import vae_helpers as vh
from vae_helpers.exercises import ExerciseError


@pytest.fixture(scope="module")
def images():
    """20 small synthetic images: about half of the pixels are exactly 0, the rest uniform grey levels."""
    rng = np.random.default_rng(0)
    x = rng.random((20, 28, 28, 1))
    x[rng.random(x.shape) < 0.5] = 0.0
    return x.astype(np.float32)


def best_constant_loss(x):
    """Independent oracle: scan p on a fine grid for the lowest mean Bernoulli loss per image."""
    p = np.linspace(1e-4, 1 - 1e-4, 20_001)
    mean = x.astype(np.float64).mean()  # the loss is linear in x: its image mean only needs the mean pixel
    loss = -784 * (mean * np.log(p) + (1 - mean) * np.log(1 - p))
    return loss.min()


def test_constant_guess_accepts_the_loss_of_the_mean_pixel(images, capsys):
    mean = images.astype(np.float64).mean()
    answer = -784 * (mean * np.log(mean) + (1 - mean) * np.log(1 - mean))
    assert answer == pytest.approx(best_constant_loss(images), rel=1e-6)
    vh.exercises.check_constant_guess_loss(answer, images)
    assert "Correct!" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (lambda x, loss: x.mean(), "best probability p"),
    (lambda x, loss: loss / 784, "one pixel"),
    (lambda x, loss: loss / math.log(2), "bits"),
    (lambda x, loss: 784 * math.log(2), "p = 0.5"),
    (lambda x, loss: loss * 1.05, "not quite"),
    (lambda x, loss: [loss, loss], "single number"),
])
def test_constant_guess_mistakes_get_specific_hints(images, wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_constant_guess_loss(wrong(images, best_constant_loss(images)), images)


def test_training_steps_agree_with_the_real_pipeline(images, capsys):
    batches = list(vh.make_dataset(images, batch_size=8))  # 20 images -> 8 + 8 + 4
    answer = (3 * len(batches), len(batches[-1]))
    vh.exercises.check_training_steps(answer, len(images), batch_size=8, epochs=3)
    assert "Correct!" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    ((469, 96), "one epoch"),
    ((468 * 50, 96), "round up"),
    ((60_000 * 50, 96), "counts images"),
    ((23_000, 96), "not quite"),
    ((469 * 50, 128), "what is left"),
    ((469 * 50, 100), "last batch is not"),
    (23_450, "two numbers"),
])
def test_training_steps_mistakes_get_specific_hints(wrong, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_training_steps(wrong, 60_000, batch_size=128, epochs=50)


def test_training_steps_rejects_sizes_that_are_not_counts():
    with pytest.raises(ExerciseError, match="batch_size must be a positive integer"):
        vh.exercises.check_training_steps((1, 1), 60_000, batch_size=0, epochs=50)


def test_perfect_decoder_grades_the_prediction_against_the_measured_loss(capsys):
    x = np.full((2, 28, 28, 1), 0.3, np.float32)  # grey pixels: the floor is 784 * H(0.3) = 479 nats
    logits = np.log(x / (1 - x))
    loss = float(np.mean(vh.reconstruction_loss(x, logits)))
    assert loss == pytest.approx(-784 * (0.3 * np.log(0.3) + 0.7 * np.log(0.7)), rel=1e-4)
    assert vh.exercises.check_perfect_decoder("hundreds", loss) is True
    assert "Correct prediction" in capsys.readouterr().out
    assert vh.exercises.check_perfect_decoder(" Zero", loss) is False
    assert "Not what happened" in capsys.readouterr().out


@pytest.mark.parametrize("loss, outcome", [(0.001, "zero"), (42.0, "tens"), (185.0, "hundreds")])
def test_perfect_decoder_outcome_follows_the_number(loss, outcome):
    assert vh.exercises.check_perfect_decoder(outcome, loss) is True


@pytest.mark.parametrize("answer, loss, hint", [("low", 185.0, "one of"), ("zero", -1.0, "never negative"),
                                                ("zero", None, "perfect_loss: expected a finite number")])
def test_perfect_decoder_rejects_bad_input(answer, loss, hint):
    with pytest.raises(ExerciseError, match=hint):
        vh.exercises.check_perfect_decoder(answer, loss)


@pytest.mark.parametrize("check, args", [
    (vh.exercises.check_constant_guess_loss, (np.zeros((1, 28, 28, 1), np.float32),)),
    (vh.exercises.check_training_steps, (1000, 128, 2)),
    (vh.exercises.check_perfect_decoder, (185.0,)),
])
def test_unanswered_exercises_print_a_nudge(check, args, capsys):
    check(None, *args)
    assert "not answered yet" in capsys.readouterr().out
