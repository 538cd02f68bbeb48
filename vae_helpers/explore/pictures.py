"""The explorers' pictures: PNG bytes with Pillow in the course's picture convention, the error map, the latent map.

Used by :mod:`vae_helpers.explore.explorers` (notebook 06). A slider move costs one call of
:class:`vae_helpers.FastDecoder` (the decoder's one compiled copy) and one :func:`png_bytes` (Pillow, no
matplotlib). Matplotlib draws the latent scatter once per :class:`LatentMap`; markers are then drawn on a copy
with Pillow.
"""

from __future__ import annotations

import functools
import io

import numpy as np
from PIL import Image, ImageDraw

from vae_helpers.plots import IMAGE_CMAP, plot_latent_scatter

IMAGE_SCALE = 6  # a 28 x 28 image is shown at 168 x 168 px
GAP_LEVEL = 128  # mid-grey gaps between tiled images, visible next to white backgrounds
MARKER_COLOUR = (220, 20, 60)
ERROR_MAP_CMAP = "magma"  # the error map's colour scale: black = 0 nats ...
ERROR_MAP_MAX_NATS = 2.0  # ... bright yellow = this many nats or more


def to_uint8(image) -> np.ndarray:
    """Pixel values in [0, 1] (any shape) -> ``uint8`` in 0..255, rounded; uint8 input is returned as is."""
    image = np.asarray(image)
    if image.dtype == np.uint8:
        return image
    return np.round(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)


@functools.cache
def _colour_lookup(cmap_name: str) -> np.ndarray:
    """(256, 3) floats in [0, 1]: the RGB colour that colormap ``cmap_name`` gives to 256 evenly spaced values."""
    import matplotlib

    return matplotlib.colormaps[cmap_name](np.linspace(0.0, 1.0, 256))[:, :3]


@functools.cache
def _grey_lookup(cmap_name: str) -> np.ndarray:
    """(256,) uint8: the grey level that colormap ``cmap_name`` gives to each of 256 evenly spaced values in [0, 1]."""
    rgb = _colour_lookup(cmap_name)  # (256, 3) in [0, 1]
    if not np.allclose(rgb, rgb[:, :1]):
        raise ValueError(f"IMAGE_CMAP must be a grey colormap (equal R, G and B), got {cmap_name!r}.")
    return np.round(rgb[:, 0] * 255.0).astype(np.uint8)


def grey_levels(image) -> np.ndarray:
    """Pixel values in [0, 1] (any shape) -> uint8 grey levels drawn as :data:`IMAGE_CMAP` draws them.

    With ``"gray_r"``: 1 (ink) -> 0 (black), 0 -> 255 (white). The explorers use this for every image, so their
    PNGs look like the matplotlib pictures of the notebooks.
    """
    return _grey_lookup(IMAGE_CMAP)[to_uint8(image)]


def png_bytes(image, scale: int = IMAGE_SCALE) -> bytes:
    """Encode one picture as PNG bytes, enlarged ``scale`` times by nearest neighbour (sharp pixels).

    Args:
        image: (H, W) grey or (H, W, 3) RGB; floats in [0, 1] (1 = full brightness) or uint8, encoded as given
            (pass an image through :func:`grey_levels` first to draw it in the course's picture convention).
        scale: integer enlargement factor (6 turns 28 px into 168 px).

    Returns:
        PNG file content, ready for ``ipywidgets.Image(value=..., format="png")``.
    """
    pixels = to_uint8(image)
    if pixels.ndim not in (2, 3) or (pixels.ndim == 3 and pixels.shape[2] != 3):
        raise ValueError(f"image must have shape (H, W) or (H, W, 3), got {pixels.shape}.")
    if scale > 1:
        pixels = pixels.repeat(scale, axis=0).repeat(scale, axis=1)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="png", compress_level=1)  # level 1: fast, files stay small
    return buffer.getvalue()


def image_png(image, scale: int = IMAGE_SCALE) -> bytes:
    """One image with values in [0, 1] as PNG bytes: a grey (H, W) one in the course's picture convention
    (:data:`IMAGE_CMAP`), a colour (H, W, 3) one as it is (1 = full brightness)."""
    image = np.asarray(image)
    return png_bytes(image if image.ndim == 3 else grey_levels(image), scale)


@functools.cache
def font(size: int = 14):
    """Matplotlib's DejaVu Sans at ``size`` px for text drawn with Pillow (the same font on every machine).

    Loaded once per size: the reconstruction explorer draws its colour bar's labels on every update."""
    from matplotlib import font_manager
    from PIL import ImageFont

    return ImageFont.truetype(font_manager.findfont("DejaVu Sans"), size)


def error_map_picture(pixel_nats, scale: int = IMAGE_SCALE) -> np.ndarray:
    """The per-pixel error map with its colour bar beneath: what the reconstruction explorer shows.

    Args:
        pixel_nats: (28, 28) -log p(x|z) of each pixel, in nats.
        scale: enlargement of the map (6: 168 x 168 px).

    Returns:
        (H, W, 3) uint8 RGB: the map coloured by :data:`ERROR_MAP_CMAP` from 0 nats (black) to
        :data:`ERROR_MAP_MAX_NATS` or more (yellow), then a bar of the same colours labelled in nats.
    """
    pixel_nats = np.asarray(pixel_nats, dtype=np.float64)
    if pixel_nats.ndim != 2:
        raise ValueError(f"pixel_nats must be one (H, W) map of nats, got shape {pixel_nats.shape}.")
    colours = _colour_lookup(ERROR_MAP_CMAP)  # (256, 3) in [0, 1]
    level = np.round(np.clip(pixel_nats / ERROR_MAP_MAX_NATS, 0.0, 1.0) * 255).astype(int)  # (H, W)
    error_map = to_uint8(colours[level]).repeat(scale, axis=0).repeat(scale, axis=1)  # (H*s, W*s, 3)
    width = error_map.shape[1]
    bar = to_uint8(colours[np.round(np.linspace(0, 255, width)).astype(int)])[None].repeat(12, axis=0)
    picture = Image.new("RGB", (width, error_map.shape[0] + 40), "white")
    picture.paste(Image.fromarray(error_map), (0, 0))
    picture.paste(Image.fromarray(bar), (0, error_map.shape[0] + 6))
    draw, text_font, top = ImageDraw.Draw(picture), font(12), error_map.shape[0] + 20
    draw.text((0, top), "0", fill="black", font=text_font)
    draw.text((width // 2, top), f"{ERROR_MAP_MAX_NATS / 2:g}", fill="black", font=text_font, anchor="ma")
    draw.text((width, top), f"\u2265{ERROR_MAP_MAX_NATS:g} nats", fill="black", font=text_font, anchor="ra")
    return np.asarray(picture)


def decode_png(data: bytes) -> np.ndarray:
    """Inverse of :func:`png_bytes` without the enlargement step: PNG bytes -> uint8 array (H, W) or (H, W, 3)."""
    return np.asarray(Image.open(io.BytesIO(data)))


def tile_row(images, gap: int = 2) -> np.ndarray:
    """Images (N, H, W) with values in [0, 1] side by side in :func:`grey_levels`, with mid-grey gaps.

    Returns uint8 (H, N*W + (N-1)*gap).
    """
    images = grey_levels(images)
    n, height, width = images.shape
    row = np.full((height, n * width + (n - 1) * gap), GAP_LEVEL, dtype=np.uint8)
    for i, image in enumerate(images):
        row[:, i * (width + gap) : i * (width + gap) + width] = image
    return row


class LatentMap:
    """Latent points coloured by class, drawn once with matplotlib; :meth:`png` adds a marker with Pillow.

    Args:
        z: (N, 2) latent points (e.g. posterior means of test images); for (N, D > 2) the first two dimensions.
        labels: (N,) class indices in 0..9.
        title: the plot's title.
        prior_span: the axes cover at least [-prior_span, prior_span]^2, where the N(0, I) prior puts its mass;
            their limits are multiples of 0.5, so sliders with step 0.05 over them pass through 0.
    """

    def __init__(self, z, labels, title: str = "Test images in latent space", prior_span: float = 3.0):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        figure = Figure(figsize=(5.6, 4.2), dpi=80)  # not pyplot: nothing shows up in the notebook by itself
        canvas = FigureCanvasAgg(figure)
        axes = figure.subplots()
        plot_latent_scatter(z, labels, ax=axes, title=title)
        (x_low, x_high), (y_low, y_high) = axes.get_xlim(), axes.get_ylim()
        outward = lambda low, high: (np.floor(min(low, -prior_span) * 2) / 2, np.ceil(max(high, prior_span) * 2) / 2)
        axes.set(xlim=outward(x_low, x_high), ylim=outward(y_low, y_high))  # limits on multiples of 0.5
        canvas.draw()
        self.base = Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3].copy())
        self.xlim, self.ylim = axes.get_xlim(), axes.get_ylim()
        corners = axes.transData.transform([(self.xlim[0], self.ylim[0]), (self.xlim[1], self.ylim[1])])
        height = self.base.height  # display y grows upwards, image rows grow downwards
        self._pixel_of_corners = [(x, height - y) for x, y in corners]

    def pixel(self, point) -> tuple[float, float]:
        """Image coordinates (column, row) of latent ``point`` (2,)."""
        (c0, r0), (c1, r1) = self._pixel_of_corners
        fx = (point[0] - self.xlim[0]) / (self.xlim[1] - self.xlim[0])
        fy = (point[1] - self.ylim[0]) / (self.ylim[1] - self.ylim[0])
        return c0 + fx * (c1 - c0), r0 + fy * (r1 - r0)

    def png(self, point=None) -> bytes:
        """The map as PNG bytes, with a ring and cross at latent ``point`` (2,) when one is given."""
        picture = self.base.copy()
        if point is not None:
            col, row = self.pixel(point)
            draw = ImageDraw.Draw(picture)
            draw.ellipse([col - 7, row - 7, col + 7, row + 7], outline=MARKER_COLOUR, width=3)
            draw.line([col - 11, row, col + 11, row], fill=MARKER_COLOUR, width=1)
            draw.line([col, row - 11, col, row + 11], fill=MARKER_COLOUR, width=1)
        return png_bytes(np.asarray(picture), scale=1)
