"""plots.py: the latent grid matches the reference tutorial's loop, grids are laid out as documented, and every
plot checks its input and draws what it is given."""

import statistics

import keras
import matplotlib
import matplotlib.pyplot as plt  # the Agg backend is chosen in conftest.py
import numpy as np
import pytest
from keras import ops

import vae_helpers as vh
from vae_helpers.reference import flip_tile_rows, reference_latent_grid
from vae_helpers.explore.pictures import grey_levels
from vae_helpers.plots import IMAGE_CMAP


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_latent_grid_equals_the_reference_loop_with_its_rows_of_tiles_flipped(trained_vae):
    vae, _, _ = trained_vae
    n = 4
    ours = vh.latent_grid(vae, n=n)  # the reference's span is fixed at +-2, linear spacing
    assert ours.shape == (112, 112) and ours.dtype == np.float32
    reference = reference_latent_grid(vae.decoder, n=n)  # row i holds z[1] = grid[i]: z[1] grows downwards
    flipped = reference.reshape(n, 28, 28 * n)[::-1].reshape(28 * n, 28 * n)  # rows of tiles reversed, tiles kept
    np.testing.assert_allclose(ours, flipped, atol=1e-6)
    np.testing.assert_array_equal(flip_tile_rows(reference, n), flipped)  # what the benchmark compares with
    assert np.abs(ours - reference).max() > 1e-3  # the flip matters: the two layouts differ for this decoder


def brightness_decoder(dimension: int):
    """A decoder whose every pixel is sigmoid(z[dimension]): brighter output for larger z[dimension] only."""
    inputs = keras.Input(shape=(2,))
    dense = keras.layers.Dense(28 * 28, activation="sigmoid")
    outputs = keras.layers.Reshape((28, 28, 1))(dense(inputs))
    decoder = keras.Model(inputs, outputs)
    kernel = np.zeros((2, 28 * 28), np.float32)
    kernel[dimension] = 1.0
    dense.set_weights([kernel, np.zeros(28 * 28, np.float32)])
    return decoder


@pytest.mark.parametrize("spacing", ["linear", "quantile"])
def test_latent_grid_z1_grows_upwards_and_z0_rightwards(spacing):
    n = 5
    by_z1 = vh.latent_grid(brightness_decoder(1), n=n, spacing=spacing).reshape(n, 28, n, 28).mean(axis=(1, 3))
    assert np.all(np.diff(by_z1[:, 0]) < 0)  # row 0 (top) is the largest z[1]: brightest at the top
    np.testing.assert_allclose(by_z1, by_z1[:, :1].repeat(n, axis=1), atol=1e-6)  # nothing changes along a row
    by_z0 = vh.latent_grid(brightness_decoder(0), n=n, spacing=spacing).reshape(n, 28, n, 28).mean(axis=(1, 3))
    assert np.all(np.diff(by_z0[0]) > 0)  # z[0] grows rightwards


@pytest.mark.parametrize("spacing", ["linear", "quantile"])
def test_latent_grid_layout_rows_are_z1_columns_are_z0(make_tiny_vae, spacing):
    vae = make_tiny_vae(latent_dim=3)
    n, span = 3, 1.5
    image = vh.latent_grid(vae.decoder, n=n, span=span, spacing=spacing)
    grid = vh.grid_coordinates(n, span, spacing)
    for i in range(n):
        for j in range(n):
            z = np.array([[grid[j], grid[n - 1 - i], 0.0]], np.float32)  # other latent dimensions are 0
            expected = ops.convert_to_numpy(vae.decoder(z))[0, :, :, 0]
            np.testing.assert_allclose(image[28 * i : 28 * (i + 1), 28 * j : 28 * (j + 1)], expected, atol=1e-6)


def test_linear_grid_is_evenly_spaced():
    np.testing.assert_allclose(vh.grid_coordinates(5, 2.0, "linear"), [-2, -1, 0, 1, 2])


@pytest.mark.parametrize("n, span", [(5, 2.0), (30, 2.0), (8, 3.5)])
def test_quantile_grid_holds_equal_prior_mass_between_points(n, span):
    grid = vh.grid_coordinates(n, span, "quantile")
    normal = statistics.NormalDist()
    assert grid.shape == (n,)
    np.testing.assert_allclose([grid[0], grid[-1]], [-span, span], rtol=1e-9)
    np.testing.assert_allclose(grid, -grid[::-1], atol=1e-9)  # symmetric
    assert np.all(np.diff(grid) > 0)  # increasing
    masses = np.diff([normal.cdf(g) for g in grid])
    np.testing.assert_allclose(masses, (normal.cdf(span) - normal.cdf(-span)) / (n - 1), rtol=1e-7)
    assert np.diff(grid)[n // 2 - 1] < np.diff(grid)[0]  # denser in the centre than at the edges


def test_quantile_grid_known_values():
    normal = statistics.NormalDist()
    step = (normal.cdf(2) - normal.cdf(-2)) / 4
    expected = [-2.0, normal.inv_cdf(normal.cdf(-2) + step), 0.0, -normal.inv_cdf(normal.cdf(-2) + step), 2.0]
    np.testing.assert_allclose(vh.grid_coordinates(5, 2.0, "quantile"), expected, atol=1e-9)
    assert -1.2 < expected[1] < -0.5  # the second point sits much closer to 0 than the linear grid's -1


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"n": 0}, "n must be a positive integer"),
        ({"n": 2.5}, "n must be a positive integer"),
        ({"span": 0.0}, "span must be a finite number > 0"),
        ({"span": -1.0}, "span must be a finite number > 0"),
        ({"span": float("inf")}, "span must be a finite number > 0"),
        ({"span": float("nan")}, "span must be a finite number > 0"),
        ({"span": "2"}, "span must be a finite number > 0"),
        ({"spacing": "log"}, "spacing must be 'linear' or 'quantile', got 'log'"),
    ],
)
def test_grid_rejects_bad_arguments(make_tiny_vae, kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        vh.grid_coordinates(**kwargs)
    with pytest.raises(ValueError, match=fragment):
        vh.latent_grid(make_tiny_vae(), **kwargs)


def test_latent_grid_needs_a_two_dimensional_decoder(make_tiny_vae):
    with pytest.raises(ValueError, match="at least 2 dimensions, got 1"):
        vh.latent_grid(make_tiny_vae(latent_dim=1))
    with pytest.raises(ValueError, match="expected a decoder keras.Model or a vh.VAE"):
        vh.latent_grid("decoder")


def test_plot_latent_grid_shows_the_grid_with_latent_ticks_z1_increasing_upwards(make_tiny_vae):
    vae = make_tiny_vae()
    fig = vh.plot_latent_grid(vae, n=4, span=1.0, spacing="quantile")
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.images[0].get_array(), vh.latent_grid(vae, 4, 1.0, "quantile"))
    coordinates = vh.grid_coordinates(4, 1.0, "quantile")
    grid = [f"{v:.2f}" for v in coordinates[:2]] + ["0.00"] + [f"{v:.2f}" for v in coordinates[2:]]  # 0 between
    assert [t.get_text() for t in ax.get_xticklabels()] == grid  # left to right: z[0] increasing
    y_ticks = sorted(zip(ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()]), reverse=True)
    assert [label for _, label in y_ticks] == grid  # from the bottom row (largest pixel row) up: z[1] increasing
    assert "quantile" in ax.get_title() and ax.get_xlabel() == "z[0]" and ax.get_ylabel() == "z[1]"


def test_plot_latent_grid_draws_each_tile_at_its_own_pixel_size(make_tiny_vae):
    fig = vh.plot_latent_grid(make_tiny_vae(), n=30, dpi=100)
    width, height = fig.axes[0].get_window_extent().size  # display pixels at the figure's dpi
    assert abs(width - 840) < 2 and abs(height - 840) < 2  # 30 tiles of 28 px, not shrunk


def test_one_picture_convention_for_matplotlib_and_the_explorers(make_tiny_vae, images):
    values = np.linspace(0, 1, 11)
    colormap = matplotlib.colormaps[IMAGE_CMAP]
    as_matplotlib_draws = np.round(colormap(values)[:, 0] * 255)
    np.testing.assert_allclose(grey_levels(values), as_matplotlib_draws, atol=1)  # the explorers' PNGs
    assert grey_levels(1.0) == 0 and grey_levels(0.0) == 255  # ink (1) black on a white background (0)
    grid_image = vh.plot_latent_grid(make_tiny_vae(), n=2).axes[0].images[0]
    shown = vh.show_images(images[:2]).axes[0].images[0]
    for image in (grid_image, shown):
        assert image.get_cmap().name == IMAGE_CMAP and image.get_clim() == (0, 1)


def test_show_images_draws_each_image_with_its_class(images):
    fig = vh.show_images(images[:7], labels=[0, 1, 2, 3, 4, 5, 9], n_cols=4)
    assert len(fig.axes) == 8  # 2 rows of 4; the last cell stays empty
    np.testing.assert_array_equal(fig.axes[6].images[0].get_array(), images[6, :, :, 0])
    assert fig.axes[6].get_title() == "Ankle boot" and not fig.axes[7].images


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"images": np.zeros((3, 28, 28), np.float32)}, r"images must have shape \(N, 28, 28, 1\)"),
        (
            {"labels": [0, 1]},
            r"labels must hold one class index per image: 3 whole numbers in 0..9 .* got shape \(2,\)",
        ),
        (
            {"labels": [0, 1, 10]},
            "labels must hold one class index per image: 3 whole numbers in 0..9 .* got values 0..10",
        ),
        ({"labels": [0, 1, 1.5]}, "3 whole numbers in 0..9"),
        ({"labels": [0, -1, 1]}, "3 whole numbers in 0..9"),
        ({"n_cols": 0}, "n_cols must be a positive integer"),
    ],
)
def test_show_images_rejects_bad_input(images, kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        vh.show_images(**{"images": images[:3], **kwargs})


def test_plot_latent_scatter_places_points_and_names_classes():
    z = np.random.default_rng(0).normal(size=(20, 2))
    labels = np.arange(20) % 10
    fig = vh.plot_latent_scatter(z, labels)
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.collections[0].get_offsets(), z)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(vh.CLASS_NAMES)


@pytest.mark.parametrize(
    "z, labels, fragment",
    [
        (np.zeros(5), np.zeros(5), r"z must be \(N, 2\)"),
        (np.zeros((5, 1)), np.zeros(5), r"z must be \(N, 2\)"),
        (np.zeros((5, 2)), np.zeros(4), "5 whole numbers in 0..9"),
        (np.zeros((3, 2)), [12, 0, 1], "got values 0..12"),
        (np.zeros((3, 2)), [0, 1, 1.5], "whole numbers"),
        (np.zeros((3, 2)), [-1, 0, 1], "got values -1..1"),
    ],
)
def test_plot_latent_scatter_rejects_bad_shapes_and_labels(z, labels, fragment):
    with pytest.raises(ValueError, match=fragment):
        vh.plot_latent_scatter(z, labels)


def test_plot_history_draws_train_and_validation_curves():
    history = {"loss": [3.0, 2.0], "reconstruction_loss": [2.5, 1.5], "kl_loss": [0.5, 0.5], "val_loss": [3.5, 2.5]}
    fig = vh.plot_history(history)
    loss_ax, reconstruction_ax, _ = fig.axes
    np.testing.assert_array_equal(loss_ax.lines[0].get_ydata(), [3.0, 2.0])
    np.testing.assert_array_equal(loss_ax.lines[1].get_ydata(), [3.5, 2.5])
    np.testing.assert_array_equal(loss_ax.lines[0].get_xdata(), [1, 2])  # epochs count from 1
    assert len(reconstruction_ax.lines) == 1 and loss_ax.get_ylabel() == "nats per image"


def test_plot_history_ticks_only_whole_epochs():
    fig = vh.plot_history({"loss": [3.0, 2.0], "reconstruction_loss": [2.5, 1.5], "kl_loss": [0.5, 0.5]})
    fig.canvas.draw()
    for ax in fig.axes:
        ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks), ticks  # not 1.0, 1.2, ... 2.0


def test_plot_history_names_the_missing_keys():
    with pytest.raises(ValueError, match=r"history must hold \('loss', 'reconstruction_loss', 'kl_loss'\).*\['loss'\]"):
        vh.plot_history({"loss": [1.0]})


def test_plot_reconstructions_shows_inputs_above_outputs(make_tiny_vae, images):
    fig = vh.plot_reconstructions(make_tiny_vae(), images, n=3)
    assert len(fig.axes) == 6
    for j in range(3):
        np.testing.assert_array_equal(fig.axes[j].images[0].get_array(), images[j, :, :, 0])
        reconstruction = np.asarray(fig.axes[3 + j].images[0].get_array())
        assert reconstruction.shape == (28, 28) and 0 <= reconstruction.min() and reconstruction.max() <= 1


def test_plot_reconstructions_refuses_a_conditional_vae_and_says_how_to_reconstruct_it(images):
    with pytest.raises(ValueError, match=r"also needs each image's label.*cvae.decode\(cvae.encode\(x, y\)\[0\], y\)"):
        vh.plot_reconstructions(vh.build_cvae(latent_dim=2, seed=0), images)


@pytest.mark.parametrize("n", [0, -1, 1.5])
def test_plot_reconstructions_rejects_bad_n(make_tiny_vae, images, n):
    with pytest.raises(ValueError, match="n must be a positive integer"):
        vh.plot_reconstructions(make_tiny_vae(), images, n=n)


def test_figure_png_keeps_the_picture_in_a_palette_and_closes_the_figure():
    import io

    from PIL import Image

    fig, ax = plt.subplots(figsize=(2, 2), dpi=50)
    ax.imshow(np.linspace(0, 1, 64).reshape(8, 8), cmap=IMAGE_CMAP, vmin=0, vmax=1)
    picture = Image.open(io.BytesIO(vh.figure_png(fig, colours=16)))
    assert picture.mode == "P" and len(picture.getcolors()) <= 16
    assert not plt.fignum_exists(fig.number)
    with pytest.raises(ValueError, match="at most 256"):
        vh.figure_png(plt.figure(), colours=300)


def test_a_notebook_kernel_shows_the_first_figure_of_its_session_as_a_png(monkeypatch):
    """What a learner sees: in a Jupyter kernel of this environment (inline backend, as in the notebooks), the first
    figure shown with plt.show() arrives as a PNG, not as the text "<Figure ...>". With matplotlib 3.7 and 3.8 and
    IPython 9 it did not (the reason the declared minimum is matplotlib 3.9.0); nbval does not compare pictures, so
    this test is what catches it."""
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.delenv("MPLBACKEND", raising=False)  # the kernel picks its backend as a learner's does
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import matplotlib.pyplot as plt"),
        nbformat.v4.new_code_cell("fig, ax = plt.subplots()\nax.plot([1, 2])\nplt.show()"),
        nbformat.v4.new_code_cell("fig, ax = plt.subplots()\nax.plot([2, 1])\nplt.show()"),
    ]
    NotebookClient(nb, kernel_name="python3", timeout=120).execute()
    for cell in nb.cells[1:]:
        figures = [o for o in cell.outputs if o.output_type == "display_data"]
        assert figures and all("image/png" in o.data for o in figures), (
            f"a figure was shown without a PNG: {[dict(o.data) for o in figures]}"
        )


@pytest.mark.parametrize("n", [7, 12, 20, 30])
def test_plot_latent_grid_labels_zero_and_spaces_its_ticks_evenly(make_tiny_vae, n):
    """z = 0 is always labelled (for an even n, between the two middle tiles), and no two neighbouring ticks are
    more than twice as far apart as any other two (06's 30 x 30 grid once jumped from -0.62 to 0.62)."""
    fig = vh.plot_latent_grid(make_tiny_vae(), n=n, span=2.0)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert "0.00" in labels and "-0.00" not in labels
    tile = ax.images[0].get_array().shape[0] // n
    assert ax.get_xticks()[labels.index("0.00")] == pytest.approx((n * tile - 1) / 2)  # the image's centre
    gaps = np.diff(ax.get_xticks())
    assert gaps.max() <= 2 * gaps.min(), gaps
    plt.close(fig)
