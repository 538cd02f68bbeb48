"""``python -m vae_helpers``: the training command line (in :mod:`vae_helpers.cli`; also ``vae-train``)."""

from vae_helpers.cli import main

main()
