"""Loading and checking images: one place that turns whatever a learner has into uint8 RGB.

Resize policy (``load_image(source, size=...)``): the image is first cropped to the largest
centred square (so nothing is squashed: a cat stays cat-shaped), then resized with OpenCV,
``INTER_AREA`` when shrinking (no aliasing) and ``INTER_CUBIC`` when enlarging. Pass
``crop=False`` to resize the whole picture instead (it is then squashed to the target shape,
like ``keras.utils.load_img(target_size=...)``).

Pixel values follow the one policy of :mod:`helpers.validation` (uint8 0..255; floats with a
maximum of at most 1 are 0..1; negative or out-of-range values are refused, never clipped).

Files are checked from their header before a pixel is decoded (:mod:`helpers.images.decoding`):
the format must be one of ``IMAGE_FORMATS`` (or of ``formats=``), the picture at most
``MAX_PIXELS`` pixels and ``MAX_DECODE_BYTES`` once decoded (width x height x channels x bytes per
value); a file whose header cannot be read is refused, never handed to a decoder to find out. A
JPEG is decoded only up to its end-of-image marker (:mod:`helpers.images.jpeg`: a phone's "motion
photo", a JPEG with a video after it, is read; a truncated JPEG is refused), and a large one at 1/2,
1/4 or 1/8 size when that still leaves twice the target size. A photo's EXIF orientation is
applied, so a phone picture is upright. 16-bit values and alpha are converted in integer arithmetic
a block of rows at a time (:mod:`helpers.images.pixels`), so the working copies stay small.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from ..validation import (
    FOREIGN_ERRORS,
    ArgumentTypeError,
    check_bool,
    check_int,
    check_size,
    contract_error,
    model_input_hw,
    pixel_values,
)
from .decoding import (
    IMAGE_FORMATS,
    MAX_DECODE_BYTES,
    MAX_REDUCED_PIXELS,
    Header,
    check_decode_budget,
    check_formats,
    decode,
    decode_bytes,
    file_types,
    read_header,
)
from .jpeg import jpeg_end, jpeg_reduction
from .pixels import array_to_rgb_uint8, as_array, over_white, pil_to_array, uint16_to_uint8

__all__ = [
    # loading and checking images (this module)
    "DATA_DIR", "IMAGES_DIR", "check_batch", "load_image", "resize", "sample_images",
    # decoding files, header first (.decoding, .jpeg)
    "IMAGE_FORMATS", "MAX_DECODE_BYTES", "MAX_REDUCED_PIXELS", "Header", "check_decode_budget", "check_formats",
    "decode", "decode_bytes", "file_types", "read_header", "jpeg_end", "jpeg_reduction",
    # arrays and PIL images to uint8 RGB (.pixels)
    "array_to_rgb_uint8", "as_array", "over_white", "pil_to_array", "uint16_to_uint8",
]

DATA_DIR = Path(__file__).resolve().parents[2] / "data"
IMAGES_DIR = DATA_DIR / "images"
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")


def sample_images() -> dict[str, Path]:
    """The bundled photos (see ``data/images/README.md`` for their licences), name -> path.

    Example:
        >>> sorted(sample_images())[:3]
        ['astronaut', 'cat_and_coffee', 'chelsea']
    """
    return {p.stem: p for p in sorted(IMAGES_DIR.iterdir()) if p.suffix.lower() in _IMAGE_SUFFIXES}


def load_image(source, size=None, *, crop: bool = True, formats=None, max_pixels=None) -> np.ndarray:
    """Load an image as a uint8 ``(H, W, 3)`` RGB array.

    Args:
        source: a file path, the name of a bundled photo (``"chelsea"``, ``"coffee"``,
            ``"cat_and_coffee"`` ...; see :func:`sample_images`), encoded bytes (e.g. what an
            ipywidgets ``FileUpload`` gives: its value entry or its ``content``), a PIL image (e.g. from
            ``keras.utils.load_img``; palette, 16-bit and alpha modes converted as for a file), or an array
            (H x W grey, H x W x 3 RGB, H x W x 4 RGBA; uint8, uint16 (16-bit), bool, other
            integers 0..255, or float -- floats whose maximum is at most 1 are taken as 0..1,
            otherwise as 0..255).
        size: ``None`` (keep the size), an int (square side), ``(height, width)`` (each at most
            4096), or a Keras model (use its input size; 224 when the model accepts any size).
        crop: centre-crop to the target aspect ratio before resizing (default), or squash.
        formats: the encoded formats accepted for a file or bytes, Pillow's names (e.g.
            ``("JPEG", "PNG", "WEBP")``); ``None`` (default): all of ``IMAGE_FORMATS`` (BMP, JPEG,
            PNG, PPM, TIFF, WebP), the formats whose header is checked before decoding.
        max_pixels: the largest encoded picture accepted, in pixels (a hard limit: the classroom
            server sets it). ``None`` (default): 50 megapixels, or up to 150 for a JPEG when ``size``
            lets it be decoded at 1/2, 1/4 or 1/8 scale within 50 megapixels (a phone's photo).

    Grey, RGBA (composited over white), palette and 16-bit files are converted; the EXIF
    orientation of a photo is applied.

    Raises:
        FileNotFoundError: the path does not exist.
        ValueError: the data is not a decodable image, is truncated, of a format not accepted, over
            50 megapixels (150 for a JPEG decoded at reduced size) or ``max_pixels``, or over
            ``MAX_DECODE_BYTES`` once decoded, the array has the wrong shape,
            holds NaN/inf or values outside its range, or a bad size or format name.
        TypeError: a source, size or formats of a type that cannot be an image, a size or formats.

    Example:
        >>> load_image("chelsea", size=224).shape
        (224, 224, 3)
    """
    target = _target_size(size)
    crop = check_bool("crop", crop)
    limit = None if max_pixels is None else check_int("max_pixels", max_pixels, 1)
    image = _to_rgb_uint8(source, check_formats(formats), target, limit)
    if target is not None:
        image = resize(image, target, crop=crop)
    return image


def resize(image: np.ndarray, size: tuple[int, int], *, crop: bool = True) -> np.ndarray:
    """Resize an ``(H, W, C)`` array to ``size=(height, width)`` (see the module docstring's policy)."""
    th, tw = check_size(size)
    image = np.asarray(image)
    if image.ndim < 2 or image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"cannot resize an empty image of shape {image.shape}")
    if crop:
        h, w = image.shape[:2]
        # largest centred window with the target aspect ratio
        if w * th > h * tw:
            cw = max(1, round(h * tw / th))
            x0 = (w - cw) // 2
            image = image[:, x0:x0 + cw]
        else:
            ch = max(1, round(w * th / tw))
            y0 = (h - ch) // 2
            image = image[y0:y0 + ch]
    h, w = image.shape[:2]
    if (h, w) == (th, tw):
        return np.ascontiguousarray(image)
    shrinking = th * tw < h * w
    try:
        out = cv2.resize(_opencv_view(image), (tw, th),
                         interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC)
    except FOREIGN_ERRORS as err:
        raise contract_error(err, f"resizing an image of shape {image.shape} to {th}x{tw}") from None
    return out[..., None] if image.ndim == 3 and out.ndim == 2 else out


def _opencv_view(a: np.ndarray) -> np.ndarray:
    """``a`` itself when OpenCV can read it in place -- whole rows, each contiguous, at any positive step
    (the centre crop of a picture) -- else a contiguous copy."""
    row = (a.shape[2] * a.itemsize, a.itemsize) if a.ndim == 3 else (a.itemsize,)
    return a if a.strides[1:] == row and a.strides[0] > 0 else np.ascontiguousarray(a)


def _target_size(size) -> tuple[int, int] | None:
    if hasattr(size, "inputs") or hasattr(size, "input_shape"):  # a Keras model (or anything with an input shape)
        return model_input_hw(size)
    return check_size(size)


def _to_rgb_uint8(source, formats: tuple[str, ...], target: tuple[int, int] | None,
                  max_pixels: int | None = None) -> np.ndarray:
    what = "the image data"
    if isinstance(source, dict) and "content" in source:  # an ipywidgets FileUpload entry
        what = repr(str(source["name"])) if source.get("name") else what
        source = source["content"]
    if isinstance(source, (bytes, bytearray, memoryview)):
        return decode(bytes(source), what, formats, target, max_pixels)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source).expanduser()
        if not path.exists():
            samples = sample_images()
            if str(source) in samples:
                path = samples[str(source)]
            else:
                raise FileNotFoundError(
                    f"no image file at {str(path)!r} (and it is not one of the bundled photos: "
                    f"{', '.join(samples)})")
        if path.is_dir():
            raise ValueError(f"{str(path)!r} is a folder, not an image file")
        return decode(path.read_bytes(), repr(str(path)), formats, target, max_pixels)
    if source is not None and (isinstance(source, (np.ndarray, Image.Image)) or hasattr(source, "__array__")):
        return array_to_rgb_uint8(source)  # a PIL image through Pillow's own conversion (palette, 16-bit ...)
    raise ArgumentTypeError(f"cannot read an image from a {type(source).__name__}; "
                            "give a path, a bundled photo name, bytes, a PIL image or a numpy array")


def check_batch(image, channels: int = 3) -> tuple[np.ndarray, bool]:
    """Validate an image or a batch for a model: returns ``(float32 NHWC batch 0..255, was_single)``.

    Accepts ``(H, W)`` grey, ``(H, W, 1 | 3 | 4)`` or a batch ``(N, H, W, 1 | 3)`` under the pixel
    policy of :func:`helpers.validation.pixel_values`; converts to ``channels`` (3: RGB, grey
    repeated; 1: grey, ITU-R 601 luma of RGB).

    Raises:
        ValueError: wrong number of dimensions or channels, an empty batch, NaN/inf, or values
            outside the range the dtype implies.
    """
    a = as_array(image)  # a path or name: "load it with helpers.load_image first"; a PIL image converted
    if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
        raise ArgumentTypeError(f"image values must be numbers (uint8 0..255 or float 0..1 / 0..255); "
                                f"got dtype {a.dtype}")
    single = a.ndim in (2, 3)
    if a.ndim == 2 or (a.ndim == 3 and a.shape[-1] == 4):
        a = array_to_rgb_uint8(a)  # grey or RGBA: as load_image reads it
    if a.ndim not in (3, 4) or a.shape[-1] not in (1, 3):
        raise ValueError(f"expected an RGB image (H, W, 3), a grey one (H, W) or a batch (N, H, W, 3); got shape "
                         f"{a.shape}. Use helpers.load_image() to read and convert a picture first.")
    if single:
        a = a[None]
    if a.shape[0] == 0 or a.shape[1] < 1 or a.shape[2] < 1:
        raise ValueError(f"the image batch is empty: shape {a.shape}")
    a = pixel_values(a)
    if a.shape[-1] != channels:
        if channels == 1:
            a = a @ np.array([[0.299], [0.587], [0.114]], np.float32)
        else:
            a = np.repeat(a, channels, axis=-1)
    return np.ascontiguousarray(a, np.float32), single
