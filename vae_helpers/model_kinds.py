"""The model kinds the course trains, in one registry: ``vae`` (notebook 03), ``autoencoder`` (08), ``cvae`` (09).

Read by the training command (``--model`` and which options apply), by :func:`vae_helpers.load_pretrained` (the
``"model"`` of a metrics JSON) and by ``tools/tables.py`` (one table of shipped models per kind). Each kind is built
from the same settings, the keys a run's ``metrics.json`` records: ``latent_dim``, ``seed``, ``image_shape``,
``likelihood``, ``gaussian_std``, and for a kind with a KL term ``beta`` and ``free_bits``, for a conditional kind
``num_classes``. Importing this module loads no Keras: the command reads it before it starts a backend.
"""

from __future__ import annotations

import dataclasses

DEFAULT_NUM_CLASSES = 10  # Fashion-MNIST's classes: a CVAE's labels unless its settings record another number


@dataclasses.dataclass(frozen=True)
class ModelKind:
    """One kind of model.

    Attributes:
        name: its name in ``--model`` and in a metrics JSON's ``"model"``.
        builder: the ``vh`` function that builds it, e.g. ``"build_vae"``.
        notebook: the notebook that introduces it, e.g. ``"03"``.
        summary: one line for ``--help`` and the docs.
        regularized: it has a KL term, so ``beta``, ``free_bits`` and KL warm-up apply (not the autoencoder).
        conditional: it also learns from each image's label.
    """

    name: str
    builder: str
    notebook: str
    summary: str
    regularized: bool
    conditional: bool

    def build(self, settings: dict, dtype_policy=None):
        """The model these ``settings`` describe (missing keys take the builder's defaults), built by
        ``vh.<builder>`` under ``dtype_policy``; the builder checks every value."""
        import vae_helpers

        keys = (
            "latent_dim",
            "seed",
            "image_shape",
            "likelihood",
            "gaussian_std",
            *(("beta", "free_bits") if self.regularized else ()),
            *(("num_classes",) if self.conditional else ()),
        )
        arguments = {key: settings[key] for key in keys if settings.get(key) is not None}
        return getattr(vae_helpers, self.builder)(**arguments, dtype_policy=dtype_policy)


MODEL_KINDS = {
    kind.name: kind
    for kind in (
        ModelKind("vae", "build_vae", "03", "the variational autoencoder", regularized=True, conditional=False),
        ModelKind(
            "autoencoder",
            "build_autoencoder",
            "08",
            "the plain autoencoder: one deterministic code, reconstruction loss only",
            regularized=False,
            conditional=False,
        ),
        ModelKind(
            "cvae",
            "build_cvae",
            "09",
            "the conditional VAE: encoder and decoder also get each image's label",
            regularized=True,
            conditional=True,
        ),
    )
}


def model_kind(name) -> ModelKind:
    """The :class:`ModelKind` called ``name``, or a clear error listing the kinds."""
    if name not in MODEL_KINDS:
        *others, last = map(repr, MODEL_KINDS)
        raise ValueError(f"model {name!r} is none of {', '.join(others)} and {last}.")
    return MODEL_KINDS[name]
