"""The set-up behind the README's two commands, so that they work on a fresh machine, as root or not.

    python3 tools/course_setup.py venv .venv   # make the course's virtual environment (Makefile, first use)
    python tools/course_setup.py lab [ARGS]    # open JupyterLab at notebook 01 (`make lab`)
    python tools/course_setup.py check         # before the tests (`make test`): the data set and a Chromium

``check`` makes sure of what ``make test`` needs beyond pip: Fashion-MNIST (Debian/Ubuntu's
``dataset-fashion-mnist`` through apt-get as root or ``sudo -n``, else Keras' download) and a Chromium for the
browser tests (an installed one first, else Debian's ``chromium`` through apt-get, else ``playwright install
chromium``). What it cannot get, it lists in one message with the exact command that gets it, and exits 1 so
that pytest does not start. Every action goes through a :class:`System`, so the tests run it in fake machines.
This file uses the standard library only: ``venv`` runs before anything is installed.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import shutil
import subprocess
import sys
from collections.abc import Callable

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = "notebooks"
FIRST_NOTEBOOK = "01_data.ipynb"
SKIP_BROWSER_ENV_VAR = "VAE_SKIP_BROWSER"
CHROMIUM_ENV_VAR = "CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
DATA_PACKAGE = "dataset-fashion-mnist"
BROWSER_PACKAGE = "chromium"
INSTALL_TIMEOUT_S = 900


@dataclasses.dataclass
class System:
    """What the set-up reads from and does to the machine; the tests pass fakes.

    Attributes:
        euid: effective user id (0 is root).
        environ: environment variables.
        which: like ``shutil.which``: the path of a command, or None.
        run: runs a command (a list of strings), returns its exit code; output goes to the terminal.
        data_folder: the folder Fashion-MNIST loads from without downloading, or None.
        playwright_chromium: the path of Playwright's own Chromium if it is installed, else None.
        python: the interpreter of the course's environment.
    """

    euid: int
    environ: dict
    which: Callable[[str], str | None]
    run: Callable[[list], int]
    data_folder: Callable[[], pathlib.Path | None]
    playwright_chromium: Callable[[], str | None]
    python: str = sys.executable


def _run(command: list) -> int:
    print("+", " ".join(command), flush=True)
    try:
        return subprocess.run(command, timeout=INSTALL_TIMEOUT_S).returncode
    except (OSError, subprocess.TimeoutExpired) as err:
        print(f"  failed: {err}", flush=True)
        return 1


def _data_folder():
    from vae_helpers.data import find_fashion_mnist

    return find_fashion_mnist()


def _playwright_chromium():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    try:
        with sync_playwright() as playwright:
            path = playwright.chromium.executable_path
    except Exception:  # the driver itself cannot start: no usable Playwright browser either
        return None
    return path if path and os.path.exists(path) else None


def this_machine() -> System:
    return System(
        euid=os.geteuid(),
        environ=dict(os.environ),
        which=shutil.which,
        run=_run,
        data_folder=_data_folder,
        playwright_chromium=_playwright_chromium,
    )


# ---- apt-get, as root or through sudo -n ----


def apt_prefix(system: System) -> list | None:
    """The command that runs apt-get here without a password prompt, or None (no apt-get, or no rights)."""
    if system.which("apt-get") is None:
        return None
    apt = ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]  # never a question: there may be no terminal
    if system.euid == 0:
        return apt
    if system.which("sudo") is not None and system.run(["sudo", "-n", "true"]) == 0:
        return ["sudo", "-n", *apt]
    return None


def apt_install(system: System, package: str) -> bool:
    """Install a Debian package; refresh the package lists once if the first try fails (a fresh machine)."""
    apt = apt_prefix(system)
    if apt is None:
        return False
    install = [*apt, "install", "-y", "-q", "--no-install-recommends", package]
    if system.run(install) == 0:
        return True
    return system.run([*apt, "update", "-q"]) == 0 and system.run(install) == 0


# ---- the two things the tests need ----


@dataclasses.dataclass(frozen=True)
class Missing:
    what: str
    fixes: tuple

    def describe(self) -> str:
        return f"- {self.what}. Get it with:\n" + "\n".join(f"    {fix}" for fix in self.fixes)


def ensure_data(system: System) -> Missing | None:
    """Fashion-MNIST where ``vh.load_fashion_mnist()`` finds it, installing it if it can."""
    if system.data_folder() is not None:
        return None
    chosen = system.environ.get("VAE_DATA_DIR")
    if chosen:  # the loader looks only there: installing elsewhere would not help
        return Missing(
            f"Fashion-MNIST: $VAE_DATA_DIR={chosen} lacks some of its four files",
            (f"put the four *-ubyte.gz files in {chosen}", "or: unset VAE_DATA_DIR"),
        )
    if apt_install(system, DATA_PACKAGE) and system.data_folder() is not None:
        return None
    download = [system.python, "-c", "import keras; keras.datasets.fashion_mnist.load_data()"]
    if system.run(download) == 0 and system.data_folder() is not None:
        return None
    return Missing(
        "Fashion-MNIST (the course's data set)",
        (
            f"sudo apt-get install {DATA_PACKAGE}    # Debian/Ubuntu",
            f"or, online: {' '.join(download[:2])} '{download[2]}'",
            "or: put the four *-ubyte.gz files in a folder and export VAE_DATA_DIR=/that/folder",
        ),
    )


def find_chromium(system: System) -> str | None:
    """The Chromium the browser tests use: ``$CHROMIUM``, else one on the PATH, else Playwright's own.

    Returns a path, or ``""`` for Playwright's own browser (Playwright then needs no path), or None.
    """
    chosen = system.environ.get(CHROMIUM_ENV_VAR)
    if chosen:
        return system.which(chosen)
    for name in CHROMIUM_NAMES:
        path = system.which(name)
        if path is not None:
            return path
    return "" if system.playwright_chromium() is not None else None


def ensure_chromium(system: System) -> Missing | None:
    """A Chromium for the browser tests (not needed when ``$VAE_SKIP_BROWSER=1``), installing one if it can."""
    if system.environ.get(SKIP_BROWSER_ENV_VAR) == "1" or find_chromium(system) is not None:
        return None
    chosen = system.environ.get(CHROMIUM_ENV_VAR)
    if chosen:
        return Missing(
            f"Chromium: $CHROMIUM={chosen} is not an executable",
            ("point CHROMIUM at a Chromium or Chrome binary", "or: unset CHROMIUM"),
        )
    if apt_install(system, BROWSER_PACKAGE) and find_chromium(system) is not None:
        return None
    playwright = [system.python, "-m", "playwright", "install", "chromium"]
    if system.run(playwright) == 0 and find_chromium(system) is not None:
        return None
    return Missing(
        "Chromium (for the browser tests of the explorers)",
        (
            f"sudo apt-get install {BROWSER_PACKAGE}    # Debian/Ubuntu",
            f"or, online: {' '.join(playwright)}",
            f"or skip the browser tests: export {SKIP_BROWSER_ENV_VAR}=1",
        ),
    )


def check(system: System) -> int:
    """Make sure of the data set and a Chromium; print what is missing and return 1, else return 0."""
    missing = [item for item in (ensure_data(system), ensure_chromium(system)) if item is not None]
    if not missing:
        print("Set-up for the tests: the data set and a Chromium are there.")
        return 0
    print(
        "\n`make test` cannot start: some things are missing and could not be installed here.\n"
        + "\n".join(item.describe() for item in missing)
        + "\nThen run `make test` again.",
        file=sys.stderr,
    )
    return 1


# ---- the environment and the lab ----


def make_venv(system: System, folder: str) -> int:
    """Create the course's virtual environment; on Debian/Ubuntu install python3-venv first if it is missing."""
    command = [system.python, "-m", "venv", folder]
    if system.run(command) == 0:
        return 0
    shutil.rmtree(folder, ignore_errors=True)  # a half-made venv would pass for a made one next time
    version = f"python{sys.version_info.major}.{sys.version_info.minor}-venv"
    if apt_install(system, version) and system.run(command) == 0:
        return 0
    print(
        f"\nCould not create the virtual environment {folder}. Either\n"
        f"    sudo apt-get install {version}    # Debian/Ubuntu: Python's venv module\n"
        "or activate an environment of your own (venv, conda) and run make again: it then installs there.",
        file=sys.stderr,
    )
    return 1


def lab_command(system: System, extra_args=()) -> list:
    """``jupyter lab`` on notebooks/, opening notebook 01, with ``--allow-root`` only when running as root.

    Notebook 01 is the server's default page, so the URL JupyterLab prints (for machines where no browser opens)
    leads there too.
    """
    root_flag = ["--allow-root"] if system.euid == 0 else []
    return [
        system.python,
        "-m",
        "jupyter",
        "lab",
        *root_flag,
        f"--ServerApp.root_dir={ROOT / NOTEBOOKS}",
        f"--LabApp.default_url=/lab/tree/{FIRST_NOTEBOOK}",
        *extra_args,
    ]


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    system = this_machine()
    if argv[:1] == ["check"] and len(argv) == 1:
        return check(system)
    if argv[:1] == ["venv"] and len(argv) == 2:
        return make_venv(system, argv[1])
    if argv[:1] == ["lab"]:
        command = lab_command(system, argv[1:])
        print(
            f"Opening the course at {NOTEBOOKS}/{FIRST_NOTEBOOK}. If no browser opens, paste into one the URL "
            "that JupyterLab prints below. Ctrl-C stops it.",
            flush=True,
        )
        os.execv(command[0], command)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
