"""Building blocks of the latent explorers (:mod:`vae_helpers.explore.explorers`): input checks, styled widgets,
the latent sliders with their two buttons, lookup, snapshots.

Only widgets common to ipywidgets 7.6+ (Colab) and 8 are used. Every part gets CSS classes, which are both the
hooks of the browser tests and the way :func:`find_widgets` finds parts in Python.
"""

from __future__ import annotations

import html
import io
import re

import ipywidgets as widgets
import keras
import numpy as np

from vae_helpers._checks import check_finite, decoder_of, encoder_of
from vae_helpers.explore.pictures import decode_png, font
from vae_helpers.fast_decoding import FastDecoder


def find_widgets(root, css_class: str) -> list:
    """All widgets inside ``root`` (itself included) that carry ``css_class``, in display order."""
    found = [root] if css_class in getattr(root, "_dom_classes", ()) else []
    for child in getattr(root, "children", ()):
        found += find_widgets(child, css_class)
    return found


SNAPSHOT_TITLES = {
    "latent-explorer": "vh.explore_latent: the image decoded at the sliders' point",
    "latent-map-explorer": "vh.explore_latent_map: a point on the test-set map, its decoded image, nearest test images",
    "interpolation-explorer": "vh.explore_interpolation: a path between the codes of two test images",
    "reconstruction-explorer": "vh.explore_reconstruction: one test image, its reconstruction and its error in nats",
    "conditional-explorer": "vh.explore_conditional: the chosen class decoded at the sliders' point, and every class",
}
STATE_TEXT_CLASSES = ("explorer-point", "explorer-terms")  # text an explorer shows about its current state


def _plain(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def explorer_snapshot(explorer, title: str | None = None) -> bytes:
    """One PNG of what an explorer shows now: a title, then its pictures side by side under their captions.

    GitHub and nbviewer cannot run widgets, so notebook 06 shows this picture before each explorer.

    Args:
        explorer: a container returned by one of the ``vh.explore_*`` functions.
        title: the first line; by default the explorer's name and what it shows. A second line repeats the
            explorer's own text about its state (the point z, or the ELBO terms), if it shows any.

    Returns:
        PNG bytes (RGB, white background).
    """
    from PIL import Image, ImageDraw

    pictures = find_widgets(explorer, "explorer-picture")
    if not pictures:
        raise ValueError("explorer_snapshot needs an explorer made by vh.explore_* (no explorer pictures found).")
    if title is None:
        title = next((text for css, text in SNAPSHOT_TITLES.items() if css in explorer._dom_classes), "explorer")
    state = " · ".join(_plain(w.value) for css in STATE_TEXT_CLASSES for w in find_widgets(explorer, css) if w.value)
    captions = {
        id(box.children[1]): _plain(box.children[0].value) for box in find_widgets(explorer, "explorer-captioned")
    }
    images = [Image.fromarray(decode_png(image.value)).convert("RGB") for image in pictures]
    gap, caption_height, header = 12, 20, 26 + (20 if state else 0)
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    text_width = max(measure.textlength(title, font=font(16)), measure.textlength(state, font=font(12)))
    canvas = Image.new(
        "RGB",
        (
            max(sum(p.width for p in images) + gap * (len(images) - 1), int(text_width) + 4),
            header + caption_height + max(p.height for p in images),
        ),
        "white",
    )
    draw = ImageDraw.Draw(canvas)
    draw.text((0, 2), title, fill="black", font=font(16))
    if state:
        draw.text((0, 26), state, fill="black", font=font(12))
    left, body = 0, header + caption_height
    for widget, image in zip(pictures, images):
        if captions.get(id(widget)):
            draw.text((left, header + 2), captions[id(widget)], fill="black", font=font(12))
        canvas.paste(image, (left, body))  # aligned at the top, under its caption
        left += image.width + gap
    buffer = io.BytesIO()
    # A palette of 256 colours (greys, the error map's scale, the map's classes): a third of the RGB size.
    canvas.quantize(256, dither=Image.Dither.NONE).save(buffer, format="png", optimize=True)
    return buffer.getvalue()


# --------------------------------------------------------------------------- input checks
def as_fast_decoder(decoder) -> FastDecoder:
    """A :class:`FastDecoder` for a decoder model or VAE; a ``FastDecoder`` is returned as is (shared)."""
    if isinstance(decoder, FastDecoder):
        return decoder
    reject_conditional(decoder_of(decoder), "decoder")
    return FastDecoder(decoder)


def as_encoder(encoder) -> keras.Model:
    """The encoder model of ``encoder`` (an encoder model or a VAE), checked to map images to 3 outputs."""
    encoder = encoder_of(encoder)
    reject_conditional(encoder, "encoder")
    if tuple(encoder.inputs[0].shape[1:]) != (28, 28, 1) or len(encoder.outputs) != 3:
        raise ValueError(
            "the encoder must map images (B, 28, 28, 1) to [z_mean, z_log_var, z], but it takes "
            f"{tuple(encoder.inputs[0].shape)} and has {len(encoder.outputs)} output(s). "
            "Did you swap the encoder and the decoder?"
        )
    return encoder


def reject_conditional(part: keras.Model, name: str) -> None:
    """Raise a clear error if ``part`` (an encoder or decoder model) also takes a label, as a vh.CVAE's do."""
    if len(getattr(part, "inputs", None) or ()) > 1:
        raise ValueError(
            f"this {name} takes {len(part.inputs)} inputs: it is a vh.CVAE's, which also needs the "
            "class label. Explore a CVAE with vh.explore_conditional(cvae); these explorers take a "
            "vh.VAE or its parts."
        )


def check_same_latent_dim(encoder: keras.Model, fast: FastDecoder) -> None:
    encoder_dim = int(encoder.outputs[0].shape[-1])
    if encoder_dim != fast.latent_dim:
        raise ValueError(
            f"the encoder's latent size {encoder_dim} and the decoder's {fast.latent_dim} differ: "
            "pass the encoder and decoder of the same model."
        )


def check_index(index, n: int, name: str) -> int:
    """``index`` as an int, checked to be a valid index into n images."""
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
        raise ValueError(f"{name} must be an integer, got {index!r}.")
    if not 0 <= index < n:
        raise ValueError(f"{name} {index} is out of range: there are {n} images, so use 0 to {n - 1}.")
    return int(index)


# --------------------------------------------------------------------------- styled widgets
def picture(css_class: str) -> widgets.Image:
    """An empty PNG image widget with classes ``explorer-picture`` and ``css_class``."""
    # Shown at its own pixel size: neither stretched by the flex boxes around it nor shrunk.
    image = widgets.Image(format="png", layout=widgets.Layout(flex="0 0 auto", align_self="flex-start"))
    image.add_class("explorer-picture")
    image.add_class(css_class)
    return image


def captioned(caption: str, image: widgets.Image) -> widgets.VBox:
    """A caption above a picture (class ``explorer-captioned``; :func:`explorer_snapshot` draws the caption too)."""
    box = widgets.VBox([widgets.HTML(f"<b>{html.escape(caption)}</b>"), image])
    box.add_class("explorer-captioned")
    return box


def message_box() -> widgets.HTML:
    """Where an explorer shows what is wrong with a value typed in it (instead of raising in the kernel)."""
    message = widgets.HTML()
    message.add_class("explorer-message")
    return message


def show_error(message: widgets.HTML, error: ValueError) -> None:
    message.value = f"<span style='color:#b00020'>{html.escape(str(error))}</span>"


def container(children, css_class: str) -> widgets.VBox:
    """The explorer's outer box, with classes ``vae-explorer`` and ``css_class``."""
    box = widgets.VBox(children, layout=widgets.Layout(width="fit-content"))  # as wide as its content
    box.add_class("vae-explorer")
    box.add_class(css_class)
    return box


def index_box(description: str, value: int) -> widgets.IntText:
    """A narrow box to type an image index in (checked by the explorer, which reports bad values)."""
    box = widgets.IntText(
        value=value,
        description=description,
        style={"description_width": "initial"},
        layout=widgets.Layout(width="180px"),
    )
    box.add_class("explorer-index")
    return box


def slider(
    description: str, low: float, high: float, value: float = 0.0, step: float = 0.05, orientation: str = "horizontal"
):
    """A float slider that updates while dragged (``continuous_update``: decoding is fast enough)."""
    widget = widgets.FloatSlider(
        value=value,
        min=low,
        max=high,
        step=step,
        description=description,
        continuous_update=True,
        readout_format=".2f",
        orientation=orientation,
    )
    widget.add_class("explorer-slider")
    return widget


# --------------------------------------------------------------------------- latent sliders
MAX_SLIDERS = 16


def latent_controls(latent_dim: int, span: float, seed, redraw, function: str, hint: str):
    """One slider per latent dimension over [-span, span], and the "Sample from prior" and "Reset" buttons.

    ``redraw()`` is called after every slider move, and once per button press (which moves all the sliders):
    z ~ N(0, I) with numpy's generator seeded by ``seed``, clipped to the sliders' range, or z = 0.

    Returns:
        ``(sliders, buttons)``: the D ``FloatSlider`` (``explorer-slider``; z[i] is ``sliders[i].value``) and an
        ``HBox`` of the two buttons (``explorer-sample``, ``explorer-reset``).
    """
    span = check_finite(span, "span", minimum=0.0, strict=True, hint="3.0 covers nearly all of N(0, 1)")
    if latent_dim > MAX_SLIDERS:
        raise ValueError(
            f"{function} shows one slider per latent dimension, at most {MAX_SLIDERS}; this model has "
            f"{latent_dim}. {hint}"
        )
    sliders = [slider(f"z[{i}]", -span, span) for i in range(latent_dim)]
    sample_button, reset_button = widgets.Button(description="Sample from prior"), widgets.Button(description="Reset")
    sample_button.add_class("explorer-sample")
    reset_button.add_class("explorer-reset")
    rng = np.random.default_rng(seed)
    holding = False  # True while a button moves several sliders: redraw once at the end

    def moved(_change):
        if not holding:
            redraw()

    def move_to(point):
        nonlocal holding
        holding = True
        try:
            for each, value in zip(sliders, point):
                each.value = float(value)
        finally:
            holding = False
        redraw()

    for each in sliders:
        each.observe(moved, names="value")
    sample_button.on_click(lambda _: move_to(np.clip(rng.standard_normal(latent_dim), -span, span)))
    reset_button.on_click(lambda _: move_to(np.zeros(latent_dim)))
    return sliders, widgets.HBox([sample_button, reset_button])


def point_of(sliders) -> np.ndarray:
    """The latent point the sliders of :func:`latent_controls` show: float32 (D,)."""
    return np.array([each.value for each in sliders], dtype=np.float32)


def point_text(z) -> str:
    """``"z = (+0.50, -1.00)"`` for a latent point ``z`` (D,): what the explorers write under their image."""
    return "z = (" + ", ".join(f"{value:+.2f}" for value in z) + ")"
