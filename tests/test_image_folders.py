"""Notebook 10: image folders, any image shape through the helpers, the training command on a folder."""

import json

import numpy as np
import pytest
from PIL import Image

import vae_helpers as vh


def _snapshot(folder):
    return {p: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def patches(tmp_path_factory):
    return vh.write_sample_patches(tmp_path_factory.mktemp("patches"), size=32, n_per_image=15, seed=0)


def test_sample_patches_are_cut_from_the_photographs(patches):
    from sklearn.datasets import load_sample_images

    x, y, names = vh.load_image_folder(patches, size=32, color="rgb")
    assert x.shape == (30, 32, 32, 3) and x.dtype == np.float32 and names == ("china", "flower")
    assert list(np.bincount(y)) == [15, 15] and 0 <= x.min() and x.max() <= 1
    photo = load_sample_images().images[0]  # china.jpg: the first patch is a crop of it, exactly
    first = np.rint(x[0] * 255).astype(np.uint8)
    hits = [
        (r, c)
        for r in range(photo.shape[0] - 31)
        for c in range(photo.shape[1] - 31)
        if photo[r, c, 0] == first[0, 0, 0] and np.array_equal(photo[r : r + 32, c : c + 32], first)
    ]
    assert hits
    with pytest.raises(ValueError, match="never overwrites"):
        vh.write_sample_patches(patches, size=32, n_per_image=15)


def test_loader_reads_without_changing_anything(patches):
    before = _snapshot(patches)
    grey, _, _ = vh.load_image_folder(patches, size=(16, 12), color="grayscale")
    assert grey.shape == (30, 16, 12, 1)
    assert _snapshot(patches) == before


def test_loose_files_and_clear_errors(tmp_path):
    Image.fromarray(np.full((10, 10, 3), 255, np.uint8)).save(tmp_path / "a.png")
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(tmp_path / "b.jpg")
    x, y, names = vh.load_image_folder(tmp_path, size=8)
    assert x.shape == (2, 8, 8, 1) and y is None and names == ()
    np.testing.assert_allclose(x[0], 1.0) and np.testing.assert_allclose(x[1], 0.0, atol=0.02)
    (tmp_path / "c.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="c.png cannot be read"):
        vh.load_image_folder(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="is empty"):
        vh.load_image_folder(empty)
    (empty / "notes.txt").write_text("hi")
    with pytest.raises(ValueError, match="holds no PNG"):
        vh.load_image_folder(empty)
    with pytest.raises(ValueError, match="color must be"):
        vh.load_image_folder(tmp_path, color="cmyk")
    with pytest.raises(ValueError, match="size must be"):
        vh.load_image_folder(tmp_path, size=(0, 8))
    with pytest.raises(FileNotFoundError):
        vh.load_image_folder(tmp_path / "missing")


def test_bad_image_shapes_are_clear():
    for shape in ((30, 32, 3), (32, 32, 0), (32, 32)):
        with pytest.raises(ValueError, match="multiples of 4"):
            vh.build_vae(image_shape=shape)
    with pytest.raises(ValueError, match=r"shape \(N, 32, 32, 3\)"):
        vh.evaluate(vh.build_vae(2, image_shape=(32, 32, 3)), np.zeros((2, 28, 28, 1), np.float32))


def test_default_models_are_unchanged():
    vae = vh.build_vae()
    assert [(w.path, tuple(w.shape)) for w in vae.weights if "seed" not in w.path][:3] == [
        ("conv2d/kernel", (3, 3, 1, 32)),
        ("conv2d/bias", (32,)),
        ("conv2d_1/kernel", (3, 3, 32, 64)),
    ] or [tuple(w.shape) for w in vae.encoder.weights][:2] == [(3, 3, 1, 32), (32,)]
    assert vae.decoder.output.shape[1:] == (28, 28, 1) and vae.decoder.layers[1].units == 7 * 7 * 64
    assert vae.likelihood.name == "bernoulli" and set(vae.get_config()) == {
        "encoder",
        "decoder",
        "beta",
        "free_bits",
        "name",
    }
    with pytest.raises(ValueError, match=r"must have shape \(N, 28, 28, 1\) with N >= 1, got \(2, 28, 28\)\. It looks"):
        vh.validate_images(np.zeros((2, 28, 28), np.float32))
    model = vh.load_pretrained("fashion-latent2")
    assert model.encoder.inputs[0].shape[1:] == (28, 28, 1)


def test_rgb_model_trains_scores_and_decodes(patches):
    x, _, _ = vh.load_image_folder(patches, size=32, color="rgb")
    vae = vh.build_vae(4, image_shape=(32, 32, 3), likelihood="continuous_bernoulli", seed=0)
    assert vae.decoder.get_layer("logits").filters == 3 and vae.decoder.layers[1].units == 8 * 8 * 64
    history = vh.train(vae, x[:24], x[24:], epochs=1, batch_size=8, verbose=0)
    assert np.isfinite(history["loss"][0])
    assert np.isfinite(vh.evaluate(vae, x, seed=0)["neg_elbo"])
    assert vh.encode_means(vae, x).shape == (30, 4)
    assert vae.decode(np.zeros((2, 4), np.float32)).shape == (2, 32, 32, 3)
    grid = vh.latent_grid(vae, n=3)
    assert grid.shape == (96, 96, 3)
    np.testing.assert_allclose(grid[:32, :32], np.asarray(vae.decode(np.float32([[-2, 2, 0, 0]])))[0], atol=1e-5)
    assert vh.FastDecoder(vae)(np.zeros((1, 4), np.float32)).shape == (1, 32, 32, 3)
    import matplotlib.pyplot as plt

    plt.close(vh.plot_reconstructions(vae, x, n=3))
    plt.close(vh.show_images(x[:4]))


def test_training_command_on_a_folder(patches, tmp_path):
    from vae_helpers import cli

    out = tmp_path / "run"
    metrics = cli.main(
        [
            "--data-dir",
            str(patches),
            "--image-size",
            "32",
            "--color",
            "rgb",
            "--likelihood",
            "gaussian",
            "--epochs",
            "1",
            "--latent-dim",
            "4",
            "--batch-size",
            "16",
            "--out",
            str(out),
        ]
    )
    assert metrics["image_shape"] == [32, 32, 3] and metrics["likelihood"] == "gaussian"
    assert metrics["n_train"] + metrics["n_validation"] + metrics["evaluated_on"]["test"] == 30
    state = json.loads((out / "checkpoint" / "state.json").read_text())
    assert state["settings"]["data"] == str(patches.resolve()) and state["settings"]["color"] == "rgb"
    model = vh.load_pretrained(out)
    assert model.likelihood.name == "gaussian" and model.encoder.inputs[0].shape[1:] == (32, 32, 3)
    with pytest.raises(SystemExit):  # another size never resumes this run
        cli.main(
            [
                "--data-dir",
                str(patches),
                "--image-size",
                "16",
                "--color",
                "rgb",
                "--likelihood",
                "gaussian",
                "--epochs",
                "2",
                "--latent-dim",
                "4",
                "--batch-size",
                "16",
                "--out",
                str(out),
            ]
        )
    with pytest.raises(SystemExit):
        cli.parse_args(["--image-size", "32"])
    with pytest.raises(SystemExit):
        cli.parse_args(["--data-dir", str(patches), "--image-size", "30"])
