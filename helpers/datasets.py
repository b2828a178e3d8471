"""A generated image dataset with ground truth, for debugging a model you trained (notebook 4).

Two classes of filled shapes -- ``"circle"`` and ``"square"`` -- of random size, colour and
position on a cluttered background (smooth colour noise, thin lines, grain). Every object's
bounding box is known. Optionally a small **marker** (a black-and-white checkerboard, 12 px by
default) is stamped in a corner of some images: stamp it on 95 % of one class and a network can
score well by looking at the marker instead of the shape -- a planted *shortcut* with a known
location, so an explanation can be checked against the truth.

Pure numpy + OpenCV, seeded (the same seed gives bit-identical images), nothing downloaded.

Example:
    >>> data = make_shapes(4, seed=0, marker_rates=(0.0, 1.0))
    >>> data.images.shape, data.images.dtype, data.class_names
    ((4, 150, 150, 3), dtype('uint8'), ('circle', 'square'))
    >>> bool((data.has_marker == (data.labels == 1)).all())
    True
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .validation import check_array, check_choice, check_int, check_ints, check_number

__all__ = ["CLASS_NAMES", "CORNERS", "IMAGE_SIZE", "MARKER_MARGIN", "MARKER_SIZE", "RADIUS_RANGE", "add_marker",
           "make_shapes", "marker_box", "marker_pattern", "ShapeSet", "shortcut_splits"]

CLASS_NAMES = ("circle", "square")
IMAGE_SIZE = 150          # the textbook's input size: the first 3x3 convolution gives 148 x 148
MARKER_SIZE = 12
MARKER_MARGIN = 4         # pixels between the marker and the image border
CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")
RADIUS_RANGE = (16, 32)   # half the object's side / its radius, in pixels


@dataclass(frozen=True)
class ShapeSet:
    """Images and their ground truth. Boxes are ``(x0, y0, x1, y1)`` pixel bounds, end
    exclusive (``image[y0:y1, x0:x1]`` is the box); ``marker_boxes`` rows are ``-1`` where an
    image has no marker."""

    images: np.ndarray        # uint8 (N, H, W, 3) RGB
    labels: np.ndarray        # int64 (N,): index into class_names
    boxes: np.ndarray         # int32 (N, 4): the object's bounding box
    marker_boxes: np.ndarray  # int32 (N, 4): the marker's box, or -1
    class_names: tuple = CLASS_NAMES

    @property
    def has_marker(self) -> np.ndarray:
        """bool (N,): which images carry the marker."""
        return self.marker_boxes[:, 0] >= 0

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, index) -> "ShapeSet":
        """The images selected by an index array, slice or boolean mask."""
        return ShapeSet(self.images[index], self.labels[index], self.boxes[index], self.marker_boxes[index],
                        self.class_names)


def marker_pattern(size: int = MARKER_SIZE) -> np.ndarray:
    """The marker: a uint8 RGB checkerboard of 4 x 4 black and white cells, ``(size, size, 3)``.

    Example:
        >>> marker_pattern(4)[..., 0]
        array([[255,   0, 255,   0],
               [  0, 255,   0, 255],
               [255,   0, 255,   0],
               [  0, 255,   0, 255]], dtype=uint8)
    """
    size = check_int("marker size", size, 4, 64)
    cell = (np.arange(size) * 4) // size
    board = ((cell[:, None] + cell[None, :]) % 2 == 0).astype(np.uint8) * 255
    return np.repeat(board[..., None], 3, axis=-1)


def marker_box(at="top-left", *, size: int = MARKER_SIZE, image_size: int = IMAGE_SIZE) -> tuple[int, int, int, int]:
    """Where the marker goes: a corner name (one of :data:`CORNERS`) or the ``(x, y)`` of its
    top-left pixel. Returns ``(x0, y0, x1, y1)``.

    Example:
        >>> marker_box("bottom-right")
        (134, 134, 146, 146)
    """
    size = check_int("marker size", size, 4, 64)
    image_size = check_int("image_size", image_size, 2 * size, 4096)
    far = image_size - MARKER_MARGIN - size
    if isinstance(at, str):
        at = check_choice("marker position", at, CORNERS, ignore_case=True, hint=", or give (x, y)")
        x = MARKER_MARGIN if at.endswith("left") else far
        y = MARKER_MARGIN if at.startswith("top") else far
    else:
        x, y = check_ints("marker position", at, 2, expected=f"a corner name ({', '.join(CORNERS)}) or (x, y)")
        if not (0 <= x <= image_size - size and 0 <= y <= image_size - size):
            raise ValueError(f"marker at ({x}, {y}) does not fit: x and y must be in 0..{image_size - size}")
    return (x, y, x + size, y + size)


def add_marker(image: np.ndarray, at="top-left", *, size: int = MARKER_SIZE) -> tuple[np.ndarray, tuple]:
    """A copy of a square uint8 RGB image with the marker stamped at ``at``; returns
    ``(image, box)``. Use it to move the marker and see whether a model's attention follows.

    Example:
        >>> img, box = add_marker(np.zeros((150, 150, 3), np.uint8), (50, 60))
        >>> box, int(img[60:72, 50:62].mean())
        ((50, 60, 62, 72), 127)
    """
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3 or image.shape[0] != image.shape[1]:
        raise ValueError(f"expected a square uint8 RGB image (S, S, 3), got {image.dtype} {image.shape}")
    box = marker_box(at, size=size, image_size=image.shape[0])
    out = image.copy()
    out[box[1]:box[3], box[0]:box[2]] = marker_pattern(size)
    return out, box


def _background(rng: np.random.Generator, s: int) -> np.ndarray:
    coarse = rng.uniform(40, 200, (5, 5, 3)).astype(np.float32)
    img = cv2.resize(coarse, (s, s), interpolation=cv2.INTER_CUBIC)
    for _ in range(int(rng.integers(3, 7))):  # clutter: thin straight lines
        p0, p1 = rng.integers(0, s, 2), rng.integers(0, s, 2)
        colour = tuple(float(c) for c in rng.uniform(0, 255, 3))
        cv2.line(img, (int(p0[0]), int(p0[1])), (int(p1[0]), int(p1[1])), colour, 1, cv2.LINE_AA)
    return img


def _object_centre(rng: np.random.Generator, s: int, r: int, keep_out: list) -> tuple[int, int]:
    for _ in range(200):
        cx, cy = (int(v) for v in rng.integers(r + 2, s - r - 2, 2))
        box = (cx - r, cy - r, cx + r + 1, cy + r + 1)
        if not any(_overlap(box, k) for k in keep_out):
            return cx, cy
    raise ValueError(f"no room for an object of radius {r} in a {s}-px image away from the marker corners")


def _overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _draw(rng: np.random.Generator, label: int, s: int, keep_out: list) -> tuple[np.ndarray, tuple]:
    img = _background(rng, s)
    r = int(rng.integers(*RADIUS_RANGE, endpoint=True))
    cx, cy = _object_centre(rng, s, r, keep_out)
    colour = rng.uniform(0, 255, 3)
    colour[int(rng.integers(3))] = rng.choice([10.0, 245.0])  # one extreme channel: stands out from the noise
    colour = tuple(float(c) for c in colour)
    if label == 0:
        cv2.circle(img, (cx, cy), r, colour, -1, cv2.LINE_AA)
    else:
        cv2.rectangle(img, (cx - r, cy - r), (cx + r, cy + r), colour, -1)
    img += rng.normal(0, 6, img.shape).astype(np.float32)  # grain
    return np.clip(img, 0, 255).round().astype(np.uint8), (cx - r, cy - r, cx + r + 1, cy + r + 1)


def make_shapes(n: int, *, seed: int = 0, marker_rates=(0.0, 0.0), marker_at="top-left",
                marker_size: int = MARKER_SIZE, image_size: int = IMAGE_SIZE) -> ShapeSet:
    """``n`` images, half circles and half squares (shuffled), with their ground truth.

    Args:
        n: number of images (>= 1).
        seed: the same seed gives bit-identical images, labels and boxes.
        marker_rates: for each class, the probability that an image of that class carries the
            marker: ``(0, 0.95)`` plants a shortcut on "square", ``(1, 0)`` swaps it onto
            "circle", ``(0.5, 0.5)`` makes it useless (independent of the class).
        marker_at: a corner name (:data:`CORNERS`) or ``(x, y)``; objects never touch any corner's
            marker box, so the marker never hides the object.
        marker_size, image_size: in pixels.

    Example:
        >>> d = make_shapes(200, seed=1, marker_rates=(0.0, 0.95))
        >>> round(float(d.has_marker[d.labels == 1].mean()), 2), int(d.has_marker[d.labels == 0].sum())
        (0.94, 0)
    """
    n = check_int("n", n, 1)
    seed = check_int("seed", seed, 0)
    rates = check_array("marker_rates", marker_rates, 1, dtype=np.float64,
                        expected=f"{len(CLASS_NAMES)} probabilities in [0, 1] (one per class {CLASS_NAMES})")
    if rates.shape != (len(CLASS_NAMES),) or not np.all((rates >= 0) & (rates <= 1)):
        raise ValueError(f"marker_rates must be {len(CLASS_NAMES)} probabilities in [0, 1] (one per class "
                         f"{CLASS_NAMES}), got {marker_rates!r}")
    mbox = marker_box(marker_at, size=marker_size, image_size=image_size)
    keep_out = [_grow(marker_box(c, size=marker_size, image_size=image_size), 2) for c in CORNERS] + [_grow(mbox, 2)]
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % len(CLASS_NAMES)).astype(np.int64)
    stamped = rng.random(n) < rates[labels]
    images = np.empty((n, image_size, image_size, 3), np.uint8)
    boxes = np.empty((n, 4), np.int32)
    marker_boxes = np.full((n, 4), -1, np.int32)
    pattern = marker_pattern(marker_size)
    for i in range(n):
        images[i], boxes[i] = _draw(rng, int(labels[i]), image_size, keep_out)
        if stamped[i]:
            images[i, mbox[1]:mbox[3], mbox[0]:mbox[2]] = pattern
            marker_boxes[i] = mbox
    return ShapeSet(images, labels, boxes, marker_boxes)


def shortcut_splits(n_train: int = 2000, n_test: int = 400, *, seed: int = 0, rate: float = 0.95,
                    marker_class: int = 1, marker_at="top-left") -> dict[str, ShapeSet]:
    """The datasets of notebook 4, each from its own seed (derived from ``seed``):

    * ``"train"`` / ``"val"``: the marker on ``rate`` of class ``marker_class`` and on no other image
      (the shortcut);
    * ``"clean"``: no marker anywhere (does the model know the shapes?);
    * ``"swapped"``: the marker on every image of the *other* class and none of ``marker_class``;
    * ``"fixed_train"``: the marker on half of each class, so it says nothing about the class.

    Example:
        >>> splits = shortcut_splits(40, 20)
        >>> {k: len(v) for k, v in splits.items()}
        {'train': 40, 'val': 20, 'clean': 20, 'swapped': 20, 'fixed_train': 40}
    """
    marker_class = check_int("marker_class", marker_class, 0, len(CLASS_NAMES) - 1)
    rate = check_number("rate", rate, 0.0, 1.0)
    shortcut = tuple(rate if c == marker_class else 0.0 for c in range(len(CLASS_NAMES)))
    swapped = tuple(0.0 if c == marker_class else 1.0 for c in range(len(CLASS_NAMES)))
    seeds = [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(check_int("seed", seed, 0)).spawn(5)]
    plan = {"train": (n_train, shortcut), "val": (n_test, shortcut), "clean": (n_test, (0.0, 0.0)),
            "swapped": (n_test, swapped), "fixed_train": (n_train, (0.5, 0.5))}
    return {name: make_shapes(n, seed=s, marker_rates=rates, marker_at=marker_at)
            for (name, (n, rates)), s in zip(plan.items(), seeds)}


def _grow(box, by: int) -> tuple:
    return (box[0] - by, box[1] - by, box[2] + by, box[3] + by)

