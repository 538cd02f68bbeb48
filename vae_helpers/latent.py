"""Walking through the latent space: the decoded grid, interpolation between two codes, nearest neighbours.
Notebook 06.

The grid decodes its points through the decoder's one compiled copy (:mod:`vae_helpers.fast_decoding`); the other
functions are pure numpy: they compute latent points, and decoding them is the decoder's job.
"""

from __future__ import annotations

import statistics

import numpy as np

from vae_helpers._checks import check_finite, check_positive_int, decoder_of
from vae_helpers.fast_decoding import decode_in_chunks

INTERPOLATIONS = ("linear", "spherical")
MAX_GRID_N = 100  # a grid of at most 100 x 100 decoded images: a 2,800 x 2,800 picture (31 MB)


def interpolate_latent(z_start, z_end, t, method: str = "linear") -> np.ndarray:
    """Points on the path from ``z_start`` (t = 0) to ``z_end`` (t = 1).

    ``"linear"``: ``(1 - t) z_start + t z_end``, the straight line. ``"spherical"`` (slerp): rotate from one
    direction to the other, ``sin((1 - t) w) / sin(w) z_start + sin(t w) / sin(w) z_end`` with ``w`` the angle
    between the codes. Under the N(0, I) prior most mass lies on a shell of radius ~sqrt(D); the straight line
    cuts through the less typical centre, the spherical path stays near the shell. When the codes are
    (anti)parallel or one is zero the angle is undefined or the path degenerate, and the linear path is used.

    Args:
        z_start, z_end: (D,) latent codes.
        t: scalar or (T,) positions in [0, 1].
        method: ``"linear"`` or ``"spherical"``.

    Returns:
        (T, D) float32 array (T = 1 for a scalar ``t``).
    """
    z_start, z_end = np.asarray(z_start, np.float64), np.asarray(z_end, np.float64)
    t = np.atleast_1d(np.asarray(t, np.float64))[:, None]  # (T, 1)
    if z_start.ndim != 1 or z_start.shape != z_end.shape:
        raise ValueError(
            f"z_start and z_end must be two codes of the same shape (D,), got {z_start.shape} and {z_end.shape}."
        )
    if t.ndim != 2 or t.min() < 0 or t.max() > 1:
        raise ValueError(f"t must be a number or a 1-D array of numbers in [0, 1], got {t.ravel()}.")
    if method not in INTERPOLATIONS:
        raise ValueError(f"method must be one of {INTERPOLATIONS}, got {method!r}.")
    linear = (1 - t) * z_start + t * z_end  # (T, D)
    norms = np.linalg.norm(z_start) * np.linalg.norm(z_end)
    if method == "linear" or norms == 0:
        return linear.astype(np.float32)
    angle = np.arccos(np.clip(z_start @ z_end / norms, -1.0, 1.0))
    if np.sin(angle) < 1e-6:
        return linear.astype(np.float32)
    path = (np.sin((1 - t) * angle) * z_start + np.sin(t * angle) * z_end) / np.sin(angle)
    return path.astype(np.float32)


def nearest_indices(z, point, k: int = 8) -> np.ndarray:
    """Indices of the ``k`` rows of ``z`` (N, D) closest to ``point`` (D,) in Euclidean distance, nearest first."""
    z, point = np.asarray(z), np.asarray(point)
    if z.ndim != 2 or point.shape != (z.shape[1],):
        raise ValueError(f"z must be (N, D) and point (D,), got {z.shape} and {point.shape}.")
    k = min(int(k), len(z))
    distances = np.sum((z - point) ** 2, axis=1)  # (N,)
    nearest = np.argpartition(distances, k - 1)[:k]
    return nearest[np.argsort(distances[nearest], kind="stable")]


def nearest_distances(points, reference, chunk: int = 256) -> np.ndarray:
    """Euclidean distance from each of ``points`` to its nearest row of ``reference``. Notebook 06.

    Works for latent codes (N, D) and for images (N, 28, 28, 1), which are compared as vectors of pixels
    (each image is flattened). Measures how far a decoded picture is from every real image, or how far a
    latent point is from every encoded one: a large distance marks a *hole*, a place no training data is near.

    Args:
        points: (N, ...) arrays of one shape each. reference: (M, ...) of the same per-row shape, M >= 1.
        chunk: points compared at once, a positive integer (memory: chunk * M floats).

    Returns:
        (N,) float64 distances, in the units of the inputs (latent units, or pixel values for images).
    """
    chunk = check_positive_int(chunk, "chunk")
    points, reference = np.asarray(points, np.float64), np.asarray(reference, np.float64)
    points = points.reshape(len(points), int(np.prod(points.shape[1:])))  # (N, F)
    reference = reference.reshape(len(reference), int(np.prod(reference.shape[1:])))  # (M, F)
    if len(reference) == 0 or points.shape[1] != reference.shape[1]:
        raise ValueError(
            f"points and reference must hold rows of the same size and reference at least one row, "
            f"got {points.shape[1]} and {reference.shape[1]} values per row, {len(reference)} rows."
        )
    squared_reference = np.sum(reference**2, axis=1)  # (M,)
    distances = []
    for begin in range(0, len(points), chunk):
        block = points[begin : begin + chunk]  # (C, F)
        squared = np.sum(block**2, axis=1)[:, None] - 2 * block @ reference.T + squared_reference  # (C, M)
        distances.append(np.sqrt(np.maximum(squared.min(axis=1), 0.0)))
    return np.concatenate(distances) if distances else np.zeros(0)


def grid_coordinates(n: int = 30, span: float = 2.0, spacing: str = "linear") -> np.ndarray:
    """The n values per axis of the latent grid, from -span to +span.

    ``"linear"``: evenly spaced (the reference tutorial). ``"quantile"``: ``Phi^-1`` of evenly spaced
    probabilities between ``Phi(-span)`` and ``Phi(span)``, so each cell holds the same prior mass and the
    dense centre of N(0, 1) gets more cells (notebook 06). ``n`` is at most :data:`MAX_GRID_N` (100).
    """
    n = check_positive_int(n, "n", MAX_GRID_N, "values per axis of the latent grid; the reference uses 30")
    span = check_finite(span, "span", minimum=0.0, strict=True, hint="the reference uses 2.0")
    if spacing == "linear":
        return np.linspace(-span, span, n)
    if spacing == "quantile":
        normal = statistics.NormalDist()
        if normal.cdf(span) >= 1.0:
            raise ValueError(
                f"span={span:g} is too wide for quantile spacing: beyond about 8 the normal "
                "distribution's probabilities round to 1. Use span <= 8, or spacing='linear'."
            )
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
        decoder: a decoder model (B, D) -> (B, H, W, C), e.g. (B, 28, 28, 1), or a :class:`vae_helpers.VAE`.

    Returns:
        (H*n, W*n) float32 array of pixel probabilities for one channel (C = 1), (H*n, W*n, C) for more (RGB,
        notebook 10); n is at most :data:`MAX_GRID_N` (100).
    """
    decoder = decoder_of(decoder)
    if len(decoder.inputs) != 1:
        raise ValueError(
            f"latent_grid decodes latent points alone; this decoder takes {len(decoder.inputs)} inputs "
            "(a conditional VAE's [z, one-hot label]). Draw each class with vh.class_grid(cvae, z)."
        )
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
    images = decode_in_chunks(decoder, z)  # (n*n, H, W, C)
    height, width, channels = images.shape[1:]
    tiled = images.reshape(n, n, height, width, channels).transpose(0, 2, 1, 3, 4)
    tiled = tiled.reshape(height * n, width * n, channels)
    return tiled[..., 0] if channels == 1 else tiled
