"""Perturbation maps: hide part of the picture and watch the class probability -- no gradients.

Grad-CAM reads the network's gradients; the two methods here only *ask* the network questions, so
a learner can follow them without calculus, and they work the same on any classifier:

* :func:`occlusion` -- occlusion sensitivity (Zeiler & Fergus, 2014): slide a grey square over the
  picture; where covering the picture makes the class probability fall, the evidence is. A pixel's
  value is the average fall over all the squares that covered it.
* :func:`rise` -- RISE (Petsiuk et al., 2018): show the network the picture through many random
  masks (a coarse random grid of holes, upsampled smoothly and shifted by a random fraction of a
  cell); a pixel's value is the average probability of the masked pictures in which it was visible,
  minus the average over all of them.

The price is forward passes -- many of them (each docstring gives the count). They run in
fixed-size batches through the compiled forward pass that the CAM engine already holds for the model
(:mod:`helpers.cam.engine`, never an eager ``model(x)``, about 10x slower), and only one batch of
perturbed pictures exists at a time, so memory stays bounded whatever the number of patches or masks.

What "hidden" means matters. Zeiler & Fergus cover the picture with a grey square; Captum's and
xplique's occlusion, and Petsiuk et al.'s code, put zeros into the *normalised* input, which is the
dataset's mean colour. Our models take raw 0..255 pixels, so hidden pixels get that colour
explicitly: the ImageNet mean :data:`MEAN_RGB`, a neutral grey (``fill`` chooses another).

Scores are class *probabilities* (softmax), as in both papers, not logits: a grey patch can lower
every logit alike, which leaves the softmax -- the model's choice -- unchanged and should not count
as evidence for one class.

The arithmetic lives in small numpy functions (:func:`patch_starts`, :func:`occlusion_average`,
:func:`rise_grids`, :func:`rise_masks`, :func:`rise_saliency`), tested on hand-computed arrays.

Example:
    >>> photo = load_image("cat_and_coffee", size=224)
    >>> heat = occlusion(model, photo, "tiger cat", patch=56, stride=56)    # 17 forward passes
    >>> heat.shape, heat.dtype, bool(heat[:, :112].sum() > heat[:, 112:].sum())   # the cat is on the left
    ((224, 224), dtype('float32'), True)
"""

from __future__ import annotations

import cv2
import numpy as np
import tensorflow as tf

from ..heads import probabilities
from ..validation import check_int, check_model
from ..validation.args import check_colour, check_fraction
from .engine import Engine, engine
from .inputs import class_indices, contract_errors, prepare_input
from .maths import normalize_map, upsample

__all__ = ["BATCH", "MEAN_RGB", "batched_probabilities", "fill_colour", "occlusion", "occlusion_average",
           "patch_starts", "rise", "rise_grids", "rise_masks", "rise_saliency"]

MEAN_RGB = np.array([123.68, 116.78, 103.94], np.float32)  # the ImageNet mean colour: "zero" after normalisation
BATCH = 16          # perturbed pictures per compiled call (on 2 CPU cores larger batches are no faster)
MAX_MASKS = 100_000  # RISE masks: time grows with them, memory does not
_RESIZE_CHANNELS = 64  # OpenCV's Python binding resizes at most this many stacked masks at once


# -- the arithmetic (numpy only) --------------------------------------------------------------
def fill_colour(fill) -> np.ndarray:
    """The colour hidden pixels take, float32 (3,): ``None`` = :data:`MEAN_RGB`; else a grey level
    0..255 or an ``(r, g, b)`` triple.

    Example:
        >>> fill_colour(None).astype(int).tolist(), fill_colour(0).tolist()
        ([123, 116, 103], [0.0, 0.0, 0.0])
    """
    return MEAN_RGB.copy() if fill is None else check_colour("fill", fill)


def patch_starts(side: int, patch: int, stride: int) -> np.ndarray:
    """Where the patches start along one side: ``0, stride, 2 stride, ...``, plus one patch flush with
    the far edge when those leave it uncovered -- so with ``stride <= patch`` every pixel is covered.

    Example:
        >>> patch_starts(10, 4, 3).tolist(), patch_starts(10, 4, 4).tolist()
        ([0, 3, 6], [0, 4, 6])
    """
    starts = list(range(0, side - patch + 1, stride))
    if starts[-1] + patch < side:
        starts.append(side - patch)
    return np.asarray(starts)


def occlusion_average(drops: np.ndarray, ys: np.ndarray, xs: np.ndarray, patch: int, shape) -> np.ndarray:
    """Per pixel, the mean of ``drops[i, j]`` over the patches (top ``ys[i]``, left ``xs[j]``, side
    ``patch``) that cover it; float64 ``shape``.

    Example:
        >>> occlusion_average(np.array([[1.0, 3.0]]), np.array([0]), np.array([0, 1]), 2, (2, 3))
        array([[1., 2., 3.],
               [1., 2., 3.]])
    """
    total, count = np.zeros(shape), np.zeros(shape)
    for i, y in enumerate(ys):
        for j, x in enumerate(xs):
            total[y:y + patch, x:x + patch] += drops[i, j]
            count[y:y + patch, x:x + patch] += 1
    return total / np.maximum(count, 1)


def rise_masks(grids: np.ndarray, shifts: np.ndarray, shape) -> np.ndarray:
    """RISE's smooth masks (n, H, W) float32 in [0, 1] from binary grids (n, s, s) and shifts (n, 2).

    As in Petsiuk et al.: each s x s grid is upsampled bilinearly to (s + 1) cells of
    ``ceil(H / s) x ceil(W / s)`` pixels, then an H x W window starting at ``shifts[i] = (dy, dx)``
    (each below one cell) is kept -- so the holes' edges fall anywhere, not on a fixed lattice.

    Example:
        >>> rise_masks(np.array([[[1, 0], [0, 1]]]), np.array([[1, 1]]), (4, 4))[0].round(2)  # 2 x 2 cells
        array([[1.  , 0.67, 0.33, 0.  ],
               [0.67, 0.56, 0.44, 0.33],
               [0.33, 0.44, 0.56, 0.67],
               [0.  , 0.33, 0.67, 1.  ]], dtype=float32)
    """
    n, s = grids.shape[0], grids.shape[1]
    h, w = int(shape[0]), int(shape[1])
    cell_h, cell_w = -(-h // s), -(-w // s)
    out = np.empty((n, h, w), np.float32)
    for start in range(0, n, _RESIZE_CHANNELS):  # grids stacked as channels: one resize per chunk
        chunk = grids[start:start + _RESIZE_CHANNELS].transpose(1, 2, 0).astype(np.float32)
        up = cv2.resize(chunk, ((s + 1) * cell_w, (s + 1) * cell_h), interpolation=cv2.INTER_LINEAR)
        up = up.reshape(up.shape[0], up.shape[1], -1)  # one channel comes back 2-D
        for k, (dy, dx) in enumerate(shifts[start:start + _RESIZE_CHANNELS]):
            out[start + k] = up[dy:dy + h, dx:dx + w, k]
    return out


def rise_grids(n: int, resolution: int, p: float, shape, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """RISE's random draws for ``n`` masks of a picture of ``shape`` (H, W): binary grids (n, s, s), each
    cell open with probability ``p``, and shifts (n, 2) below one cell (``ceil(H / s)``, ``ceil(W / s)``).

    Example:
        >>> grids, shifts = rise_grids(3, 2, 0.5, (8, 8), seed=0)
        >>> grids.shape, shifts.shape, bool(shifts.max() < 4)
        ((3, 2, 2), (3, 2), True)
    """
    rng = np.random.default_rng(seed)
    grids = rng.random((n, resolution, resolution)) < p
    cells = (-(-int(shape[0]) // resolution), -(-int(shape[1]) // resolution))
    return grids, np.stack([rng.integers(0, cells[0], n), rng.integers(0, cells[1], n)], axis=1)


def rise_saliency(scores: np.ndarray, masks: np.ndarray, p: float | None = None) -> np.ndarray:
    """Per pixel, the mean score of the masked pictures in which it was visible, ``E[f | M(pixel) = 1]``.

    With ``p``: Petsiuk et al.'s Monte-Carlo estimate ``sum_i f_i M_i / (N p)``, which divides by how often
    a pixel is visible *on average*. Without (what :func:`rise` uses): ``sum_i f_i M_i / sum_i M_i``,
    which divides by how often it *was*. The paper's version adds noise proportional to the score
    itself, since each pixel's visible count is random; measured on the tiger cat of
    ``cat_and_coffee``, 600 masks, two seeds: maps correlate at r = 0.19 (paper) vs 0.75 (ours).
    A pixel never visible gets the mean score (no evidence either way).

    Example:
        >>> f, m = np.array([0.9, 0.3, 0.6]), np.array([[[1.0, 0.0]], [[0.0, 1.0]], [[1.0, 0.0]]])
        >>> rise_saliency(f, m, p=0.5).round(2), rise_saliency(f, m).round(2)
        (array([[1. , 0.2]]), array([[0.75, 0.3 ]]))
    """
    f, m = np.asarray(scores, np.float64), np.asarray(masks, np.float64)
    weighted = _weighted_masks(f, m)
    if p is not None:
        return weighted / (len(f) * p)
    visible = m.sum(axis=0)
    return np.where(visible > 0, weighted / np.where(visible > 0, visible, 1.0), f.mean())


def _weighted_masks(f: np.ndarray, masks: np.ndarray) -> np.ndarray:
    """``sum_i f[i] * masks[i]`` (H, W). With einsum's own loop, not BLAS: ``np.tensordot`` hands this
    to OpenBLAS, whose threads keep spinning after it returns and so take the cores from the next
    compiled forward pass; measured on 2 cores, RISE's batches took 1.43x the time of plain passes with
    tensordot, 1.16x with einsum."""
    return np.einsum("n,nhw->hw", f, masks)


def _hide(x: np.ndarray, masks: np.ndarray, fill: np.ndarray) -> np.ndarray:
    """Pictures (n, H, W, 3): ``x`` where a mask is 1, ``fill`` where it is 0, a blend in between:
    ``fill + mask * (x - fill)``. Built for every batch of masks, so written for speed: the masks are
    repeated over the colour channels first (numpy broadcasts a trailing axis of 3 about 3x slower)."""
    out = np.repeat(np.asarray(masks, np.float32)[..., None], 3, axis=-1)
    out *= np.asarray(x, np.float32) - fill
    out += fill
    return out


# -- the passes --------------------------------------------------------------------------------
def batched_probabilities(eng: Engine, count: int, make, batch_size: int = BATCH, class_index: int | None = None):
    """Class probabilities of ``count`` pictures made batch by batch: ``make(start, stop)`` returns
    pictures ``start..stop-1`` as float32 (stop - start, H, W, 3). Only one batch exists at a time.

    Returns (count, classes), or (count,) for one ``class_index`` (then nothing larger is kept).
    The batches are made equal (33 pictures in batches of at most 16: 11 + 11 + 11, not 16 + 16 + 1):
    a last batch of one picture would cost about two pictures' time.
    """
    size = -(-count // -(-count // batch_size))  # ceil(count / number of batches)
    out = []
    for start in range(0, count, size):
        stop = min(count, start + size)
        _, scores = eng.forward(tf.constant(make(start, stop)))
        probs = probabilities(np.asarray(scores), eng.binary)
        out.append(probs if class_index is None else probs[:, class_index])
    return np.concatenate(out, axis=0)


def _top_class(eng: Engine, x: np.ndarray, c: int) -> int:
    """``c``, or (``c < 0``) the top class of picture ``x`` (one forward pass)."""
    if c >= 0:
        return int(c)
    return int(np.argmax(batched_probabilities(eng, 1, lambda a, b: x[None])[0]))


def _prepared(model, image, class_index):
    """What both methods start from: the model's engine, the batch ``x`` at the model's input size, whether
    one image was given, the image's size and the class per picture (-1: its top class), each checked."""
    check_model(model)
    eng = engine(model)
    x, single, hw = prepare_input(model, image)
    return eng, x, single, hw, class_indices(model, class_index, len(x))


def _check_batch_size(batch_size) -> int:
    return check_int("batch_size", batch_size, 1, 1024)


def occlusion(model, image, class_index=None, *, patch: int = 32, stride: int = 16, fill=None,
              batch_size: int = BATCH) -> np.ndarray:
    """Occlusion sensitivity (Zeiler & Fergus, 2014): how much hiding each region lowers the class probability.

    A ``patch`` x ``patch`` square of colour ``fill`` slides over the picture in steps of ``stride``
    (one more square flush with the right / bottom edge when the steps leave it uncovered). Each
    position scores ``p(class | picture) - p(class | picture with the square)``; a pixel gets the
    mean score of the squares that covered it. Negative means (hiding helps the class) become 0,
    and the map is scaled to a maximum of 1, as :func:`helpers.gradcam` does.

    Cost: ``1 + ny * nx`` forward passes per image, ``ny = ceil((H - patch) / stride) + 1`` positions
    down (likewise across) at the model's input size: 170 for 224 px with the defaults,
    ``1 + 13 * 13``; ``patch=56, stride=56`` takes 17. Batched by ``batch_size``.

    Args:
        model: a Keras classifier that takes raw 0..255 RGB pixels and outputs logits
            (:func:`helpers.load_model`).
        image: (H, W, 3) RGB 0..255 (or 0..1 floats), or a batch (N, H, W, 3); stretched to the model's
            input size, as :func:`helpers.gradcam` does. ``patch`` and ``stride`` count pixels there.
        class_index: an index, a class name (``"tiger cat"``), a list (one per image) or ``None`` (the top
            class of the unoccluded picture).
        patch: the square's side, 1..the input's shorter side. Smaller: finer but noisier, and slower.
        stride: the step between squares, 1..``patch`` (a larger step would leave pixels no square covers).
        fill: the square's colour: ``None`` = the ImageNet mean :data:`MEAN_RGB` (a neutral grey: the
            zeros Captum puts into a normalised input), a grey level 0..255 or an ``(r, g, b)`` triple.
        batch_size: occluded pictures per forward call (1..1024).

    Returns:
        float32 (H, W) in [0, 1] at the image's size ((N, H, W) for a batch); all zeros when no square
        lowers the probability.

    Raises:
        TypeError: not a Keras model, an argument of the wrong type. ValueError: a bad image, ``patch``
        larger than the input, an out-of-range argument (each names the value and the valid range).
        IndexError: a class index out of range.

    Example:
        >>> heat = occlusion(model, image, 285, patch=112, stride=112)   # 4 squares + 1 = 5 passes
        >>> heat.shape, float(heat.max())
        ((224, 224), 1.0)
    """
    eng, x, single, hw, idx = _prepared(model, image, class_index)
    side = min(x.shape[1:3])
    patch = check_int("patch", patch, 1, side)
    stride = check_int("stride", stride, 1, patch)
    colour, batch_size = fill_colour(fill), _check_batch_size(batch_size)
    ys, xs = patch_starts(x.shape[1], patch, stride), patch_starts(x.shape[2], patch, stride)
    maps = []
    with contract_errors(f"occlusion of model {model.name!r} on input {x.shape}"):
        for xi, ci in zip(x, idx):
            base = batched_probabilities(eng, 1, lambda a, b: xi[None])[0]  # the unoccluded picture
            c = int(np.argmax(base)) if ci < 0 else int(ci)
            maps.append(upsample(normalize_map(_occlusion_one(eng, xi, c, base[c], ys, xs, patch, colour,
                                                              batch_size)), hw))
    return maps[0] if single else np.stack(maps)


def _occlusion_one(eng, x, c, p0, ys, xs, patch, colour, batch_size) -> np.ndarray:
    """The mean-drop map (H, W) of one picture ``x`` for class ``c`` whose probability is ``p0``."""
    where = [(y, xx) for y in ys for xx in xs]  # row-major, as the drops are reshaped below

    def make(start, stop):
        batch = np.repeat(x[None], stop - start, axis=0)
        for k, (y, xx) in enumerate(where[start:stop]):
            batch[k, y:y + patch, xx:xx + patch] = colour
        return batch

    probs = batched_probabilities(eng, len(where), make, batch_size, class_index=c)
    return occlusion_average((p0 - probs).reshape(len(ys), len(xs)), ys, xs, patch, x.shape[:2])


def rise(model, image, class_index=None, *, masks: int = 2000, seed: int = 0, resolution: int = 7, p: float = 0.5,
         fill=None, batch_size: int = BATCH) -> np.ndarray:
    """RISE (Petsiuk et al., 2018): the picture seen through ``masks`` random masks, each weighted by
    the class probability it leaves.

    Each mask is a ``resolution`` x ``resolution`` grid of cells, each open with probability ``p``,
    upsampled bilinearly and shifted at random (:func:`rise_masks`); hidden pixels blend towards ``fill``.
    A pixel's saliency is its mean class probability over the masks that showed it (:func:`rise_saliency`;
    the paper estimates the same quantity as ``sum_i p_i * mask_i / (N p)``, which is noisier: see there).
    We subtract the mean probability over all masks, so that 0 means "seeing this pixel does not help",
    keep the positive part and scale to a maximum of 1 -- the convention of :func:`helpers.gradcam`.

    Cost: ``masks`` forward passes per image (plus 1 to find the top class when ``class_index`` is
    None), batched by ``batch_size``; 2000 masks take about 20 s on 2 CPU cores at 224 px. The paper
    used 4000 (ResNet50) to 8000 (VGG16); fewer masks give a noisier map. Memory is bounded: the
    random grids are drawn up front (tiny), the full-size masks one batch at a time.

    Args:
        model, image, class_index: as :func:`occlusion`.
        masks: how many random masks, 1..100000.
        seed: the random seed (0 or more); the same seed gives the same masks, whatever ``batch_size``.
        resolution: cells per side of the grid, 2..the input's shorter side (the paper: 7 at 224 px).
            Coarser grids find large objects, finer ones small parts.
        p: the chance that a cell is open, strictly between 0 and 1 (the paper: 0.5).
        fill: the colour of hidden pixels (as in :func:`occlusion`; default the ImageNet mean, which
            the paper's code gets by masking the normalised picture).
        batch_size: masked pictures per forward call (1..1024).

    Returns:
        float32 (H, W) in [0, 1] at the image's size ((N, H, W) for a batch).

    Raises:
        as :func:`occlusion`.

    Example:
        >>> heat = rise(model, image, 285, masks=64, seed=1)
        >>> heat.shape, float(heat.max())
        ((224, 224), 1.0)
    """
    eng, x, single, hw, idx = _prepared(model, image, class_index)
    h, w = x.shape[1:3]
    n = check_int("masks", masks, 1, MAX_MASKS)
    seed = check_int("seed", seed, 0)
    s = check_int("resolution", resolution, 2, min(h, w))
    p = check_fraction("p", p)
    colour, batch_size = fill_colour(fill), _check_batch_size(batch_size)
    # every grid and shift drawn before any pass: the masks do not depend on the batch size
    grids, shifts = rise_grids(n, s, p, (h, w), seed)
    maps = []
    with contract_errors(f"RISE of model {model.name!r} on input {x.shape}"):
        for xi, ci in zip(x, idx):
            c = _top_class(eng, xi, int(ci))
            maps.append(upsample(_rise_one(eng, xi, c, grids, shifts, colour, batch_size), hw))
    return maps[0] if single else np.stack(maps)


def _rise_one(eng, x, c, grids, shifts, colour, batch_size) -> np.ndarray:
    """The [0, 1] RISE map (H, W) of one picture ``x`` for class ``c``: :func:`rise_saliency` over all
    the masks, its three sums accumulated batch by batch (no more than one batch of masks in memory)."""
    weighted, visible, score_sum = np.zeros(x.shape[:2]), np.zeros(x.shape[:2]), 0.0
    for start in range(0, len(grids), batch_size):
        m = rise_masks(grids[start:start + batch_size], shifts[start:start + batch_size], x.shape[:2])
        f = batched_probabilities(eng, len(m), lambda a, b: _hide(x, m, colour), len(m), class_index=c)
        weighted += _weighted_masks(f.astype(np.float32), m)  # float32 within a batch, float64 across
        visible += m.sum(axis=0)
        score_sum += float(f.sum())
    floor = score_sum / len(grids)  # the mean probability over all masks
    saliency = np.where(visible > 0, weighted / np.where(visible > 0, visible, 1.0), floor)
    return normalize_map(saliency - floor)  # above the floor: "seeing this pixel helps"
