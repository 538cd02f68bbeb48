"""Sphinx configuration of the course's web book (``make book``, written by ``tools/book.py``).

tools/book.py copies this file, the pages of docs/, the README (as the landing page) and the stored notebooks into
build/book-src/ and runs Sphinx there; nothing is executed and nothing is fetched when the site is read: MathJax and
onnxruntime-web are copied into ``_static/`` from their npm packages (docs/package.json), the theme's fonts come
with the theme.
"""

project = "Variational Autoencoders, hands on"
author = "The VAE course"
copyright = "the VAE course authors, MIT licence"

extensions = ["myst_nb", "sphinx.ext.mathjax"]
exclude_patterns = ["_build", "_originals", "**.ipynb_checkpoints", "package.json", "package-lock.json"]
root_doc = "index"

# The stored outputs are the course's outputs (a full-mode run): the book never re-executes a notebook.
nb_execution_mode = "off"
nb_ipywidgets_js = {}  # no widget state is stored; the default would add require.js and a widget manager from a CDN
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "html_image"]
myst_heading_anchors = 3
myst_dmath_double_inline = True  # $$...$$ inside a paragraph, as JupyterLab and GitHub render it
# a stored traceback that Pygments cannot lex is still shown, as plain text
suppress_warnings = ["misc.highlighting_failure"]

# MathJax 3 from its npm package, copied into _static/mathjax by tools/book.py (Sphinx's default is a CDN URL).
mathjax_path = "mathjax/tex-chtml.js"
mathjax3_config = {
    "tex": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]]},
    "options": {"processHtmlClass": "tex2jax_process|mathjax_process|math|output_area"},
}

html_theme = "sphinx_book_theme"
html_title = "VAEs, hands on"
html_static_path = ["_static"]
html_css_files = ["book.css"]
html_js_files = ["explorer.js"]  # the live explorers of notebooks 06 and 09 (loads onnxruntime-web only there)
html_copy_source = False  # the notebooks are offered as .ipynb downloads instead
html_show_sourcelink = False
html_last_updated_fmt = None
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": False,  # its download is the build's copy; each page links the original notebook
    "use_fullscreen_button": False,
    "search_bar_text": "Search the course…",
    "navbar_persistent": [],  # the sidebar holds the search field; no second one in a header bar
}
