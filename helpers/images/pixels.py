"""Arrays to uint8 RGB under the one pixel policy, with small working copies.

16-bit values and alpha are converted in integer arithmetic, a block of rows at a time: the result
equals the float formulas exactly, and the temporaries stay a few MB next to the picture (the float
compositing of a 7000 x 7000 RGBA picture took ~40 bytes a pixel, 2 GB).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageOps

from ..validation import check_image_array, to_uint8

__all__ = ["array_to_rgb_uint8", "as_array", "over_white", "pil_to_array", "swap_red_blue", "uint16_to_uint8"]

_BLOCK_PIXELS = 1 << 20  # pixels converted at a time: the temporaries stay a few MB whatever the picture


def as_array(image) -> np.ndarray:
    """An image given where pixels belong, as an array: a PIL image (what ``keras.utils.load_img``
    returns) through :func:`pil_to_array`; a path, photo name or bytes refused with how to load it.

    ``np.asarray`` of a palette ("P") PIL image gives its palette *indices*, which no array check can
    tell from grey values: pass the PIL image itself (or its file) instead.
    """
    image = check_image_array(image)
    return pil_to_array(image) if isinstance(image, Image.Image) else np.asarray(image)


def pil_to_array(image: Image.Image) -> np.ndarray:
    """A PIL image's pixels as load_image reads its file: upright by its EXIF orientation, palette ("P")
    and other colour modes converted by Pillow, alpha ("LA", "RGBA", "P" with transparency) kept for
    compositing over white, 16-bit grey ("I;16", "I") as uint16, "F" as floats, "1" as 0/255.

    Example:
        >>> pil_to_array(Image.new("P", (2, 1), 0)).shape
        (1, 2, 3)
    """
    if image.getexif().get(274, 1) != 1:  # EXIF orientation: the picture as it is meant to be seen
        image = ImageOps.exif_transpose(image)
    mode = image.mode
    if mode in ("RGB", "RGBA", "L"):
        return np.asarray(image)
    if mode == "1":
        return np.asarray(image.convert("L"))
    if mode.startswith("I;16") or mode == "I":
        a = np.asarray(image)
        if a.size and (a.min() < 0 or a.max() > 65535):
            raise ValueError(f"a PIL image of mode {mode!r} holds {a.min()}..{a.max()}; 16-bit pictures hold 0..65535")
        return a.astype(np.uint16)
    if mode == "F":
        return np.asarray(image)
    alpha = mode in ("LA", "PA", "RGBa", "La") or (mode == "P" and "transparency" in image.info)
    return np.asarray(image.convert("RGBA" if alpha else "RGB"))


def array_to_rgb_uint8(array) -> np.ndarray:
    """Convert a grey / RGB / RGBA array of any common dtype (or a PIL image) to uint8 RGB (see
    :func:`load_image`); a path, photo name or bytes is refused with how to load it."""
    a = as_array(array)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)):
        raise ValueError(f"an image must be H x W (grey), H x W x 3 (RGB) or H x W x 4 (RGBA); "
                         f"got an array of shape {a.shape}")
    if a.shape[0] < 1 or a.shape[1] < 1:
        raise ValueError(f"an image needs at least 1 x 1 pixels; got shape {a.shape}")
    a = uint16_to_uint8(a) if a.dtype == np.uint16 else to_uint8(a, "the image array")
    if a.ndim == 2:
        a = np.repeat(a[..., None], 3, axis=2)
    if a.shape[2] == 4:
        a = over_white(a)
    return np.ascontiguousarray(a)


def _row_blocks(a: np.ndarray):
    """Slices of rows of about ``_BLOCK_PIXELS`` pixels each, covering ``a``."""
    step = max(1, _BLOCK_PIXELS // max(1, a.shape[1] if a.ndim > 1 else 1))
    return (slice(y, y + step) for y in range(0, a.shape[0], step))


def uint16_to_uint8(a: np.ndarray) -> np.ndarray:
    """16-bit values as uint8 under the pixel policy, round(v / 257), computed as (v + 128) // 257 a block
    of rows at a time: exactly :func:`helpers.validation.to_uint8`'s result (v / 257 is never within 0.001
    of a half), without its float32 copies of the whole picture.

    Example:
        >>> uint16_to_uint8(np.array([0, 128, 129, 65535], np.uint16)).tolist()
        [0, 0, 1, 255]
    """
    out = np.empty(a.shape, np.uint8)
    for rows in _row_blocks(a):
        out[rows] = (a[rows].astype(np.uint32) + 128) // 257
    return out


def over_white(rgba: np.ndarray) -> np.ndarray:
    """A uint8 RGBA picture composited over white, as uint8 RGB: round(c * a / 255 + 255 - a) for each
    colour value c and alpha a, computed as (c * a + 255 * (255 - a) + 127) // 255 in uint16 (at most
    65152) a block of rows at a time: the float result exactly (it is never a half), a few MB of
    temporaries instead of ~40 bytes a pixel.

    Example:
        >>> over_white(np.array([[[200, 0, 0, 255], [200, 0, 0, 0], [200, 0, 0, 128]]], np.uint8)).tolist()
        [[[200, 0, 0], [255, 255, 255], [227, 127, 127]]]
    """
    out = np.empty(rgba.shape[:2] + (3,), np.uint8)
    for rows in _row_blocks(rgba):
        block = rgba[rows]
        alpha = block[..., 3:4].astype(np.uint16)
        out[rows] = (block[..., :3] * alpha + 255 * (255 - alpha) + 127) // 255
    return out


def swap_red_blue(image: np.ndarray) -> None:
    """OpenCV's BGR(A) as RGB(A), in place a block of rows at a time (cv2.cvtColor copies the whole picture)."""
    for rows in _row_blocks(image):
        block = image[rows]
        blue = block[..., 0].copy()
        block[..., 0] = block[..., 2]
        block[..., 2] = blue
