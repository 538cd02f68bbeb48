"""Servers, browser and notebooks for the real-browser tests of the explorers (see test_browser.py).

JupyterLab and Voila run on free loopback ports with isolated settings folders, each in its own process group
so that stopping it also stops its kernels. The browser, driven by Playwright, is the one ``make test`` made sure of
(tools/course_setup.py: ``$CHROMIUM``, an installed Chromium, else Playwright's own). Recipe: BROWSER_TESTING.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from conftest import load_tool

course_setup = load_tool("course_setup")
SKIP_ENV_VAR = course_setup.SKIP_BROWSER_ENV_VAR
ARTIFACTS = pathlib.Path(__file__).with_name("artifacts")  # git-ignored
TIMEOUT_MS = 90_000

SETUP_CELL = """\
import vae_helpers as vh
vae = vh.load_pretrained("fashion-latent2")
(_, _), (x_test, y_test) = vh.load_fashion_mnist()
x_test, y_test = x_test[:N_IMAGES], y_test[:N_IMAGES]
fast_decoder = vh.FastDecoder(vae)  # one compiled decoder shared by the explorers"""

# An untrained CVAE: its pictures still change with the class, since the one-hot enters the decoder.
CVAE_SETUP_CELL = """\
import vae_helpers as vh
cvae = vh.build_cvae(2, seed=0)
logits = cvae.core_decoder.get_layer("logits")
_ = logits.kernel.assign(logits.kernel * 30)  # spread the grey levels, as training would"""

EXPLORER_CELLS = {  # CSS class of the explorer -> (the set-up cell it needs, the cell that shows it)
    "latent-explorer": (SETUP_CELL, "vh.explore_latent(fast_decoder, seed=0)"),
    "latent-map-explorer": (SETUP_CELL, "vh.explore_latent_map(vae, fast_decoder, x_test, y_test)"),
    "interpolation-explorer": (SETUP_CELL, "vh.explore_interpolation(vae, fast_decoder, x_test, start=0, end=2)"),
    "reconstruction-explorer": (SETUP_CELL, "vh.explore_reconstruction(vae, x_test, y_test, index=0)"),
    "conditional-explorer": (CVAE_SETUP_CELL, "vh.explore_conditional(cvae, seed=0)"),
}


def chromium() -> str | None:
    """The browser's path, ``""`` for Playwright's own Chromium, or None if there is none."""
    return course_setup.find_chromium(course_setup.this_machine())


def missing_tools() -> str | None:
    """What is missing to run the browser tests (None when a Chromium and playwright are both there)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Missing for the browser tests: the Python package playwright. Run `make test`, which installs it."
    if chromium() is None:
        return (
            f"Missing for the browser tests: a Chromium. Run `make test`, which installs one, or see "
            f"`python tools/course_setup.py check`; set {SKIP_ENV_VAR}=1 to skip the browser tests."
        )
    return None


def write_notebook(path: pathlib.Path, explorers, n_images: int) -> None:
    """A notebook that shows the given explorers (CSS class names), one per cell, after the set-up cells they need
    (the shipped ``fashion-latent2`` and ``n_images`` test images; an untrained CVAE), each once."""
    setups = list(dict.fromkeys(EXPLORER_CELLS[name][0] for name in explorers))  # in order, without repeats
    cells = [new_code_cell(setup.replace("N_IMAGES", str(n_images))) for setup in setups]
    cells += [new_code_cell(EXPLORER_CELLS[name][1]) for name in explorers]
    notebook = new_notebook(cells=cells)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nbformat.write(notebook, str(path))


def prepare_workdir(root: pathlib.Path) -> pathlib.Path:
    """Create ``root/nb`` for notebooks and JupyterLab settings that keep the news toast away; return ``root``."""
    (root / "nb").mkdir(parents=True, exist_ok=True)
    settings = root / "lab-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    return root


def _environment(root: pathlib.Path) -> dict:
    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(root / "jcfg"),
        JUPYTER_RUNTIME_DIR=str(root / "jrt"),
        JUPYTERLAB_SETTINGS_DIR=str(root / "lab-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(root / "lab-ws"),
        JUPYTER_PLATFORM_DIRS="1",
        MPLBACKEND="Agg",
        TF_CPP_MIN_LOG_LEVEL="3",
    )
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited early with code {process.returncode}; see its log")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise TimeoutError(f"port {port} did not open within {timeout:.0f} s")


def _wait_for_url(url: str, process: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited early with code {process.returncode}; see its log")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                return
        time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM the server's process group (the server and its kernels), SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


def _spawn(command: list[str], root: pathlib.Path, log_name: str) -> subprocess.Popen:
    with open(root / log_name, "wb") as log:
        return subprocess.Popen(
            command,
            cwd=root / "nb",
            env=_environment(root),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


@contextlib.contextmanager
def jupyterlab(root: pathlib.Path):
    """Run JupyterLab on ``root/nb``; yields ``(base_url, token)``."""
    port, token = free_port(), secrets.token_hex(16)
    process = _spawn(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            f"--port={port}",
            "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={root / 'nb'}",
            "--allow-root",
        ],
        root,
        "lab.log",
    )
    try:
        _wait_for_url(f"http://127.0.0.1:{port}/api/status?token={token}", process)
        yield f"http://127.0.0.1:{port}", token
    finally:
        _stop(process)


@contextlib.contextmanager
def voila(root: pathlib.Path, notebook: str):
    """Serve ``root/nb/notebook`` with Voila; yields the base URL. Each GET of / runs the notebook in a new kernel."""
    port = free_port()
    process = _spawn(
        [
            sys.executable,
            "-m",
            "voila",
            str(root / "nb" / notebook),
            "--no-browser",
            f"--port={port}",
            "--Voila.ip=127.0.0.1",
        ],
        root,
        "voila.log",
    )
    try:
        _wait_for_port(port, process)  # not GET /: that would start a kernel
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(process)


@contextlib.contextmanager
def chromium_page(viewport=(1280, 900)):
    """A Playwright page in headless system chromium; uncaught page errors are collected in ``page.js_errors``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium() or None,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.js_errors = []
            page.on("pageerror", lambda error: page.js_errors.append(str(error)))
            yield page
        finally:
            browser.close()


def open_and_run_in_lab(page, base_url: str, token: str, notebook: str) -> None:
    """Open the notebook in JupyterLab, wait for the kernel, then Run > Run All Cells."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    page.goto(f"{base_url}/lab/tree/{notebook}?token={token}&reset")
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(state="attached")
    page.locator(".jp-StatusBar-TextItem", has_text="| Idle").wait_for()  # the kernel is connected
    started = page.locator(".jp-InputPrompt", has_text=re.compile(r"\[(\*|\d+)\]")).first
    for _ in range(3):  # on a busy machine the first click may come before the session is ready
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        try:
            started.wait_for(timeout=15_000)
            return
        except PlaywrightTimeoutError:
            continue
    raise RuntimeError("JupyterLab did not start running the notebook after three 'Run All Cells'")
