"""Interpolation and nearest neighbours in latent space, against direct formulas."""

import numpy as np
import pytest

import vae_helpers as vh
from vae_helpers.latent import nearest_indices


def test_both_paths_start_and_end_at_the_codes():
    a, b = np.array([1.0, 2.0, -1.0]), np.array([-0.5, 0.3, 2.0])
    for method in ("linear", "spherical"):
        path = vh.interpolate_latent(a, b, [0.0, 1.0], method)
        np.testing.assert_allclose(path, [a, b], atol=1e-6)


def test_linear_path_is_the_straight_line():
    a, b = np.array([1.0, 0.0]), np.array([0.0, 3.0])
    t = np.linspace(0, 1, 5)
    np.testing.assert_allclose(vh.interpolate_latent(a, b, t), np.outer(1 - t, a) + np.outer(t, b), atol=1e-6)


def test_spherical_path_between_orthogonal_unit_codes_stays_on_the_circle():
    t = np.linspace(0, 1, 11)
    path = vh.interpolate_latent([1.0, 0.0], [0.0, 1.0], t, "spherical")
    np.testing.assert_allclose(np.linalg.norm(path, axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(path, np.stack([np.cos(t * np.pi / 2), np.sin(t * np.pi / 2)], axis=1), atol=1e-6)
    assert np.linalg.norm(vh.interpolate_latent([1.0, 0.0], [0.0, 1.0], 0.5)) == pytest.approx(np.sqrt(0.5))


def test_spherical_path_falls_back_to_the_line_for_parallel_or_zero_codes():
    for a, b in (([1.0, 1.0], [2.0, 2.0]), ([0.0, 0.0], [1.0, 2.0])):
        np.testing.assert_allclose(
            vh.interpolate_latent(a, b, [0.3], "spherical"), vh.interpolate_latent(a, b, [0.3], "linear")
        )


@pytest.mark.parametrize(
    "args, message",
    [
        (([1.0], [1.0, 2.0], 0.5), "same shape"),
        (([1.0], [2.0], 1.5), r"in \[0, 1\]"),
        (([1.0], [2.0], 0.5, "cubic"), "method must be one of"),
    ],
)
def test_interpolate_rejects_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        vh.interpolate_latent(*args)


def test_nearest_indices_sorts_by_euclidean_distance():
    z = np.random.default_rng(0).normal(size=(200, 3))
    point = np.array([0.2, -0.1, 0.5])
    brute_force = sorted(range(200), key=lambda i: sum((z[i] - point) ** 2))[:7]
    assert list(nearest_indices(z, point, k=7)) == brute_force
    assert len(nearest_indices(z[:3], point, k=7)) == 3


def test_nearest_distances_match_brute_force_for_codes_and_images():
    rng = np.random.default_rng(1)
    reference, points = rng.normal(size=(300, 4)), rng.normal(size=(37, 4))
    brute = [min(np.linalg.norm(p - r) for r in reference) for p in points]
    np.testing.assert_allclose(vh.nearest_distances(points, reference, chunk=8), brute, rtol=1e-9)
    images = rng.uniform(size=(20, 28, 28, 1))
    np.testing.assert_allclose(vh.nearest_distances(images[:3], images), 0.0, atol=1e-6)  # each is in the set
    shifted = np.clip(images[:1] + 0.1, 0, 1)
    assert vh.nearest_distances(shifted, images)[0] == pytest.approx(
        min(np.linalg.norm((shifted[0] - image).ravel()) for image in images)
    )


def test_nearest_distances_rejects_rows_of_different_sizes():
    with pytest.raises(ValueError, match="same size"):
        vh.nearest_distances(np.zeros((2, 3)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="at least one row"):
        vh.nearest_distances(np.zeros((2, 3)), np.zeros((0, 3)))
