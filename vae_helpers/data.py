"""Fashion-MNIST: local-first loading, validation, class names and ``tf.data`` pipelines.

Introduced in notebook 01. The loader never writes to, moves or deletes anything in your folders: it only
reads the four IDX files, and Keras' own download (the last resort) writes to the Keras cache as usual.
"""

from __future__ import annotations

import gzip
import os
import pathlib
import zlib

import keras
import numpy as np

from vae_helpers._checks import check_labels, check_positive_int

DATA_DIR_ENV_VAR = "VAE_DATA_DIR"
SYSTEM_DATA_DIR = pathlib.Path("/usr/share/datasets/fashion-mnist")  # Debian package dataset-fashion-mnist

CLASS_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
IMAGE_SHAPE = (28, 28, 1)

# file name -> (IDX magic number, expected shape)
FILES = {
    "train-images-idx3-ubyte.gz": (2051, (60_000, 28, 28)),
    "train-labels-idx1-ubyte.gz": (2049, (60_000,)),
    "t10k-images-idx3-ubyte.gz": (2051, (10_000, 28, 28)),
    "t10k-labels-idx1-ubyte.gz": (2049, (10_000,)),
}


class DataNotFoundError(FileNotFoundError):
    """No folder holds the four Fashion-MNIST files and Keras could not download them."""


class CorruptDataError(ValueError):
    """A Fashion-MNIST file exists but is truncated, corrupted or of the wrong shape."""


def keras_cache_dir() -> pathlib.Path:
    """Folder where ``keras.datasets.fashion_mnist`` caches its download (honours ``$KERAS_HOME``)."""
    keras_home = os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))
    return pathlib.Path(keras_home) / "datasets" / "fashion-mnist"


def _fix_hint() -> str:
    return (
        "Fix it in one of three ways:\n"
        "  1. Debian/Ubuntu: `sudo apt-get install dataset-fashion-mnist` (files land in "
        f"{SYSTEM_DATA_DIR});\n"
        f"  2. put the four files {sorted(FILES)} in a folder and `export {DATA_DIR_ENV_VAR}=/that/folder`;\n"
        "  3. with internet access, call `load_fashion_mnist(download=True)` (the default) and Keras "
        f"downloads them to {keras_cache_dir()}."
    )


def read_idx(path: str | os.PathLike, expected_magic: int, expected_shape: tuple[int, ...]) -> np.ndarray:
    """Read one gzipped IDX file into a ``uint8`` array of ``expected_shape``.

    Raises:
        CorruptDataError: the file is truncated, not gzip, has the wrong IDX header or the wrong size.
    """
    path = pathlib.Path(path)
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as err:  # BadGzipFile is an OSError
        raise CorruptDataError(
            f"{path} is not a readable gzip file ({type(err).__name__}: {err}). It is probably truncated or "
            "corrupted (an interrupted download?). Replace it with a good copy; nothing was deleted. " + _fix_hint()
        ) from err
    ndim = len(expected_shape)
    header_len = 4 + 4 * ndim
    magic = int.from_bytes(raw[:4], "big") if len(raw) >= 4 else None
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    body = len(raw) - header_len
    if magic != expected_magic or dims != expected_shape or body != int(np.prod(expected_shape)):
        raise CorruptDataError(
            f"{path} does not hold the expected IDX data: expected magic {expected_magic} and shape "
            f"{expected_shape} ({int(np.prod(expected_shape))} bytes of data), found magic {magic}, shape {dims} "
            f"and {body} bytes. The file is truncated or is not this Fashion-MNIST file; replace it with a good "
            "copy (nothing was deleted). " + _fix_hint()
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header_len).reshape(expected_shape)


def _has_all_files(folder: pathlib.Path) -> bool:
    return all((folder / name).is_file() for name in FILES)


def _read_folder(folder: pathlib.Path):
    arrays = {name: read_idx(folder / name, magic, shape) for name, (magic, shape) in FILES.items()}
    for name in ("train-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        _check_labels(arrays[name], str(folder / name))
    return (
        (arrays["train-images-idx3-ubyte.gz"], arrays["train-labels-idx1-ubyte.gz"]),
        (arrays["t10k-images-idx3-ubyte.gz"], arrays["t10k-labels-idx1-ubyte.gz"]),
    )


def _download_with_keras():
    import keras  # imported here: loading from disk does not need Keras

    return keras.datasets.fashion_mnist.load_data()


def _chosen_folder(data_dir) -> pathlib.Path | None:
    explicit = data_dir if data_dir is not None else os.environ.get(DATA_DIR_ENV_VAR) or None
    return None if explicit is None else pathlib.Path(explicit).expanduser()


def find_fashion_mnist(data_dir: str | os.PathLike | None = None) -> pathlib.Path | None:
    """The folder :func:`load_fashion_mnist` reads without downloading, or None if there is none.

    ``data_dir`` (else ``$VAE_DATA_DIR``) when given, and then only there; else the first of
    ``/usr/share/datasets/fashion-mnist`` and the Keras cache that holds the four files.
    """
    chosen = _chosen_folder(data_dir)
    candidates = [chosen] if chosen is not None else [SYSTEM_DATA_DIR, keras_cache_dir()]
    return next((folder for folder in candidates if _has_all_files(folder)), None)


def _find_raw(data_dir, download):
    folder = find_fashion_mnist(data_dir)
    if folder is not None:
        return _read_folder(folder)
    chosen = _chosen_folder(data_dir)
    if chosen is not None:
        missing = [name for name in FILES if not (chosen / name).is_file()]
        raise DataNotFoundError(
            f"Fashion-MNIST folder {chosen} (from {'data_dir' if data_dir is not None else '$' + DATA_DIR_ENV_VAR}) "
            f"is missing {missing}. Expected the four files {sorted(FILES)}. " + _fix_hint()
        )
    looked = [SYSTEM_DATA_DIR, keras_cache_dir()]
    if download:
        try:
            return _download_with_keras()
        except Exception as err:  # offline, proxy, certificate...: all end in the same advice
            reason = f"Keras' download failed ({type(err).__name__}: {err})"
    else:
        reason = "download=False, so Keras was not asked to download"
    raise DataNotFoundError(
        f"Fashion-MNIST was not found. Looked in ${DATA_DIR_ENV_VAR} (unset), {looked[0]} and {looked[1]}; "
        f"{reason}. " + _fix_hint()
    )


def _check_labels(labels: np.ndarray, source: str) -> None:
    """Raise CorruptDataError unless every label of ``source`` (a file or a split name) is a class in 0..9."""
    if labels.min() < 0 or labels.max() > 9:
        raise CorruptDataError(
            f"{source}: labels must be in 0..9, found {labels.min()}..{labels.max()}, so the label file is "
            "corrupted. Replace it with a good copy (nothing was deleted). " + _fix_hint()
        )


def load_fashion_mnist(data_dir: str | os.PathLike | None = None, download: bool = True):
    """Load Fashion-MNIST as float images in [0, 1] with a channel axis.

    Where it looks: ``data_dir`` if given, else ``$VAE_DATA_DIR`` if set (only there, so a typo is reported,
    not silently replaced); otherwise ``/usr/share/datasets/fashion-mnist`` (Debian package
    ``dataset-fashion-mnist``), then the Keras cache, then Keras' download (if ``download``).

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: images ``float32`` of shape (60000, 28, 28, 1) and
        (10000, 28, 28, 1) with values in [0, 1]; labels ``int64`` of shape (60000,) and (10000,), in 0..9
        (see :data:`CLASS_NAMES`).

    Raises:
        DataNotFoundError: no copy was found; the message lists where it looked and three fixes.
        CorruptDataError: a file is truncated or corrupted; the message names the file.
    """
    (x_train, y_train), (x_test, y_test) = _find_raw(data_dir, download)
    for name, images, labels, n in (("train", x_train, y_train, 60_000), ("test", x_test, y_test, 10_000)):
        if images.shape != (n, 28, 28) or labels.shape != (n,):
            raise CorruptDataError(
                f"{name} split has images {images.shape} and labels {labels.shape}; expected ({n}, 28, 28) "
                f"and ({n},). " + _fix_hint()
            )
        _check_labels(labels, name)
    to_float = lambda images: (images.astype(np.float32) / 255.0)[..., None]  # (N, 28, 28, 1)
    return (to_float(x_train), y_train.astype(np.int64)), (to_float(x_test), y_test.astype(np.int64))


def validate_images(x, name: str = "x", image_shape=None) -> np.ndarray:
    """Check that ``x`` is a batch of images and return it as a float32 numpy array.

    Expected: shape (N, H, W, C) with N >= 1, a real (float) dtype, values in [0, 1]. ``image_shape`` (H, W, C):
    None for Fashion-MNIST's (28, 28, 1), else the shape a model takes (notebook 10: the callers that know a model
    pass its input shape).

    Raises:
        ValueError: saying which of shape, dtype or range is wrong and how to fix it.
    """
    shape = IMAGE_SHAPE if image_shape is None else tuple(int(d) for d in image_shape)
    text = "(N, " + ", ".join(str(d) for d in shape) + ")"
    try:
        arr = np.asarray(x)
    except Exception as err:
        raise ValueError(f"{name} must be an array of images of shape {text}; got {type(x).__name__}.") from err
    if arr.ndim == 3 and shape[2] == 1 and arr.shape[1:] == shape[:2]:
        hint = f" It looks like (N, {shape[0]}, {shape[1]}): add the channel axis with {name}[..., None]."
    elif arr.ndim == 3 and arr.shape == shape:
        hint = f" It looks like a single image: pass {name}[None] for a batch of one."
    elif image_shape is not None and arr.ndim == 4 and arr.shape[1:] != shape:
        hint = (
            f" This model takes images of shape {shape}; load your images at that size "
            f"(vh.load_image_folder(path, size=({shape[0]}, {shape[1]}), color=...)) or build the model with "
            f"image_shape={tuple(arr.shape[1:])}."
        )
    else:
        hint = ""
    if arr.ndim != 4 or arr.shape[1:] != shape or arr.shape[0] == 0:
        raise ValueError(f"{name} must have shape {text} with N >= 1, got {arr.shape}.{hint}")
    if not np.issubdtype(arr.dtype, np.floating):
        raise ValueError(
            f"{name} must hold floats in [0, 1], got dtype {arr.dtype}. Fix: {name}.astype('float32') / 255."
        )
    lo, hi = float(arr.min()), float(arr.max())
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo < 0.0 or hi > 1.0:
        raise ValueError(
            f"{name} values must lie in [0, 1] (pixel intensities as Bernoulli probabilities), got range "
            f"[{lo}, {hi}]. Fix: divide uint8 pixels by 255."
        )
    return arr.astype(np.float32, copy=False)


def make_dataset(
    x, batch_size: int = 128, shuffle: bool = True, seed: int | None = 42, cache: bool = True, labels=None
):
    """Build the input pipeline used for training: shuffled batches of images (with their labels), for ``fit``.

    On TensorFlow a ``tf.data`` pipeline ``x -> cache -> shuffle -> batch -> prefetch``; on JAX and PyTorch a
    :class:`ImageBatches` (a ``keras.utils.PyDataset`` over the numpy array, no TensorFlow needed).

    Args:
        x: images, shape (N, 28, 28, 1), float in [0, 1].
        batch_size: images per batch (the last batch may be smaller).
        shuffle: reshuffle every epoch with ``seed`` (reproducible order for a given seed).
        seed: shuffle seed; None for a different order each run.
        cache: keep the decoded tensors in memory after the first pass (``tf.data`` only; the numpy batches are
            in memory already).
        labels: None, or the class index of each image (N,) in 0..9 (a conditional VAE, notebook 09): then each
            batch is ``(images, labels)``, shuffled together.

    Returns:
        ``tf.data.Dataset`` or :class:`ImageBatches` of image batches, each (B, H, W, C) float32 (any image shape,
        notebook 10: the model checks its own shape), or of ``(images, labels (B,) int64)`` pairs.
    """
    x = validate_images(x, image_shape=np.shape(x)[1:] if np.ndim(x) == 4 else None)
    batch_size = check_positive_int(batch_size, "batch_size")
    labels = None if labels is None else check_labels(labels, len(x), "labels")
    if keras.backend.backend() != "tensorflow":
        return ImageBatches(x, batch_size, shuffle, seed, labels)
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices(x if labels is None else (x, labels))
    if cache:
        ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


class ImageBatches(keras.utils.PyDataset):
    """Batches (B, H, W, C) float32 of the images ``x`` (N, H, W, C), in a new random order every epoch when
    ``shuffle`` (numpy's generator seeded with ``seed``: the same orders on any machine); the last batch may be
    smaller. With ``labels`` (N,) each batch is ``(images, labels)``. What :func:`make_dataset` returns where
    TensorFlow is not the backend."""

    def __init__(self, x: np.ndarray, batch_size: int, shuffle: bool = True, seed: int | None = 42, labels=None):
        super().__init__()
        self.x, self.labels, self.batch_size, self.shuffle = x, labels, batch_size, shuffle
        self._rng = np.random.default_rng(seed)
        self._order = self._rng.permutation(len(x)) if shuffle else np.arange(len(x))

    def __len__(self) -> int:
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, index: int):
        rows = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        return self.x[rows] if self.labels is None else (self.x[rows], self.labels[rows])

    def on_epoch_end(self) -> None:
        if self.shuffle:
            self._order = self._rng.permutation(len(self.x))
