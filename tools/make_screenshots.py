"""Screenshot each latent explorer in JupyterLab for docs/explorers.md: ``python tools/make_screenshots.py``.

Runs a notebook with the four explorers on the shipped ``fashion-latent2`` model in a real JupyterLab, moves a
few controls so that each picture shows something worth seeing, and saves ``docs/images/explore_*.png``.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
# The real-browser tests' harness (tests/browser/) and the conftest it imports (tests/)
sys.path[:0] = [str(ROOT / "tests" / "browser"), str(ROOT / "tests")]
from browser_harness import (  # noqa: E402
    chromium_page,
    jupyterlab,
    missing_tools,
    open_and_run_in_lab,
    prepare_workdir,
    write_notebook,
)

NOTEBOOK = "explorers.ipynb"
FILE_NAMES = {
    "latent-explorer": "explore_latent.png",
    "latent-map-explorer": "explore_latent_map.png",
    "interpolation-explorer": "explore_interpolation.png",
    "reconstruction-explorer": "explore_reconstruction.png",
}


def press(handle, key: str, times: int) -> None:
    handle.focus()
    for _ in range(times):
        handle.press(key)


def type_into(box, value: int) -> None:
    box.fill(str(value))
    box.press("Enter")


def pose(page, name: str) -> None:
    """Move the explorer's controls to a telling state and wait until the kernel has drawn it."""
    explorer = page.locator(f".{name}")
    sliders = explorer.locator(".explorer-slider .noUi-handle")
    if name == "latent-explorer":
        press(sliders.nth(0), "ArrowLeft", 16)
        press(sliders.nth(1), "ArrowRight", 8)
        explorer.locator(".explorer-point", has_text="z = (-0.80, +0.40)").wait_for()
    elif name == "latent-map-explorer":
        handle = lambda label: explorer.locator(".explorer-slider", has_text=label).locator(".noUi-handle")
        press(handle("z[0]"), "ArrowRight", 36)  # into the sneakers
        press(handle("z[1]"), "ArrowRight", 20)
        explorer.locator(".explorer-slider .widget-readout", has_text="1.80").wait_for()
    elif name == "interpolation-explorer":
        type_into(explorer.locator(".explorer-index input").nth(1), 1)
        press(sliders.nth(0), "ArrowRight", 10)
        explorer.locator(".explorer-slider .widget-readout", has_text="0.50").wait_for()
    elif name == "reconstruction-explorer":
        type_into(explorer.locator(".explorer-index input"), 7)
    page.wait_for_timeout(1500)  # let the last picture arrive and be painted


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=pathlib.Path, default=ROOT / "docs" / "images")
    args = parser.parse_args(argv)
    problem = missing_tools()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = prepare_workdir(pathlib.Path(tmp))
        write_notebook(root / "nb" / NOTEBOOK, list(FILE_NAMES), n_images=5000)
        with jupyterlab(root) as (base_url, token), chromium_page(viewport=(1500, 1000)) as page:
            open_and_run_in_lab(page, base_url, token, NOTEBOOK)
            page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").click()  # fold the file browser
            for name, file_name in FILE_NAMES.items():
                explorer = page.locator(f".{name}")
                explorer.locator("img.explorer-picture").last.wait_for(state="visible")
                explorer.scroll_into_view_if_needed()
                pose(page, name)
                explorer.screenshot(path=str(args.out / file_name))
                print(f"wrote {args.out / file_name}")
            if page.js_errors:
                print(f"JavaScript errors: {page.js_errors}", file=sys.stderr)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
