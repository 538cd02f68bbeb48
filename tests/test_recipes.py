"""recipes.py and recipe= in vh.train: the fast recipe's schedule against its formula, its bfloat16 version, its
resume, its errors; the fused decoder that the time-to-quality benchmark measures computes the same gradients as
the plain one."""

import math

import keras
import numpy as np
import pytest
from keras import ops

import vae_helpers as vh
from vae_helpers import cli
from vae_helpers.fast_decoding import decoder_forward
from vae_helpers.recipes import BFLOAT16_RECIPES, RECIPES, recipe_named, steps_per_epoch

from conftest import crossed_bars, only_on

X_TRAIN = crossed_bars(96, seed=3)  # 3 steps of 32 per epoch
BATCH = 32


def expected_rate(step: int, total: int, warmup: int, peak: float) -> float:
    """Linear warm-up from 0 to ``peak`` over ``warmup`` steps, then half a cosine down to 0 at ``total``."""
    if step < warmup:
        return peak * step / warmup
    return 0.5 * peak * (1 + math.cos(math.pi * (step - warmup) / (total - warmup)))


def test_fast_schedule_follows_warmup_and_cosine():
    recipe = RECIPES["fast"]
    per_epoch, epochs = 10, 4
    schedule = recipe.learning_rate_schedule(per_epoch, epochs)
    warmup = round(recipe.warmup_epochs * per_epoch)
    for step in range(per_epoch * epochs + 1):
        expected = expected_rate(step, per_epoch * epochs, warmup, recipe.learning_rate)
        assert float(ops.convert_to_numpy(schedule(step))) == pytest.approx(expected, rel=1e-5, abs=1e-9), step


def test_reference_recipe_is_the_tutorials():
    reference = RECIPES["reference"]
    assert (reference.epochs, reference.batch_size, reference.learning_rate) == (50, 128, 1e-3)
    assert reference.learning_rate_schedule(430, 50) == 1e-3  # a constant rate, as compile(optimizer="adam")
    assert reference.run_settings(50) == {}  # old reference run folders keep resuming


def test_unknown_recipe_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown recipe 'quick'.*'reference', 'fast'"):
        recipe_named("quick")
    with pytest.raises(ValueError, match="unknown recipe"):
        vh.train(vh.build_vae(seed=0), X_TRAIN, epochs=1, recipe="quick", verbose=0)
    with pytest.raises(SystemExit):
        cli.parse_args(["--recipe", "quick"])


def test_cli_defaults_come_from_the_recipe_for_the_training_precision():
    for precision, recipe in (("float32", RECIPES["fast"]), ("mixed_bfloat16", BFLOAT16_RECIPES["fast"])):
        fast = cli.apply_recipe(cli.parse_args(["--recipe", "fast", "--precision", precision]), precision)
        assert (fast.epochs, fast.batch_size, fast.learning_rate) == (
            recipe.epochs,
            recipe.batch_size,
            recipe.learning_rate,
        )
    reference = cli.apply_recipe(cli.parse_args([]), "mixed_bfloat16")  # the reference has no bfloat16 version
    assert (reference.recipe, reference.epochs, reference.batch_size, reference.learning_rate) == (
        "reference",
        50,
        128,
        1e-3,
    )
    given = ["--recipe", "fast", "--epochs", "7", "--batch-size", "64", "--learning-rate", "1e-3"]
    mine = cli.apply_recipe(cli.parse_args(given), "mixed_bfloat16")
    assert (mine.epochs, mine.batch_size, mine.learning_rate) == (7, 64, 1e-3)  # what is given wins


def test_a_recipe_fills_only_the_values_not_given():
    fast = RECIPES["fast"]
    assert fast.filled() == (fast.epochs, fast.batch_size, fast.learning_rate)
    assert fast.filled(None, 64, None) == (fast.epochs, 64, fast.learning_rate)
    assert fast.filled(3, None, 2e-3) == (3, fast.batch_size, 2e-3)


def test_the_fast_recipe_in_bfloat16_doubles_the_batch_and_the_peak():
    """Goyal et al.'s linear scaling rule: twice the images per step, twice the rate; the same schedule's shape
    (each version's number of epochs is its own, measured)."""
    plain, bfloat16 = recipe_named("fast"), recipe_named("fast", "mixed_bfloat16")
    assert bfloat16 is BFLOAT16_RECIPES["fast"] and plain is RECIPES["fast"]
    assert (bfloat16.batch_size, bfloat16.learning_rate) == (2 * plain.batch_size, 2 * plain.learning_rate)
    assert (bfloat16.name, bfloat16.decay, bfloat16.warmup_epochs) == (plain.name, plain.decay, plain.warmup_epochs)
    for other in ("float32", "mixed_float16"):
        assert recipe_named("fast", other) is plain
    assert recipe_named("reference", "mixed_bfloat16") is RECIPES["reference"]


def test_train_picks_the_recipe_of_the_models_precision(tmp_path):
    vae = vh.build_vae(seed=0, dtype_policy="mixed_bfloat16")
    vh.train(vae, X_TRAIN, epochs=1, recipe="fast", checkpoint_dir=tmp_path, verbose=0)
    settings = vh.read_state(tmp_path)["settings"]
    assert (settings["batch_size"], settings["peak_learning_rate"]) == (
        BFLOAT16_RECIPES["fast"].batch_size,
        BFLOAT16_RECIPES["fast"].learning_rate,
    )


def test_fast_recipe_needs_an_uncompiled_model():
    vae = vh.build_vae(seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    with pytest.raises(ValueError, match="compiled already.*recipe='reference'"):
        vh.train(vae, X_TRAIN, epochs=1, batch_size=BATCH, recipe="fast", verbose=0)


class StopInEpoch(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def fast_run(folder, epochs, **options):
    """``vh.train`` of a fresh tiny-data VAE with the fast recipe, checkpointed in ``folder``; its history."""
    return vh.train(
        vh.build_vae(seed=0),
        X_TRAIN,
        epochs=epochs,
        batch_size=BATCH,
        recipe="fast",
        checkpoint_dir=folder,
        verbose=0,
        **options,
    )


def test_a_resumed_fast_run_continues_its_schedule(tmp_path):
    epochs = 3
    uninterrupted = fast_run(tmp_path / "whole", epochs)
    whole_rates = vh.read_state(tmp_path / "whole")["learning_rates"]
    with pytest.raises(KeyboardInterrupt):
        fast_run(tmp_path / "cut", epochs, callbacks=[StopInEpoch(1)])
    assert vh.read_state(tmp_path / "cut")["epochs_done"] == 1
    resumed = fast_run(tmp_path / "cut", epochs)
    resumed_rates = vh.read_state(tmp_path / "cut")["learning_rates"]
    steps = steps_per_epoch(len(X_TRAIN), BATCH)
    expected = [
        expected_rate(steps * (e + 1), steps * epochs, steps, RECIPES["fast"].learning_rate) for e in range(epochs)
    ]
    np.testing.assert_allclose(resumed_rates, whole_rates, rtol=1e-6)
    np.testing.assert_allclose(whole_rates, expected, rtol=1e-5, atol=1e-9)
    assert whole_rates[-1] < 1e-9  # the cosine ends at 0
    assert len(resumed["loss"]) == len(uninterrupted["loss"]) == epochs


def test_a_fast_run_never_resumes_with_another_schedule(tmp_path):
    fast_run(tmp_path, epochs=2)
    with pytest.raises(vh.RunFolderError, match="schedule_epochs"):
        fast_run(tmp_path, epochs=4)


@only_on("tensorflow")
def test_fused_decoder_has_the_plain_decoders_outputs_and_gradients():
    """The benchmark's fused-decoder lever trains through fast_decoding.decoder_forward: the same logits and the
    same gradients with respect to z and every weight as the plain decoder (float32, random weights)."""
    import tensorflow as tf

    vae = vh.build_vae(latent_dim=3, seed=5)
    plain, fused = vae.decoder_logits, decoder_forward(vae.decoder_logits)
    z = tf.constant(np.random.default_rng(0).normal(size=(6, 3)).astype("float32"))
    target = np.random.default_rng(1).uniform(size=(6, 28, 28, 1)).astype("float32")

    def gradients(forward):
        with tf.GradientTape() as tape:
            tape.watch(z)
            logits = forward(z)
            loss = tf.reduce_sum(tf.square(tf.sigmoid(logits) - target))
        return logits, tape.gradient(loss, [z, *plain.trainable_variables])

    (plain_logits, plain_gradients), (fused_logits, fused_gradients) = gradients(plain), gradients(fused)
    np.testing.assert_allclose(fused_logits.numpy(), plain_logits.numpy(), atol=2e-5)
    assert len(fused_gradients) == len(plain.trainable_variables) + 1
    for a, b in zip(plain_gradients, fused_gradients):
        assert b is not None
        np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-4, atol=1e-5)
