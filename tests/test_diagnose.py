"""vh.diagnose: each code is triggered by a case built to show it and not by a healthy one; threshold edges; the
messages carry the numbers and a fix; the report renders; bad arguments get clear errors."""

import json
import math

import numpy as np
import pytest

import vae_helpers as vh
from vae_helpers.exercises.nb05_training import overfitting_history
from vae_helpers.training import NaNGuard

from vae_helpers import diagnosis as diagnosis_module


@pytest.fixture(scope="module")
def test_images():
    (_, _), (x_test, y_test) = vh.load_fashion_mnist()
    return x_test[:300], y_test[:300]


@pytest.fixture(scope="module")
def healthy():
    return vh.load_pretrained("fashion-latent2")


def falling_history(epochs=10, start=300.0, fall=0.0, gap=5.0):
    """A synthetic history whose losses fall by ``fall`` (a share of the loss) per epoch: nats per image."""
    loss = [start * (1 - fall) ** e for e in range(epochs)]
    return {
        "loss": loss,
        "reconstruction_loss": [v - 5 for v in loss],
        "kl_loss": [5.0] * epochs,
        "val_loss": [v + gap for v in loss],
        "val_reconstruction_loss": [v + gap - 5 for v in loss],
        "val_kl_loss": [5.0] * epochs,
    }


def finding(diagnosis, code):
    found = [f for f in diagnosis.findings if f.code == code]
    assert len(found) == 1, f"expected one {code} finding, got {diagnosis.codes}"
    return found[0]


def test_the_shipped_healthy_models_get_no_problem(healthy, test_images):
    x, y = test_images
    assert vh.diagnose(healthy, x).ok
    assert vh.diagnose(healthy, x, history=vh.pretrained_info("fashion-latent2")["history"]).ok
    assert vh.diagnose(vh.load_pretrained("fashion-cvae2"), x, labels=y).ok
    autoencoder = vh.diagnose(vh.load_pretrained("fashion-autoencoder2"), x)
    assert autoencoder.ok and "kl" not in autoencoder.measured  # no KL codes for a model without one


def test_pixels_in_0_255_twice_scaled_constant_or_nan_are_named_with_their_range_and_the_fix(healthy, test_images):
    x, _ = test_images
    for images, seen in (
        (x * 255, "[0, 255]"),
        ((x * 255).astype(np.uint8), "[0, 255]"),
        (x / 255, "twice"),
        (np.full_like(x, 0.5), "constant"),
        (np.where(x > 0.5, np.nan, x), "NaN"),
    ):
        result = vh.diagnose(healthy, images)
        pixel = finding(result, "pixel_range")
        assert pixel.severity == "problem" and seen in pixel.message and "Fix:" in pixel.message
        assert result.codes == ["pixel_range"]  # the model is not measured on such images
    assert "/ 255" in finding(vh.diagnose(healthy, x * 255), "pixel_range").message


def test_twice_scaled_threshold_edge(healthy, test_images):
    x, _ = test_images
    x = x / x.max()
    limit = diagnosis_module.TWICE_SCALED_MAX
    assert "pixel_range" in vh.diagnose(healthy, x * limit * 0.99).codes
    assert "pixel_range" not in vh.diagnose(healthy, x * limit * 1.01).codes


def test_nan_weights_and_nan_history_are_diverged(healthy, test_images):
    x, _ = test_images
    broken = vh.load_pretrained("fashion-latent2")
    weights = broken.get_weights()
    weights[0] = np.full_like(weights[0], np.nan)
    broken.set_weights(weights)
    result = vh.diagnose(broken, x)
    assert finding(result, "diverged").severity == "problem" and "learning rate" in result.findings[0].message
    history = falling_history(fall=0.01)
    history["loss"][6] = math.nan
    diverged = finding(vh.diagnose(healthy, x, history=history), "diverged")
    assert "epoch 7 (loss)" in diverged.message and diverged.evidence["nonfinite_history_epoch"] == {"loss": 7}
    assert "diverged" not in vh.diagnose(healthy, x, history=falling_history()).codes


def test_posterior_collapse_of_the_beta16_model_with_the_decoder_spread(test_images):
    x, _ = test_images
    collapse = finding(vh.diagnose(vh.load_pretrained("fashion-latent16-beta16"), x), "posterior_collapse")
    evidence = collapse.evidence
    assert collapse.severity == "problem" and max(evidence["kl_per_dimension"]) < diagnosis_module.ACTIVE_KL_NATS
    assert evidence["beta"] == 16 and "beta (now 16)" in collapse.message
    assert evidence["decoder_reacts"] is False and evidence["decoder_output_spread"] < 0.1 * evidence["data_spread"]
    assert "KLWarmup" in collapse.message and "summed over pixels" in collapse.message


def test_a_collapsed_encoder_in_front_of_a_working_decoder_is_told_apart(test_images):
    x, _ = test_images
    model = vh.load_pretrained("fashion-latent2")
    for name in ("z_mean", "z_log_var"):  # the encoder outputs the prior N(0, I) for every image
        layer = model.encoder.get_layer(name)
        layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
    collapse = finding(vh.diagnose(model, x), "posterior_collapse")
    assert collapse.evidence["total_kl"] == 0 and collapse.evidence["decoder_reacts"] is True
    assert "still reacts" in collapse.message
    # independent oracle: the decoder's output under prior samples does move
    z = np.random.default_rng(1).standard_normal((200, 2)).astype(np.float32)
    assert float(np.mean(np.std(np.asarray(model.decode(z)), axis=0))) > 0.05


def test_inactive_dimensions_is_a_note_naming_them_and_its_threshold_edge(healthy, test_images, monkeypatch):
    x, _ = test_images
    note = finding(vh.diagnose(vh.load_pretrained("fashion-latent16"), x), "inactive_dimensions")
    assert note.severity == "note" and note.evidence["active"] + len(note.evidence["inactive"]) == 16
    kl = vh.kl_per_dimension(healthy, x)  # the same numbers diagnose measures
    monkeypatch.setattr(diagnosis_module, "ACTIVE_KL_NATS", float(kl.min()) * 1.001)
    assert finding(vh.diagnose(healthy, x), "inactive_dimensions").evidence["inactive"] == [int(np.argmin(kl))]
    monkeypatch.setattr(diagnosis_module, "ACTIVE_KL_NATS", float(kl.min()) * 0.999)
    assert vh.diagnose(healthy, x).findings == []


def test_a_reconstruction_term_averaged_over_pixels_is_named(healthy, test_images):
    x, _ = test_images
    measured = vh.evaluate(healthy, x, seed=diagnosis_module.SEED)["reconstruction"]
    history = falling_history(epochs=3)
    for ratio, flagged in ((784, True), (28 * 1.01, True), (28 * 0.99, False), (1, False)):
        history["val_reconstruction_loss"] = [measured / ratio] * 3
        result = vh.diagnose(healthy, x, history=history)
        assert ("loss_per_pixel" in result.codes) == flagged, ratio
    history["val_reconstruction_loss"] = [measured / 784] * 3
    message = finding(vh.diagnose(healthy, x, history=history), "loss_per_pixel").message
    assert "784x" in message and "sum" in message and f"{measured:.1f}" in message


def test_a_gaussian_std_far_above_the_reconstruction_error_is_named(healthy, test_images):
    x, _ = test_images
    means = np.asarray(healthy.decode(vh.encode_means(healthy, x)))
    rms = float(np.sqrt(np.mean((x - means) ** 2)))  # the oracle: the reconstructions' RMS error

    def gaussian(std):
        return vh.VAE(healthy.encoder, healthy.decoder, likelihood="gaussian", gaussian_std=std)

    ratio = diagnosis_module.GAUSSIAN_STD_RATIO
    too_large = finding(vh.diagnose(gaussian(rms * ratio * 1.01), x), "gaussian_std_too_large")
    assert too_large.evidence["reconstruction_rms"] == pytest.approx(rms, rel=1e-3) and "blur" in too_large.message
    assert "gaussian_std_too_large" not in vh.diagnose(gaussian(rms * ratio * 0.99), x).codes
    assert "gaussian_std_too_large" not in vh.diagnose(gaussian(0.1), x).codes


@pytest.mark.parametrize("fall, flagged", [(0.01, True), (0.0011, True), (0.0009, False), (0.0, False), (-0.01, False)])
def test_still_improving_is_a_note_at_its_threshold(healthy, test_images, fall, flagged):
    x, _ = test_images
    result = vh.diagnose(healthy, x, history=falling_history(fall=fall))
    assert ("still_improving" in result.codes) == flagged
    if flagged:
        note = finding(result, "still_improving")
        assert note.severity == "note" and "train longer" in note.message and note.evidence["metric"] == "val_loss"


def test_overfitting_is_named_with_the_best_epoch(healthy, test_images):
    x, _ = test_images
    history = overfitting_history()
    best = int(np.argmin(history["val_loss"])) + 1
    found = finding(vh.diagnose(healthy, x, history=history), "overfitting")
    assert found.severity == "problem" and found.evidence["best_epoch"] == best
    assert f"epoch {best}" in found.message and "EarlyStopping" in found.message


def test_overfitting_edges(healthy, test_images):
    x, _ = test_images
    history = falling_history(epochs=10, fall=0.01)
    needed, threshold = diagnosis_module.OVERFITTING_EPOCHS, diagnosis_module.OVERFITTING_RISE
    for since, rise, flagged in (
        (needed, 2 * threshold, True),
        (needed - 1, 2 * threshold, False),
        (needed, 1.1 * threshold, True),
        (needed, 0.9 * threshold, False),
    ):
        val = list(history["val_loss"])
        best = len(val) - 1 - since
        val[best + 1 :] = [val[best] * (1 + rise)] * since  # the mean of the last epochs is best * (1 + rise)
        result = vh.diagnose(healthy, x, history={**history, "val_loss": val})
        assert ("overfitting" in result.codes) == flagged, (since, rise)
    val = list(history["val_loss"])
    val[-3:] = [val[-4] * 1.05] * 3
    rising_train = {**history, "val_loss": val, "loss": [300.0 + e for e in range(10)]}  # both rise: not overfitting
    assert "overfitting" not in vh.diagnose(healthy, x, history=rising_train).codes


def test_one_noisy_last_epoch_is_not_still_improving(healthy, test_images):
    x, _ = test_images
    history = falling_history(epochs=10)
    history["val_loss"][-1] *= 0.995  # a lucky last epoch on a plateau: 0.5 % below the others
    assert "still_improving" not in vh.diagnose(healthy, x, history=history).codes


def test_the_report_renders_as_text_markdown_and_json(test_images):
    x, _ = test_images
    result = vh.diagnose(vh.load_pretrained("fashion-latent16-beta16"), x, history=overfitting_history())
    assert [f.severity for f in result.findings] == sorted(
        (f.severity for f in result.findings), key=["problem", "note"].index
    )
    text = str(result)
    assert text.startswith("Diagnosis: 2 problem(s)") and "[problem] posterior_collapse:" in text
    assert (
        result._repr_markdown_().startswith("**Diagnosis: 2 problem(s)")
        and "* [problem] overfitting" in result._repr_markdown_()
    )
    dumped = json.loads(json.dumps(result.as_dicts(), allow_nan=False))
    assert {d["code"] for d in dumped} == {"posterior_collapse", "overfitting"}
    assert set(dumped[0]) == {"code", "severity", "message", "evidence"}
    assert str(vh.diagnose(vh.load_pretrained("fashion-latent2"), x)) == "Diagnosis: no problem found"


def test_at_most_max_images_are_scored(healthy):
    x = np.random.default_rng(0).uniform(size=(diagnosis_module.MAX_IMAGES + 7, 28, 28, 1)).astype(np.float32)
    assert vh.diagnose(healthy, x).measured["images_scored"] == diagnosis_module.MAX_IMAGES


def test_bad_arguments_get_clear_errors(healthy, test_images):
    x, y = test_images
    with pytest.raises(ValueError, match="whole model"):
        vh.diagnose(healthy.encoder, x)
    with pytest.raises(ValueError, match="channel axis"):
        vh.diagnose(healthy, x[..., 0])
    with pytest.raises(ValueError, match="history must be what vh.train returns"):
        vh.diagnose(healthy, x, history=[1.0, 2.0])
    with pytest.raises(ValueError, match="different lengths"):
        vh.diagnose(healthy, x, history={"loss": [1.0, 2.0], "val_loss": [1.0]})
    with pytest.raises(ValueError, match="'loss' is not a list of numbers"):
        vh.diagnose(healthy, x, history={"loss": ["a"]})
    with pytest.raises(ValueError, match="Drop labels="):
        vh.diagnose(healthy, x, labels=y)
    with pytest.raises(ValueError, match="pass labels="):
        vh.diagnose(vh.load_pretrained("fashion-cvae2"), x)


def test_the_nan_guard_points_to_the_diagnosis():
    with pytest.raises(vh.TrainingDivergedError, match="vh.diagnose"):
        NaNGuard().on_train_batch_end(3, {"loss": math.nan})
