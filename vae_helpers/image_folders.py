"""Your own images: read a folder of PNG/JPEG files into an array, and write a worked example. Notebook 10.

A separate module from :mod:`vae_helpers.data` (which holds Fashion-MNIST's loader and pipelines) so each stays
small. Nothing here ever changes a file it reads: :func:`load_image_folder` only opens files for reading, and
:func:`write_sample_patches` writes new files only, refusing to overwrite any.
"""

from __future__ import annotations

import pathlib

import numpy as np

from vae_helpers._checks import MAX_IMAGE_SIDE, check_positive_int

EXTENSIONS = (".png", ".jpg", ".jpeg")
COLORS = {"grayscale": "L", "rgb": "RGB"}
# Pillow modes of 8 bits per channel (palette, bilevel, alpha and other colour spaces included): Pillow converts them
# to "L" or "RGB" exactly. Modes of 16-bit PNG grey ("I;16*", or "I" on some Pillow releases) hold 0..65535.
EIGHT_BIT_MODES = ("1", "L", "LA", "La", "P", "PA", "RGB", "RGBA", "RGBa", "RGBX", "CMYK", "YCbCr", "LAB", "HSV")
SIXTEEN_BIT_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I")
SIXTEEN_BIT_MAX = 65535


def _check_size(size) -> tuple[int, int]:
    try:
        height, width = (size, size) if isinstance(size, (int, np.integer)) else tuple(size)
    except (TypeError, ValueError):
        height = width = None
    if not all(
        isinstance(d, (int, np.integer)) and not isinstance(d, bool) and 1 <= d <= MAX_IMAGE_SIDE
        for d in (height, width)
    ):
        raise ValueError(
            f"size must be (H, W), two integers from 1 to {MAX_IMAGE_SIDE} pixels (or one int for a "
            f"square), got {size!r}."
        )
    return int(height), int(width)


def _read_image(file: pathlib.Path, color: str, height: int, width: int) -> np.ndarray:
    """One image file as float32 (H, W, C) in [0, 1]. Refuses, naming the file: an image of more than
    ``PIL.Image.MAX_IMAGE_PIXELS`` pixels (a decompression bomb: refused before it is decoded), a mode of neither
    :data:`EIGHT_BIT_MODES` nor :data:`SIXTEEN_BIT_MODES` (named), a file Pillow cannot read."""
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file) as picture:
                mode = picture.mode
                array = _pixels(picture, color, height, width)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise ValueError(
            f"{file} is too large to read safely ({err}). Shrink it or remove it; nothing was changed."
        ) from err
    except (OSError, ValueError) as err:  # UnidentifiedImageError and truncated files are OSErrors
        raise ValueError(
            f"{file} cannot be read as an image ({type(err).__name__}: {err}). Remove or replace "
            "it; nothing was changed."
        ) from err
    if array is None:
        raise ValueError(
            f"{file} has the image mode {mode!r}, which load_image_folder does not read (it reads "
            f"8-bit images of the modes {', '.join(EIGHT_BIT_MODES)} and 16-bit grey). Convert it to "
            "an 8-bit image, e.g. PIL.Image.open(path).convert('RGB').save(path)."
        )
    return array


def _pixels(picture, color: str, height: int, width: int) -> np.ndarray | None:
    """An open Pillow image as float32 (H, W) or (H, W, 3) in [0, 1], or None for a mode not read: 8-bit modes
    through Pillow's conversion, 16-bit grey scaled by 65535 and resized in float32 (so no level is clipped)."""
    from PIL import Image

    if picture.mode in EIGHT_BIT_MODES:
        picture = picture.convert(COLORS[color]).resize((width, height), Image.BILINEAR)
        return np.asarray(picture, dtype=np.float32) / 255.0
    if picture.mode not in SIXTEEN_BIT_MODES:
        return None
    levels = np.asarray(picture, dtype=np.float64)
    if levels.ndim != 2 or levels.min() < 0 or levels.max() > SIXTEEN_BIT_MAX:
        raise ValueError(f"mode {picture.mode} holds values outside 0..{SIXTEEN_BIT_MAX}")
    grey = Image.fromarray((levels / SIXTEEN_BIT_MAX).astype(np.float32), mode="F")
    array = np.clip(np.asarray(grey.resize((width, height), Image.BILINEAR), dtype=np.float32), 0.0, 1.0)
    return array if color == "grayscale" else np.repeat(array[..., None], 3, axis=-1)


def load_image_folder(path, size=(28, 28), color: str = "grayscale"):
    """Read every PNG/JPEG file of a folder as float32 images in [0, 1], resized to ``size``. Notebook 10.

    Two layouts: image files directly in ``path`` (no labels), or one subfolder per class (the label of an image is
    the index of its subfolder in sorted order). Files are read in sorted order; other files are ignored.

    Args:
        path: the folder. size: (H, W) in pixels, each from 1 to 256 (one int for a square); each image is resized
            to it (Pillow, bilinear, aspect ratio not kept). color: ``"grayscale"`` (C = 1) or ``"rgb"`` (C = 3).
            8-bit images of any Pillow mode are converted by Pillow; 16-bit grey PNGs are scaled by 65535 (a grey
            one read as ``"rgb"`` gets three equal channels).

    Returns:
        ``(images, labels, class_names)``: images float32 (N, H, W, C) in [0, 1]; labels int64 (N,) and
        class_names a tuple of subfolder names when the folder has class subfolders, else ``None`` and ``()``.

    Raises:
        FileNotFoundError: ``path`` is not a folder. ValueError: bad ``size`` or ``color``, an empty folder, no
        PNG/JPEG file, both loose files and subfolders, a file Pillow cannot read, of another mode, or of more than
        ``PIL.Image.MAX_IMAGE_PIXELS`` pixels (each named in the message, with its mode).
    """
    height, width = _check_size(size)
    if color not in COLORS:
        raise ValueError(f"color must be one of {tuple(COLORS)}, got {color!r}.")
    folder = pathlib.Path(path).expanduser()
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder. Pass the folder that holds your images.")
    entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    if not entries:
        raise ValueError(f"{folder} is empty: put PNG or JPEG files in it (or one subfolder of them per class).")
    is_image = lambda p: p.is_file() and p.suffix.lower() in EXTENSIONS
    loose, subfolders = [p for p in entries if is_image(p)], [p for p in entries if p.is_dir()]
    if loose and subfolders:
        raise ValueError(
            f"{folder} holds both image files and subfolders; use one layout: the files directly in "
            f"the folder (no labels), or one subfolder per class. E.g. {loose[0].name} and "
            f"{subfolders[0].name}/."
        )
    if loose:
        files, labels, names = loose, None, ()
    else:
        classes = [(d, sorted(p for p in d.iterdir() if is_image(p))) for d in subfolders]
        classes = [(d, found) for d, found in classes if found]
        files = [p for _, found in classes for p in found]
        labels = np.array([i for i, (_, found) in enumerate(classes) for _ in found], dtype=np.int64)
        names = tuple(d.name for d, _ in classes)
    if not files:
        raise ValueError(
            f"{folder} holds no {'/'.join(e[1:].upper() for e in EXTENSIONS)} file (nor do its "
            "subfolders); nothing of the kind load_image_folder reads."
        )
    images = np.empty((len(files), height, width, 1 if color == "grayscale" else 3), dtype=np.float32)
    for i, file in enumerate(files):
        images[i] = _read_image(file, color, height, width).reshape(images.shape[1:])
    return images, labels, names


def write_sample_patches(folder, size: int = 32, n_per_image: int = 1000, seed: int = 0) -> pathlib.Path:
    """Cut ``n_per_image`` random ``size`` x ``size`` RGB patches from each of the two photographs scikit-learn
    ships (``sklearn.datasets.load_sample_images()``: china.jpg and flower.jpg, 427 x 640 pixels) and write them as
    PNG files ``folder/china/00000.png``, ``folder/flower/00000.png``, ... (one subfolder per photograph).

    The worked example of notebook 10, with no download. Patch positions come from numpy's generator seeded with
    ``seed``. Never overwrites: if any file to be written exists already, nothing is written and ValueError says
    so. Returns ``folder`` as a Path.
    """
    from PIL import Image
    from sklearn.datasets import load_sample_images

    size, n_per_image = check_positive_int(size, "size"), check_positive_int(n_per_image, "n_per_image")
    folder = pathlib.Path(folder).expanduser()
    photos = load_sample_images()
    names = [pathlib.Path(name).stem for name in photos.filenames]  # china, flower
    targets = [folder / name / f"{i:05d}.png" for name in names for i in range(n_per_image)]
    existing = [t for t in targets if t.exists()]
    if existing:
        raise ValueError(
            f"{existing[0]} exists already ({len(existing)} of the files to write do); "
            "write_sample_patches never overwrites. Choose an empty folder."
        )
    rng = np.random.default_rng(seed)
    for name, photo in zip(names, photos.images):  # (427, 640, 3) uint8
        if size > min(photo.shape[:2]):
            raise ValueError(f"size must be at most {min(photo.shape[:2])} pixels (the photograph), got {size}.")
        (folder / name).mkdir(parents=True, exist_ok=True)
        rows = rng.integers(0, photo.shape[0] - size + 1, n_per_image)
        cols = rng.integers(0, photo.shape[1] - size + 1, n_per_image)
        for i, (r, c) in enumerate(zip(rows, cols)):
            Image.fromarray(photo[r : r + size, c : c + size]).save(folder / name / f"{i:05d}.png")
    return folder
