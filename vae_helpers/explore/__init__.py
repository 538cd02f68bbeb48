"""The latent-space explorers of notebooks 06 and 09: ipywidgets containers that redraw in milliseconds.

* :mod:`~vae_helpers.explore.explorers`: the four explorers of a VAE (``vh.explore_latent``,
  ``vh.explore_latent_map``, ``vh.explore_interpolation``, ``vh.explore_reconstruction``) and the one of a
  conditional VAE (``vh.explore_conditional``);
* :mod:`~vae_helpers.explore.parts`: their widgets, input checks and ``vh.explorer_snapshot``;
* :mod:`~vae_helpers.explore.pictures`: their pictures (PNG bytes with Pillow, the error map, the latent map).

They decode through the decoder's one compiled copy, :class:`vae_helpers.FastDecoder`.
"""

from vae_helpers.explore.explorers import (
    explore_conditional,
    explore_interpolation,
    explore_latent,
    explore_latent_map,
    explore_reconstruction,
    reconstruction_terms,
)
from vae_helpers.explore.parts import explorer_snapshot

__all__ = [
    "explore_conditional",
    "explore_interpolation",
    "explore_latent",
    "explore_latent_map",
    "explore_reconstruction",
    "explorer_snapshot",
    "reconstruction_terms",
]
