"""``python -m vae_helpers.train --help``: the training command line (implemented in :mod:`vae_helpers.cli`).

Run it with ``-m``; in Python code use ``vh.train`` (the function) or ``vae_helpers.cli.main``.
"""

from vae_helpers.cli import main

if __name__ == "__main__":
    main()
