"""KL warm-up callback (notebook 07): the beta schedule, its record in the history, resuming, input checks."""

import keras
import numpy as np
import pytest

import vae_helpers as vh


class BetaPerBatch(keras.callbacks.Callback):
    """Record the beta each training batch used (read after the batch, so after KLWarmup has set it)."""

    def __init__(self):
        super().__init__()
        self.betas = []

    def on_train_batch_end(self, batch, logs=None):
        self.betas.append(float(self.model.beta.numpy()))


def test_beta_rises_linearly_per_batch_then_stays_at_final_beta(images, make_tiny_vae):
    keras.utils.set_random_seed(0)
    vae = make_tiny_vae()
    recorder, warmup = BetaPerBatch(), vh.KLWarmup(warmup_epochs=2, final_beta=1.0)
    vh.train(vae, images, epochs=3, batch_size=16, verbose=0, callbacks=[warmup, recorder])
    steps_per_epoch, warmup_steps = 4, 8
    expected = [min(1.0, step / warmup_steps) for step in range(3 * steps_per_epoch)]
    np.testing.assert_allclose(recorder.betas, expected, atol=1e-6)
    # `betas` holds beta at the end of each epoch (the value of its last batch).
    np.testing.assert_allclose(warmup.betas, [expected[3], expected[7], expected[11]], atol=1e-6)
    assert float(vae.beta.numpy()) == pytest.approx(1.0)


def _callback_on_vae(vae, final_beta, steps):
    warmup = vh.KLWarmup(warmup_epochs=4, final_beta=final_beta)
    warmup.set_model(vae)
    warmup.set_params({"steps": steps, "epochs": 10})
    return warmup


def test_schedule_continues_when_training_resumes_at_a_later_epoch(make_tiny_vae):
    warmup = _callback_on_vae(make_tiny_vae(), final_beta=4.0, steps=10)
    warmup.on_epoch_begin(2)  # a resumed fit starts at initial_epoch=2
    warmup.on_train_batch_begin(5)
    assert float(warmup.model.beta.numpy()) == pytest.approx(4.0 * 2.5 / 4)
    warmup.on_epoch_begin(7)
    warmup.on_train_batch_begin(0)
    assert float(warmup.model.beta.numpy()) == pytest.approx(4.0)


def test_unknown_number_of_steps_gives_whole_epoch_steps(make_tiny_vae):
    warmup = _callback_on_vae(make_tiny_vae(), final_beta=1.0, steps=None)
    warmup.on_epoch_begin(1)
    warmup.on_train_batch_begin(7)
    assert float(warmup.model.beta.numpy()) == pytest.approx(0.25)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"warmup_epochs": 0}, "warmup_epochs"),
        ({"warmup_epochs": 2.5}, "warmup_epochs"),
        ({"warmup_epochs": 2, "final_beta": -1.0}, "final_beta"),
        ({"warmup_epochs": 2, "final_beta": "1"}, "final_beta"),
    ],
)
def test_invalid_arguments_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        vh.KLWarmup(**kwargs)


def test_model_without_beta_is_rejected_with_a_clear_message():
    warmup = vh.KLWarmup(warmup_epochs=2)
    warmup.set_model(keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)]))
    with pytest.raises(ValueError, match="beta"):
        warmup.on_train_begin()


def test_a_warmup_is_recorded_in_the_run_settings_and_a_resume_with_another_stops(images, make_tiny_vae, tmp_path):
    import json

    vh.train(
        make_tiny_vae(),
        images,
        epochs=1,
        batch_size=32,
        checkpoint_dir=tmp_path,
        verbose=0,
        callbacks=[vh.KLWarmup(warmup_epochs=3)],
    )
    assert json.loads((tmp_path / "state.json").read_text())["settings"]["kl_warmup_epochs"] == 3
    for callbacks, difference in (
        ([vh.KLWarmup(warmup_epochs=5)], "kl_warmup_epochs: 3 in the folder, 5 now"),
        ([], "kl_warmup_epochs: 3 in the folder, '(not given)' now"),
    ):
        with pytest.raises(vh.RunFolderError, match=difference.replace("(", r"\(").replace(")", r"\)")):
            vh.train(
                make_tiny_vae(),
                images,
                epochs=2,
                batch_size=32,
                checkpoint_dir=tmp_path,
                verbose=0,
                callbacks=callbacks,
            )
