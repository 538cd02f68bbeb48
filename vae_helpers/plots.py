"""Pictures for the course: image grids, latent scatter, the decoded latent grid and training curves.

Every ``plot_*`` function draws on a new matplotlib figure and returns it; nothing global is changed.
"""

from __future__ import annotations

import statistics

import keras
import matplotlib.ticker
import matplotlib.pyplot as plt
import numpy as np
from keras import ops

from vae_helpers._checks import check_finite, check_labels, check_positive_int
from vae_helpers.data import CLASS_NAMES, validate_images
from vae_helpers.fast_decoding import decode_in_chunks
from vae_helpers.rendering import IMAGE_CMAP

MAX_GRID_N = 100  # a grid of at most 100 x 100 decoded images: a 2,800 x 2,800 picture (31 MB)


def show_images(images, labels=None, n_cols: int = 10, title: str | None = None, size: float = 1.2):
    """Plot images (N, 28, 28, 1) in a grid, with class names under them if ``labels`` (N,) is given.

    Drawn in the course's picture convention (:data:`vae_helpers.rendering.IMAGE_CMAP`: ink black on white).
    """
    images = validate_images(images, "images")
    if labels is not None:
        labels = check_labels(labels, len(images), "labels")
    n_cols = min(check_positive_int(n_cols, "n_cols"), len(images))
    n_rows = -(-len(images) // n_cols)
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(size * n_cols, size * n_rows * (1.2 if labels is not None else 1)),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < len(images):
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


def grid_coordinates(n: int = 30, span: float = 2.0, spacing: str = "linear") -> np.ndarray:
    """The n values per axis of the latent grid, from -span to +span.

    ``"linear"``: evenly spaced (the reference tutorial). ``"quantile"``: ``Phi^-1`` of evenly spaced
    probabilities between ``Phi(-span)`` and ``Phi(span)``, so each cell holds the same prior mass and the
    dense centre of N(0, 1) gets more cells (notebook 06).
    """
    n = check_positive_int(n, "n")
    span = check_finite(span, "span", minimum=0.0, strict=True, hint="the reference uses 2.0")
    if spacing == "linear":
        return np.linspace(-span, span, n)
    if spacing == "quantile":
        normal = statistics.NormalDist()
        if normal.cdf(span) >= 1.0:
            raise ValueError(f"span={span:g} is too wide for quantile spacing: beyond about 8 the normal "
                             "distribution's probabilities round to 1. Use span <= 8, or spacing='linear'.")
        probabilities = np.linspace(normal.cdf(-span), normal.cdf(span), n)
        return np.array([normal.inv_cdf(p) for p in probabilities])
    raise ValueError(f"spacing must be 'linear' or 'quantile', got {spacing!r}.")


def latent_grid(decoder, n: int = 30, span: float = 2.0, spacing: str = "linear") -> np.ndarray:
    """Decode an n x n grid of latent points in one batched call and tile the images.

    Laid out like the latent scatter (:func:`plot_latent_scatter`): column j uses ``z[0] = grid[j]`` (z[0] grows
    rightwards) and row i uses ``z[1] = grid[n - 1 - i]``, so row 0 is the largest z[1] and z[1] grows upwards;
    other latent dimensions, if any, are 0. The reference tutorial's ``plot_latent_images`` fills row i with
    ``z[1] = grid[i]`` (z[1] grows downwards): its picture is this one with the rows of tiles in reverse order.
    The reference calls ``predict`` n*n = 900 times; here the decoder runs once on a (n*n, D) batch, compiled once per decoder
    with its upsampling layers fused into the convolutions (:mod:`vae_helpers.fast_decoding`).

    Args:
        decoder: a decoder model (B, D) -> (B, 28, 28, 1), or a :class:`vae_helpers.VAE`.

    Returns:
        (28n, 28n) float32 array of pixel probabilities; n is at most :data:`MAX_GRID_N` (100).
    """
    decoder = getattr(decoder, "decoder", decoder)
    if not isinstance(decoder, keras.Model):
        raise ValueError(f"decoder must be a decoder model or a vh.VAE, got {type(decoder).__name__}.")
    latent_dim = int(decoder.inputs[0].shape[-1])
    if latent_dim < 2:
        raise ValueError(f"latent_grid needs a latent space of at least 2 dimensions, got {latent_dim}.")
    n = check_positive_int(n, "n")
    if n > MAX_GRID_N:
        raise ValueError(
            f"n={n} would decode {n * n:,} images into a {28 * n:,} x {28 * n:,} picture "
            f"({(28 * n) ** 2 * 4 / 1e9:.1f} GB); n must be at most {MAX_GRID_N} (the reference uses 30)."
        )
    grid = grid_coordinates(n, span, spacing)
    yy, xx = np.meshgrid(grid[::-1], grid, indexing="ij")  # (n, n) each; row i -> z[1] = grid[n - 1 - i]
    z = np.zeros((n * n, latent_dim), dtype=np.float32)  # (n*n, D)
    z[:, 0], z[:, 1] = xx.ravel(), yy.ravel()
    images = decode_in_chunks(decoder, z)[..., 0]  # (n*n, 28, 28)
    return images.reshape(n, n, 28, 28).transpose(0, 2, 1, 3).reshape(28 * n, 28 * n)


def plot_latent_grid(decoder, n: int = 30, span: float = 2.0, spacing: str = "linear", dpi: int = 100,
                     title: str | None = None):
    """Show :func:`latent_grid` with its latent coordinates on the axes (z[0] rightwards, z[1] upwards).

    The figure is sized so that each 28-pixel tile is drawn at 28 pixels when saved at ``dpi`` (the notebooks'
    inline figures are), so a 30 x 30 grid stays sharp on GitHub. Ticks sit at tile centres, labelled with the
    tile's latent coordinate. Drawn in the course's picture convention (:data:`vae_helpers.rendering.IMAGE_CMAP`).
    """
    image = latent_grid(decoder, n, span, spacing)
    grid = grid_coordinates(n, span, spacing)
    dpi = check_positive_int(dpi, "dpi")
    side = 28 * n / dpi  # inches of the image itself
    left, bottom, right, top = 0.75, 0.6, 0.15, 0.4  # margins in inches: tick labels, axis labels, title
    fig = plt.figure(figsize=(side + left + right, side + bottom + top), dpi=dpi)
    ax = fig.add_axes([left / fig.get_figwidth(), bottom / fig.get_figheight(),
                       side / fig.get_figwidth(), side / fig.get_figheight()])
    ax.imshow(image, cmap=IMAGE_CMAP, vmin=0, vmax=1, interpolation="nearest")
    step = max(1, round((n - 1) / 6))
    half = np.arange(0, (n + 1) // 2, step)
    ticks = np.unique(np.concatenate([half, n - 1 - half]))  # tile indices, symmetric, both ends included
    ax.set_xticks(ticks * 28 + 13.5, [f"{grid[t]:.2f}" for t in ticks])
    ax.set_yticks((n - 1 - ticks) * 28 + 13.5, [f"{grid[t]:.2f}" for t in ticks])  # row n-1-t holds grid[t]
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
    """Show the first ``n`` images of ``x`` (N, 28, 28, 1) above their reconstructions by ``vae``."""
    x = validate_images(x)[:check_positive_int(n, "n")]
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
