"""Interactive latent-space explorers (ipywidgets): ``vh.explore_latent`` and friends (notebook 06), and
``vh.explore_conditional`` for a conditional VAE (notebook 09).

Each ``explore_*`` function returns an ipywidgets container to display; it keeps its state in its own widgets
(nothing global). They use only widgets common to ipywidgets 7.6+ (Colab) and 8: sliders, text boxes, buttons,
``Dropdown``, ``Image(format="png")``, ``HTML``, ``HBox``/``VBox``. Pictures are PNG bytes made with Pillow
(:mod:`vae_helpers.explore.pictures`) from the decoder's one compiled copy (:class:`vae_helpers.FastDecoder`), so
a slider move redraws in milliseconds.

Why sliders rather than clicks on the map: ``widgets.Image`` sends no click events (that needs an extra package,
and on Colab clicks may not reach Python), whereas sliders work everywhere.

CSS hooks for tests and styling: every explorer has the class ``vae-explorer`` plus its own (``latent-explorer``,
``latent-map-explorer``, ``interpolation-explorer``, ``reconstruction-explorer``, ``conditional-explorer``); parts
have classes such as ``explorer-slider``, ``explorer-image``, ``explorer-class`` and ``explorer-message`` (find them
with :func:`vae_helpers.explore.parts.find_widgets`).
"""

from __future__ import annotations

import html

import ipywidgets as widgets
import keras
import numpy as np
from keras import ops

from vae_helpers._checks import check_labels, check_positive_int, image_shape_of
from vae_helpers.data import CLASS_NAMES, validate_images
from vae_helpers.latent import INTERPOLATIONS, interpolate_latent, nearest_indices
from vae_helpers.explore.parts import (
    as_encoder,
    as_fast_decoder,
    captioned,
    check_index,
    check_same_latent_dim,
    container,
    index_box,
    latent_controls,
    message_box,
    picture,
    point_of,
    point_text,
    show_error,
    slider,
)
from vae_helpers.explore.pictures import (
    ERROR_MAP_MAX_NATS,
    LatentMap,
    error_map_picture,
    image_png,
    png_bytes,
    tile_row,
)
from vae_helpers.losses import kl_divergence
from vae_helpers.model import VAE, encode_means

MAX_INTERPOLATION_STEPS = 64  # images in the interpolation strip: a row at most 64 x 28 x 3 = 5,376 pixels wide


def explore_latent(decoder, span: float = 3.0, seed=None, start=None) -> widgets.VBox:
    """Move one slider per latent dimension and watch the decoded image change.

    All D sliders are shown (D <= 16); each ranges over [-span, span], where a N(0, 1) prior puts nearly all
    its mass for span = 3. "Sample from prior" draws z ~ N(0, I) (clipped to the sliders' range);
    "Reset" goes back to z = 0.

    Args:
        decoder: decoder model (B, D) -> (B, 28, 28, 1), a :class:`vae_helpers.VAE`, or a
            :class:`vae_helpers.FastDecoder` (to share one compiled decoder, or read its trace count).
        span: half-width of each slider's range.
        seed: seed of the prior samples (None: different each time).
        start: the point the sliders start at, (D,) finite numbers (clipped to the sliders' range), e.g. the code
            of a test image; None (the default) starts at z = 0.

    Returns:
        ``VBox`` with CSS class ``latent-explorer``: D sliders, two buttons, the image (168 x 168 px).
    """
    fast = as_fast_decoder(decoder)
    image = picture("explorer-image")
    text = widgets.HTML()
    text.add_class("explorer-point")

    def show():
        z = point_of(sliders)  # (D,)
        image.value = image_png(fast(z[None])[0])
        text.value = point_text(z)

    sliders, buttons = latent_controls(
        fast.latent_dim, span, seed, show, "explore_latent", "Explore a smaller model, or vh.explore_interpolation."
    )
    if start is not None:
        start = np.asarray(start, dtype=np.float64)
        if start.shape != (fast.latent_dim,) or not np.isfinite(start).all():
            raise ValueError(
                f"start must be {fast.latent_dim} finite numbers (one per latent dimension), got "
                f"shape {start.shape}. Example: start=vh.encode_means(vae, x_test[:1])[0]."
            )
        for each, value in zip(sliders, np.clip(start, -span, span)):
            each.value = float(value)  # each move redraws; the last one shows the start point
    show()
    controls = widgets.VBox([*sliders, buttons])
    return container([widgets.HBox([controls, widgets.VBox([image, text])])], "latent-explorer")


def explore_latent_map(encoder, decoder, x, y, n_neighbours: int = 8) -> widgets.VBox:
    """Pick a point on the map of test images (two sliders) and see what the decoder makes of it.

    Shows the scatter of the posterior means of ``x`` coloured by class with a marker at the chosen point, the
    image decoded there, and the ``n_neighbours`` images of ``x`` whose codes are nearest to the point.

    Args:
        encoder: encoder model (B, 28, 28, 1) -> [z_mean, z_log_var, z] with D = 2, or a :class:`vae_helpers.VAE`.
        decoder: decoder model (B, 2) -> (B, 28, 28, 1), a VAE, or a ``FastDecoder``.
        x: images (N, 28, 28, 1) in [0, 1]. y: (N,) class indices in 0..9.

    Returns:
        ``VBox`` with CSS class ``latent-map-explorer``.
    """
    encoder, fast = as_encoder(encoder), as_fast_decoder(decoder)
    check_same_latent_dim(encoder, fast)
    if fast.latent_dim != 2:
        raise ValueError(
            f"the latent map needs a 2-D latent space, this model has {fast.latent_dim} dimensions; "
            "use vh.explore_latent or vh.explore_interpolation for it."
        )
    x = validate_images(x)
    labels = check_labels(y, len(x))
    n_neighbours = check_positive_int(n_neighbours, "n_neighbours")
    z = encode_means(encoder, x)  # (N, 2)
    latent_map = LatentMap(z, labels)
    (x_low, x_high), (y_low, y_high) = latent_map.xlim, latent_map.ylim
    x_slider = slider("z[0]", x_low, x_high, value=0.0)  # LatentMap's limits include 0
    y_slider = slider("z[1]", y_low, y_high, value=0.0, orientation="vertical")  # beside the map's y axis
    map_image, decoded, neighbours = picture("explorer-map"), picture("explorer-image"), picture("explorer-neighbours")
    neighbour_text = widgets.HTML()

    def show(_change=None):
        point = np.array([x_slider.value, y_slider.value], dtype=np.float32)  # (2,)
        decoded.value = image_png(fast(point[None])[0])
        map_image.value = latent_map.png(point)
        nearest = nearest_indices(z, point, n_neighbours)
        neighbours.value = png_bytes(tile_row(x[nearest, :, :, 0]), scale=2)
        neighbour_text.value = "Nearest test images: " + ", ".join(CLASS_NAMES[labels[i]] for i in nearest)

    x_slider.observe(show, names="value")
    y_slider.observe(show, names="value")
    show()
    right = widgets.VBox(
        [
            captioned("decoded at the marker", decoded),
            captioned("nearest test images (in latent space)", neighbours),
            neighbour_text,
        ]
    )
    x_slider.layout.width = f"{latent_map.base.width}px"
    y_slider.layout.height = f"{latent_map.base.height}px"
    return container([widgets.HBox([y_slider, widgets.VBox([map_image, x_slider]), right])], "latent-map-explorer")


def explore_interpolation(encoder, decoder, x, start: int = 0, end: int = 1, steps: int = 9) -> widgets.VBox:
    """Walk from the code of image ``start`` to the code of image ``end`` and decode the path.

    Type two image indices; the slider ``t`` moves along the path (t = 0: start, t = 1: end) and the strip
    shows ``steps`` evenly spaced points. The toggle switches between the straight line and the spherical
    path (see :func:`vae_helpers.latent.interpolate_latent`). Codes are the posterior means.

    Args:
        encoder: encoder model or :class:`vae_helpers.VAE`. decoder: decoder model, VAE or ``FastDecoder``.
        x: images (N, 28, 28, 1) in [0, 1], N >= 2. start, end: indices into ``x``. steps: images in the strip,
            2 to :data:`MAX_INTERPOLATION_STEPS` (64).

    Returns:
        ``VBox`` with CSS class ``interpolation-explorer``. An index typed out of range shows a message in it.
    """
    encoder, fast = as_encoder(encoder), as_fast_decoder(decoder)
    check_same_latent_dim(encoder, fast)
    x = validate_images(x)
    start, end = check_index(start, len(x), "start"), check_index(end, len(x), "end")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or not 2 <= steps <= MAX_INTERPOLATION_STEPS:
        raise ValueError(
            f"steps must be an integer from 2 to {MAX_INTERPOLATION_STEPS} (images in the strip, one "
            f"row of pictures), got {steps!r}."
        )
    steps = int(steps)
    start_box = index_box("start image", start)
    end_box = index_box("end image", end)
    method = widgets.ToggleButtons(
        options=list(INTERPOLATIONS), value="linear", tooltips=["straight line", "along the sphere (slerp)"]
    )
    method.add_class("explorer-method")
    t_slider = slider("t", 0.0, 1.0, step=0.05)
    start_image, current, end_image = picture("explorer-start"), picture("explorer-image"), picture("explorer-end")
    strip = picture("explorer-strip")
    message = message_box()
    codes = encode_means(encoder, x[[start, end]])  # (2, D)

    def show_point(_change=None):
        point = interpolate_latent(codes[0], codes[1], t_slider.value, method.value)  # (1, D)
        current.value = image_png(fast(point)[0])

    def show_path(_change=None):
        nonlocal codes
        try:
            i = check_index(start_box.value, len(x), "start image")
            j = check_index(end_box.value, len(x), "end image")
        except ValueError as error:
            show_error(message, error)
            return
        message.value = ""
        codes = encode_means(encoder, x[[i, j]])
        start_image.value, end_image.value = image_png(x[i, :, :, 0]), image_png(x[j, :, :, 0])
        path = interpolate_latent(codes[0], codes[1], np.linspace(0.0, 1.0, steps), method.value)  # (steps, D)
        strip.value = png_bytes(tile_row(fast(path)), scale=3)
        show_point()

    for control in (start_box, end_box, method):
        control.observe(show_path, names="value")
    t_slider.observe(show_point, names="value")
    show_path()
    pictures = widgets.HBox(
        [captioned("start", start_image), captioned("decoded at t", current), captioned("end", end_image)]
    )
    return container(
        [
            widgets.HBox([start_box, end_box]),
            widgets.HBox([method, t_slider]),
            message,
            pictures,
            captioned(f"the path in {steps} steps", strip),
        ],
        "interpolation-explorer",
    )


def reconstruction_terms(vae: VAE, image) -> dict:
    """How well ``vae`` reconstructs one image (H, W, C) of its shape, decoding at the posterior mean, in the model's
    own likelihood (``vae.likelihood``: Bernoulli, Gaussian or continuous Bernoulli).

    Returns:
        dict with ``z_mean`` (D,), ``reconstruction`` the mean image (H, W) for grey or (H, W, 3) for colour,
        ``pixel_nats`` (H, W) -log p(x|z) of each pixel (its channels summed), and ``reconstruction_nats`` (its sum)
        and ``kl_nats`` (KL of q(z|x) from the prior), both floats in nats: the terms of
        ``vae.per_image_losses(image[None], eps=0)``, i.e. of :func:`vae_helpers.evaluate` at z = z_mean.
    """
    z_mean, z_log_var, _ = vae.encoder(image[None], training=False)
    logits = ops.cast(vae.decoder_logits(z_mean, training=False), "float32")  # (1, H, W, C)
    pixel_nats = ops.convert_to_numpy(vae.likelihood.pixel_nll(image[None], logits))[0].sum(axis=-1)  # (H, W)
    mean = ops.convert_to_numpy(vae.likelihood.mean(logits))[0]  # (H, W, C)
    return {
        "z_mean": ops.convert_to_numpy(z_mean)[0],
        "reconstruction": mean[..., 0] if mean.shape[-1] == 1 else mean,
        "pixel_nats": pixel_nats,
        "reconstruction_nats": float(pixel_nats.sum()),
        "kl_nats": float(
            ops.convert_to_numpy(kl_divergence(ops.cast(z_mean, "float32"), ops.cast(z_log_var, "float32")))[0]
        ),
    }


def explore_reconstruction(vae, x, y, index: int = 0) -> widgets.VBox:
    """Choose an image and see its reconstruction, a per-pixel error map, the two ELBO terms and its place on the map.

    The error map colours each pixel's -log p(x|z) in the model's own likelihood (its channels summed) from black
    (0 nats or less) to yellow (>= 2 nats), with a labelled colour bar beneath it; its sum is the reconstruction
    term. Colour models (H, W, 3) show their images in colour. Both terms are computed at z = posterior mean (no sampling), so they do not flicker.
    For D > 2 the map shows the first two latent dimensions; for D = 1 there is no map.

    Args:
        vae: a :class:`vae_helpers.VAE`. x: images (N, H, W, C) of its shape in [0, 1]. y: (N,) class indices.
        index: the image shown first.

    Returns:
        ``VBox`` with CSS class ``reconstruction-explorer``. An index typed out of range shows a message in it.
    """
    if not isinstance(vae, VAE) or vae.is_conditional:
        raise ValueError(
            f"explore_reconstruction needs a vh.VAE that takes images alone (encoder + decoder), got "
            f"{type(vae).__name__}. Build one with vh.build_vae() or load it with vh.load_pretrained()."
        )
    x = validate_images(x, image_shape=image_shape_of(vae))
    labels = check_labels(y, len(x))
    index = check_index(index, len(x), "index")
    latent_map = LatentMap(encode_means(vae, x), labels) if vae.latent_dim >= 2 else None
    index_text = index_box("image index", index)
    input_image, reconstructed, error_map = (
        picture("explorer-input"),
        picture("explorer-image"),
        picture("explorer-error"),
    )
    map_image = picture("explorer-map")
    numbers, message = widgets.HTML(), message_box()
    numbers.add_class("explorer-terms")

    def show(_change=None):
        try:
            i = check_index(index_text.value, len(x), "image index")
        except ValueError as error:
            show_error(message, error)
            return
        message.value = ""
        terms = reconstruction_terms(vae, x[i])
        input_image.value = image_png(x[i] if x.shape[-1] == 3 else x[i, :, :, 0])
        reconstructed.value = image_png(terms["reconstruction"])
        error_map.value = png_bytes(error_map_picture(terms["pixel_nats"]), scale=1)  # with its colour bar
        if latent_map is not None:
            map_image.value = latent_map.png(terms["z_mean"][:2])
        numbers.value = (
            f"<b>{CLASS_NAMES[labels[i]]}</b> · reconstruction term {terms['reconstruction_nats']:.1f} nats · "
            f"KL term {terms['kl_nats']:.2f} nats · −ELBO {terms['reconstruction_nats'] + terms['kl_nats']:.1f} "
            "nats (at z = posterior mean)"
        )

    index_text.observe(show, names="value")
    show()
    pictures = [
        captioned("input", input_image),
        captioned("reconstruction", reconstructed),
        captioned(f"-log p(x|z) per pixel (0 to {ERROR_MAP_MAX_NATS:g} nats)", error_map),
    ]
    if latent_map is not None:
        pictures.append(map_image)
    return container([index_text, message, widgets.HBox(pictures), numbers], "reconstruction-explorer")


def explore_conditional(cvae, span: float = 3.0, seed=None) -> widgets.VBox:
    """Choose a class and move one slider per latent dimension: the conditional VAE's image of that class at z.

    The decoder of a :class:`vae_helpers.CVAE` is the reference decoder applied to concat([z, one-hot label]);
    the explorer runs that decoder's one compiled copy (:class:`vae_helpers.FastDecoder`) on all K classes at the
    current z in one call, so the strip below shows the same style z in every class and the large image is the
    chosen class's. Choosing another class reuses those K images (no decoding); after training the model further,
    move a slider or build the explorer again. Sliders range over [-span, span] (D <= 16); "Sample from prior"
    draws z ~ N(0, I) (clipped to the sliders' range) and "Reset" goes back to z = 0; both keep the class.

    Args:
        cvae: a :class:`vae_helpers.CVAE` (``vh.build_cvae()`` or ``vh.load_pretrained("fashion-cvae2")``).
        span: half-width of each slider's range.
        seed: seed of the prior samples (None: different each time).

    Returns:
        ``VBox`` with CSS class ``conditional-explorer``: the class dropdown (``explorer-class``, values 0..K-1
        named by ``vh.CLASS_NAMES``), D sliders, two buttons, the image (``explorer-image``, 168 x 168 px), the
        class and z as text (``explorer-point``) and the strip of all K classes at z, in label order
        (``explorer-strip``, 56 px high).
    """
    if not getattr(cvae, "is_conditional", False):
        hint = (
            " Explore a vh.VAE with vh.explore_latent(vae)."
            if isinstance(cvae, VAE)
            else " Pass the whole CVAE, not one of its parts."
            if isinstance(cvae, keras.Model)
            else ""
        )
        raise ValueError(
            f"explore_conditional needs a vh.CVAE (a decoder that takes a class label), got "
            f"{type(cvae).__name__}. Build one with vh.build_cvae() or load one with "
            f'vh.load_pretrained("fashion-cvae2").{hint}'
        )
    num_classes = cvae.num_classes
    fast = as_fast_decoder(cvae.core_decoder)  # concat([z, one-hot]) (B, D + K) -> (B, 28, 28)
    names = CLASS_NAMES if num_classes == len(CLASS_NAMES) else [f"class {k}" for k in range(num_classes)]
    classes = widgets.Dropdown(options=[(name, k) for k, name in enumerate(names)], value=0, description="class")
    classes.add_class("explorer-class")
    image, strip = picture("explorer-image"), picture("explorer-strip")
    text = widgets.HTML()
    text.add_class("explorer-point")
    one_hots = np.eye(num_classes, dtype=np.float32)  # (K, K): row k is class k's label
    z, every_class = None, None  # the point last decoded, and its images (K, 28, 28) as each class

    def show(_change=None):
        nonlocal z, every_class
        if z is None or not np.array_equal(z, point_of(sliders)):  # a class change alone decodes nothing
            z = point_of(sliders)  # (D,)
            every_class = fast(np.concatenate([np.tile(z, (num_classes, 1)), one_hots], axis=1))
            strip.value = png_bytes(tile_row(every_class), scale=2)
        image.value = image_png(every_class[classes.value])
        text.value = f"<b>{html.escape(names[classes.value])}</b> · {point_text(z)}"

    sliders, buttons = latent_controls(
        cvae.latent_dim, span, seed, show, "explore_conditional", "Explore a smaller model."
    )
    classes.observe(show, names="value")
    show()
    controls = widgets.VBox([classes, *sliders, buttons])
    return container(
        [
            widgets.HBox([controls, widgets.VBox([image, text])]),
            captioned(f"the same z in every class ({names[0]} \u2026 {names[-1]})", strip),
        ],
        "conditional-explorer",
    )
