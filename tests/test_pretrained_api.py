"""pretrained.py on a stand-in folder (the shipped models themselves are checked in test_pretrained.py)."""

import json

import keras
import numpy as np
import pytest

import vae_helpers as vh
from vae_helpers import pretrained


@pytest.fixture
def shelf(tmp_path, monkeypatch, make_tiny_vae):
    """A pretrained folder holding one tiny model "tiny" and its JSON."""
    vae = make_tiny_vae(beta=2.0)
    vae.save(tmp_path / "tiny.keras")
    (tmp_path / "tiny.json").write_text(json.dumps({"epochs": 3, "latent_dim": 2}))
    monkeypatch.setattr(pretrained, "PRETRAINED_DIR", tmp_path)
    return vae


def test_list_load_and_info(shelf):
    assert vh.list_pretrained() == ["tiny"]
    loaded = vh.load_pretrained("tiny")
    assert isinstance(loaded, vh.VAE) and float(loaded.beta.numpy()) == 2.0
    z = np.zeros((1, 2), np.float32)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(loaded.decode(z)),
                                  keras.ops.convert_to_numpy(shelf.decode(z)))
    assert vh.pretrained_info("tiny") == {"epochs": 3, "latent_dim": 2}


@pytest.mark.parametrize("function", [vh.load_pretrained, vh.pretrained_info])
def test_unknown_name_lists_the_available_ones(shelf, function):
    with pytest.raises(ValueError, match=r"no pretrained model named 'fashion-latent3'; available: \['tiny'\]"):
        function("fashion-latent3")


def test_load_pretrained_refuses_unsafe_code(tmp_path, monkeypatch):
    # A model with a Lambda layer holds Python bytecode: safe_mode must refuse to run it.
    image = keras.Input((2,))
    model = keras.Model(image, keras.layers.Lambda(lambda t: t * 2)(image))
    model.save(tmp_path / "unsafe.keras")
    monkeypatch.setattr(pretrained, "PRETRAINED_DIR", tmp_path)
    with pytest.raises(ValueError, match="safe_mode"):
        vh.load_pretrained("unsafe")
