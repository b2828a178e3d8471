"""Sphinx configuration of the course site.

scripts/build_site.py copies this folder, the executed notebooks and the teaching pages into one
staging folder and runs Sphinx there; it sets two environment variables read below:

* ``CONVNET_VIS_AUDIENCE``: ``teachers`` (default, the whole site) or ``students`` (the teachers'
  section, whose lesson plans, quizzes and answer keys hold the answers, is left out of the build);
* ``CONVNET_VIS_BUILT``: the build date shown in the footer.

Nothing is executed here (``nb_execution_mode = "off"``: the pages show the outputs of the run of
``make notebooks``) and nothing is fetched: MathJax is served from ``_static/mathjax/`` and the
theme ships its scripts, styles and fonts.
"""

from __future__ import annotations

import os

AUDIENCE = os.environ.get("CONVNET_VIS_AUDIENCE", "teachers")
if AUDIENCE not in ("teachers", "students"):
    raise ValueError(f"CONVNET_VIS_AUDIENCE is {AUDIENCE!r}: 'teachers' or 'students'")

project = "convnet-vis: what a convolutional network sees"
author = "the convnet-vis authors"
copyright = "the convnet-vis authors, Apache-2.0"
html_title = "convnet-vis course"
html_last_updated_fmt = None

extensions = ["myst_nb"]

# the executed copies are shown as they are: no second execution at build time
nb_execution_mode = "off"
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3

root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints", "README.md"]
if AUDIENCE == "students":
    exclude_patterns.append("teachers/**")

# MathJax 3 from the build itself (scripts/build_site.py copies it from the django-static-mathjax
# wheel), never from a CDN; the path is relative to _static/
mathjax_path = "mathjax/tex-chtml.js"
mathjax3_config = {"tex": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]]}}

html_theme = "sphinx_book_theme"
html_static_path = ["_static"]
html_css_files = ["course.css"]
html_theme_options = {
    "show_navbar_depth": 1,
    "show_toc_level": 2,
    "home_page_in_toc": True,
    "use_download_button": True,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "navigation_with_keys": False,
    "extra_footer": (f"Built {os.environ.get('CONVNET_VIS_BUILT', '')} for "
                     f"{'teachers (answers included)' if AUDIENCE == 'teachers' else 'students (no answers)'}."),
}
html_context = {"audience": AUDIENCE, "default_mode": "light"}
# Sphinx's search page fetches each hit's page for a summary; browsers refuse fetch() on file:// pages
# (a site opened from the folder), so the hits are listed without one
html_show_search_summary = False
html_copy_source = False
html_show_sourcelink = False


def _print_button_only(app, pagename, templatename, context, doctree):
    """The theme's download menu offers the page's source file and "print to PDF"; the sources are not
    copied into the site (a notebook's executed copy would double its size), so keep only the print
    button, which the worksheets need."""
    for button in context.get("header_buttons", []):
        if button.get("label") == "download-buttons":
            button["buttons"] = [b for b in button["buttons"] if b.get("label") == "download-pdf-button"]


def setup(app):
    app.connect("html-page-context", _print_button_only, priority=502)  # after the theme adds the menu (501)
