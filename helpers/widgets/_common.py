"""Building blocks shared by the three explorers: an image picker and error-safe redraws."""

from __future__ import annotations

import functools
import traceback

import cv2
import ipywidgets as W
import numpy as np

from ..images import load_image, sample_images

USER_ERRORS = (ValueError, KeyError, IndexError, FileNotFoundError, TypeError)


def guarded(output: W.Output, status: W.HTML | None = None):
    """Decorate a redraw callback so a mistake is shown in ``output`` and the widget stays alive.

    A user error (ValueError, KeyError, ...) shows its message in red; anything else shows a
    short traceback. The callback's return value is passed through (``None`` on error).

    Example:
        >>> out, status = W.Output(), W.HTML()
        >>> @guarded(out, status)
        ... def redraw():
        ...     raise ValueError("bad layer")
        >>> redraw() is None, "ValueError: bad layer" in status.value
        (True, True)
    """
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                result = fn(*args, **kwargs)
                if status is not None:
                    status.value = ""
                return result
            except USER_ERRORS as err:
                message = str(err.args[0]) if isinstance(err, KeyError) and err.args else str(err)
                _show_error(output, status, f"{type(err).__name__}: {message}")
            except Exception as err:  # keep the widget alive whatever happens
                _show_error(output, status, f"{type(err).__name__}: {err}\n"
                            + "".join(traceback.format_exception(err)[-3:]))
            return None
        return wrapper
    return decorate


def png_bytes(picture: np.ndarray, compression: int = 1) -> bytes:
    """A uint8 RGB or RGBA picture as PNG bytes, for an ``ipywidgets.Image`` (OpenCV encoder;
    compression 1 = fastest, which is what a redraw wants).

    Example:
        >>> png_bytes(np.zeros((2, 2, 3), np.uint8))[:4]
        b'\\x89PNG'
    """
    a = np.ascontiguousarray(picture)
    bgr = cv2.cvtColor(a, cv2.COLOR_RGBA2BGR if a.shape[-1] == 4 else cv2.COLOR_RGB2BGR)
    ok, data = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, int(compression)])
    if not ok:  # pragma: no cover - OpenCV always encodes a plain uint8 image
        raise RuntimeError("could not encode the picture as PNG")
    return data.tobytes()


def _show_error(output, status, text):
    if status is not None:
        status.value = f"<pre style='color:#b00020;white-space:pre-wrap'>{_escape(text)}</pre>"
    else:
        output.clear_output(wait=True)
        with output:
            print(text)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class ImagePicker(W.VBox):
    """A dropdown of the bundled photos plus a FileUpload for the learner's own picture.

    ``picker.image`` is the current uint8 RGB array; ``picker.observe_image(callback)`` calls
    ``callback(image)`` whenever it changes. A file that is not an image shows a message in
    ``picker.status`` and keeps the previous picture.

    Example:
        >>> picker = ImagePicker(default="chelsea")
        >>> picker.image.shape[-1]
        3
    """

    def __init__(self, default: str = "chelsea", size=None, **kwargs):
        self._samples = sample_images()
        self._size = size
        options = list(self._samples)
        self.dropdown = W.Dropdown(options=options, value=default if default in options else options[0],
                                   description="image")
        self.upload = W.FileUpload(accept="image/*", multiple=False, description="your own")
        self.status = W.HTML()
        self._callbacks = []
        self.image = load_image(self._samples[self.dropdown.value], size=size)
        self.name = self.dropdown.value
        self.dropdown.observe(self._on_dropdown, names="value")
        self.upload.observe(self._on_upload, names="value")
        super().__init__([W.HBox([self.dropdown, self.upload]), self.status], **kwargs)

    def observe_image(self, callback) -> None:
        self._callbacks.append(callback)

    def set_image(self, image: np.ndarray, name: str) -> None:
        self.image, self.name = image, name
        self.status.value = ""
        for cb in self._callbacks:
            cb(image)

    def _on_dropdown(self, change):
        self.set_image(load_image(self._samples[change["new"]], size=self._size), change["new"])

    def _on_upload(self, change):
        files = change["new"]
        if not files:
            return
        entry = files[0] if isinstance(files, (list, tuple)) else next(iter(files.values()))
        try:
            image = load_image(entry, size=self._size)
        except (ValueError, FileNotFoundError) as err:
            self.status.value = f"<span style='color:#b00020'>{_escape(str(err))}</span>"
            return
        self.set_image(image, str(entry.get("name", "upload")) if isinstance(entry, dict) else "upload")
