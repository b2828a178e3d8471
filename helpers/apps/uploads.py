"""Hostile uploads: the classroom's limits on what a student can send, shown to that student only.

:func:`guard_uploads` takes over an explorer's :class:`helpers.widgets.ImagePicker` upload
handling: a file over ``max_bytes`` is refused before decoding, anything ``load_image`` refuses
(not an image, truncated, too many pixels) or fails on is reported in that picker's status line,
the previous picture stays, and the uploaded bytes are dropped from the widget at once (30
students' 20 MB uploads would otherwise stay in the server's memory).

Example:
    >>> check_upload({"name": "big.png", "content": b"x" * (2**20 + 1)}, max_bytes=2**20)
    Traceback (most recent call last):
    ...
    ValueError: 'big.png' is 1.0 MB; pictures up to 1 MB are accepted here. Save a smaller copy (e.g. 1000 pixels wide) and upload that.
"""

from __future__ import annotations

import html
import os

from ..images import load_image

MAX_UPLOAD_MB = float(os.environ.get("CLASSROOM_MAX_UPLOAD_MB", "20"))


def check_upload(entry, max_bytes: int) -> tuple[str, bytes]:
    """``(name, content)`` of a FileUpload entry, or ValueError if it is empty or too big."""
    if not isinstance(entry, dict) or "content" not in entry:
        raise ValueError(f"expected a FileUpload entry with a 'content' field, got {type(entry).__name__}")
    name = str(entry.get("name") or "upload")
    content = entry["content"]
    size = len(content)
    if size > max_bytes:
        raise ValueError(f"{name!r} is {size / 2**20:.1f} MB; pictures up to {max_bytes / 2**20:g} MB are accepted "
                         "here. Save a smaller copy (e.g. 1000 pixels wide) and upload that.")
    return name, bytes(content)


def guard_uploads(picker, size, max_bytes: int | None = None) -> None:
    """Replace ``picker``'s upload handler by a guarded one (see the module docstring)."""
    max_bytes = int(MAX_UPLOAD_MB * 2**20) if max_bytes is None else int(max_bytes)
    # ImagePicker observes its FileUpload with its own _on_upload: swap it for ours (no public hook yet).
    picker.upload.unobserve(picker._on_upload, names="value")

    def show(message: str) -> None:
        picker.status.value = f"<span style='color:#b00020'>{html.escape(message)}</span>"

    def on_upload(change):
        files = change["new"]
        if not files:
            return
        entry = files[0] if isinstance(files, (list, tuple)) else next(iter(files.values()))
        try:
            name, content = check_upload(entry, max_bytes)
            image = load_image(content, size=size)
        except (ValueError, FileNotFoundError, TypeError) as err:
            show(str(err))
            return
        except Exception as err:  # MemoryError, a decoder's own error: this student only, server stays up
            show(f"could not read this file as a picture ({type(err).__name__}); try a PNG or JPEG photo")
            return
        finally:
            picker.upload.value = ()  # drop the bytes now
        picker.set_image(image, name)

    picker.upload.observe(on_upload, names="value")
