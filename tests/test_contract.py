"""One model contract (issue 24): every model kind gets every likelihood and image shape, each likelihood's
-log p(x|z) agrees with an independent oracle (scipy), and everything downstream (scores, explorers, the training
command) reads the model's own likelihood."""

import json
import math

import keras
import numpy as np
import pytest
import scipy.integrate
import scipy.stats
from keras import ops

import vae_helpers as vh
from vae_helpers import likelihoods
from vae_helpers.model_kinds import MODEL_KINDS

SHAPES = {"grey": (8, 8, 1), "colour": (8, 8, 3)}


def _np(t):
    return np.asarray(ops.convert_to_numpy(t), dtype=np.float64)


def _build(kind, likelihood, shape):
    keras.utils.set_random_seed(0)
    return MODEL_KINDS[kind].build(
        {
            "latent_dim": 2,
            "seed": 0,
            "image_shape": shape,
            "likelihood": likelihood,
            "gaussian_std": 0.2,
            "num_classes": 3,
        }
    )


def _score(model, x, y):
    if MODEL_KINDS[model_kind_of(model)].regularized:
        return vh.evaluate(model, x, seed=0, **({"labels": y} if model.is_conditional else {}))["neg_elbo"]
    return vh.reconstruction_error(model, x)


def model_kind_of(model) -> str:
    return {vh.VAE: "vae", vh.CVAE: "cvae", vh.Autoencoder: "autoencoder"}[type(model)]


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize("likelihood", likelihoods.LIKELIHOODS)
@pytest.mark.parametrize("kind", MODEL_KINDS)
def test_every_kind_with_every_likelihood_and_shape_trains_saves_loads_and_scores(kind, likelihood, shape, tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.uniform(0, 1, (6, *shape)).astype(np.float32), np.arange(6) % 3
    model = _build(kind, likelihood, shape)
    assert model.likelihood.name == likelihood and model.is_conditional == MODEL_KINDS[kind].conditional
    history = vh.train(model, x, epochs=1, batch_size=6, verbose=0, **({"y_train": y} if model.is_conditional else {}))
    assert np.isfinite(history["loss"][0])
    model.save_weights(tmp_path / "m.weights.h5")
    copy = type(model).from_config(model.get_config())
    copy.load_weights(tmp_path / "m.weights.h5")
    assert copy.likelihood.config() == model.likelihood.config()
    assert _score(copy, x, y) == pytest.approx(_score(model, x, y), abs=1e-4)


def test_bernoulli_against_scipy():
    rng = np.random.default_rng(1)
    x = rng.integers(0, 2, (3, 4, 4, 2)).astype(np.float32)
    logits = rng.normal(0, 3, x.shape).astype(np.float32)
    p = 1 / (1 + np.exp(-logits.astype(np.float64)))
    expected = -scipy.stats.bernoulli.logpmf(x, p)
    np.testing.assert_allclose(_np(likelihoods.Bernoulli().pixel_nll(x, logits)), expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(_np(likelihoods.Bernoulli().nll(x, logits)), expected.reshape(3, -1).sum(1), rtol=1e-4)


@pytest.mark.parametrize("std", [0.05, 0.2, 1.0])
def test_gaussian_against_scipy(std):
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 1, (3, 4, 4, 3)).astype(np.float32)
    logits = rng.normal(0, 2, x.shape).astype(np.float32)
    mean = 1 / (1 + np.exp(-logits.astype(np.float64)))
    expected = -scipy.stats.norm.logpdf(x, mean, std).reshape(3, -1).sum(1)
    np.testing.assert_allclose(_np(likelihoods.Gaussian(std).nll(x, logits)), expected, rtol=1e-4)


def test_continuous_bernoulli_against_a_density_normalised_by_scipy_quadrature():
    """CB(x; l) is proportional to exp(l x) on [0, 1]: normalised here by numerical integration."""
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 1, (2, 3, 3, 1)).astype(np.float32)
    logits = rng.normal(0, 4, x.shape).astype(np.float32)
    log_norm = np.vectorize(lambda logit: math.log(scipy.integrate.quad(lambda t: math.exp(logit * t), 0, 1)[0]))
    l64 = logits.astype(np.float64)
    expected = -(l64 * x - log_norm(l64)).reshape(2, -1).sum(1)
    np.testing.assert_allclose(_np(likelihoods.ContinuousBernoulli().nll(x, logits)), expected, rtol=1e-4, atol=1e-4)
    mean = np.vectorize(
        lambda logit: (
            scipy.integrate.quad(lambda t: t * math.exp(logit * t), 0, 1)[0]
            / scipy.integrate.quad(lambda t: math.exp(logit * t), 0, 1)[0]
        )
    )(l64)
    np.testing.assert_allclose(_np(likelihoods.ContinuousBernoulli().mean(logits)), mean, atol=1e-5)


@pytest.mark.parametrize("likelihood", likelihoods.LIKELIHOODS)
def test_samples_have_the_likelihoods_mean(likelihood):
    logits = np.tile(np.float32([-3.0, -0.5, 0.0, 1e-4, 2.0, 40.0]), (20_000, 1))  # (N, 6)
    model = likelihoods.likelihood_named(likelihood, gaussian_std=0.1)
    samples = _np(model.sample(logits, seed=0))
    np.testing.assert_allclose(samples.mean(0), _np(model.mean(logits))[0], atol=0.01)
    if likelihood != "gaussian":
        assert samples.min() >= 0 and samples.max() <= 1


def test_a_new_likelihood_is_one_class():
    class Laplace(likelihoods.Likelihood):
        name = "laplace"

        def _pixel_nll(self, x, logits):
            return math.log(2 * 0.1) + ops.abs(x - ops.sigmoid(logits)) / 0.1

    x = np.full((2, 4, 4, 1), 0.5, np.float32)
    logits = np.zeros((2, 4, 4, 1), np.float32)
    assert _np(Laplace().nll(x, logits)) == pytest.approx([16 * math.log(0.2)] * 2)
    vae = vh.build_vae(2, image_shape=(4, 4, 1), likelihood=Laplace())
    assert _np(vae.reconstruction_nll(x, logits)) == pytest.approx([16 * math.log(0.2)] * 2)


def test_the_cvae_and_the_vae_give_the_same_gaussian_term_for_the_same_decoder_output():
    rng = np.random.default_rng(4)
    x = rng.uniform(0, 1, (4, 8, 8, 3)).astype(np.float32)
    logits = rng.normal(0, 2, x.shape).astype(np.float32)
    vae = vh.build_vae(2, image_shape=(8, 8, 3), likelihood="gaussian", gaussian_std=0.3)
    cvae = vh.build_cvae(2, num_classes=3, image_shape=(8, 8, 3), likelihood="gaussian", gaussian_std=0.3)
    np.testing.assert_allclose(_np(cvae.reconstruction_nll(x, logits)), _np(vae.reconstruction_nll(x, logits)))
    np.testing.assert_allclose(
        _np(vae.reconstruction_nll(x, logits)),
        -scipy.stats.norm.logpdf(x, 1 / (1 + np.exp(-logits.astype(np.float64))), 0.3).reshape(4, -1).sum(1),
        rtol=1e-4,
    )


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize("likelihood", likelihoods.LIKELIHOODS)
def test_the_explorers_terms_are_the_scores_terms_for_the_same_image_and_z(likelihood, shape):
    from vae_helpers.explore import reconstruction_terms

    vae = _build("vae", likelihood, shape)
    x = np.random.default_rng(5).uniform(0, 1, (3, *shape)).astype(np.float32)
    zero_noise = np.zeros((3, 2), np.float32)  # z = z_mean, where the explorer decodes
    reconstruction, kl = (_np(t) for t in vae.per_image_losses(x, eps=zero_noise))  # what vh.evaluate sums
    for i in range(3):
        terms = reconstruction_terms(vae, x[i])
        assert terms["reconstruction_nats"] == pytest.approx(reconstruction[i], rel=1e-4, abs=1e-3)
        assert terms["kl_nats"] == pytest.approx(kl[i], rel=1e-5, abs=1e-6)
        assert terms["pixel_nats"].shape == shape[:2]
        assert terms["reconstruction"].shape == (shape[:2] if shape[2] == 1 else shape)


def test_the_reconstruction_explorer_shows_a_colour_model():
    vae = _build("vae", "gaussian", (8, 8, 3))
    x = np.random.default_rng(6).uniform(0, 1, (4, 8, 8, 3)).astype(np.float32)
    explorer = vh.explore_reconstruction(vae, x, np.arange(4) % 3)
    assert "reconstruction term" in explorer.children[-1].value


def test_the_training_command_trains_a_gaussian_cvae_with_free_bits_on_a_folder_of_classes(tmp_path):
    from PIL import Image

    from vae_helpers import cli

    rng = np.random.default_rng(7)
    for k, name in enumerate(("dark", "light", "striped")):
        (tmp_path / "data" / name).mkdir(parents=True)
        for i in range(10):
            image = np.clip(rng.normal(0.2 + 0.3 * k, 0.1, (8, 8, 3)), 0, 1)
            Image.fromarray((image * 255).astype(np.uint8)).save(tmp_path / "data" / name / f"{i:02d}.png")
    out = tmp_path / "run"
    metrics = cli.main(
        [
            "--model",
            "cvae",
            "--likelihood",
            "gaussian",
            "--free-bits",
            "0.25",
            "--data-dir",
            str(tmp_path / "data"),
            "--image-size",
            "8",
            "--color",
            "rgb",
            "--epochs",
            "1",
            "--batch-size",
            "8",
            "--precision",
            "float32",
            "--out",
            str(out),
        ]
    )
    assert (metrics["model"], metrics["likelihood"], metrics["free_bits"], metrics["num_classes"]) == (
        "cvae",
        "gaussian",
        0.25,
        3,
    )
    state = json.loads((out / "checkpoint" / "state.json").read_text())
    assert state["settings"]["free_bits"] == 0.25 and state["settings"]["model"] == "CVAE"
    model = vh.load_pretrained(out)
    assert isinstance(model, vh.CVAE) and model.num_classes == 3 and model.free_bits == 0.25
    assert model.likelihood.config() == {"likelihood": "gaussian", "gaussian_std": 0.1} and model.encoder.inputs[
        0
    ].shape[1:] == (8, 8, 3)


def test_a_conditional_run_on_a_folder_without_classes_says_how_to_fix_it(tmp_path):
    from PIL import Image

    from vae_helpers import cli

    (tmp_path / "flat").mkdir()
    for i in range(5):
        Image.fromarray(np.zeros((8, 8), np.uint8)).save(tmp_path / "flat" / f"{i}.png")
    with pytest.raises(SystemExit, match="no class subfolders"):
        cli.main(
            [
                "--model",
                "cvae",
                "--data-dir",
                str(tmp_path / "flat"),
                "--image-size",
                "8",
                "--quick",
                "--out",
                str(tmp_path / "run"),
            ]
        )
