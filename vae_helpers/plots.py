"""Pictures for the course: image grids, latent scatter, the decoded latent grid and training curves.

Every ``plot_*`` function draws on a new matplotlib figure and returns it; nothing global is changed.
"""

from __future__ import annotations

import matplotlib.ticker
import matplotlib.pyplot as plt
import numpy as np
from keras import ops

from vae_helpers._checks import check_labels, check_positive_int
from vae_helpers.data import CLASS_NAMES, validate_images
from vae_helpers.latent import grid_coordinates, latent_grid

# The one picture convention of the course, for matplotlib (vh.show_images, vh.plot_latent_grid) and for the
# explorers' PNGs (vae_helpers.explore.pictures.grey_levels): ink (pixel value 1) is black, background (0) white,
# grey levels in between, as notebook 01 introduces the data and as print reads on a white page.
IMAGE_CMAP = "gray_r"


def show_images(images, labels=None, n_cols: int = 10, title: str | None = None, size: float = 1.2):
    """Plot images (N, H, W, 1) (e.g. (N, 28, 28, 1)) or RGB (N, H, W, 3) in a grid, with class names under them if ``labels`` (N,) is given.

    Drawn in the course's picture convention (:data:`IMAGE_CMAP`: ink black on white).
    """
    shape = np.shape(images)[1:] if np.ndim(images) == 4 and np.shape(images)[-1] in (1, 3) else None
    images = validate_images(images, "images", image_shape=shape)  # grey (N, H, W, 1) or RGB (N, H, W, 3)
    if labels is not None:
        labels = check_labels(labels, len(images), "labels")
    n_cols = min(check_positive_int(n_cols, "n_cols"), len(images))
    n_rows = -(-len(images) // n_cols)
    fig, axes = plt.subplots(
        n_rows, n_cols, figsize=(size * n_cols, size * n_rows * (1.2 if labels is not None else 1)), squeeze=False
    )
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(images):
            if images.shape[-1] == 3:  # colour pictures are shown as they are
                ax.imshow(images[i], vmin=0, vmax=1)
            else:
                ax.imshow(images[i, :, :, 0], cmap=IMAGE_CMAP, vmin=0, vmax=1)
            if labels is not None:
                ax.set_title(CLASS_NAMES[int(labels[i])], fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_latent_scatter(z, labels, ax=None, title: str = "Test images in latent space (posterior means)"):
    """Scatter latent points ``z`` (N, 2) coloured by class ``labels`` (N,), with a legend of class names."""
    z = np.asarray(z)
    if z.ndim != 2 or z.shape[1] < 2:
        raise ValueError(f"z must be (N, 2) latent points, got shape {z.shape}.")
    labels = check_labels(labels, len(z), "labels")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 6))
    scatter = ax.scatter(z[:, 0], z[:, 1], c=labels, cmap="tab10", vmin=-0.5, vmax=9.5, s=3, alpha=0.7)
    handles = [plt.Line2D([], [], marker="o", ls="", color=scatter.cmap(scatter.norm(c))) for c in range(10)]
    ax.legend(handles, CLASS_NAMES, fontsize=7, loc="center left", bbox_to_anchor=(1, 0.5))
    ax.set(xlabel="z[0]", ylabel="z[1]", title=title)
    ax.figure.tight_layout()
    return ax.figure


def plot_latent_grid(
    decoder, n: int = 30, span: float = 2.0, spacing: str = "linear", dpi: int = 100, title: str | None = None
):
    """Show :func:`latent_grid` with its latent coordinates on the axes (z[0] rightwards, z[1] upwards).

    The figure is sized so that each 28-pixel tile is drawn at 28 pixels when saved at ``dpi`` (the notebooks'
    inline figures are), so a 30 x 30 grid stays sharp on GitHub. Ticks sit at tile centres, labelled with the
    tile's latent coordinate, and at z = 0 (for an even ``n``, where no tile sits at 0, on the edge between the
    two middle tiles). Drawn in the course's picture convention (:data:`IMAGE_CMAP`).
    """
    image = latent_grid(decoder, n, span, spacing)
    grid = grid_coordinates(n, span, spacing)
    dpi = check_positive_int(dpi, "dpi")
    tile = image.shape[0] // n  # 28 for Fashion-MNIST
    side = tile * n / dpi  # inches of the image itself
    left, bottom, right, top = 0.75, 0.6, 0.15, 0.4  # margins in inches: tick labels, axis labels, title
    fig = plt.figure(figsize=(side + left + right, side + bottom + top), dpi=dpi)
    ax = fig.add_axes(
        [left / fig.get_figwidth(), bottom / fig.get_figheight(), side / fig.get_figwidth(), side / fig.get_figheight()]
    )
    ax.imshow(image, cmap=IMAGE_CMAP, vmin=0, vmax=1, interpolation="nearest")
    step = max(1, round((n - 1) / 6))
    centre = (n - 1) / 2  # z = 0: the middle tile (odd n) or the edge between the two middle ones (even n)
    half = np.arange(0, (n + 1) // 2, step)
    half = half[(half == centre) | (centre - half >= step / 2)]  # no tick crowding the centre
    ticks = np.unique(np.concatenate([half, [centre], n - 1 - half]))  # tile indices, symmetric, ends and 0 included
    labels = ["0.00" if t == centre else f"{grid[int(t)]:.2f}" for t in ticks]
    ax.set_xticks(ticks * tile + (tile - 1) / 2, labels)
    ax.set_yticks((n - 1 - ticks) * tile + (tile - 1) / 2, labels)  # row n-1-t holds grid[t]
    ax.set(xlabel="z[0]", ylabel="z[1]", title=title or f"Decoded latent grid ({spacing} spacing, {n} x {n})")
    return fig


def plot_history(history: dict, title: str = "Training curves"):
    """Plot loss, reconstruction and KL per epoch (train and, if present, validation), nats per image."""
    keys = ("loss", "reconstruction_loss", "kl_loss")
    if not all(key in history for key in keys):
        raise ValueError(f"history must hold {keys} (as returned by vh.train), got keys {sorted(history)}.")
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.5))
    for ax, key in zip(axes, keys):
        epochs = np.arange(1, len(history[key]) + 1)
        ax.plot(epochs, history[key], "o-", label="train")
        if "val_" + key in history:
            ax.plot(epochs, history["val_" + key], "s--", label="validation")
        ax.set(title=key.replace("_", " "), xlabel="epoch", ylabel="nats per image")
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))  # epochs are whole numbers
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_reconstructions(vae, x, n: int = 10, title: str = "Top: input · bottom: reconstruction"):
    """Show the first ``n`` images of ``x`` (N, H, W, C) (the model's shape) above their reconstructions by ``vae``."""
    from vae_helpers._checks import image_shape_of

    if getattr(vae, "is_conditional", False):  # a vh.CVAE: its encoder and decoder also take each image's label
        raise ValueError(
            f"plot_reconstructions shows what a model reconstructs from the image alone; this "
            f"{type(vae).__name__} also needs each image's label. Reconstruct with "
            "cvae.decode(cvae.encode(x, y)[0], y) and show both rows with vh.show_images."
        )
    x = validate_images(x, image_shape=image_shape_of(vae))[: check_positive_int(n, "n")]
    reconstructed = ops.convert_to_numpy(vae(x, training=False))
    return show_images(np.concatenate([x, reconstructed]), n_cols=len(x), title=title)


def figure_png(fig, colours: int = 256) -> bytes:
    """A figure as compact PNG bytes (palette of at most ``colours`` colours), then closed. Notebook 06.

    Grey pictures and scatter plots have few colours, so a palette PNG keeps them sharp at a third of the
    size of matplotlib's RGBA PNG: how notebook 06 shows a 30 x 30 grid at full size and stays under 1 MB.
    Show it with ``IPython.display.Image(vh.figure_png(fig))``.
    """
    import io

    from PIL import Image

    colours = check_positive_int(colours, "colours")
    if colours > 256:
        raise ValueError(f"colours must be at most 256 (a PNG palette), got {colours}.")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi, bbox_inches="tight", facecolor="white")
    plt.close(fig)
    picture = Image.open(buffer).convert("RGB").quantize(colours)
    out = io.BytesIO()
    picture.save(out, format="png", optimize=True)
    return out.getvalue()
