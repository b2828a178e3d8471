"""Hostile uploads: the classroom's limits on what a student can send, shown to that student only.

The checks live in :class:`helpers.widgets.ImagePicker` (a byte cap before decoding, the format,
pixel and decoded-bytes caps of :func:`helpers.load_image` read from the header, any decoding
failure shown in that picker's status line, the uploaded bytes dropped at once);
:func:`guard_uploads` sets the classroom's byte cap, ``CLASSROOM_MAX_UPLOAD_MB`` (default 20), and
its formats, :data:`CLASSROOM_FORMATS`: what phones and browsers save photos as.

Example:
    >>> from helpers.widgets import ImagePicker
    >>> picker = ImagePicker("chelsea", size=32)
    >>> guard_uploads(picker, max_bytes=2**20); picker.max_upload_bytes, picker.formats
    (1048576, ('JPEG', 'PNG', 'WEBP'))
"""

from __future__ import annotations

import os

from ..validation import MAX_PIXELS

__all__ = ["CLASSROOM_FORMATS", "MAX_UPLOAD_MB", "guard_uploads"]

MAX_UPLOAD_MB = float(os.environ.get("CLASSROOM_MAX_UPLOAD_MB", "20"))
CLASSROOM_FORMATS = ("JPEG", "PNG", "WEBP")  # the upload formats a student may send (Pillow's names)


def guard_uploads(picker, max_bytes: int | None = None) -> None:
    """Cap ``picker``'s uploads at ``max_bytes`` (default ``MAX_UPLOAD_MB``) and accept only
    :data:`CLASSROOM_FORMATS`, each at most ``MAX_PIXELS`` pixels however it could be decoded (stricter
    than a notebook, which loads a larger JPEG at reduced size)."""
    picker.max_upload_bytes = int(MAX_UPLOAD_MB * 2**20) if max_bytes is None else int(max_bytes)
    picker.formats = CLASSROOM_FORMATS
    picker.max_pixels = MAX_PIXELS
