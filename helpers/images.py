"""Loading and checking images: one place that turns whatever a learner has into uint8 RGB.

Resize policy (``load_image(source, size=...)``): the image is first cropped to the largest
centred square (so nothing is squashed: a cat stays cat-shaped), then resized with OpenCV,
``INTER_AREA`` when shrinking (no aliasing) and ``INTER_CUBIC`` when enlarging. Pass
``crop=False`` to resize the whole picture instead (it is then squashed to the target shape,
like ``keras.utils.load_img(target_size=...)``).
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

DATA_DIR = Path(__file__).resolve().parents[1] / "data"
IMAGES_DIR = DATA_DIR / "images"
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")


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
            (H x W grey, H x W x 3 RGB, H x W x 4 RGBA; uint8, uint16, bool, or float --
            floats whose maximum is at most 1 are taken as 0..1, otherwise as 0..255).
        size: ``None`` (keep the size), an int (square side), ``(height, width)``, or a Keras
            model (use its input size; 224 when the model accepts any size).
        crop: centre-crop to the target aspect ratio before resizing (default), or squash.

    Grey, RGBA (composited over white), palette and 16-bit files are converted.

    Raises:
        FileNotFoundError: the path does not exist.
        ValueError: the data is not a decodable image, is truncated, or the array has the
            wrong number of dimensions or channels, or holds NaN/inf.

    Example:
        >>> load_image("chelsea", size=224).shape
        (224, 224, 3)
    """
    image = _to_rgb_uint8(source)
    if size is not None:
        image = resize(image, _target_size(size), crop=crop)
    return image


def resize(image: np.ndarray, size: tuple[int, int], *, crop: bool = True) -> np.ndarray:
    """Resize an ``(H, W, C)`` array to ``size=(height, width)`` (see the module docstring's policy)."""
    th, tw = int(size[0]), int(size[1])
    if th < 1 or tw < 1:
        raise ValueError(f"image size must be positive, got {size}")
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
    return cv2.resize(np.ascontiguousarray(image), (tw, th),
                      interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_CUBIC)


def _target_size(size) -> tuple[int, int]:
    if hasattr(size, "inputs") or hasattr(size, "input_shape"):  # a Keras model
        from .models import input_size

        return input_size(size)
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        return int(size), int(size)
    if isinstance(size, (tuple, list)) and len(size) == 2:
        return int(size[0]), int(size[1])
    raise ValueError(f"size must be None, an int, (height, width) or a Keras model; got {size!r}")


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
    if isinstance(source, np.ndarray) or hasattr(source, "__array__"):
        return array_to_rgb_uint8(np.asarray(source))
    raise ValueError(f"cannot read an image from a {type(source).__name__}; "
                     "give a path, a bundled photo name, bytes, or a numpy array")


def _decode(data: bytes, what: str) -> np.ndarray:
    if not data:
        raise ValueError(f"{what} is empty: not an image")
    if data[:2] == b"\xff\xd8" and b"\xff\xd9" not in data[-64:]:
        # libjpeg decodes a truncated JPEG with only a warning, leaving grey blocks behind.
        raise ValueError(f"{what} is a truncated JPEG: not an image OpenCV can decode completely")
    buffer = np.frombuffer(data, np.uint8)
    image = cv2.imdecode(buffer, cv2.IMREAD_UNCHANGED)
    if image is None:
        raise ValueError(f"{what} is not an image OpenCV can decode (unknown format or truncated file)")
    if image.ndim == 3 and image.shape[2] == 3:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    elif image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2RGBA)
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
    if a.dtype == bool:
        a = a.astype(np.uint8) * 255
    elif a.dtype == np.uint16:
        a = (a.astype(np.float32) / 257.0).round().astype(np.uint8)
    elif a.dtype != np.uint8:
        if not np.issubdtype(a.dtype, np.number):
            raise ValueError(f"image arrays must be numeric; got dtype {a.dtype}")
        f = a.astype(np.float32)
        if not np.isfinite(f).all():
            raise ValueError("the image array contains NaN or infinite values")
        if f.size and f.max() <= 1.0:
            f = f * 255.0
        a = np.clip(f, 0, 255).round().astype(np.uint8)
    if a.ndim == 2:
        a = np.repeat(a[..., None], 3, axis=2)
    if a.shape[2] == 4:  # composite over white
        alpha = a[..., 3:4].astype(np.float32) / 255.0
        a = (a[..., :3] * alpha + 255.0 * (1 - alpha)).round().astype(np.uint8)
    return np.ascontiguousarray(a)


def check_batch(image) -> tuple[np.ndarray, bool]:
    """Validate an image or a batch for a model: returns ``(float32 NHWC batch, was_single)``.

    Accepts ``(H, W, 3)`` or ``(N, H, W, 3)`` with values in 0..255 (uint8 or float).

    Raises:
        ValueError: wrong number of dimensions or channels, an empty batch, or NaN/inf values.
    """
    if image is None or isinstance(image, (str, bytes, os.PathLike, dict)):
        raise ValueError(f"expected an image array, got {type(image).__name__} {image!r:.60}: read the picture "
                         "first, e.g. image = helpers.load_image('chelsea', size=model)")
    a = np.asarray(image)
    single = a.ndim == 3
    if a.ndim not in (3, 4) or a.shape[-1] != 3:
        raise ValueError(f"expected an RGB image (H, W, 3) or a batch (N, H, W, 3); got shape {a.shape}. "
                         "Use helpers.load_image() to read and convert a picture first.")
    if single:
        a = a[None]
    if a.shape[0] == 0 or a.shape[1] < 1 or a.shape[2] < 1:
        raise ValueError(f"the image batch is empty: shape {a.shape}")
    if not np.issubdtype(a.dtype, np.number) or a.dtype == bool:
        raise ValueError(f"image values must be numbers 0..255; got dtype {a.dtype}")
    a = a.astype(np.float32, copy=True)
    if not np.isfinite(a).all():
        raise ValueError("the image contains NaN or infinite values")
    return a, single
