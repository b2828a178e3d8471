"""The image picker of the explorers: a bundled photo, or the learner's own upload, checked."""

from __future__ import annotations

import html

import ipywidgets as W
import numpy as np

from ..images import check_formats, file_types, load_image, sample_images
from .errors import USER_ERRORS

__all__ = ["ImagePicker", "check_upload", "resolve_image"]


def resolve_image(source, size=None) -> tuple[np.ndarray | None, str, str | None]:
    """An explorer's ``image=`` argument through :func:`helpers.load_image`: a bundled photo name,
    a path, bytes or an array. Returns ``(image, name, error)``: on a mistake ``image`` is None and
    ``error`` the message to show in the status line -- never another photo in its place.

    Example:
        >>> image, name, error = resolve_image("no_such_photo", size=32)
        >>> image is None, "no_such_photo" in error
        (True, True)
    """
    name = source if isinstance(source, str) else "the image you passed"
    try:
        return load_image(source, size=size), name, None
    except USER_ERRORS as err:
        return None, name, f"{type(err).__name__}: {err.args[0] if isinstance(err, KeyError) and err.args else err}"


class ImagePicker(W.VBox):
    """A dropdown of the bundled photos plus a FileUpload for the learner's own picture.

    ``picker.image`` is the current uint8 RGB array; ``picker.observe_image(callback)`` calls
    ``callback(image)`` whenever it changes. ``default`` is a bundled photo name, a path, bytes or
    an array (read by :func:`resolve_image`); if it cannot be read, ``picker.image`` is None and
    ``picker.status`` says why -- no other photo is put in its place. A file that is not an image
    shows a message in ``picker.status`` and keeps the previous picture.

    Uploads: a file over ``max_upload_bytes`` (set from ``max_upload_mb``; None: no limit) is
    refused before decoding, and so is one whose format is not in ``formats`` (e.g.
    ``("JPEG", "PNG", "WEBP")``; None: every format :func:`helpers.load_image` checks from the
    header; the file dialog offers those too); whatever goes wrong while decoding is shown to this
    picker only; the uploaded bytes are dropped from the FileUpload at once (a server with many
    students would otherwise keep every upload in memory).

    Example:
        >>> picker = ImagePicker(default="chelsea")
        >>> picker.image.shape[-1]
        3
    """

    def __init__(self, default: str = "chelsea", size=None, max_upload_mb: float | None = None, formats=None,
                 **kwargs):
        self._samples = sample_images()
        self._size = size
        self.max_upload_bytes = None if max_upload_mb is None else int(float(max_upload_mb) * 2**20)
        self.max_pixels = None  # an upload's pixel limit: None is load_image's own (see its docs)
        options = list(self._samples)
        bundled = isinstance(default, str) and default in options
        self.dropdown = W.Dropdown(options=options, value=default if bundled else None, description="image")
        self.upload = W.FileUpload(accept="image/*", multiple=False, description="your own")
        self.formats = formats
        self.status = W.HTML()
        self._callbacks = []
        self.image, self.name, error = resolve_image(self._samples[default] if bundled else default, size)
        self.name = default if bundled else self.name  # the photo's name, not its path
        self.error = error
        if error is not None:
            self.show_error(error)
        elif not bundled:
            self.status.value = "<i>showing the image you passed; pick a photo or upload one to change it</i>"
        self.dropdown.observe(self._on_dropdown, names="value")
        self.upload.observe(self._on_upload, names="value")
        super().__init__([W.HBox([self.dropdown, self.upload]), self.status], **kwargs)

    @property
    def formats(self) -> tuple[str, ...] | None:
        """The formats an upload may be in (upper-case Pillow names), or None for every format checked."""
        return self._formats

    @formats.setter
    def formats(self, formats) -> None:
        self._formats = None if formats is None else check_formats(formats)
        self.upload.accept = "image/*" if self._formats is None else file_types(self._formats)

    def observe_image(self, callback) -> None:
        self._callbacks.append(callback)

    def set_image(self, image: np.ndarray, name: str) -> None:
        self.image, self.name, self.error = image, name, None
        self.status.value = ""
        for cb in self._callbacks:
            cb(image)

    def _on_dropdown(self, change):
        if change["new"] is not None:
            self.set_image(load_image(self._samples[change["new"]], size=self._size), change["new"])

    def show_error(self, message: str) -> None:
        """Show ``message`` in red in this picker's status line (the picture stays as it was)."""
        self.status.value = f"<span style='color:#b00020'>{html.escape(message, quote=False)}</span>"

    def _on_upload(self, change):
        files = change["new"]
        if not files:
            return
        entry = files[0] if isinstance(files, (list, tuple)) else next(iter(files.values()))
        try:
            name, content = check_upload(entry, self.max_upload_bytes)
            image = load_image({"name": name, "content": content}, size=self._size, formats=self._formats,
                               max_pixels=self.max_pixels)
        except USER_ERRORS as err:
            self.show_error(str(err))
            return
        except Exception as err:  # noqa: BLE001 -- MemoryError, a decoder's own error: shown here, the widget stays up
            self.show_error(f"could not read {entry.get('name', 'this file')!r} as a picture "
                            f"({type(err).__name__}); try a PNG or JPEG photo")
            return
        finally:
            self.upload.value = ()  # drop the bytes now
        self.set_image(image, name)


def check_upload(entry, max_bytes: int | None = None) -> tuple[str, bytes]:
    """``(name, content)`` of a FileUpload entry; ValueError if it is not one or is over
    ``max_bytes`` (checked before anything is decoded).

    Example:
        >>> check_upload({"name": "big.png", "content": b"x" * (2**20 + 1)}, max_bytes=2**20)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: 'big.png' is 1.0 MB; pictures up to 1 MB are accepted here. Save a smaller copy ...
    """
    if not isinstance(entry, dict) or "content" not in entry:
        raise ValueError(f"expected a FileUpload entry with a 'content' field, got {type(entry).__name__}")
    name = str(entry.get("name") or "upload")
    content = entry["content"]
    if max_bytes is not None and len(content) > max_bytes:
        raise ValueError(f"{name!r} is {len(content) / 2**20:.1f} MB; pictures up to {max_bytes / 2**20:g} MB are "
                         "accepted here. Save a smaller copy (e.g. 1000 pixels wide) and upload that.")
    return name, bytes(content)
