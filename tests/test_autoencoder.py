"""The plain autoencoder of notebook 08 (``vh.build_autoencoder``): its architecture against the VAE's, its loss
against the Bernoulli NLL computed by hand in numpy, training with ``vh.train``, save/load, the latent tools, the
shipped ``fashion-autoencoder2`` against a fresh evaluation, the training command's ``--model`` option, bad input,
and the checkers of notebook 08's exercises against computations that do not use their tables."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from keras import ops

import vae_helpers as vh
from vae_helpers import cli, pretrained
from vae_helpers.autoencoder import build_autoencoder_encoder
from vae_helpers.exercises import ExerciseError, nb08_autoencoder


def run_command(args, data_dir, cwd):
    """``python -m vae_helpers ARGS`` in a fresh process, reading Fashion-MNIST from ``data_dir``."""
    env = {**os.environ, "VAE_DATA_DIR": str(data_dir), "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [sys.executable, "-m", "vae_helpers", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=900
    )


RNG = np.random.default_rng(0)
IMAGES = RNG.random((16, 28, 28, 1)).astype(np.float32)
IMAGES[RNG.random(IMAGES.shape) < 0.5] = 0.0  # half background, half grey levels, like garments


def numpy_bernoulli_nll(x, p):
    """-sum over pixels of x log p + (1 - x) log(1 - p), per image, in float64: the oracle."""
    x, p = np.asarray(x, np.float64), np.asarray(p, np.float64)
    return -np.sum(x * np.log(p) + (1 - x) * np.log1p(-p), axis=(1, 2, 3))


@pytest.fixture(scope="module")
def autoencoder():
    return vh.build_autoencoder(latent_dim=2, seed=0)


def test_same_trunk_and_decoder_as_the_vae_one_deterministic_head(autoencoder):
    vae = vh.build_vae(2, seed=0)
    assert isinstance(autoencoder, vh.Autoencoder) and autoencoder.latent_dim == 2
    trunk = lambda encoder: [
        w.shape
        for layer in encoder.layers[:-1]
        if layer.name not in ("z_mean", "z_log_var", "z")
        for w in layer.weights
    ]
    assert trunk(autoencoder.encoder) == trunk(vae.encoder)
    assert [w.shape for w in autoencoder.decoder.weights] == [w.shape for w in vae.decoder.weights]
    assert len(autoencoder.encoder.outputs) == 1
    assert vae.encoder.count_params() - autoencoder.encoder.count_params() == 16 * 2 + 2  # the z_log_var head
    z = autoencoder.encode(IMAGES)
    assert tuple(z.shape) == (16, 2)
    np.testing.assert_array_equal(ops.convert_to_numpy(z), ops.convert_to_numpy(autoencoder.encode(IMAGES)))


def test_the_loss_is_the_bernoulli_nll_computed_by_hand(autoencoder):
    probabilities = ops.convert_to_numpy(autoencoder(IMAGES))  # (16, 28, 28, 1)
    expected = numpy_bernoulli_nll(IMAGES, probabilities)
    per_image = ops.convert_to_numpy(autoencoder.per_image_losses(IMAGES))
    np.testing.assert_allclose(per_image, expected, rtol=1e-4)
    for metric in autoencoder.metrics:
        metric.reset_state()
    loss = float(ops.convert_to_numpy(autoencoder.batch_loss((IMAGES,), training=False)))
    assert loss == pytest.approx(expected.mean(), rel=1e-4)
    assert {m.name: float(m.result()) for m in autoencoder.metrics} == pytest.approx(
        {"loss": expected.mean(), "reconstruction_loss": expected.mean()}, rel=1e-4
    )
    assert vh.reconstruction_error(autoencoder, IMAGES, batch_size=5) == pytest.approx(expected.mean(), rel=1e-4)


def test_reconstruction_error_of_a_vae_decodes_its_posterior_means():
    vae = vh.build_vae(2, seed=0)
    z_mean = ops.convert_to_numpy(vae.encoder(IMAGES)[0])
    expected = numpy_bernoulli_nll(IMAGES, ops.convert_to_numpy(vae.decoder(z_mean)))
    assert vh.reconstruction_error(vae, IMAGES) == pytest.approx(expected.mean(), rel=1e-4)
    np.testing.assert_allclose(vh.encode_means(vae, IMAGES, batch_size=3), z_mean, rtol=1e-5, atol=1e-6)


def test_latent_tools_take_the_autoencoder(autoencoder):
    codes = vh.encode_means(autoencoder, IMAGES, batch_size=3)
    np.testing.assert_allclose(codes, ops.convert_to_numpy(autoencoder.encode(IMAGES)), rtol=1e-5, atol=1e-6)
    grid = vh.latent_grid(autoencoder, n=3, span=1.0)
    corners = ops.convert_to_numpy(autoencoder.decode(np.array([[-1.0, 1.0]], np.float32)))[0, :, :, 0]
    assert grid.shape == (84, 84)
    np.testing.assert_allclose(grid[:28, :28], corners, atol=1e-5)  # top-left tile: z = (-1, +1)


def test_seed_fixes_the_initial_weights():
    first, second = vh.build_autoencoder(seed=7), vh.build_autoencoder(seed=7)
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)
    other = vh.build_autoencoder(seed=8)
    assert not np.array_equal(first.get_weights()[0], other.get_weights()[0])


def test_training_with_vh_train_lowers_the_loss():
    keras.utils.set_random_seed(0)
    model = vh.build_autoencoder(seed=0)
    history = vh.train(model, IMAGES.repeat(8, axis=0), IMAGES, epochs=3, batch_size=32, verbose=0)
    assert set(history) == {"loss", "reconstruction_loss", "val_loss", "val_reconstruction_loss"}
    assert history["loss"] == history["reconstruction_loss"]
    assert history["loss"][-1] < history["loss"][0]


def test_save_and_load_round_trip_gives_the_same_outputs(autoencoder, tmp_path):
    path = tmp_path / "autoencoder.keras"
    autoencoder.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, vh.Autoencoder)
    np.testing.assert_allclose(
        ops.convert_to_numpy(loaded(IMAGES)), ops.convert_to_numpy(autoencoder(IMAGES)), rtol=1e-5, atol=1e-6
    )


def test_load_pretrained_rebuilds_an_autoencoder_from_a_run_folder(autoencoder, tmp_path):
    autoencoder.save_weights(tmp_path / pretrained.RUN_WEIGHTS)
    (tmp_path / pretrained.RUN_METRICS).write_text(json.dumps({"model": "autoencoder", "latent_dim": 2, "seed": 0}))
    loaded = vh.load_pretrained(tmp_path)
    assert isinstance(loaded, vh.Autoencoder)
    np.testing.assert_allclose(vh.encode_means(loaded, IMAGES), vh.encode_means(autoencoder, IMAGES), rtol=1e-6)
    (tmp_path / pretrained.RUN_METRICS).write_text(json.dumps({"model": "gan", "latent_dim": 2}))
    with pytest.raises(ValueError, match="model 'gan' is none of 'vae', 'autoencoder' and 'cvae'"):
        vh.load_pretrained(tmp_path)
    (tmp_path / pretrained.RUN_METRICS).write_text(json.dumps({"model": "autoencoder", "latent_dim": 16}))
    with pytest.raises(ValueError, match=r"does not hold the weights of vh.build_autoencoder\(latent_dim=16\)"):
        vh.load_pretrained(tmp_path)


def test_the_shipped_model_scores_what_its_json_says():
    model = vh.load_pretrained("fashion-autoencoder2")
    info = vh.pretrained_info("fashion-autoencoder2")
    reference = vh.pretrained_info("fashion-latent2")
    assert isinstance(model, vh.Autoencoder) and info["model"] == "autoencoder"
    assert "--model autoencoder" in info["command"] and "--precision float32" in info["command"]
    for key in ("latent_dim", "epochs", "batch_size", "seed", "n_train", "n_validation", "training_precision"):
        assert info[key] == reference[key], key  # the same budget as fashion-latent2
    (_, _), (x_test, _) = vh.load_fashion_mnist()
    assert info["evaluated_on"]["test"] == len(x_test)
    fresh = vh.reconstruction_error(model, x_test)
    assert abs(fresh - info["scores"]["test"]["reconstruction"]) < 0.1


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: vh.Autoencoder(vh.build_encoder(2), vh.build_decoder(2)), "must be a keras.Model with one output"),
        (lambda: vh.Autoencoder("encoder", vh.build_decoder(2)), "got str"),
        (lambda: vh.Autoencoder(build_autoencoder_encoder(2), vh.build_encoder(2)), "layer named 'logits'"),
        (
            lambda: vh.Autoencoder(build_autoencoder_encoder(3), vh.build_decoder(2)),
            "code size 3 and decoder latent size 2 differ",
        ),
        (lambda: vh.build_autoencoder(latent_dim=0), "latent_dim must be a positive integer"),
        (lambda: vh.build_autoencoder(seed=-1), "seed must be None or an integer from 0 to 2"),
        (lambda: vh.build_autoencoder(seed=1.5), "seed must be None or an integer from 0 to 2"),
        (lambda: vh.build_autoencoder(dtype_policy="float8"), "dtype_policy must be None or one of"),
    ],
)
def test_bad_parts_and_arguments_get_clear_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_input_gets_clear_errors(autoencoder):
    with pytest.raises(ValueError, match=r"z must have shape \(B, 2\)"):
        autoencoder.decode(np.zeros((4, 3), np.float32))
    with pytest.raises(ValueError, match="must be a float tensor"):
        autoencoder.decode(np.zeros((4, 2), np.int32))
    with pytest.raises(ValueError):
        autoencoder.encode(np.zeros((4, 28, 28), np.float32))
    with pytest.raises(ValueError, match="needs a whole model"):
        vh.reconstruction_error(autoencoder.decoder, IMAGES)


def test_the_command_refuses_vae_options_for_an_autoencoder(capsys):
    with pytest.raises(SystemExit):
        cli.parse_args(["--model", "autoencoder", "--beta", "4", "--free-bits", "0.5"])
    assert "--beta 4, --free-bits 0.5: an autoencoder has no KL term" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.parse_args(["--model", "gan"])
    assert "invalid choice: 'gan' (choose from" in capsys.readouterr().err
    assert str(cli.parse_args(["--model", "autoencoder", "--latent-dim", "3"]).out) == "runs/autoencoder3"
    assert cli.parse_args([]).model == "vae"


def test_a_quick_autoencoder_run_writes_a_model_that_loads(fake_fashion_dir, tmp_path):
    out = tmp_path / "ae"
    process = run_command(["--model", "autoencoder", "--quick", "--out", str(out)], fake_fashion_dir, tmp_path)
    assert process.returncode == 0, process.stderr[-3000:]
    assert "test reconstruction error" in process.stdout
    metrics = json.loads((out / pretrained.RUN_METRICS).read_text())
    assert metrics["model"] == "autoencoder" and "iwae_test" not in metrics and "beta" not in metrics
    assert metrics["command"] == f"python -m vae_helpers --model autoencoder --quick --out {out}"
    assert set(metrics["history"]) == {"loss", "reconstruction_loss", "val_loss", "val_reconstruction_loss"}
    model = vh.load_pretrained(out)
    assert isinstance(model, vh.Autoencoder)
    with pytest.MonkeyPatch.context() as patch:  # the test images of the run: the same fake folder
        patch.setenv("VAE_DATA_DIR", str(fake_fashion_dir))
        (_, _), (x_test, _) = vh.load_fashion_mnist()
    score = vh.reconstruction_error(model, x_test[: cli.QUICK["n_eval"]])
    assert score == pytest.approx(metrics["scores"]["test"]["reconstruction"], abs=1e-3)


# ------------------------------------------------------------------------------------------- exercise checkers


def test_head_params_answer_is_what_keras_counts():
    extra = vh.build_encoder(2).count_params() - build_autoencoder_encoder(2).count_params()
    assert nb08_autoencoder.HEAD_PARAMS_TABLE.answer == extra


def test_image_nll_answer_is_the_package_loss_from_logits():
    x, p = IMAGES[0], np.clip(IMAGES[1], 0.05, 0.95)
    logits = np.log(p) - np.log1p(-p)
    expected = float(ops.convert_to_numpy(vh.reconstruction_loss(x[None], logits[None]))[0])
    assert nb08_autoencoder.image_nll_table(x, p).answer == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match="of the same shape"):
        nb08_autoencoder.image_nll_table(x, p[:27])
    with pytest.raises(ValueError, match=r"probabilities in \(0, 1\)"):
        nb08_autoencoder.image_nll_table(x, np.zeros_like(p))


CODES = np.random.default_rng(1).multivariate_normal([3.0, -5.0], [[4.0, 3.0], [3.0, 9.0]], size=2_000)


def test_code_gaussian_praises_draws_from_the_fitted_gaussian(capsys):
    draws = np.random.default_rng(2).multivariate_normal(CODES.mean(axis=0), np.cov(CODES.T), size=1_000)
    vh.exercises.check_code_gaussian(draws, CODES)
    assert capsys.readouterr().out.startswith("Exercise 3 (a Gaussian fitted to the codes): Correct!")
    vh.exercises.check_code_gaussian(None, CODES)
    assert "not answered yet" in capsys.readouterr().out


@pytest.mark.parametrize(
    "draw, hint",
    [
        (lambda rng, mean, cov: rng.standard_normal((1_000, 2)), "look like draws from N(0, I)"),
        (lambda rng, mean, cov: rng.multivariate_normal(mean, np.diag(np.diag(cov)), 1_000), "no correlation"),
        (
            lambda rng, mean, cov: rng.multivariate_normal(mean, np.diag(np.sqrt(np.diag(cov))), 1_000),
            "standard deviations used as a covariance",
        ),
        (lambda rng, mean, cov: rng.multivariate_normal(0 * mean, cov, 1_000), "add codes.mean"),
        (lambda rng, mean, cov: rng.multivariate_normal(mean, cov, 100), "draw at least 1,000 points"),
        (lambda rng, mean, cov: rng.multivariate_normal(mean, cov, 1_000)[:, :1], "expected an array of shape (M, 2)"),
        (lambda rng, mean, cov: rng.multivariate_normal(mean, 2 * cov, 1_000), "is not the codes'"),
    ],
)
def test_code_gaussian_names_each_mistake(draw, hint):
    samples = draw(np.random.default_rng(3), CODES.mean(axis=0), np.cov(CODES.T))
    with pytest.raises(ExerciseError) as error:
        vh.exercises.check_code_gaussian(samples, CODES)
    assert hint in str(error.value)


def test_code_gaussian_refuses_codes_that_are_not_a_cloud():
    with pytest.raises(ValueError, match=r"shape \(N, D\)"):
        vh.exercises.check_code_gaussian(CODES, CODES[0])
