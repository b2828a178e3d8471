"""The JPEG stream itself: where it ends (so what follows it is ignored), and how far libjpeg may
scale it down while decoding."""

from __future__ import annotations

import re

import cv2

__all__ = ["JPEG_REDUCED", "jpeg_end", "jpeg_reduction"]

# libjpeg decodes straight to 1/2, 1/4 or 1/8 size (scaled inverse DCT): the flags, largest scale-down first
JPEG_REDUCED = {8: cv2.IMREAD_REDUCED_COLOR_8, 4: cv2.IMREAD_REDUCED_COLOR_4, 2: cv2.IMREAD_REDUCED_COLOR_2}
# ... keeping at least twice the target's pixels across each side, so INTER_AREA still averages 2 x 2 or more
# pixels into each output pixel: over the bundled photos enlarged 3-5x, the mean difference from the full
# decode is 0.9 grey levels (1.9 when scaling down right to the target size)
_JPEG_MARGIN = 2
_SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7]")  # a marker after entropy-coded data (not FF00 = FF, not RSTn)
_STANDALONE = frozenset([0x01, *range(0xD0, 0xD8)])  # TEM and RST0..7: markers without a length field


def jpeg_end(data: bytes) -> int | None:
    """Where a JPEG stream ends: the offset just after its EOI marker, found by walking its segments
    (each with a length; after each SOS, entropy-coded data up to the next marker, so a progressive
    JPEG's scans are walked one by one); None when it never gets there (truncated, or not a JPEG).

    What follows EOI is not part of the picture: a phone's "motion photo" appends an MP4 video, an
    MPO its other pictures. An EXIF thumbnail is inside its APP1 segment, so it is skipped whole.

    Example:
        >>> jpeg = (b"\\xff\\xd8" + b"\\xff\\xfe\\x00\\x04hi" + b"\\xff\\xda\\x00\\x02"
        ...         + b"\\x12\\xff\\x00\\xff\\xd0\\x34")
        >>> jpeg_end(jpeg + b"\\xff\\xd9" + b"ftypmp42..."), jpeg_end(jpeg)
        (20, None)
    """
    n = len(data)
    if n < 4 or data[0] != 0xFF or data[1] != 0xD8:
        return None
    pos = 2
    while pos < n:
        if data[pos] != 0xFF:  # stray bytes between segments: libjpeg skips them to the next marker, so do we
            pos = data.find(b"\xff", pos)
            if pos < 0:
                return None
        while pos < n and data[pos] == 0xFF:  # a marker may be preceded by fill bytes (more 0xFF)
            pos += 1
        if pos >= n:
            return None
        code = data[pos]
        pos += 1
        if code == 0xD9:  # EOI
            return pos
        if code in _STANDALONE or code == 0x00:
            continue
        if pos + 2 > n:
            return None
        length = data[pos] << 8 | data[pos + 1]
        if length < 2 or pos + length > n:
            return None
        pos += length
        if code == 0xDA:  # SOS: the scan's entropy-coded data runs to the next marker
            found = _SCAN_END.search(data, pos)
            if found is None:
                return None
            pos = found.start()
    return None


def jpeg_reduction(height: int, width: int, target: tuple[int, int] | None) -> int:
    """The largest scale-down libjpeg can decode at (8, 4 or 2; 1: full size) that leaves at least
    ``_JPEG_MARGIN`` times the target size where :func:`resize` needs it: across the centre crop of the
    target's aspect ratio (its sides are min(h/th, w/tw) times the target's), and so across the whole
    picture (crop=False).

    Example:
        >>> jpeg_reduction(3000, 4000, (224, 224)), jpeg_reduction(427, 640, (224, 224)), jpeg_reduction(10, 10, None)
        (4, 1, 1)
    """
    if target is None:
        return 1
    spare = min(height / target[0], width / target[1]) / _JPEG_MARGIN
    return next((f for f in JPEG_REDUCED if spare >= f), 1)
