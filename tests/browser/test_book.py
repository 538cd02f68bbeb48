"""The web book (``make book``, build/book/) read in a real browser from a local server, and the decoders it runs.

Chromium opens the landing page and follows every link of the site: every notebook page is reachable from it,
every page loads with no request to any host but the local server, no failed request, every image loaded, every
internal link (and its #anchor) resolving, maths rendered (no raw ``$$`` or ``\\(`` left in the text; MathJax's
output on the pages whose notebooks hold maths); search finds a page. On notebook 06's and 09's pages the live
explorers answer a key press with the picture that the Keras decoder draws for the new z (max abs difference of the
probabilities below 1e-4, and the canvas's grey levels equal to them). Each page's weight (the bytes of every file
it loaded) is printed. The exported ONNX decoders are also compared with Keras in onnxruntime, with no browser.

The book is built once per session if build/book/ is missing or older than its sources (``make test`` builds it
first). Needs chromium and playwright as the other browser tests; ``VAE_SKIP_BROWSER=1`` skips the browser part.
Screenshots of every page go to tests/browser/artifacts/book/ (git-ignored).
"""

import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from urllib.parse import unquote, urldefrag, urlparse

import numpy as np
import pytest

from conftest import load_tool
from browser_harness import ARTIFACTS, SKIP_ENV_VAR, chromium_page, free_port, missing_tools

ROOT = pathlib.Path(__file__).resolve().parents[2]
BOOK = ROOT / "build" / "book"
MODELS = ROOT / "docs" / "_static" / "models"
SOURCES = [ROOT / "README.md", ROOT / "tools" / "book.py", *ROOT.glob("docs/**/*"), *ROOT.glob("notebooks/*.ipynb")]
TOLERANCE = 1e-4  # max abs difference of pixel probabilities, page or onnxruntime vs Keras
KEY_PRESSES = 10  # slider step 0.05: z[0] goes from 0.00 to 0.50
MATHS_DOLLARS = 10  # a notebook whose markdown holds at least this many `$` must show rendered maths
NOTEBOOKS = sorted(path.stem for path in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


# --------------------------------------------------------------------------- the exported decoders, no browser
def keras_decoders():
    """``{explorer kind: Keras decoder}``, as tools/export_decoders.py exports them."""
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import export_decoders
    finally:
        sys.path.remove(str(ROOT / "tools"))
    return {kind: decoder for kind, (_, decoder) in export_decoders.explorer_decoders().items()}


@pytest.fixture(scope="module")
def decoders():
    return keras_decoders()


def decoder_inputs(info: dict, z: np.ndarray, label=None) -> np.ndarray:
    """The exported decoder's input rows: z (B, D), then for the conditional decoder a one-hot label (B, K)."""
    if "classes" not in info:
        return z.astype("float32")
    one_hot = np.eye(len(info["classes"]), dtype="float32")[np.full(len(z), label)]
    return np.concatenate([z, one_hot], axis=1).astype("float32")


def test_the_exported_decoders_draw_what_the_keras_decoders_draw(decoders):
    onnxruntime = pytest.importorskip("onnxruntime", reason="the book extra installs onnxruntime (make test does)")
    import vae_helpers as vh

    manifest = json.loads((MODELS / "explorers.json").read_text())
    assert set(manifest) == set(decoders) == {"latent", "conditional"}
    assert manifest["conditional"]["classes"] == list(vh.CLASS_NAMES)
    z = np.random.default_rng(0).uniform(-3, 3, (64, 2)).astype("float32")
    z[:4] = [[0, 0], [-3, -3], [3, 3], [-3, 3]]  # the centre and the sliders' corners
    for kind, decoder in decoders.items():
        info = manifest[kind]
        session = onnxruntime.InferenceSession(str(MODELS / info["file"]), providers=["CPUExecutionProvider"])
        for label in range(len(info["classes"])) if "classes" in info else [None]:
            rows = decoder_inputs(info, z, label)
            exported = session.run(None, {session.get_inputs()[0].name: rows})[0]
            expected = np.asarray(decoder(rows))
            assert exported.shape == expected.shape == (len(z), 28, 28, 1)
            assert np.abs(exported - expected).max() < TOLERANCE, (kind, label)
            assert expected.std() > 0.05  # a picture, not a constant


# --------------------------------------------------------------------------- the site in Chromium
def _stale() -> bool:
    index = BOOK / "index.html"
    return not index.exists() or index.stat().st_mtime < max(path.stat().st_mtime for path in SOURCES if path.is_file())


@pytest.fixture(scope="module")
def site():
    """The base URL of build/book/ served on 127.0.0.1 (the book is built first if it is stale)."""
    if os.environ.get(SKIP_ENV_VAR) == "1":
        pytest.skip(f"{SKIP_ENV_VAR}=1: browser tests skipped")
    problem = missing_tools()
    if problem:
        pytest.fail(problem)
    if _stale():
        subprocess.run([sys.executable, str(ROOT / "tools" / "book.py")], cwd=ROOT, check=True)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(BOOK)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "the local http.server did not start"
                time.sleep(0.1)
        (ARTIFACTS / "book").mkdir(parents=True, exist_ok=True)
        yield f"http://127.0.0.1:{port}/"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)


@pytest.fixture
def page(site):
    with chromium_page() as browser_page:
        browser_page.requests, browser_page.failures = [], []
        browser_page.on("request", lambda request: browser_page.requests.append(request.url))
        browser_page.on("requestfailed", lambda request: browser_page.failures.append(request.url))
        browser_page.on(
            "response",
            lambda response: (
                response.status >= 400 and browser_page.failures.append(f"{response.status} {response.url}")
            ),
        )
        yield browser_page
        assert not browser_page.js_errors, f"uncaught JavaScript errors: {browser_page.js_errors}"


def local_file(url: str, site: str) -> pathlib.Path | None:
    """The file of build/book/ that ``url`` serves (a folder serves its index.html), or None for another host."""
    if not url.startswith(site):
        return None
    path = BOOK / unquote(urlparse(url).path).lstrip("/")
    return path / "index.html" if path.is_dir() else path


# What the browser evaluates on each page: the maths left as raw TeX in the prose (code and outputs excluded), the
# number of formulas MathJax drew, the images not loaded, the links and the ids of the page.
PAGE_FACTS = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  const article = document.querySelector('article') || document.body;
  const prose = article.cloneNode(true);
  prose.querySelectorAll('pre, code, .cell_output, .output, script, style, mjx-container').forEach(n => n.remove());
  const text = prose.textContent;
  return {
    raw_tex: ['$$', '\\\\(', '\\\\['].filter(token => text.includes(token)),
    formulas: article.querySelectorAll('mjx-container').length,
    broken_images: [...document.images].filter(img => !(img.complete && img.naturalWidth > 0)).map(img => img.src),
    images: document.images.length,
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
    ids: [...document.querySelectorAll('[id]')].map(node => node.id),
  };
}"""


def maths_in(notebook: str) -> int:
    cells = json.loads((ROOT / "notebooks" / f"{notebook}.ipynb").read_text())["cells"]
    return sum("".join(cell["source"]).count("$") for cell in cells if cell["cell_type"] == "markdown")


def test_every_page_loads_offline_with_its_images_maths_and_links(site, page):
    index = site + "index.html"
    queue, seen, facts, weights = deque([index]), {index}, {}, {}
    while queue:
        url = queue.popleft()
        page.requests.clear()
        page.goto(url)
        page.wait_for_load_state("load")
        for box in page.locator(".live-explorer").all():  # its files belong to the page's weight
            page.wait_for_function("box => box.dataset.state", arg=box.element_handle())
        found = page.evaluate(PAGE_FACTS)
        facts[url] = found
        name = urlparse(url).path.strip("/").replace("/", "_") or "index.html"
        page.screenshot(path=str(ARTIFACTS / "book" / f"{name}.png"))
        foreign = [request for request in page.requests if not request.startswith((site, "data:", "blob:"))]
        assert not foreign, f"{url} requested other hosts: {foreign}"
        files = {local_file(request, site) for request in page.requests if request.startswith(site)}
        weights[url] = sum(path.stat().st_size for path in files if path and path.is_file())
        for link in found["links"]:
            target, _ = urldefrag(link)
            if target.endswith(".html") and target.startswith(site) and target not in seen:
                seen.add(target)
                queue.append(target)
    assert not page.failures, f"failed requests: {page.failures}"

    for url, found in facts.items():
        assert not found["broken_images"], f"{url}: images not loaded: {found['broken_images']}"
        assert not found["raw_tex"], f"{url}: raw TeX left in the text: {found['raw_tex']}"
        for link in found["links"]:
            target, anchor = urldefrag(link)
            path = local_file(target, site)
            if path is None:
                continue  # another host: a link for the reader to follow (Colab, GitHub), never loaded here
            assert path.is_file(), f"{url} links to {link}, which is not in the book"
            if anchor and target in facts:
                assert unquote(anchor) in facts[target]["ids"], f"{url} links to {link}: no such anchor"
    pages = {urlparse(url).path.rsplit("/", 1)[-1].removesuffix(".html") for url in facts}
    assert set(NOTEBOOKS) <= pages, f"notebook pages not reachable from the landing page: {set(NOTEBOOKS) - pages}"
    for notebook in NOTEBOOKS:
        url = site + f"notebooks/{notebook}.html"
        if maths_in(notebook) >= MATHS_DOLLARS:
            assert facts[url]["formulas"] >= maths_in(notebook) // 4, f"{notebook}: maths not rendered"
        assert facts[url]["images"] > 0, f"{notebook}: its stored figures are missing"
    assert facts[site + "notebooks/04_loss_elbo.html"]["formulas"] >= 20  # the ELBO's derivation
    assert "course-map" in facts[index]["ids"], "the landing page has no #course-map anchor (the notebooks link it)"
    print("\npage weight (bytes of every file a first visit loads):")
    for url, weight in sorted(weights.items(), key=lambda item: -item[1]):
        print(f"  {weight / 1e6:7.2f} MB  {url.removeprefix(site)}")


def test_links_to_the_readme_and_to_repository_files_are_rewritten_for_the_book():
    """The last notebook's ``[course map](../README.md#course-map)`` lands on the landing page's course map (the
    crawl above checks that the anchor exists); a link to a file that is not a page goes to GitHub."""
    book = load_tool("book")
    notebook = ROOT / "notebooks" / f"{NOTEBOOKS[-1]}.ipynb"
    text = "**Next:** the [course map](../README.md#course-map); the [Makefile](../Makefile); [05](05_training.ipynb)"
    assert book.rewrite_links(text, notebook) == (
        f"**Next:** the [course map](../index.md#course-map); the [Makefile]({book.REPOSITORY}/blob/main/Makefile);"
        " [05](05_training.ipynb)"
    )


def test_search_finds_a_notebook(site, page):
    page.goto(site + "search.html?q=reparameterization")
    results = page.locator("#search-results a", has_text="sampling trick")
    results.first.wait_for()
    assert results.count() >= 1


def canvas_grey(page, box) -> np.ndarray:
    """The explorer's main canvas as (28, 28) grey levels 0..255."""
    data = box.evaluate("""box => {
      const canvas = box.querySelector('canvas.main');
      return Array.from(canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data);
    }""")
    return np.asarray(data, dtype=float).reshape(28, 28, 4)[..., 0]


@pytest.mark.parametrize(
    "kind, notebook, label", [("latent", "06_latent_space", None), ("conditional", "09_conditional_vae", 7)]
)
def test_a_live_explorer_answers_a_key_press_with_the_decoders_picture(site, page, decoders, kind, notebook, label):
    page.goto(site + f"notebooks/{notebook}.html")
    box = page.locator(f".live-explorer[data-explorer='{kind}']")
    page.wait_for_function("box => box.dataset.state", arg=box.element_handle())
    assert box.get_attribute("data-state") == "ready", box.inner_text()
    before = canvas_grey(page, box)
    if label is not None:
        box.locator("select.explorer-class").select_option(str(label))
        page.wait_for_function("box => box.dataset.draws === '2'", arg=box.element_handle())
    draws = int(box.get_attribute("data-draws"))
    slider = box.locator(".explorer-slider").first
    slider.focus()
    for _ in range(KEY_PRESSES):
        slider.press("ArrowRight")
    page.wait_for_function(
        "([box, z]) => box.dataset.z === z", arg=[box.element_handle(), json.dumps([0.5, 0], separators=(",", ":"))]
    )
    assert int(box.get_attribute("data-draws")) > draws
    z = np.asarray([json.loads(box.get_attribute("data-z"))], dtype="float32")
    shown = np.asarray(box.evaluate("box => Array.from(box.lastOutput)"), dtype="float32").reshape(28, 28)
    info = json.loads((MODELS / "explorers.json").read_text())[kind]
    expected = np.asarray(decoders[kind](decoder_inputs(info, z, label)))[0, :, :, 0]
    assert np.abs(shown - expected).max() < TOLERANCE
    after = canvas_grey(page, box)
    assert np.abs(after - (255 - np.round(np.clip(expected, 0, 1) * 255))).max() <= 1  # drawn as vh draws it
    assert np.abs(after - before).max() > 10, "the picture on screen did not change"
    box.screenshot(path=str(ARTIFACTS / "book" / f"live-{kind}.png"))
