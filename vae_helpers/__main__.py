"""``python -m vae_helpers``: the training command line, as ``python -m vae_helpers.train`` and ``vae-train``."""

from vae_helpers.cli import main

main()
