"""pretrained.py on a stand-in folder (the shipped models themselves are checked in test_pretrained.py)."""

import json

import keras
import numpy as np
import pytest

import vae_helpers as vh
from vae_helpers import pretrained


def write_model(folder, name, latent_dim=2, beta=2.0, info=None):
    vae = vh.build_vae(latent_dim, beta=beta, seed=0)
    vae.save_weights(folder / f"{name}.weights.h5")
    info = {"latent_dim": latent_dim, "beta": beta, "seed": 0} if info is None else info
    (folder / f"{name}.json").write_text(json.dumps(info))
    return vae


@pytest.fixture
def shelf(tmp_path, monkeypatch):
    """A pretrained folder holding one model "small" (reference architecture, beta 2) and its JSON."""
    monkeypatch.setattr(pretrained, "PRETRAINED_DIR", tmp_path)
    return write_model(tmp_path, "small")


def decoded(vae):
    return keras.ops.convert_to_numpy(
        vae.decode(np.linspace(-1, 1, 2 * vae.latent_dim, dtype="float32").reshape(2, vae.latent_dim))
    )


def test_list_load_and_info(shelf):
    assert vh.list_pretrained() == ["small"]
    loaded = vh.load_pretrained("small")
    assert isinstance(loaded, vh.VAE) and float(loaded.beta.numpy()) == 2.0
    np.testing.assert_array_equal(decoded(loaded), decoded(shelf))
    assert vh.pretrained_info("small") == {"latent_dim": 2, "beta": 2.0, "seed": 0}


def test_loads_into_a_session_that_already_built_other_models(shelf):
    for _ in range(3):  # layer name counters move on; the weights file does not depend on them
        vh.build_vae(16)
    np.testing.assert_array_equal(decoded(vh.load_pretrained("small")), decoded(shelf))


def test_a_run_folder_of_the_training_command_loads_too(tmp_path):
    vae = vh.build_vae(2, seed=0)
    vae.save_weights(tmp_path / "model.weights.h5")
    (tmp_path / "metrics.json").write_text(json.dumps({"latent_dim": 2, "beta": 1.0, "seed": 0}))
    np.testing.assert_array_equal(decoded(vh.load_pretrained(tmp_path)), decoded(vae))
    assert vh.pretrained_info(str(tmp_path))["beta"] == 1.0


def test_an_unfinished_run_folder_says_what_it_lacks(tmp_path):
    (tmp_path / "checkpoint").mkdir()
    with pytest.raises(
        ValueError,
        match=r"is not a finished training run: it lacks model.weights.h5 and "
        r"metrics.json",
    ):
        vh.load_pretrained(tmp_path)


@pytest.mark.parametrize("function", [vh.load_pretrained, vh.pretrained_info])
def test_unknown_name_lists_the_available_ones(shelf, function):
    with pytest.raises(ValueError, match=r"no pretrained model named 'fashion-latent3'; available: \['small'\]"):
        function("fashion-latent3")


def test_weights_of_another_architecture_are_refused_with_the_file_named(tmp_path, monkeypatch):
    monkeypatch.setattr(pretrained, "PRETRAINED_DIR", tmp_path)
    write_model(tmp_path, "mislabelled", latent_dim=16, info={"latent_dim": 2, "beta": 1.0})
    with pytest.raises(
        ValueError,
        match=r"mislabelled.weights.h5 does not hold the weights of "
        r"vh.build_vae\(latent_dim=2\)",
    ):
        vh.load_pretrained("mislabelled")


def test_a_json_without_the_architecture_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(pretrained, "PRETRAINED_DIR", tmp_path)
    write_model(tmp_path, "vague", info={"epochs": 3})
    with pytest.raises(ValueError, match="must record the model's latent_dim and beta"):
        vh.load_pretrained("vague")


def test_a_full_keras_archive_is_never_loaded(tmp_path, monkeypatch):
    # A .keras file can hold a Lambda layer, i.e. Python bytecode; only weight arrays are ever read.
    image = keras.Input((2,))
    keras.Model(image, keras.layers.Lambda(lambda t: t * 2)(image)).save(tmp_path / "unsafe.keras")
    (tmp_path / "unsafe.json").write_text(json.dumps({"latent_dim": 2, "beta": 1.0}))
    monkeypatch.setattr(pretrained, "PRETRAINED_DIR", tmp_path)
    assert vh.list_pretrained() == []
    with pytest.raises(ValueError, match="no pretrained model named 'unsafe'"):
        vh.load_pretrained("unsafe")


@pytest.mark.parametrize("name, free_bits", [("fashion-latent16-beta16-freebits", 0.5), ("fashion-latent2", 0.0)])
def test_a_shipped_model_is_rebuilt_with_the_free_bits_it_was_trained_with(name, free_bits):
    vae = vh.load_pretrained(name)
    assert float(vae.free_bits) == free_bits == float(vh.pretrained_info(name).get("free_bits") or 0.0)
