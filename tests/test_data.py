"""data.py: local-first loading with clear errors (synthetic IDX files only), image validation, tf.data pipeline."""

import gzip
import shutil

import keras
import numpy as np
import pytest

import vae_helpers as vh
from vae_helpers import data

from conftest import class_templates, write_idx

FILE_NAMES = sorted(data.FILES)


def snapshot(folder):
    """Every file of ``folder`` with its bytes and modification time (to prove nothing was touched)."""
    return {path.name: (path.read_bytes(), path.stat().st_mtime_ns) for path in sorted(folder.iterdir())}


@pytest.fixture
def fake_copy(fake_fashion_dir, tmp_path):
    """A private copy of the synthetic data folder that a test may damage."""
    return shutil.copytree(fake_fashion_dir, tmp_path / "copy")


def test_loads_from_the_folder_in_vae_data_dir_without_touching_it(fake_fashion_dir, monkeypatch):
    monkeypatch.setenv("VAE_DATA_DIR", str(fake_fashion_dir))
    before = snapshot(fake_fashion_dir)
    (x_train, y_train), (x_test, y_test) = vh.load_fashion_mnist(download=False)
    assert x_train.shape == (60_000, 28, 28, 1) and x_test.shape == (10_000, 28, 28, 1)
    assert x_train.dtype == x_test.dtype == np.float32
    assert y_train.shape == (60_000,) and y_test.shape == (10_000,) and y_train.dtype == np.int64
    np.testing.assert_array_equal(y_test, np.arange(10_000) % 10)
    templates = class_templates() / 255.0
    np.testing.assert_array_equal(x_train[:20, :, :, 0], templates[np.arange(20) % 10])  # values in [0, 1]
    np.testing.assert_array_equal(x_test[-10:, :, :, 0], templates)
    assert snapshot(fake_fashion_dir) == before


def test_data_dir_argument_wins_over_the_environment(fake_fashion_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("VAE_DATA_DIR", str(tmp_path / "nowhere"))
    (_, y_train), _ = vh.load_fashion_mnist(data_dir=fake_fashion_dir, download=False)
    assert y_train[:3].tolist() == [0, 1, 2]


def test_missing_folder_names_it_and_gives_three_fixes(monkeypatch, tmp_path):
    folder = tmp_path / "typo"
    monkeypatch.setenv("VAE_DATA_DIR", str(folder))
    with pytest.raises(vh.DataNotFoundError) as info:
        vh.load_fashion_mnist()
    message = str(info.value)
    assert str(folder) in message and "$VAE_DATA_DIR" in message
    for fix in (
        "1. Debian/Ubuntu",
        "sudo apt-get install dataset-fashion-mnist",
        "2. put the four files",
        "export VAE_DATA_DIR=",
        "3. with internet access",
    ):
        assert fix in message
    assert isinstance(info.value, FileNotFoundError)
    assert not folder.exists()  # the loader does not create folders


def test_folder_with_a_missing_file_lists_it(fake_copy, monkeypatch):
    (fake_copy / "t10k-labels-idx1-ubyte.gz").unlink()
    monkeypatch.setenv("VAE_DATA_DIR", str(fake_copy))
    with pytest.raises(vh.DataNotFoundError, match=r"is missing \['t10k-labels-idx1-ubyte.gz'\]"):
        vh.load_fashion_mnist()


@pytest.fixture
def nowhere(monkeypatch, tmp_path):
    """No $VAE_DATA_DIR, an empty system folder and an empty Keras cache."""
    monkeypatch.delenv("VAE_DATA_DIR", raising=False)
    monkeypatch.setattr(data, "SYSTEM_DATA_DIR", tmp_path / "system")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    return tmp_path


def test_not_found_anywhere_lists_where_it_looked(nowhere):
    with pytest.raises(vh.DataNotFoundError) as info:
        vh.load_fashion_mnist(download=False)
    message = str(info.value)
    for place in ("$VAE_DATA_DIR (unset)", str(nowhere / "system"), str(nowhere / "keras-home" / "datasets")):
        assert place in message
    assert "download=False" in message and "3. with internet access" in message


def test_failed_download_says_why(nowhere, monkeypatch):
    def offline():
        raise OSError("network is unreachable")

    monkeypatch.setattr(data, "_download_with_keras", offline)
    with pytest.raises(vh.DataNotFoundError, match=r"Keras' download failed \(OSError: network is unreachable\)"):
        vh.load_fashion_mnist(download=True)


def test_system_folder_is_used_when_no_variable_is_set(nowhere, fake_fashion_dir, monkeypatch):
    monkeypatch.setattr(data, "SYSTEM_DATA_DIR", fake_fashion_dir)
    monkeypatch.setattr(data, "_read_folder", lambda folder: folder)  # the reading itself is tested above
    monkeypatch.setattr(data, "_download_with_keras", lambda: pytest.fail("must not download"))
    assert data._find_raw(None, download=True) == fake_fashion_dir


def test_truncated_file_is_named_and_left_in_place(fake_copy, monkeypatch):
    path = fake_copy / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    before = snapshot(fake_copy)
    monkeypatch.setenv("VAE_DATA_DIR", str(fake_copy))
    with pytest.raises(vh.CorruptDataError, match="train-images-idx3-ubyte.gz is not a readable gzip file") as info:
        vh.load_fashion_mnist()
    assert str(path) in str(info.value) and "truncated" in str(info.value) and "nothing was deleted" in str(info.value)
    assert snapshot(fake_copy) == before
    assert isinstance(info.value, ValueError)


def test_file_that_is_not_gzip_is_reported(fake_copy):
    path = fake_copy / "train-labels-idx1-ubyte.gz"
    path.write_bytes(b"<html>404 Not Found</html>")
    with pytest.raises(vh.CorruptDataError, match="train-labels-idx1-ubyte.gz is not a readable gzip file"):
        vh.load_fashion_mnist(data_dir=fake_copy)


@pytest.mark.parametrize(
    "magic, array, fragment",
    [
        (2051, np.zeros(60_000, np.uint8), "expected magic 2049 .* found magic 2051"),  # images header on labels
        (2049, np.zeros(59_999, np.uint8), r"shape \(60000,\) .* found magic 2049, shape \(59999,\)"),
    ],
)
def test_wrong_header_or_count_is_reported(fake_copy, magic, array, fragment):
    write_idx(fake_copy / "train-labels-idx1-ubyte.gz", magic, array)
    with pytest.raises(vh.CorruptDataError, match=fragment):
        vh.load_fashion_mnist(data_dir=fake_copy)


def test_extra_bytes_are_reported(fake_copy):
    path = fake_copy / "train-labels-idx1-ubyte.gz"
    with gzip.open(path, "rb") as f:
        raw = f.read()
    with gzip.open(path, "wb") as f:
        f.write(raw + b"\0")
    with pytest.raises(vh.CorruptDataError, match="60001 bytes"):
        vh.load_fashion_mnist(data_dir=fake_copy)


def test_labels_out_of_range_are_reported_with_the_file(fake_copy):
    labels = (np.arange(10_000) % 10).astype(np.uint8)
    labels[123] = 10
    write_idx(fake_copy / "t10k-labels-idx1-ubyte.gz", 2049, labels)
    with pytest.raises(vh.CorruptDataError, match=r"t10k-labels-idx1-ubyte.gz: labels must be in 0..9, found 0..10"):
        vh.load_fashion_mnist(data_dir=fake_copy)


def test_read_idx_returns_the_stored_array(tmp_path):
    array = np.arange(3 * 28 * 28, dtype=np.uint64).astype(np.uint8).reshape(3, 28, 28)
    write_idx(tmp_path / "x.gz", 2051, array)
    np.testing.assert_array_equal(data.read_idx(tmp_path / "x.gz", 2051, (3, 28, 28)), array)


def test_class_names():
    assert len(vh.CLASS_NAMES) == 10 and vh.CLASS_NAMES[0] == "T-shirt/top" and vh.CLASS_NAMES[9] == "Ankle boot"


# ---- validate_images ----


def test_validate_images_accepts_and_converts(images):
    out = vh.validate_images(images.astype(np.float64))
    assert out.dtype == np.float32 and out.shape == images.shape
    np.testing.assert_array_equal(out, images)
    assert vh.validate_images(images.tolist()).shape == images.shape


@pytest.mark.parametrize(
    "x, fragment",
    [
        (np.zeros((5, 28, 28), np.float32), r"must have shape \(N, 28, 28, 1\).*got \(5, 28, 28\).*x\[\.\.\., None\]"),
        (np.zeros((28, 28, 1), np.float32), r"single image: pass x\[None\]"),
        (np.zeros((5, 28, 28, 3), np.float32), r"got \(5, 28, 28, 3\)"),
        (np.zeros((5, 32, 32, 1), np.float32), r"got \(5, 32, 32, 1\)"),
        (np.zeros((0, 28, 28, 1), np.float32), "N >= 1"),
        (np.zeros((2, 28, 28, 1), np.uint8), r"got dtype uint8\. Fix: x\.astype\('float32'\) / 255"),
        (np.full((2, 28, 28, 1), 255.0), r"values must lie in \[0, 1\].*got range \[255.0, 255.0\].*divide"),
        (np.full((2, 28, 28, 1), -0.5), r"got range \[-0.5, -0.5\]"),
        (np.full((2, 28, 28, 1), np.nan), r"values must lie in \[0, 1\]"),
        (np.full((2, 28, 28, 1), np.inf), r"values must lie in \[0, 1\]"),
    ],
)
def test_validate_images_rejects_bad_input(x, fragment):
    with pytest.raises(ValueError, match=fragment):
        vh.validate_images(x)


def test_validate_images_uses_the_given_name():
    with pytest.raises(ValueError, match=r"^x_test must have shape"):
        vh.validate_images(np.zeros((3, 3)), name="x_test")


# ---- make_dataset ----


def numbered_images(n):
    """n blank images whose pixel (0, 0) holds i / n, so a batch tells which images it contains."""
    x = np.zeros((n, 28, 28, 1), np.float32)
    x[:, 0, 0, 0] = np.arange(n) / n
    return x


def order(dataset, n):
    return np.concatenate([np.rint(np.asarray(batch)[:, 0, 0, 0] * n).astype(int) for batch in dataset])


def test_make_dataset_batches_every_image_once():
    x = numbered_images(50)
    dataset = vh.make_dataset(x, batch_size=16)
    shapes = [tuple(batch.shape) for batch in dataset]
    assert shapes == [(16, 28, 28, 1)] * 3 + [(2, 28, 28, 1)]
    assert sorted(order(dataset, 50)) == list(range(50))
    assert next(iter(dataset)).dtype.name == "float32"


def test_make_dataset_order_depends_only_on_the_seed():
    x = numbered_images(40)
    first = order(vh.make_dataset(x, 8, seed=1), 40)
    assert first.tolist() != list(range(40))
    np.testing.assert_array_equal(first, order(vh.make_dataset(x, 8, seed=1), 40))
    assert first.tolist() != order(vh.make_dataset(x, 8, seed=2), 40).tolist()
    dataset = vh.make_dataset(x, 8, seed=1, cache=False)
    first_epoch = order(dataset, 40)
    if isinstance(dataset, keras.utils.PyDataset):
        dataset.on_epoch_end()  # what fit calls between epochs (tf.data reshuffles on every pass by itself)
    assert first_epoch.tolist() != order(dataset, 40).tolist()  # a new order every epoch
    assert order(vh.make_dataset(x, 8, shuffle=False), 40).tolist() == list(range(40))


@pytest.mark.parametrize("batch_size", [0, -4, 2.5, "8", True, None])
def test_make_dataset_rejects_bad_batch_size(batch_size):
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        vh.make_dataset(numbered_images(4), batch_size=batch_size)


def test_make_dataset_validates_images():
    with pytest.raises(ValueError, match="must hold floats"):
        vh.make_dataset(np.zeros((4, 28, 28, 1), np.uint8))
