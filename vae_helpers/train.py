"""``python -m vae_helpers.train``: the training command line (in :mod:`vae_helpers.cli`; also ``vae-train``).

In Python code use the function ``vh.train``. Python sets a package's attribute to every submodule it imports, so
``import vae_helpers.train`` would replace that function with this module; imported (not run), this module puts
the function in its own place instead, and ``vh.train`` stays the function.
"""

import sys

if __name__ == "__main__":
    from vae_helpers.cli import main

    main()
else:
    from vae_helpers.training import train

    sys.modules[__name__] = train
