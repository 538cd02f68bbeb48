"""Export the decoders of the book's live explorers to ONNX: ``python tools/export_decoders.py``.

Writes ``docs/_static/models/``: ``fashion-latent2-decoder.onnx`` (notebook 06's ``vh.explore_latent``: z (B, 2) ->
pixel probabilities (B, 28, 28, 1)), ``fashion-cvae2-decoder.onnx`` (notebook 09's ``vh.explore_conditional``: the
CVAE's reference decoder, concat([z, one-hot label]) (B, 2 + 10) -> (B, 28, 28, 1)) and ``explorers.json``, which
tells ``docs/_static/explorer.js`` which file each explorer runs, its latent size, slider span and class names.
The files are committed: the book runs them in the page with onnxruntime-web, and tests/browser/test_book.py checks
that they give the Keras decoders' pictures (in onnxruntime and in the browser).

The exporter is Keras' own ``Model.export(format="onnx")``, which needs ``tf2onnx`` and ``onnx`` on the TensorFlow
backend (not course dependencies: ``pip install tf2onnx onnx`` in a spare environment). Rerun after ``make
pretrained`` changes fashion-latent2 or fashion-cvae2.
"""

from __future__ import annotations

import inspect
import json
import pathlib

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
MODELS = ROOT / "docs" / "_static" / "models"


def explorer_decoders():
    """``{explorer kind: (model name, Keras decoder z -> probabilities)}`` for the explorers that run in the book."""
    import vae_helpers as vh

    latent = vh.load_pretrained("fashion-latent2")
    cvae = vh.load_pretrained("fashion-cvae2")
    return {"latent": ("fashion-latent2", latent.decoder), "conditional": ("fashion-cvae2", cvae.core_decoder)}


def main() -> None:
    import vae_helpers as vh

    from vae_helpers.explore import parts

    MODELS.mkdir(parents=True, exist_ok=True)
    # the sliders of the notebooks' explorers: [-span, span] in steps of `step`
    span = inspect.signature(vh.explore_latent).parameters["span"].default
    step = inspect.signature(parts.slider).parameters["step"].default
    manifest = {}
    for kind, (name, decoder) in explorer_decoders().items():
        inputs = int(decoder.inputs[0].shape[-1])
        decoder(np.zeros((1, inputs), "float32"))  # Keras exports only a model that has been called
        path = MODELS / f"{name}-decoder.onnx"
        decoder.export(str(path), format="onnx", verbose=False)
        info = vh.pretrained_info(name)
        entry = {
            "file": path.name,
            "model": name,
            "latent_dim": int(info["latent_dim"]),
            "inputs": inputs,
            "span": span,
            "step": step,
        }
        if kind == "conditional":
            entry["classes"] = list(vh.CLASS_NAMES)
        manifest[kind] = entry
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size / 1024:.0f} KB)")
    (MODELS / "explorers.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    main()
