"""Encoded pictures, checked from their header before a pixel is decoded.

Pillow reads the header (format, size, bands, bit depth, EXIF orientation); the format must be one of
:data:`IMAGE_FORMATS` (or of ``formats=``), the picture at most ``MAX_PIXELS`` pixels and
:data:`MAX_DECODE_BYTES` once decoded. A file whose header Pillow cannot read is refused, never handed
to a decoder to find out. OpenCV then decodes it: a JPEG only up to its end-of-image marker, at 1/2,
1/4 or 1/8 size when the target size allows.
"""

from __future__ import annotations

import io
import warnings
from typing import NamedTuple

import cv2
import numpy as np
from PIL import Image

from ..validation import FOREIGN_ERRORS, MAX_PIXELS, ArgumentTypeError, check_choice, contract_error
from .jpeg import JPEG_REDUCED, jpeg_end, jpeg_reduction
from .pixels import array_to_rgb_uint8, swap_red_blue, uint16_to_uint8

__all__ = ["IMAGE_FORMATS", "MAX_DECODE_BYTES", "MAX_REDUCED_PIXELS", "Header", "check_decode_budget", "check_formats",
           "decode", "decode_bytes", "file_types", "read_header"]

# Most bytes one picture may take once decoded (width x height x channels x bytes per value, read from its
# header before decoding): 8-bit RGB at MAX_PIXELS, so every ordinary photo within the pixel limit passes,
# while a small file that decodes to far more (a 7000 x 7000 16-bit RGBA PNG: 392 MB) is refused. The working
# copies made afterwards (8 bits, compositing) are done a block of rows at a time, within the same again.
MAX_DECODE_BYTES = 3 * MAX_PIXELS
# A phone's JPEG may be larger than MAX_PIXELS (phones save 50-200 megapixels): it still loads when a
# target size lets libjpeg decode it at 1/2, 1/4 or 1/8 scale to at most MAX_PIXELS pixels. Kept below
# Pillow's own decompression-bomb limit (2 x Image.MAX_IMAGE_PIXELS, 179 MP), so the header is read.
MAX_REDUCED_PIXELS = 150_000_000
# The encoded formats read: those whose header Pillow reads (size, bands, bit depth) without decoding and
# that OpenCV decodes into just that array. Not GIF, JPEG 2000 or AVIF (their decoders keep working buffers
# the header does not bound), not Radiance HDR or OpenEXR (Pillow cannot read their header).
IMAGE_FORMATS = ("BMP", "JPEG", "PNG", "PPM", "TIFF", "WEBP")
_FORMAT_ALIASES = {"JPG": "JPEG", "MPO": "JPEG", "TIF": "TIFF", "PGM": "PPM", "PBM": "PPM"}
_PILLOW_FORMATS = {"MPO": "JPEG"}  # Pillow's name for a JPEG with more pictures after it (phones' depth maps ...)
# EXIF orientation (tag 274) -> the array operation that makes the picture upright
_ORIENT = {2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1], 4: lambda a: a[::-1],
           5: lambda a: a.swapaxes(0, 1), 6: lambda a: np.rot90(a, -1),
           7: lambda a: a[::-1, ::-1].swapaxes(0, 1), 8: lambda a: np.rot90(a, 1)}


def check_formats(formats) -> tuple[str, ...]:
    """Encoded formats to accept: ``None`` (all of :data:`IMAGE_FORMATS`), one name or a sequence of
    names, in any case ("jpg" and "tif" are JPEG and TIFF); returned upper-case, without repeats.

    ArgumentTypeError for something that is not a name or names; ValueError for an unknown or no format.

    Example:
        >>> check_formats(["png", "JPG", "jpeg"])
        ('PNG', 'JPEG')
    """
    if formats is None:
        return IMAGE_FORMATS
    names = (formats,) if isinstance(formats, str) else formats
    try:
        names = tuple(names)
    except TypeError:
        raise ArgumentTypeError(f"formats must be None, a format name or a list of them ({', '.join(IMAGE_FORMATS)}); "
                                f"got {formats!r:.80}") from None
    bad = [n for n in names if not isinstance(n, str)]
    if bad:
        raise ArgumentTypeError(f"formats must be names such as 'PNG' ({', '.join(IMAGE_FORMATS)}); got {bad[0]!r:.60} "
                                f"({type(bad[0]).__name__})")
    if not names:
        raise ValueError(f"formats is empty: give at least one of {', '.join(IMAGE_FORMATS)} (or None for all)")
    upper = (_FORMAT_ALIASES.get(n.upper(), n.upper()) for n in names)
    return tuple(dict.fromkeys(check_choice("image format", n, IMAGE_FORMATS) for n in upper))


def file_types(formats: tuple[str, ...]) -> str:
    """The MIME types and file name endings of ``formats``, comma-separated: what a file dialog (an
    ipywidgets FileUpload's ``accept``) offers.

    Example:
        >>> file_types(("PNG", "WEBP"))
        'image/png,image/webp,.apng,.png,.webp'
    """
    endings = sorted(ext for ext, f in Image.registered_extensions().items() if f in formats)  # loads every plugin
    mimes = [Image.MIME[f] for f in formats if f in Image.MIME]  # (filled in by the plugins)
    return ",".join(mimes + endings)


class Header(NamedTuple):
    """What an encoded picture's header says, read by Pillow without decoding a pixel."""

    format: str         # Pillow's format name ("JPEG" also for an MPO: a JPEG with more pictures after it)
    width: int
    height: int
    orientation: int    # EXIF orientation, 1 (as stored) .. 8
    channels: int       # channels of OpenCV's IMREAD_UNCHANGED decode (an upper bound)
    value_bytes: int    # bytes per channel value: 1, 2 for a 16-bit file, 4 for 32-bit integers or floats
    buffer_bytes: int   # what the decoder keeps besides the pixels: a progressive JPEG's DCT coefficients


def read_header(data: bytes, what: str = "the image data", formats: tuple[str, ...] = IMAGE_FORMATS,
                max_pixels: int = MAX_PIXELS) -> Header:
    """The :class:`Header` of encoded ``data``; ValueError (naming ``what``) when Pillow cannot read it
    (then nothing can be checked, so nothing is decoded), its format is not in ``formats`` or it has
    more than ``max_pixels`` pixels.

    Example:
        >>> read_header(helpers.sample_images()["rocket"].read_bytes())[:5]
        ('JPEG', 640, 427, 1, 3)
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise ValueError(f"{what} is a picture of over {MAX_PIXELS // 1_000_000} megapixels: too large to "
                         "decode safely; shrink it first") from None
    except Exception:  # noqa: BLE001 -- unknown to Pillow (Radiance HDR, OpenEXR, text ...) or a damaged header
        raise ValueError(f"{what} is not an image in a format whose header can be checked before decoding "
                         f"({', '.join(formats)}), or its header is damaged") from None
    with img:
        found = _PILLOW_FORMATS.get(img.format, img.format)
        if found not in formats:
            raise ValueError(f"{what} is a {found} picture; the formats accepted here are {', '.join(formats)}: "
                             "save it as one of those (e.g. PNG or JPEG) and try again")
        w, h = img.size
        if w * h > max_pixels:
            raise ValueError(f"{what} is {w} x {h} pixels ({w * h / 1e6:.0f} megapixels), over the limit of "
                             f"{max_pixels // 1_000_000} megapixels; shrink it first")
        return Header(found, w, h, _exif_orientation(img), _decoded_channels(img), _value_bytes(img),
                      _coefficient_bytes(img))


def _exif_orientation(img) -> int:
    """The EXIF orientation read from the header (img.getexif() would decode a PNG's pixels); 1 if none."""
    try:
        exif = Image.Exif()
        if img.info.get("exif"):
            exif.load(img.info["exif"])
        elif img.format == "TIFF":
            exif = img.getexif()
        return int(exif.get(274, 1) or 1)
    except Exception:  # noqa: BLE001 -- a damaged EXIF block: keep the picture as stored
        return 1


def _decoded_channels(img) -> int:
    """Channels OpenCV's IMREAD_UNCHANGED decode gives, from Pillow's mode: a palette becomes BGR (BGRA with
    a transparent entry), grey + alpha becomes BGRA; a TIFF may store more samples than Pillow's mode shows."""
    if img.mode == "P":
        channels = 4 if "transparency" in img.info else 3
    elif img.mode in ("LA", "La", "PA"):
        channels = 4
    else:
        channels = len(img.getbands())
    if img.format == "TIFF":
        channels = max(channels, int(getattr(img, "tag_v2", {}).get(277, 1) or 1))
    return channels


def _value_bytes(img) -> int:
    """Bytes per channel value of OpenCV's IMREAD_UNCHANGED decode, from the bit depth in the header."""
    if img.format == "BMP":  # 16-bit BMPs are packed 5-6-5 pixels: OpenCV decodes every BMP to 8 bits
        return 1
    if img.format == "TIFF":  # BitsPerSample, one per sample
        bits = getattr(img, "tag_v2", {}).get(258) or (1,)
        return max(1, -(-max(bits if isinstance(bits, tuple) else (bits,)) // 8))
    tiles = getattr(img, "tile", None) or ()
    args = tiles[0].args if tiles else None
    rawmode = args[0] if isinstance(args, tuple) and args else args  # how the file stores a pixel: "RGBA;16B"
    rawmode = rawmode if isinstance(rawmode, str) else ""
    if ";16" in rawmode or img.mode.startswith("I;16"):
        return 2
    if img.mode in ("I", "F") or ";32" in rawmode:
        return 4
    if isinstance(args, tuple) and len(args) > 1 and isinstance(args[1], int) and args[1] > 255:
        return 2  # a PPM's (rawmode, maxval): values over 255 are 16-bit
    return 1


def _coefficient_bytes(img) -> int:
    """Bytes of DCT coefficients libjpeg keeps for the whole picture while decoding a progressive JPEG
    (2 per sample of each component, subsampled chroma at its own size, padded to whole MCUs); else 0."""
    if img.format not in ("JPEG", "MPO") or not img.info.get("progressive"):
        return 0
    factors = [(max(1, layer[1]), max(1, layer[2])) for layer in getattr(img, "layer", ())] or [(1, 1)] * 3
    hmax, vmax = max(f[0] for f in factors), max(f[1] for f in factors)
    w, h = img.size
    mcu_w, mcu_h = -(-w // (8 * hmax)), -(-h // (8 * vmax))  # MCUs across and down
    return sum(2 * mcu_w * 8 * fh * mcu_h * 8 * fv for fh, fv in factors)


def decode_bytes(header: Header, reduction: int = 1) -> int:
    """Bytes a picture takes while decoded: its pixels (at 1/``reduction`` size: a reduced JPEG decode is
    BGR) plus the decoder's own whole-picture buffers.

    Example:
        >>> decode_bytes(Header("PNG", 7000, 7000, 1, 4, 2, 0)) / 1e6  # a 16-bit RGBA PNG
        392.0
    """
    channels = 3 if reduction > 1 else header.channels
    pixels = -(-header.width // reduction) * -(-header.height // reduction)
    return pixels * channels * header.value_bytes + header.buffer_bytes


def check_decode_budget(header: Header, reduction: int = 1, what: str = "the image data") -> int:
    """:func:`decode_bytes` if within ``MAX_DECODE_BYTES``, else a ValueError that names the size and what
    to do -- before a pixel is decoded."""
    need = decode_bytes(header, reduction)
    if need > MAX_DECODE_BYTES:
        raise ValueError(
            f"{what} is {header.width} x {header.height} pixels with {header.channels} channels of "
            f"{8 * header.value_bytes} bits{' (progressive JPEG)' if header.buffer_bytes else ''}: "
            f"{need / 1e6:.0f} MB once decoded, over the {MAX_DECODE_BYTES / 1e6:.0f} MB one picture may take. "
            "Save a smaller copy (e.g. 2000 pixels wide) as an 8-bit JPEG or PNG and use that")
    return need


def _check_reduced_pixels(header: Header, reduction: int, what: str) -> None:
    """A picture over ``MAX_PIXELS`` (read under the larger ``MAX_REDUCED_PIXELS``) is accepted only when
    decoded at reduced size to at most ``MAX_PIXELS`` pixels; otherwise a ValueError says what to do."""
    pixels = header.width * header.height
    if pixels <= MAX_PIXELS or -(-header.width // reduction) * -(-header.height // reduction) <= MAX_PIXELS:
        return
    how = ("pass a size (e.g. load_image(photo, size=224)) so it is decoded at reduced size, or shrink it first"
           if header.format == "JPEG" else "shrink it first (only a JPEG can be decoded at reduced size)")
    raise ValueError(f"{what} is {header.width} x {header.height} pixels ({pixels / 1e6:.0f} megapixels), over "
                     f"the limit of {MAX_PIXELS // 1_000_000} megapixels at full size: {how}")


def decode(data: bytes, what: str = "the image data", formats: tuple[str, ...] = IMAGE_FORMATS,
           target: tuple[int, int] | None = None, max_pixels: int | None = None) -> np.ndarray:
    """Encoded ``data`` as uint8 RGB, checked from its header first (format, pixels, decoded bytes); at
    reduced size for a large JPEG when ``target`` (height, width) allows (see :func:`jpeg_reduction`).

    ``max_pixels``: the largest picture accepted, a hard limit; ``None`` (default): ``MAX_PIXELS``, or up
    to ``MAX_REDUCED_PIXELS`` for a JPEG that a reduced decode brings within ``MAX_PIXELS``."""
    if not data:
        raise ValueError(f"{what} is empty: not an image")
    header = read_header(data, what, formats, MAX_REDUCED_PIXELS if max_pixels is None else max_pixels)
    end, flags, reduction = len(data), cv2.IMREAD_UNCHANGED, 1
    if header.format == "JPEG":
        end = jpeg_end(data)
        if end is None:  # libjpeg decodes a truncated JPEG with only a warning, leaving grey blocks behind
            raise ValueError(f"{what} is a truncated JPEG (its data stops before the end-of-image marker): "
                             "not an image OpenCV can decode completely")
        upright = (header.width, header.height) if header.orientation in (5, 6, 7, 8) else (header.height, header.width)
        reduction = jpeg_reduction(*upright, target)
        if reduction > 1:  # the IMREAD_COLOR family applies EXIF orientation itself unless told not to: applied below
            flags = JPEG_REDUCED[reduction] | cv2.IMREAD_IGNORE_ORIENTATION
    _check_reduced_pixels(header, reduction, what)
    check_decode_budget(header, reduction, what)
    try:  # IMREAD_UNCHANGED keeps alpha and 16 bits, but ignores EXIF orientation: applied below
        image = cv2.imdecode(np.frombuffer(data, np.uint8, count=end), flags)
    except FOREIGN_ERRORS as err:
        raise contract_error(err, f"decoding {what}") from None
    if image is None:
        raise ValueError(f"{what} is not an image OpenCV can decode (a damaged or truncated file)")
    if image.dtype == np.uint16:  # to 8 bits here, so the 16-bit picture is freed before compositing
        image = uint16_to_uint8(image)
    if image.ndim == 3 and image.shape[2] in (3, 4):
        swap_red_blue(image)
    if header.orientation in _ORIENT:
        image = _ORIENT[header.orientation](image)
    return array_to_rgb_uint8(image)
