"""The latent explorers (and the conditional one), driven from Python: widgets change, pictures match the decoder,
errors are clear.

A tiny untrained model is enough: the tests compare what is shown with what the decoder computes at the same
latent point, rendered independently (ink black on white: 255 - round(p * 255), each pixel repeated 6 x 6),
never with stored pictures.
"""

import io

import numpy as np
import pytest
from keras import ops
from PIL import Image

import vae_helpers as vh
from vae_helpers.latent import nearest_indices
from vae_helpers.explore.parts import find_widgets
from vae_helpers.explore.pictures import ERROR_MAP_MAX_NATS, IMAGE_SCALE, LatentMap, error_map_picture, png_bytes
from vae_helpers.fast_decoding import FastDecoder

from conftest import assert_no_retrace, compiled_once

N_IMAGES = 40


@pytest.fixture(scope="module")
def vae():
    model = vh.build_vae(latent_dim=2, seed=3)
    z_mean = model.encoder.get_layer("z_mean")
    z_mean.kernel.assign(z_mean.kernel * 20)  # spread the codes over a few units, as after training
    return model


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = (rng.uniform(size=(N_IMAGES, 28, 28, 1)) < 0.3).astype("float32")  # binary images, like thresholded pixels
    return x, rng.integers(0, 10, N_IMAGES)


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)))


def expected_pixels(decoder, z) -> np.ndarray:
    """The decoder's image at the single point z (D,), rendered as the explorers promise: uint8, 6x enlarged."""
    probabilities = ops.convert_to_numpy(decoder(np.asarray([z], "float32"), training=False))[0, :, :, 0]
    return ink_on_white(probabilities).repeat(IMAGE_SCALE, 0).repeat(IMAGE_SCALE, 1)


def rgb(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def ink_on_white(values) -> np.ndarray:
    """The course's picture convention, written out: value 1 (ink) black, 0 white."""
    return (255 - np.round(np.asarray(values) * 255)).astype(np.uint8)


def assert_shows(image_widget, decoder, z):
    shown = pixels(image_widget.value).astype(int)
    assert shown.shape == (28 * IMAGE_SCALE, 28 * IMAGE_SCALE)
    assert np.abs(shown - expected_pixels(decoder, z)).max() <= 1  # tf.function vs eager: rounding may differ by 1


def one(root, css_class):
    (widget,) = find_widgets(root, css_class)
    return widget


# --------------------------------------------------------------------------- rendering
def test_png_bytes_enlarges_by_nearest_neighbour_and_keeps_values():
    image = np.linspace(0, 1, 28 * 28).reshape(28, 28)
    decoded = pixels(png_bytes(image))
    assert decoded.shape == (168, 168)
    assert np.array_equal(decoded[::6, ::6], np.round(image * 255).astype(np.uint8))
    assert np.array_equal(decoded[5::6, 5::6], decoded[::6, ::6])  # each pixel is a flat 6 x 6 block


def test_png_bytes_rejects_a_batch():
    with pytest.raises(ValueError, match=r"\(H, W\) or \(H, W, 3\)"):
        png_bytes(np.zeros((2, 28, 28)))


def test_fast_decoder_matches_the_decoder_and_traces_once(vae):
    fast = FastDecoder(vae)

    def decode_and_compare():
        for batch in (1, 5, 1, 3):
            z = np.random.default_rng(batch).normal(size=(batch, 2)).astype("float32")
            expected = ops.convert_to_numpy(vae.decoder(z, training=False))[..., 0]
            np.testing.assert_allclose(fast(z), expected, atol=1e-5)

    decode_and_compare()
    seen = compiled_once(fast._decode, shapes=3)  # batch sizes 1, 5 and 3
    decode_and_compare()  # the same batch sizes again: no new trace
    assert_no_retrace(fast._decode, seen)


@pytest.mark.parametrize(
    "bad, message",
    [("not a model", "expected a decoder keras.Model"), (vh.build_encoder(2), "Did you pass the encoder")],
)
def test_fast_decoder_rejects_what_is_not_a_decoder(bad, message):
    with pytest.raises(ValueError, match=message):
        FastDecoder(bad)


def test_fast_decoder_rejects_points_of_the_wrong_size(vae):
    with pytest.raises(ValueError, match=r"z must have shape \(B, 2\).*z\[None\]"):
        FastDecoder(vae)(np.zeros(2))


def test_latent_map_draws_the_marker_where_the_point_is(data):
    rng = np.random.default_rng(1)
    latent_map = LatentMap(rng.normal(size=(50, 2)), rng.integers(0, 10, 50))
    point = (1.0, -0.5)
    changed = np.any(pixels(latent_map.png(point)) != pixels(latent_map.png()), axis=2)  # (H, W)
    rows, cols = np.nonzero(changed)
    col, row = latent_map.pixel(point)
    assert abs(cols.mean() - col) < 1.5 and abs(rows.mean() - row) < 1.5
    assert latent_map.pixel((2.0, -0.5))[0] > col and latent_map.pixel((1.0, 0.5))[1] < row  # up = smaller row
    assert latent_map.xlim[0] <= -3 and latent_map.xlim[1] >= 3  # the prior's bulk is always on the map


# --------------------------------------------------------------------------- explore_latent
def test_explore_latent_slider_redraws_the_decoder_output_without_retracing(vae):
    fast = FastDecoder(vae)
    explorer = vh.explore_latent(fast)
    seen = compiled_once(fast._decode)
    sliders, image = find_widgets(explorer, "explorer-slider"), one(explorer, "explorer-image")
    assert "latent-explorer" in explorer._dom_classes and len(sliders) == 2
    assert_shows(image, vae.decoder, [0.0, 0.0])
    before = image.value
    sliders[0].value = 1.5
    assert image.value != before
    assert_shows(image, vae.decoder, [1.5, 0.0])
    for value in np.linspace(-2, 2, 7):
        sliders[1].value = float(value)
    assert_shows(image, vae.decoder, [1.5, 2.0])
    assert_no_retrace(fast._decode, seen)  # slider moves never retrace


def test_explore_latent_buttons_sample_the_prior_and_reset(vae):
    explorer = vh.explore_latent(vae, span=3.0, seed=7)
    sliders, image = find_widgets(explorer, "explorer-slider"), one(explorer, "explorer-image")
    sample, reset = one(explorer, "explorer-sample"), one(explorer, "explorer-reset")
    sample.click()
    drawn = np.clip(np.random.default_rng(7).standard_normal(2), -3, 3)
    np.testing.assert_allclose([s.value for s in sliders], drawn)
    assert_shows(image, vae.decoder, drawn)
    reset.click()
    assert [s.value for s in sliders] == [0.0, 0.0]
    assert_shows(image, vae.decoder, [0.0, 0.0])


def test_explore_latent_starts_where_asked_clipped_to_the_sliders(vae):
    explorer = vh.explore_latent(vae, span=2.0, start=[1.5, -2.5])
    sliders, image = find_widgets(explorer, "explorer-slider"), one(explorer, "explorer-image")
    assert [s.value for s in sliders] == [1.5, -2.0]
    assert_shows(image, vae.decoder, [1.5, -2.0])
    one(explorer, "explorer-reset").click()
    assert [s.value for s in sliders] == [0.0, 0.0]


@pytest.mark.parametrize("start", [[1.0], [1.0, np.nan], np.zeros((1, 2))])
def test_explore_latent_rejects_a_bad_start(vae, start):
    with pytest.raises(ValueError, match="start must be 2 finite numbers"):
        vh.explore_latent(vae, start=start)


def test_explore_latent_shows_one_slider_per_dimension():
    explorer = vh.explore_latent(vh.build_decoder(5))
    assert [s.description for s in find_widgets(explorer, "explorer-slider")] == [f"z[{i}]" for i in range(5)]


@pytest.mark.parametrize(
    "bad, message",
    [
        (vh.build_decoder(17), "at most 16"),
        (vh.build_encoder(2), "Did you pass the encoder"),
        (np.zeros(3), "expected a decoder keras.Model"),
    ],
)
def test_explore_latent_rejects_bad_models(bad, message):
    with pytest.raises(ValueError, match=message):
        vh.explore_latent(bad)


def test_explore_latent_rejects_a_bad_span(vae):
    with pytest.raises(ValueError, match="span must be a finite number > 0"):
        vh.explore_latent(vae, span=-1.0)


# --------------------------------------------------------------------------- explore_latent_map
def test_explore_latent_map_sliders_move_marker_decoded_image_and_neighbours(vae, data):
    x, y = data
    fast = FastDecoder(vae)
    explorer = vh.explore_latent_map(vae, fast, x, y)
    seen = compiled_once(fast._decode)
    sliders = {slider.description: slider for slider in find_widgets(explorer, "explorer-slider")}
    x_slider, y_slider = sliders["z[0]"], sliders["z[1]"]
    assert y_slider.orientation == "vertical"  # beside the map's vertical axis
    map_image, neighbours = one(explorer, "explorer-map"), one(explorer, "explorer-neighbours")
    map_before, neighbours_before = map_image.value, neighbours.value
    x_slider.value, y_slider.value = 0.5, -0.25
    assert_shows(one(explorer, "explorer-image"), vae.decoder, [0.5, -0.25])
    assert map_image.value != map_before
    codes = vh.encode_means(vae, x)
    nearest = np.argsort(np.sum((codes - [0.5, -0.25]) ** 2, axis=1))[:8]
    strip = pixels(neighbours.value)[::2, ::2]  # drawn at scale 2 with 2-pixel gaps: tiles every 30 px here
    for k, index in enumerate(nearest):
        np.testing.assert_array_equal(strip[:, k * 30 : k * 30 + 28], ink_on_white(x[index, :, :, 0]))
    if not np.array_equal(nearest, nearest_indices(codes, [0.0, 0.0])):  # the neighbours of the start point
        assert neighbours.value != neighbours_before
    assert_no_retrace(fast._decode, seen)  # slider moves never retrace


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda vae, x, y: (vae, vh.build_decoder(3), x, y), "latent size 2 and the decoder's 3"),
        (lambda vae, x, y: (vae, vae, x[..., 0], y), r"x\[..., None\]"),
        (lambda vae, x, y: (vae, vae, x, y[:-1]), "one class index per image"),
        (lambda vae, x, y: (vae, vae, x, y + 10), "one class index per image"),
        (lambda vae, x, y: (vae.decoder, vae, x, y), "swap the encoder and the decoder"),
    ],
)
def test_explore_latent_map_rejects_bad_input(vae, data, change, message):
    with pytest.raises(ValueError, match=message):
        vh.explore_latent_map(*change(vae, *data))


def test_explore_latent_map_rejects_zero_neighbours(vae, data):
    with pytest.raises(ValueError, match="n_neighbours must be a positive integer"):
        vh.explore_latent_map(vae, vae, *data, n_neighbours=0)


def test_explore_latent_map_needs_two_latent_dimensions(data):
    vae3 = vh.build_vae(latent_dim=3)
    with pytest.raises(ValueError, match="needs a 2-D latent space"):
        vh.explore_latent_map(vae3, vae3, *data)


# --------------------------------------------------------------------------- explore_interpolation
def test_explore_interpolation_walks_the_chosen_path(vae, data):
    x, _ = data
    fast = FastDecoder(vae)
    explorer = vh.explore_interpolation(vae, fast, x, start=2, end=5, steps=5)
    seen = compiled_once(fast._decode)
    (t_slider,) = find_widgets(explorer, "explorer-slider")
    a, b = vh.encode_means(vae, x[[2, 5]])
    t_slider.value = 0.5
    assert_shows(one(explorer, "explorer-image"), vae.decoder, (a + b) / 2)
    method = one(explorer, "explorer-method")
    method.value = "spherical"
    angle = np.arccos(a @ b / np.linalg.norm(a) / np.linalg.norm(b))
    assert_shows(one(explorer, "explorer-image"), vae.decoder, (a + b) * np.sin(angle / 2) / np.sin(angle))
    strip = pixels(one(explorer, "explorer-strip").value)[::3, ::3]  # drawn at scale 3 with gaps: a tile every 30 px
    for k, t in enumerate(np.linspace(0, 1, 5)):
        slerp = (np.sin((1 - t) * angle) * a + np.sin(t * angle) * b) / np.sin(angle)
        expected = expected_pixels(vae.decoder, slerp)[::6, ::6].astype(int)
        assert np.abs(strip[:, k * 30 : k * 30 + 28] - expected).max() <= 1
    np.testing.assert_array_equal(pixels(one(explorer, "explorer-start").value)[::6, ::6], ink_on_white(x[2, :, :, 0]))
    strip_before = one(explorer, "explorer-strip").value
    find_widgets(explorer, "explorer-index")[1].value = 9  # end image
    assert one(explorer, "explorer-strip").value != strip_before
    assert_no_retrace(fast._decode, seen)  # slider moves never retrace


def test_explore_interpolation_reports_an_out_of_range_index_in_the_widget(vae, data):
    x, _ = data
    explorer = vh.explore_interpolation(vae, vae, x)
    start_box = find_widgets(explorer, "explorer-index")[0]
    strip_before = one(explorer, "explorer-strip").value
    start_box.value = N_IMAGES  # one past the end: must not raise
    assert f"start image {N_IMAGES} is out of range" in one(explorer, "explorer-message").value
    assert one(explorer, "explorer-strip").value == strip_before
    start_box.value = 3
    assert one(explorer, "explorer-message").value == ""


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"start": N_IMAGES}, "start 40 is out of range"),
        ({"end": -1}, "end -1 is out of range"),
        ({"steps": 1}, "steps must be an integer from 2 to 64"),
    ],
)
def test_explore_interpolation_rejects_bad_arguments(vae, data, kwargs, message):
    with pytest.raises(ValueError, match=message):
        vh.explore_interpolation(vae, vae, data[0], **kwargs)


# --------------------------------------------------------------------------- explore_reconstruction
def test_explore_reconstruction_shows_the_input_and_both_terms_in_nats(vae, data):
    x, y = data
    explorer = vh.explore_reconstruction(vae, x, y, index=4)
    one(explorer, "explorer-index").value = 7
    np.testing.assert_array_equal(pixels(one(explorer, "explorer-input").value)[::6, ::6], ink_on_white(x[7, :, :, 0]))
    z_mean, z_log_var, _ = vae.encoder(x[7:8])
    reconstruction = ops.convert_to_numpy(vh.reconstruction_loss(x[7:8], vae.decoder_logits(z_mean)))
    kl = ops.convert_to_numpy(vh.kl_divergence(z_mean, z_log_var))
    text = one(explorer, "explorer-terms").value
    assert f"reconstruction term {float(reconstruction[0]):.1f} nats" in text
    assert f"KL term {float(kl[0]):.2f} nats" in text and vh.CLASS_NAMES[y[7]] in text
    assert_shows(one(explorer, "explorer-image"), vae.decoder, ops.convert_to_numpy(z_mean)[0])


def test_explore_reconstruction_reports_an_out_of_range_index_in_the_widget(vae, data):
    explorer = vh.explore_reconstruction(vae, *data)
    one(explorer, "explorer-index").value = 10_000
    assert "image index 10000 is out of range: there are 40 images" in one(explorer, "explorer-message").value


def test_explore_reconstruction_rejects_bad_input(vae, data):
    x, y = data
    with pytest.raises(ValueError, match="needs a vh.VAE"):
        vh.explore_reconstruction(vae.decoder, x, y)
    with pytest.raises(ValueError, match="index 40 is out of range"):
        vh.explore_reconstruction(vae, x, y, index=N_IMAGES)
    with pytest.raises(ValueError, match=r"values must lie in \[0, 1\]"):
        vh.explore_reconstruction(vae, x * 255, y)


def test_explorer_snapshot_has_a_title_and_places_every_picture_side_by_side(vae, data):
    explorer = vh.explore_reconstruction(vae, *data)
    widths = [pixels(w.value).shape[1] for w in find_widgets(explorer, "explorer-picture")]
    snapshot = rgb(vh.explorer_snapshot(explorer))
    assert snapshot.shape[1] == sum(widths) + 12 * (len(widths) - 1)
    body = 26 + 20 + 20  # title line, the explorer's text line, captions
    shown = snapshot[body : body + 168, :168, 0].astype(int)  # a palette PNG: grey levels kept within a few levels
    assert np.abs(shown - pixels(one(explorer, "explorer-input").value)).max() <= 6
    assert (snapshot[:22] < 128).any()  # the title is drawn: dark text on the white header
    untitled_rows = rgb(vh.explorer_snapshot(explorer, title=" "))[:22]
    assert (untitled_rows == 255).all()  # and it is the title that put it there


def test_every_explorer_gets_its_own_snapshot_title():
    from vae_helpers.explore.parts import SNAPSHOT_TITLES

    names = {
        "latent-explorer",
        "latent-map-explorer",
        "interpolation-explorer",
        "reconstruction-explorer",
        "conditional-explorer",
    }
    assert set(SNAPSHOT_TITLES) == names and len(set(SNAPSHOT_TITLES.values())) == len(names)


def test_explorer_snapshot_rejects_what_is_not_an_explorer():
    import ipywidgets

    with pytest.raises(ValueError, match="no explorer pictures found"):
        vh.explorer_snapshot(ipywidgets.VBox())


def test_error_map_shows_nats_in_colour_with_a_colour_bar_from_0_to_the_maximum():
    import matplotlib

    nats = np.zeros((28, 28))
    nats[0, 0], nats[0, 1], nats[0, 2] = ERROR_MAP_MAX_NATS, 5 * ERROR_MAP_MAX_NATS, ERROR_MAP_MAX_NATS / 2
    picture = error_map_picture(nats)
    magma = matplotlib.colormaps["magma"]
    as_uint8 = lambda value: np.round(np.asarray(magma(value)[:3]) * 255)
    np.testing.assert_allclose(picture[3, 3], as_uint8(1.0), atol=1)  # the maximum: the yellow end
    np.testing.assert_allclose(picture[3, 9], as_uint8(1.0), atol=1)  # beyond it: still yellow
    np.testing.assert_allclose(picture[3, 15], as_uint8(128 / 255), atol=1)  # half-way
    np.testing.assert_allclose(picture[3, 21], as_uint8(0.0), atol=1)  # 0 nats: the black end
    bar = picture[168 + 6 + 6]  # one row through the colour bar
    np.testing.assert_allclose(bar[0], as_uint8(0.0), atol=1)
    np.testing.assert_allclose(bar[-1], as_uint8(1.0), atol=1)
    assert picture.shape[0] > 168 + 20 and (picture[168 + 20 :] < 100).any()  # labels under the bar


def test_explore_reconstruction_shows_the_error_map_with_its_colour_bar(vae, data):
    explorer = vh.explore_reconstruction(vae, *data, index=3)
    terms = vh.explore.reconstruction_terms(vae, data[0][3])
    np.testing.assert_array_equal(pixels(one(explorer, "explorer-error").value), error_map_picture(terms["pixel_nats"]))


def test_explorer_snapshot_is_wide_enough_for_its_title(vae):
    from PIL import ImageDraw

    from vae_helpers.explore.pictures import font
    from vae_helpers.explore.parts import SNAPSHOT_TITLES

    snapshot = rgb(vh.explorer_snapshot(vh.explore_latent(vae)))  # one 168-px picture, a longer title
    title_width = ImageDraw.Draw(Image.new("RGB", (1, 1))).textlength(SNAPSHOT_TITLES["latent-explorer"], font=font(16))
    assert snapshot.shape[1] >= title_width > 168
    assert (snapshot[:22, int(title_width) - 20 : int(title_width)] < 128).any()  # the title's end is drawn


# --------------------------------------------------------------------------- explore_conditional
@pytest.fixture(scope="module")
def cvae():
    model = vh.build_cvae(2, seed=0)
    logits = model.core_decoder.get_layer("logits")
    logits.kernel.assign(logits.kernel * 30)  # spread the grey levels over a few hundred, as after training
    return model


def class_pixels(cvae, z, label) -> np.ndarray:
    """``cvae.decode`` at the single point z (D,) as class ``label``, rendered as the explorers promise."""
    probabilities = ops.convert_to_numpy(cvae.decode(np.asarray([z], "float32"), label))[0, :, :, 0]
    return ink_on_white(probabilities).repeat(IMAGE_SCALE, 0).repeat(IMAGE_SCALE, 1)


def assert_shows_class(explorer, cvae, z, label):
    """The large image is class ``label`` at z, every tile of the strip (scale 2, a tile every 30 px) is its class
    at z, and the text names the class and z."""
    shown = pixels(one(explorer, "explorer-image").value).astype(int)
    assert shown.shape == (28 * IMAGE_SCALE, 28 * IMAGE_SCALE)
    assert np.abs(shown - class_pixels(cvae, z, label)).max() <= 1  # compiled vs eager: rounding may differ by 1
    strip = pixels(one(explorer, "explorer-strip").value)[::2, ::2].astype(int)
    assert strip.shape == (28, cvae.num_classes * 30 - 2)
    for k in range(cvae.num_classes):
        assert np.abs(strip[:, k * 30 : k * 30 + 28] - class_pixels(cvae, z, k)[::6, ::6]).max() <= 1
    text = one(explorer, "explorer-point").value
    assert vh.CLASS_NAMES[label] in text and "z = (" + ", ".join(f"{v:+.2f}" for v in z) + ")" in text


def test_explore_conditional_shows_the_chosen_class_at_the_sliders_point_without_retracing(cvae):
    explorer = vh.explore_conditional(cvae)
    fast = FastDecoder(cvae.core_decoder)  # shares the explorer's compiled decoder (and its trace count)
    seen = compiled_once(fast._decode, shapes=1)  # every update decodes all ten classes: one batch size
    classes, sliders = one(explorer, "explorer-class"), find_widgets(explorer, "explorer-slider")
    assert "conditional-explorer" in explorer._dom_classes and len(sliders) == 2
    assert [label for label, _ in classes.options] == list(vh.CLASS_NAMES)
    assert classes.value == 0
    assert_shows_class(explorer, cvae, [0.0, 0.0], 0)
    image, text = one(explorer, "explorer-image"), one(explorer, "explorer-point")
    image_before, text_before, strip_before = image.value, text.value, one(explorer, "explorer-strip").value
    calls = fast._decode.calls
    classes.value = 7  # Sneaker
    assert fast._decode.calls == calls  # the ten classes at this z are already decoded
    assert image.value != image_before and text.value != text_before
    assert one(explorer, "explorer-strip").value == strip_before  # the same z: the same ten classes
    assert_shows_class(explorer, cvae, [0.0, 0.0], 7)
    sliders[0].value = 1.5
    assert one(explorer, "explorer-strip").value != strip_before
    assert_shows_class(explorer, cvae, [1.5, 0.0], 7)
    for value in np.linspace(-2, 2, 7):
        sliders[1].value = float(value)
    classes.value = 2
    assert_shows_class(explorer, cvae, [1.5, 2.0], 2)
    assert_no_retrace(fast._decode, seen)  # class changes and slider moves never retrace


def test_explore_conditional_buttons_sample_the_prior_and_reset_keeping_the_class(cvae):
    explorer = vh.explore_conditional(cvae, span=1.0, seed=7)
    sliders, classes = find_widgets(explorer, "explorer-slider"), one(explorer, "explorer-class")
    classes.value = 9
    one(explorer, "explorer-sample").click()
    drawn = np.clip(np.random.default_rng(7).standard_normal(2), -1, 1)
    np.testing.assert_allclose([s.value for s in sliders], drawn)
    assert classes.value == 9
    assert_shows_class(explorer, cvae, drawn, 9)
    one(explorer, "explorer-reset").click()
    assert [s.value for s in sliders] == [0.0, 0.0] and classes.value == 9
    assert_shows_class(explorer, cvae, [0.0, 0.0], 9)


def test_explore_conditional_shows_one_slider_per_dimension_and_names_other_classes_by_index():
    explorer = vh.explore_conditional(vh.build_cvae(3, num_classes=4))
    assert [s.description for s in find_widgets(explorer, "explorer-slider")] == ["z[0]", "z[1]", "z[2]"]
    assert one(explorer, "explorer-class").options == (("class 0", 0), ("class 1", 1), ("class 2", 2), ("class 3", 3))
    assert pixels(one(explorer, "explorer-strip").value).shape[1] == 2 * (4 * 30 - 2)  # four tiles


def test_explore_conditional_snapshot_shows_the_image_and_the_strip(cvae):
    explorer = vh.explore_conditional(cvae)
    one(explorer, "explorer-class").value = 3
    snapshot = rgb(vh.explorer_snapshot(explorer))
    assert snapshot.shape[1] == 168 + 12 + 2 * (10 * 30 - 2)  # image and strip side by side
    body = 26 + 20 + 20  # title, the explorer's text (class and z), captions
    shown = snapshot[body : body + 168, :168, 0].astype(int)
    assert np.abs(shown - pixels(one(explorer, "explorer-image").value)).max() <= 6  # palette PNG


@pytest.mark.parametrize(
    "bad, message",
    [
        (lambda cvae: vh.build_vae(2), r"needs a vh.CVAE.*got VAE.*vh.build_cvae\(\).*vh.explore_latent\(vae\)"),
        (lambda cvae: cvae.decoder, "needs a vh.CVAE.*not one of its parts"),
        (lambda cvae: "fashion-cvae2", r"needs a vh.CVAE.*got str.*vh.load_pretrained\(\"fashion-cvae2\"\)"),
        (lambda cvae: vh.build_cvae(17), "at most 16; this model has 17"),
    ],
)
def test_explore_conditional_rejects_what_is_not_a_small_cvae(cvae, bad, message):
    with pytest.raises(ValueError, match=message):
        vh.explore_conditional(bad(cvae))


def test_explore_conditional_rejects_a_bad_span(cvae):
    with pytest.raises(ValueError, match="span must be a finite number > 0"):
        vh.explore_conditional(cvae, span=0.0)


@pytest.mark.parametrize(
    "explore",
    [
        lambda cvae, x, y: vh.explore_latent(cvae),
        lambda cvae, x, y: vh.explore_latent(cvae.decoder),
        lambda cvae, x, y: vh.explore_latent_map(cvae, cvae, x, y),
        lambda cvae, x, y: vh.explore_interpolation(cvae.encoder, vh.build_decoder(2), x),
    ],
)
def test_the_vae_explorers_send_a_cvae_to_explore_conditional(cvae, data, explore):
    with pytest.raises(ValueError, match=r"a vh.CVAE's, which also needs the class label.*vh.explore_conditional"):
        explore(cvae, *data)
