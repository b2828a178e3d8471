"""Saving what an explorer shows: a readable, bounded file name and a "save PNG" button.

The button has two modes. ``"file"`` writes the picture into a folder (``outputs/`` beside the
notebook): what a learner running the notebooks on their own computer wants. ``"download"``
writes nothing on the machine the explorer runs on and offers the picture to the browser as a
download link instead: what a server shared by a class wants (students must not fill its disk,
nor pick the names of files written there).

Either way the button asks the explorer for ``(picture, name)`` at click time, and explorers
answer from their own server-side arrays -- never from a widget's synced ``value``, which the
browser can overwrite with anything.

Example:
    >>> output_name("filters", "efficientnet_lite0", "block4b_expand_conv", "filter7")
    'filters_efficientnet_lite0_block4b_expand_conv_filter7.png'
    >>> box = save_button(lambda: (np.zeros((2, 2, 3), np.uint8), "black.png"), mode="download")
    >>> box.button.click()
    >>> box.message.value.startswith('<a download="black.png" href="data:image/png;base64,')
    True
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import ipywidgets as W
import numpy as np

from ..validation import check_choice
from .encoding import png_bytes

__all__ = ["MAX_NAME", "MAX_PART", "OUTPUTS", "SAVE_MODES", "download_link", "output_name", "picture_png",
           "save_button", "save_png"]

OUTPUTS = "outputs"  # where the "save PNG" button writes in "file" mode (relative to the notebook's folder)
SAVE_MODES = ("file", "download")
MAX_PART = 60    # characters kept of each part of a file name (a layer, a class, an uploaded photo's name)
MAX_NAME = 150   # characters of a whole file name, ".png" included (file systems allow 255 bytes)


def output_name(*parts) -> str:
    """A file name that says what a picture is: the parts joined by "_", odd characters as "-",
    each part cut to :data:`MAX_PART` characters and the whole name to :data:`MAX_NAME` (an
    uploaded photo's name or a class label can be any length).

    Example:
        >>> output_name("gradcam", "efficientnet_lite0", "cat_and_coffee", "top_conv", "282 tiger cat", "gradcam")
        'gradcam_efficientnet_lite0_cat_and_coffee_top_conv_282-tiger-cat_gradcam.png'
        >>> len(output_name("activations", "x" * 1000, "y" * 1000, "z" * 1000)) <= MAX_NAME
        True
    """
    words = []
    for part in parts:
        if part is None or part == "":
            continue
        text = str(part)[: 4 * MAX_PART]  # enough to fill a part after runs of odd characters collapse
        word = re.sub(r"[^A-Za-z0-9_.+-]+", "-", text).strip("-.")[:MAX_PART].rstrip("-.")
        if word:
            words.append(word)
    stem = "_".join(words)[: MAX_NAME - len(".png")].rstrip("-._")
    return (stem or "picture") + ".png"


def picture_png(picture) -> bytes:
    """``picture`` as PNG bytes: PNG bytes as they are, a uint8 RGB/RGBA array encoded.

    Example:
        >>> picture_png(np.zeros((2, 2, 3), np.uint8))[:4]
        b'\\x89PNG'
    """
    if isinstance(picture, (bytes, bytearray, memoryview)):
        return bytes(picture)
    return png_bytes(np.asarray(picture), compression=6)


def save_png(picture, name: str, folder=OUTPUTS) -> Path:
    """Write ``picture`` (PNG bytes, or a uint8 RGB/RGBA array) as ``folder/name``; returns the path.
    ``name`` must be a plain file name (no folder part): ValueError otherwise.

    Example:
        >>> import tempfile
        >>> save_png(np.zeros((2, 2, 3), np.uint8), "black.png", tempfile.mkdtemp()).read_bytes()[:4]
        b'\\x89PNG'
    """
    name = str(name)
    if not name or name in (".", "..") or Path(name).name != name or "\\" in name:
        raise ValueError(f"save_png needs a plain file name (no folder part), got {name!r:.80}")
    data = picture_png(picture)
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def download_link(png: bytes, name: str) -> str:
    """HTML for a link that makes the browser save ``png`` as ``name``: a ``data:`` URL holding
    the bytes, so nothing is written on the server. ``name`` is HTML-escaped (attribute and text).

    Example:
        >>> download_link(b"\\x89PNG", 'a"<b>.png')
        '<a download="a&quot;&lt;b&gt;.png" href="data:image/png;base64,iVBORw==">download a&quot;&lt;b&gt;.png</a>'
    """
    shown = html.escape(str(name), quote=True)
    href = "data:image/png;base64," + base64.b64encode(bytes(png)).decode("ascii")
    return f'<a download="{shown}" href="{href}">download {shown}</a>'


def save_button(current, folder=OUTPUTS, *, mode: str = "file") -> W.HBox:
    """A "save PNG" button and its message line; ``current()`` returns ``(picture, file name)``
    of what the explorer shows now (or None / ``(None, ...)`` when there is nothing to save).

    ``mode="file"`` writes ``folder/name`` (:func:`save_png`); ``mode="download"`` writes nothing
    and puts a download link for the picture in the message line (:func:`download_link`), made
    at click time. The box's ``button`` and ``message`` are attributes (for tests)."""
    mode = check_choice("save", mode, SAVE_MODES)
    if mode == "file":
        button = W.Button(description="save PNG", icon="download", tooltip=f"save the picture in {folder}/")
    else:
        button = W.Button(description="save PNG", icon="download",
                          tooltip="make a link that downloads the picture to this computer")
    message = W.HTML()

    def on_click(_button):
        try:
            got = current()
            picture, name = got if got is not None else (None, None)
            if picture is None or len(picture) == 0:
                message.value = "<i>nothing to save yet</i>"
            elif mode == "file":
                message.value = f"saved <code>{html.escape(str(save_png(picture, name, folder=folder)))}</code>"
            else:
                message.value = download_link(picture_png(picture), name)
        except (OSError, ValueError, TypeError) as err:  # a full disk, a bad name: said here, the widget stays
            message.value = f"<span style='color:#b00020'>could not save: {html.escape(str(err))}</span>"

    button.on_click(on_click)
    box = W.HBox([button, message])
    box.button, box.message = button, message
    return box
