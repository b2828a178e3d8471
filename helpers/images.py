"""Loading and checking images: one place that turns whatever a learner has into uint8 RGB.

Resize policy (``load_image(source, size=...)``): the image is first cropped to the largest
centred square (so nothing is squashed: a cat stays cat-shaped), then resized with OpenCV,
``INTER_AREA`` when shrinking (no aliasing) and ``INTER_CUBIC`` when enlarging. Pass
``crop=False`` to resize the whole picture instead (it is then squashed to the target shape,
like ``keras.utils.load_img(target_size=...)``).

Pixel values follow the one policy of :mod:`helpers.validation` (uint8 0..255; floats with a
maximum of at most 1 are 0..1; negative or out-of-range values are refused, never clipped).
Files are checked from their header before decoding (at most ``MAX_PIXELS`` pixels), and a
photo's EXIF orientation is applied, so a phone picture is upright.
"""

from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from .validation import (FOREIGN_ERRORS, MAX_PIXELS, ArgumentTypeError, check_size, contract_error,
                         model_input_hw, pixel_values, to_uint8)

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
IMAGES_DIR = DATA_DIR / "images"
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")
# EXIF orientation (tag 274) -> the array operation that makes the picture upright
_ORIENT = {2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1], 4: lambda a: a[::-1],
           5: lambda a: a.swapaxes(0, 1), 6: lambda a: np.rot90(a, -1),
           7: lambda a: a[::-1, ::-1].swapaxes(0, 1), 8: lambda a: np.rot90(a, 1)}


def sample_images() -> dict[str, Path]:
    """The bundled photos (see ``data/images/README.md`` for their licences), name -> path.

    Example:
        >>> sorted(sample_images())[:3]
        ['astronaut', 'cat_and_coffee', 'chelsea']
    """
    return {p.stem: p for p in sorted(IMAGES_DIR.iterdir()) if p.suffix.lower() in _IMAGE_SUFFIXES}


def load_image(source, size=None, *, crop: bool = True) -> np.ndarray:
    """Load an image as a uint8 ``(H, W, 3)`` RGB array.

    Args:
        source: a file path, the name of a bundled photo (``"chelsea"``, ``"coffee"``,
            ``"cat_and_coffee"`` ...; see :func:`sample_images`), encoded bytes (e.g. what an
            ipywidgets ``FileUpload`` gives: its value entry or its ``content``), or an array
            (H x W grey, H x W x 3 RGB, H x W x 4 RGBA; uint8, uint16 (16-bit), bool, other
            integers 0..255, or float -- floats whose maximum is at most 1 are taken as 0..1,
            otherwise as 0..255).
        size: ``None`` (keep the size), an int (square side), ``(height, width)`` (each at most
            4096), or a Keras model (use its input size; 224 when the model accepts any size).
        crop: centre-crop to the target aspect ratio before resizing (default), or squash.

    Grey, RGBA (composited over white), palette and 16-bit files are converted; the EXIF
    orientation of a photo is applied.

    Raises:
        FileNotFoundError: the path does not exist.
        ValueError: the data is not a decodable image, is truncated or over 50 megapixels, the
            array has the wrong shape, holds NaN/inf or values outside its range, or a bad size.
        TypeError: a source or size of a type that cannot be an image or a size.

    Example:
        >>> load_image("chelsea", size=224).shape
        (224, 224, 3)
    """
    target = _target_size(size)
    if not isinstance(crop, (bool, np.bool_)):
        raise ArgumentTypeError(f"crop must be True or False, got {crop!r:.60}")
    image = _to_rgb_uint8(source)
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
        out = cv2.resize(np.ascontiguousarray(image), (tw, th),
                         interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC)
    except FOREIGN_ERRORS as err:
        raise contract_error(err, f"resizing an image of shape {image.shape} to {th}x{tw}") from None
    return out[..., None] if image.ndim == 3 and out.ndim == 2 else out


def _target_size(size) -> tuple[int, int] | None:
    if hasattr(size, "inputs") or hasattr(size, "input_shape"):  # a Keras model (or anything with an input shape)
        return model_input_hw(size)
    return check_size(size)


def _to_rgb_uint8(source) -> np.ndarray:
    if isinstance(source, dict) and "content" in source:  # an ipywidgets FileUpload entry
        source = source["content"]
    if isinstance(source, (bytes, bytearray, memoryview)):
        return _decode(bytes(source), "the uploaded bytes")
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
        return _decode(path.read_bytes(), repr(str(path)))
    if source is not None and (isinstance(source, np.ndarray) or hasattr(source, "__array__")):
        return array_to_rgb_uint8(np.asarray(source))
    raise ArgumentTypeError(f"cannot read an image from a {type(source).__name__}; "
                            "give a path, a bundled photo name, bytes, or a numpy array")


def _header(data: bytes, what: str):
    """(width, height, EXIF orientation) from the header alone (no pixels decoded), or None if
    Pillow cannot read it; ValueError when the picture is over the pixel limit."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise ValueError(f"{what} is a picture of over {MAX_PIXELS // 1_000_000} megapixels: too large to "
                         "decode safely; shrink it first") from None
    except Exception:  # unknown to Pillow (or a damaged header): OpenCV decides below
        return None
    with img:
        w, h = img.size
        if w * h > MAX_PIXELS:
            raise ValueError(f"{what} is {w} x {h} pixels ({w * h / 1e6:.0f} megapixels), over the limit of "
                             f"{MAX_PIXELS // 1_000_000} megapixels; shrink it first")
        try:  # the EXIF block read from the header (img.getexif() would decode a PNG's pixels)
            exif = Image.Exif()
            if img.info.get("exif"):
                exif.load(img.info["exif"])
            elif img.format == "TIFF":
                exif = img.getexif()
            orientation = int(exif.get(274, 1) or 1)
        except Exception:  # a damaged EXIF block: keep the picture as stored
            orientation = 1
    return w, h, orientation


def _decode(data: bytes, what: str) -> np.ndarray:
    if not data:
        raise ValueError(f"{what} is empty: not an image")
    if data[:2] == b"\xff\xd8" and b"\xff\xd9" not in data[-64:]:
        # libjpeg decodes a truncated JPEG with only a warning, leaving grey blocks behind.
        raise ValueError(f"{what} is a truncated JPEG: not an image OpenCV can decode completely")
    header = _header(data, what)
    try:  # IMREAD_UNCHANGED keeps alpha and 16 bits, but ignores EXIF orientation: applied below
        image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    except FOREIGN_ERRORS as err:
        raise contract_error(err, f"decoding {what}") from None
    if image is None:
        raise ValueError(f"{what} is not an image OpenCV can decode (unknown format or truncated file)")
    if header is None and image.shape[0] * image.shape[1] > MAX_PIXELS:
        raise ValueError(f"{what} is over the limit of {MAX_PIXELS // 1_000_000} megapixels; shrink it first")
    if image.ndim == 3 and image.shape[2] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    elif image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA)
    if header is not None and header[2] in _ORIENT:
        image = _ORIENT[header[2]](image)
    return array_to_rgb_uint8(image)


def array_to_rgb_uint8(array: np.ndarray) -> np.ndarray:
    """Convert a grey / RGB / RGBA array of any common dtype to uint8 RGB (see :func:`load_image`)."""
    a = np.asarray(array)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)):
        raise ValueError(f"an image must be H x W (grey), H x W x 3 (RGB) or H x W x 4 (RGBA); "
                         f"got an array of shape {a.shape}")
    if a.shape[0] < 1 or a.shape[1] < 1:
        raise ValueError(f"an image needs at least 1 x 1 pixels; got shape {a.shape}")
    a = to_uint8(a, "the image array")
    if a.ndim == 2:
        a = np.repeat(a[..., None], 3, axis=2)
    if a.shape[2] == 4:  # composite over white
        alpha = a[..., 3:4].astype(np.float32) / 255.0
        a = (a[..., :3] * alpha + 255.0 * (1 - alpha)).round().astype(np.uint8)
    return np.ascontiguousarray(a)


def check_batch(image, channels: int = 3) -> tuple[np.ndarray, bool]:
    """Validate an image or a batch for a model: returns ``(float32 NHWC batch 0..255, was_single)``.

    Accepts ``(H, W)`` grey, ``(H, W, 1 | 3 | 4)`` or a batch ``(N, H, W, 1 | 3)`` under the pixel
    policy of :func:`helpers.validation.pixel_values`; converts to ``channels`` (3: RGB, grey
    repeated; 1: grey, ITU-R 601 luma of RGB).

    Raises:
        ValueError: wrong number of dimensions or channels, an empty batch, NaN/inf, or values
            outside the range the dtype implies.
    """
    if image is None or isinstance(image, (str, bytes, os.PathLike, dict)):
        raise ArgumentTypeError(f"expected an image array, got {type(image).__name__} {image!r:.60}: read the "
                                "picture first, e.g. image = helpers.load_image('chelsea', size=model)")
    a = np.asarray(image)
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
