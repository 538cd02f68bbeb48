"""The explorers in a real browser: JupyterLab 4 and Voila run a notebook, a key press moves a slider of the latent
explorer, and in JupyterLab a choice in the conditional explorer's class dropdown and a key press on its slider;
each time the picture changes.

nbval only builds widgets; here the JavaScript side draws them and the slider round-trips through the kernel.
Needs chromium and the playwright package (the tests fail with install instructions without them); set
``VAE_SKIP_BROWSER=1`` to skip. Screenshots go to tests/browser/artifacts/ (git-ignored).
"""

import os

import pytest

from browser_harness import (
    ARTIFACTS,
    SKIP_ENV_VAR,
    chromium_page,
    jupyterlab,
    missing_tools,
    open_and_run_in_lab,
    prepare_workdir,
    voila,
    write_notebook,
)

if os.environ.get(SKIP_ENV_VAR) == "1":
    pytest.skip(f"{SKIP_ENV_VAR}=1: browser tests skipped", allow_module_level=True)

NOTEBOOK = "explore_latent.ipynb"
CONDITIONAL_NOTEBOOK = "explore_conditional.ipynb"
KEY_PRESSES = 10  # slider step 0.05: z[0] goes from 0.00 to 0.50


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    problem = missing_tools()
    if problem:
        pytest.fail(problem)
    root = prepare_workdir(tmp_path_factory.mktemp("explorers"))
    write_notebook(root / "nb" / NOTEBOOK, ["latent-explorer"], n_images=10)  # outside notebooks/: nbval ignores it
    write_notebook(root / "nb" / CONDITIONAL_NOTEBOOK, ["conditional-explorer"], n_images=10)
    ARTIFACTS.mkdir(exist_ok=True)
    return root


@pytest.fixture
def page():
    with chromium_page() as browser_page:
        yield browser_page


def wait_for_new_picture(page, image, selector: str, before: tuple) -> tuple:
    """Wait until the ``<img>`` at ``selector`` shows a new picture; ``before`` and the result are its
    ``(blob URL, screenshot bytes)``."""
    page.wait_for_function(
        "([selector, src]) => document.querySelector(selector).src !== src", arg=[selector, before[0]]
    )
    after = (image.get_attribute("src"), image.screenshot())
    assert after[0] != before[0], "the <img> kept its blob URL: the kernel sent no new picture"
    assert after[1] != before[1], "the picture on screen did not change"
    return after


def press_right(explorer, times: int) -> None:
    """Focus the explorer's first slider (an ipywidgets 8 noUiSlider handle) and press the right arrow key."""
    handle = explorer.locator(".explorer-slider").first.locator(".noUi-handle")
    handle.focus()
    for _ in range(times):
        handle.press("ArrowRight")


def move_first_slider_and_check_the_image_changes(page, screenshot: str) -> None:
    explorer = page.locator(".latent-explorer")
    image = explorer.locator("img.explorer-image")
    image.wait_for(state="visible")
    image.scroll_into_view_if_needed()
    before = (image.get_attribute("src"), image.screenshot())
    press_right(explorer, KEY_PRESSES)
    explorer.locator(".explorer-point", has_text="z = (+0.50, +0.00)").wait_for()  # the kernel drew z[0] = 0.5
    wait_for_new_picture(page, image, ".latent-explorer img.explorer-image", before)
    page.screenshot(path=str(ARTIFACTS / screenshot))
    assert not page.js_errors, page.js_errors


def test_jupyterlab_slider_redraws_the_decoded_image(workdir, page):
    with jupyterlab(workdir) as (base_url, token):
        open_and_run_in_lab(page, base_url, token, NOTEBOOK)
        move_first_slider_and_check_the_image_changes(page, "jupyterlab-explore-latent.png")
        stderr = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        assert stderr.count() == 0, stderr.all_inner_texts()


def test_jupyterlab_class_dropdown_and_slider_redraw_the_conditional_image(workdir, page):
    with jupyterlab(workdir) as (base_url, token):
        open_and_run_in_lab(page, base_url, token, CONDITIONAL_NOTEBOOK)
        explorer = page.locator(".conditional-explorer")
        image, strip = explorer.locator("img.explorer-image"), explorer.locator("img.explorer-strip")
        strip.wait_for(state="visible")
        explorer.scroll_into_view_if_needed()
        point = explorer.locator(".explorer-point")
        point.filter(has_text="T-shirt/top · z = (+0.00, +0.00)").wait_for()
        shown = (image.get_attribute("src"), image.screenshot())
        strip_shown = (strip.get_attribute("src"), strip.screenshot())
        explorer.locator(".explorer-class select").select_option(label="Sneaker")
        point.filter(has_text="Sneaker · z = (+0.00, +0.00)").wait_for()  # the kernel drew class 7
        shown = wait_for_new_picture(page, image, ".conditional-explorer img.explorer-image", shown)
        press_right(explorer, KEY_PRESSES)
        point.filter(has_text="Sneaker · z = (+0.50, +0.00)").wait_for()  # ... then z[0] = 0.5
        wait_for_new_picture(page, image, ".conditional-explorer img.explorer-image", shown)
        wait_for_new_picture(page, strip, ".conditional-explorer img.explorer-strip", strip_shown)  # a new z
        page.screenshot(path=str(ARTIFACTS / "jupyterlab-explore-conditional.png"))
        assert not page.js_errors, page.js_errors
        stderr = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        assert stderr.count() == 0, stderr.all_inner_texts()


def test_voila_slider_redraws_the_decoded_image(workdir, page):
    with voila(workdir, NOTEBOOK) as base_url:
        page.goto(base_url + "/")
        move_first_slider_and_check_the_image_changes(page, "voila-explore-latent.png")
