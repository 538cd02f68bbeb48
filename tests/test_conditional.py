"""The conditional VAE (notebook 09): its wiring (the label enters both networks as a one-hot vector), its losses
against numpy, labels through the data pipeline and vh.train, scores, saving, the training command and the shipped
model."""

import json

import keras
import numpy as np
import pytest

import vae_helpers as vh
from vae_helpers import cli, pretrained
from vae_helpers.conditional import build_conditional_decoder, build_conditional_encoder
from vae_helpers.data import ImageBatches

from test_cli import run_command

RNG = np.random.default_rng(0)
IMAGES = RNG.uniform(size=(12, 28, 28, 1)).astype("float32")
LABELS = np.arange(12) % 10


@pytest.fixture(scope="module")
def cvae():
    keras.utils.set_random_seed(0)
    return vh.build_cvae(2, seed=0)


def softplus(x):
    return np.logaddexp(0.0, x)


def numpy_losses(model, x, labels, eps):
    """The per-image -log p(x|z, y) and KL(q(z|x, y) || N(0, I)) in nats, from the model's layer outputs with numpy
    arithmetic: concat([z, one_hot]) into the reference decoder's logits, Bernoulli NLL, closed-form KL."""
    one_hot = np.eye(10, dtype="float32")[labels]
    z_mean, z_log_var, _ = (np.asarray(t) for t in model.encoder([x, one_hot], training=False))
    z = z_mean + np.exp(0.5 * z_log_var) * eps
    logits_model = keras.Model(model.core_decoder.input, model.core_decoder.get_layer("logits").output)
    logits = np.asarray(logits_model(np.concatenate([z, one_hot], axis=1)), dtype="float64")
    nll = (softplus(logits) - x * logits).sum(axis=(1, 2, 3))
    kl = 0.5 * (np.exp(z_log_var) + z_mean**2 - 1.0 - z_log_var).sum(axis=1)
    return nll, kl


def test_both_networks_take_the_label(cvae):
    assert [tuple(t.shape[1:]) for t in cvae.encoder.inputs] == [(28, 28, 1), (10,)]
    assert [tuple(t.shape[1:]) for t in cvae.decoder.inputs] == [(2,), (10,)]
    assert tuple(cvae.core_decoder.inputs[0].shape[1:]) == (12,)  # the reference decoder of size D + K
    z_means = [np.asarray(cvae.encode(IMAGES[:1], [k])[0]) for k in (0, 7)]
    assert not np.allclose(*z_means), "the encoder ignores the label"
    z = np.zeros((1, 2), "float32")
    decoded = [np.asarray(cvae.decode(z, k)) for k in (0, 7)]
    assert not np.allclose(*decoded), "the decoder ignores the label"
    # the decoder reads exactly concat([z, one_hot(7)])
    direct = np.asarray(cvae.core_decoder(np.concatenate([z, np.eye(10, dtype="float32")[[7]]], axis=1)))
    np.testing.assert_allclose(decoded[1], direct, atol=1e-6)


def test_per_image_losses_match_numpy(cvae):
    eps = RNG.standard_normal((len(IMAGES), 2)).astype("float32")
    one_hot = np.eye(10, dtype="float32")[LABELS]
    reconstruction, kl = (np.asarray(t) for t in cvae.per_image_losses(IMAGES, one_hot, eps=eps))
    nll, kl_expected = numpy_losses(cvae, IMAGES, LABELS, eps)
    np.testing.assert_allclose(reconstruction, nll, rtol=1e-4)
    np.testing.assert_allclose(kl, kl_expected, rtol=1e-4, atol=1e-6)


def test_evaluate_with_labels_is_the_mean_of_the_numpy_losses_with_the_documented_noise(cvae):
    scores = vh.evaluate(cvae, IMAGES, batch_size=5, seed=3, labels=LABELS)
    eps = np.random.default_rng(3).standard_normal((len(IMAGES), 2), dtype=np.float32)
    nll, kl = numpy_losses(cvae, IMAGES, LABELS, eps)
    assert scores["reconstruction"] == pytest.approx(nll.mean(), rel=1e-4)
    assert scores["kl"] == pytest.approx(kl.mean(), rel=1e-4, abs=1e-6)
    assert scores["neg_elbo"] == pytest.approx(nll.mean() + kl.mean(), rel=1e-4)


def test_encode_means_and_class_grid_and_generate(cvae):
    codes = vh.encode_means(cvae, IMAGES, batch_size=5, labels=LABELS)
    np.testing.assert_allclose(codes, np.asarray(cvae.encode(IMAGES, LABELS)[0]), atol=1e-6)
    z = RNG.standard_normal((3, 2)).astype("float32")
    grid = vh.class_grid(cvae, z)
    assert grid.shape == (10, 3, 28, 28)
    np.testing.assert_allclose(grid[4, 2], np.asarray(cvae.decode(z[2:3], 4))[0, :, :, 0], atol=1e-6)
    images = cvae.generate(5, n=4, seed=1)
    assert images.shape == (4, 28, 28, 1) and 0 <= images.min() and images.max() <= 1
    np.testing.assert_array_equal(images, cvae.generate(5, n=4, seed=1))
    expected = np.asarray(cvae.decode(np.random.default_rng(1).standard_normal((4, 2), dtype=np.float32), 5))
    np.testing.assert_allclose(images, expected, atol=1e-6)


@pytest.mark.parametrize(
    "make_batches",
    [
        lambda x, y: ImageBatches(x, 7, shuffle=True, seed=1, labels=y),
        lambda x, y: vh.make_dataset(x, 7, shuffle=True, seed=1, labels=y),
    ],
    ids=["ImageBatches", "make_dataset"],
)
def test_labels_are_shuffled_together_with_their_images(make_batches):
    n = 40
    x = np.repeat((np.arange(n) / n).astype("float32"), 784).reshape(n, 28, 28, 1)  # image i holds the value i/n
    y = np.arange(n) % 10
    batches = make_batches(x, y)
    seen = []
    for images, labels in (batches[i] for i in range(len(batches))) if isinstance(batches, ImageBatches) else batches:
        index = np.rint(np.asarray(images)[:, 0, 0, 0] * n).astype(int)
        np.testing.assert_array_equal(np.asarray(labels), y[index])
        seen += list(index)
    assert sorted(seen) == list(range(n)) and seen != list(range(n))  # every image once, shuffled


def test_vh_train_learns_from_labels_and_resumes_only_with_the_same_model(tmp_path, fake_fashion_dir):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("VAE_DATA_DIR", str(fake_fashion_dir))
        (x, y), _ = vh.load_fashion_mnist()
    x, y = x[:512], y[:512]
    keras.utils.set_random_seed(1)
    model = vh.build_cvae(2, seed=1)
    history = vh.train(
        model,
        x[:448],
        x[448:],
        epochs=1,
        batch_size=64,
        checkpoint_dir=tmp_path,
        verbose=0,
        y_train=y[:448],
        y_val=y[448:],
    )
    history = vh.train(
        model,
        x[:448],
        x[448:],
        epochs=3,
        batch_size=64,
        checkpoint_dir=tmp_path,
        verbose=0,
        y_train=y[:448],
        y_val=y[448:],
    )
    assert len(history["loss"]) == 3 and history["loss"][-1] < history["loss"][0]
    assert set(history) == {
        "loss",
        "reconstruction_loss",
        "kl_loss",
        "val_loss",
        "val_reconstruction_loss",
        "val_kl_loss",
    }
    with pytest.raises(vh.RunFolderError, match="model: 'CVAE' in the folder, 'VAE' now"):
        vh.train(vh.build_vae(2), x[:448], x[448:], epochs=4, checkpoint_dir=tmp_path, verbose=0)


def test_save_and_load_round_trip_gives_the_same_model(cvae, tmp_path):
    cvae.beta.assign(0.5)
    try:
        cvae.save(tmp_path / "cvae.keras")
        loaded = keras.saving.load_model(tmp_path / "cvae.keras")
    finally:
        cvae.beta.assign(1.0)
    assert isinstance(loaded, vh.CVAE) and float(loaded.beta.numpy()) == 0.5
    z = RNG.standard_normal((4, 2)).astype("float32")
    np.testing.assert_allclose(
        np.asarray(loaded.decode(z, [1, 2, 3, 4])), np.asarray(cvae.decode(z, [1, 2, 3, 4])), atol=1e-6
    )


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda m: vh.train(m, IMAGES), "a CVAE needs each image's label: pass y_train="),
        (lambda m: vh.train(m, IMAGES, IMAGES, y_train=LABELS), r"a CVAE needs each image's label: pass y_val="),
        (lambda m: vh.train(vh.build_vae(2), IMAGES, y_train=LABELS), "y_train are for a conditional VAE"),
        (lambda m: vh.train(m, IMAGES, y_train=LABELS[:5]), r"y_train must hold one class index per image: 12 whole"),
        (lambda m: vh.evaluate(m, IMAGES), "pass labels="),
        (lambda m: vh.evaluate(vh.build_vae(2), IMAGES, labels=LABELS), "labels are for a conditional VAE"),
        (lambda m: vh.iwae_bound(m, IMAGES, 2), r"a CVAE needs each image's label: pass labels="),
        (lambda m: vh.encode_means(m, IMAGES), "labels= is needed for a conditional VAE"),
        (lambda m: m.decode(np.zeros((2, 2), "float32"), [1, 10]), r"whole numbers in 0..9.*got values 1..10"),
        (lambda m: m.decode(np.zeros((2, 3), "float32"), 1), r"z must have shape \(B, 2\)"),
        (lambda m: m.encode(IMAGES, [0.5] * 12), "whole numbers"),
        (lambda m: vh.make_dataset(IMAGES, labels=LABELS[:3]), "labels must hold one class index per image: 12"),
        (lambda m: vh.class_grid(vh.build_vae(2), np.zeros((1, 2))), "class_grid needs a vh.CVAE"),
        (lambda m: vh.CVAE(vh.build_encoder(2), build_conditional_decoder(2)), r"must take \[images, one-hot labels\]"),
        (lambda m: vh.CVAE(build_conditional_encoder(2), vh.build_decoder(2)), "must take \\[z, one-hot labels\\]"),
        (lambda m: vh.CVAE(build_conditional_encoder(3), build_conditional_decoder(2)), "must match"),
        (lambda m: m.batch_loss(IMAGES, training=False), "a CVAE trains on batches \\(images, labels\\)"),
        (lambda m: vh.FastDecoder(m), "this decoder takes 2 inputs .*Pass cvae.core_decoder"),
    ],
)
def test_bad_input_gets_clear_errors(cvae, call, message):
    with pytest.raises(ValueError, match=message):
        call(cvae)


def test_the_command_gives_a_cvae_every_option_of_a_vae():
    args = cli.parse_args(["--model", "cvae", "--data-dir", "x", "--free-bits", "1", "--likelihood", "gaussian"])
    assert (args.model, args.free_bits, args.likelihood) == ("cvae", 1.0, "gaussian")
    assert str(cli.parse_args(["--model", "cvae", "--beta", "2"]).out) == "runs/cvae2-beta2"


def test_a_quick_cvae_run_writes_a_model_that_loads_and_scores_what_it_says(fake_fashion_dir, tmp_path):
    out = tmp_path / "cvae"
    process = run_command(["--model", "cvae", "--quick", "--out", str(out)], fake_fashion_dir, tmp_path)
    assert process.returncode == 0, process.stderr[-3000:]
    metrics = json.loads((out / pretrained.RUN_METRICS).read_text())
    assert metrics["model"] == "cvae" and metrics["beta"] == 1.0 and metrics["num_classes"] == 10
    assert metrics["iwae_test"]["100"] <= metrics["iwae_test"]["1"] + 1.0  # IWAE given the labels, which tightens
    assert set(metrics["history"]) >= {"loss", "kl_loss", "val_loss"}
    model = vh.load_pretrained(out)
    assert isinstance(model, vh.CVAE)
    with pytest.MonkeyPatch.context() as patch:  # the run's test images and labels: the same fake folder
        patch.setenv("VAE_DATA_DIR", str(fake_fashion_dir))
        (_, _), (x_test, y_test) = vh.load_fashion_mnist()
    n = cli.QUICK["n_eval"]
    score = vh.evaluate(model, x_test[:n], seed=metrics["seed"], labels=y_test[:n])
    assert score["neg_elbo"] == pytest.approx(metrics["scores"]["test"]["neg_elbo"], abs=1e-2)
    wrong = vh.evaluate(model, x_test[:n], seed=metrics["seed"], labels=(y_test[:n] + 5) % 10)
    assert wrong["neg_elbo"] > score["neg_elbo"], "wrong labels should explain the images worse"


def test_style_transfer_checker_praises_the_right_picture_and_names_each_mistake(capsys):
    keras.utils.set_random_seed(2)
    cvae = vh.build_cvae(2, seed=0)  # untrained: its pictures hardly depend on z or y, so make both matter
    for layer in (cvae.core_decoder.layers[1], cvae.encoder.get_layer("z_mean")):
        kernel, bias = layer.get_weights()
        layer.set_weights([kernel * 30, bias])
    image, label, target = IMAGES[0], 7, 2
    z = vh.encode_means(cvae, image[None], labels=[label])
    vh.exercises.check_style_transfer(np.asarray(cvae.decode(z, target)), cvae, image, label, target)
    assert "Correct!" in capsys.readouterr().out
    vh.exercises.check_style_transfer(None, cvae, image, label, target)
    assert "not answered yet" in capsys.readouterr().out
    wrong = {
        "the image's own class": cvae.decode(z, label),
        f"encode the image with its own label \\({label}\\)": cvae.decode(
            vh.encode_means(cvae, image[None], labels=[target]), target
        ),
        "z = 0 decoded": cvae.decode(np.zeros((1, 2), "float32"), target),
        "not the expected picture": np.full((28, 28, 1), 0.5),
    }
    for hint, picture in wrong.items():
        with pytest.raises(vh.exercises.ExerciseError, match=hint):
            vh.exercises.check_style_transfer(np.asarray(picture), cvae, image, label, target)
    with pytest.raises(vh.exercises.ExerciseError, match="expected one decoded image"):
        vh.exercises.check_style_transfer(np.zeros((2, 28, 28, 1)), cvae, image, label, target)
