"""The arithmetic of class activation maps: numpy in, numpy out, no model, no TensorFlow.

Every function here works on one image's arrays -- feature maps ``A`` of shape (h, w, c),
gradients of the same shape -- or on a stack of them with a leading batch axis, and is tested
on small hand-computed arrays.

Example:
    >>> a = np.array([[[1.0, 0.0], [0.0, 2.0]]])             # a 1 x 2 map, 2 channels
    >>> weighted_cam(a, gradcam_weights(np.ones_like(a)))
    array([[1., 2.]])
"""

from __future__ import annotations

import cv2
import numpy as np

__all__ = ["EPSILON", "gradcam_plus_plus_alphas", "gradcam_plus_plus_weights", "gradcam_weights", "normalize_map",
           "pixel_map", "principal_direction", "upsample", "weighted_cam"]

EPSILON = 1e-7


def gradcam_weights(grads: np.ndarray) -> np.ndarray:
    """Grad-CAM channel weights: the gradients averaged over the map, separately per image.

    ``grads`` is ``(h, w, c)`` or ``(n, h, w, c)``; the result is ``(c,)`` or ``(n, c)``.
    (Never average over the batch axis: that would mix images.)

    Example:
        >>> gradcam_weights(np.array([[[1.0], [3.0]]]))     # a 1 x 2 map, one channel
        array([2.])
    """
    return np.asarray(grads, np.float64).mean(axis=(-3, -2))


def gradcam_plus_plus_alphas(fmaps: np.ndarray, grads: np.ndarray) -> np.ndarray:
    """The per-location Grad-CAM++ coefficients (same shape as ``grads``), with the
    exponential-score trick: ``alpha = g**2 / (2 g**2 + sum_ab(A) * g**3)``, 0 where that is 0/0.

    Example:
        >>> gradcam_plus_plus_alphas(np.ones((1, 2, 1)), np.array([[[1.0], [0.0]]]))
        array([[[0.25],
                [0.  ]]])
    """
    a = np.asarray(fmaps, np.float64)
    g = np.asarray(grads, np.float64)
    g2 = g * g
    denom = 2.0 * g2 + a.sum(axis=(-3, -2), keepdims=True) * g2 * g
    ok = (g != 0) & (np.abs(denom) > 1e-30)
    return np.where(ok, g2 / np.where(ok, denom, 1.0), 0.0)


def gradcam_plus_plus_weights(fmaps: np.ndarray, grads: np.ndarray) -> np.ndarray:
    """Grad-CAM++ channel weights (Chattopadhay et al., 2018): ``sum_ab(alpha * relu(g))``.

    Example:
        >>> gradcam_plus_plus_weights(np.ones((1, 2, 1)), np.array([[[1.0], [0.0]]]))
        array([0.25])
    """
    g = np.asarray(grads, np.float64)
    return (gradcam_plus_plus_alphas(fmaps, g) * np.maximum(g, 0.0)).sum(axis=(-3, -2))


def principal_direction(fmaps: np.ndarray) -> np.ndarray:
    """Eigen-CAM's channel weights (Muhammad & Yeasin, 2020): the first principal direction of
    one image's (h, w, c) maps, the h*w locations being the samples (centred per channel).

    Its sign is arbitrary in an SVD; it is chosen so that the projection correlates positively
    with the total activation (the component points where the channels fire). A map with no
    variation gives zeros.

    Example:
        >>> a = np.array([[[0.0, 0.0], [1.0, 2.0], [2.0, 4.0]]])  # 1 x 3 locations, 2 channels
        >>> principal_direction(a).round(4)                       # (1, 2) / sqrt(5)
        array([0.4472, 0.8944])
    """
    a = np.asarray(fmaps, np.float64)
    flat = a.reshape(-1, a.shape[-1])
    centred = flat - flat.mean(axis=0)
    if not np.abs(centred).max(initial=0.0) > 0:
        return np.zeros(a.shape[-1])
    # the top eigenvector of the smaller Gram matrix = the first right singular vector (an SVD
    # of 49 x 1280 maps takes ~50x longer)
    if centred.shape[0] < centred.shape[1]:
        v = centred.T @ np.linalg.eigh(centred @ centred.T)[1][:, -1]
    else:
        v = np.linalg.eigh(centred.T @ centred)[1][:, -1]
    v = v / np.linalg.norm(v)
    total = centred.sum(axis=1)
    return -v if float((centred @ v) @ total) < 0 else v


def weighted_cam(fmaps: np.ndarray, weights: np.ndarray, *, centred: bool = False, relu: bool = True) -> np.ndarray:
    """``ReLU(sum_k weights[..., k] * fmaps[..., k])``: the raw (unnormalised) class activation map.

    ``weights`` is anything that broadcasts to ``fmaps``: one weight per channel ``(c,)`` (per
    image ``(n, c)``), or one per location and channel ``(h, w, c)`` (LayerCAM). ``centred``
    subtracts the map's spatial mean before the ReLU (Eigen-CAM's projection of the centred
    maps); ``relu=False`` keeps the negative part.

    Example:
        >>> weighted_cam(np.array([[[1.0, 2.0], [3.0, -4.0]]]), np.array([1.0, 1.0]))
        array([[3., 0.]])
    """
    a = np.asarray(fmaps, np.float64)
    w = np.asarray(weights, np.float64)
    if w.ndim == a.ndim:
        cam = (a * w).sum(axis=-1)
    else:
        cam = np.einsum("...hwc,...c->...hw", a, w)
    if centred:
        cam = cam - cam.mean(axis=(-2, -1), keepdims=True)
    return np.maximum(cam, 0.0) if relu else cam


def normalize_map(cam: np.ndarray, eps: float = EPSILON) -> np.ndarray:
    """Scale a non-negative map (or each map of a stack) so its maximum is 1.

    A map whose maximum is below ``eps`` (e.g. all zeros) stays all zeros -- never NaN.

    Example:
        >>> normalize_map(np.array([[0.0, 2.0]])), normalize_map(np.zeros((1, 2)))
        (array([[0., 1.]]), array([[0., 0.]]))
    """
    c = np.maximum(np.nan_to_num(np.asarray(cam, np.float64), nan=0.0, posinf=0.0, neginf=0.0), 0.0)
    peak = c.max(axis=(-2, -1), keepdims=True)
    return np.where(peak > eps, c / np.where(peak > eps, peak, 1.0), 0.0)


def upsample(cam: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Smoothly resize a (h, w) map to ``size=(height, width)`` (bicubic), clipped to [0, 1],
    renormalised so its maximum is 1 again (all zeros stays all zeros); float32.

    Example:
        >>> upsample(np.array([[0.0, 1.0]]), (2, 4)).shape
        (2, 4)
    """
    c = np.asarray(cam, np.float32)
    if c.shape != tuple(size):
        c = cv2.resize(c, (int(size[1]), int(size[0])), interpolation=cv2.INTER_CUBIC)
    return normalize_map(np.clip(c, 0.0, 1.0)).astype(np.float32)


def pixel_map(grads: np.ndarray, reduce: str = "max") -> np.ndarray:
    """An input-gradient array (H, W, 3) as a [0, 1] map (H, W): per pixel the largest absolute
    value over the colour channels (``reduce="max"``, saliency) or their absolute sum (``"sum"``).

    Example:
        >>> pixel_map(np.array([[[1.0, -3.0, 0.0], [0.5, 0.5, 0.5]]]), "sum")
        array([[1.   , 0.375]])
    """
    g = np.abs(np.asarray(grads, np.float64))
    return normalize_map(g.max(axis=-1) if reduce == "max" else g.sum(axis=-1))
