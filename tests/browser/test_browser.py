"""The latent explorer in a real browser: JupyterLab 4 and Voila run a notebook, a key press moves a slider, the
picture changes.

nbval only builds widgets; here the JavaScript side draws them and the slider round-trips through the kernel.
Needs chromium and the playwright package (the tests fail with install instructions without them); set
``VAE_SKIP_BROWSER=1`` to skip. Screenshots go to tests/browser/artifacts/ (git-ignored).
"""

import os

import pytest

from browser_harness import (
    ARTIFACTS, SKIP_ENV_VAR, chromium_page, jupyterlab, missing_tools, open_and_run_in_lab, prepare_workdir, voila,
    write_notebook,
)

if os.environ.get(SKIP_ENV_VAR) == "1":
    pytest.skip(f"{SKIP_ENV_VAR}=1: browser tests skipped", allow_module_level=True)

NOTEBOOK = "explore_latent.ipynb"
KEY_PRESSES = 10  # slider step 0.05: z[0] goes from 0.00 to 0.50


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    problem = missing_tools()
    if problem:
        pytest.fail(problem)
    root = prepare_workdir(tmp_path_factory.mktemp("explorers"))
    write_notebook(root / "nb" / NOTEBOOK, ["latent-explorer"], n_images=10)  # outside notebooks/: nbval ignores it
    ARTIFACTS.mkdir(exist_ok=True)
    return root


@pytest.fixture
def page():
    with chromium_page() as browser_page:
        yield browser_page


def move_first_slider_and_check_the_image_changes(page, screenshot: str) -> None:
    explorer = page.locator(".latent-explorer")
    image = explorer.locator("img.explorer-image")
    image.wait_for(state="visible")
    image.scroll_into_view_if_needed()
    src_before, pixels_before = image.get_attribute("src"), image.screenshot()
    handle = explorer.locator(".explorer-slider").first.locator(".noUi-handle")  # ipywidgets 8 slider
    handle.focus()
    for _ in range(KEY_PRESSES):
        handle.press("ArrowRight")
    explorer.locator(".explorer-point", has_text="z = (+0.50, +0.00)").wait_for()  # the kernel drew z[0] = 0.5
    page.wait_for_function("s => document.querySelector('.latent-explorer img.explorer-image').src !== s",
                           arg=src_before)
    assert image.get_attribute("src") != src_before, "the <img> kept its blob URL: the kernel sent no new picture"
    assert image.screenshot() != pixels_before, "the picture on screen did not change"
    page.screenshot(path=str(ARTIFACTS / screenshot))
    assert not page.js_errors, page.js_errors


def test_jupyterlab_slider_redraws_the_decoded_image(workdir, page):
    with jupyterlab(workdir) as (base_url, token):
        open_and_run_in_lab(page, base_url, token, NOTEBOOK)
        move_first_slider_and_check_the_image_changes(page, "jupyterlab-explore-latent.png")
        stderr = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        assert stderr.count() == 0, stderr.all_inner_texts()


def test_voila_slider_redraws_the_decoded_image(workdir, page):
    with voila(workdir, NOTEBOOK) as base_url:
        page.goto(base_url + "/")
        move_first_slider_and_check_the_image_changes(page, "voila-explore-latent.png")
