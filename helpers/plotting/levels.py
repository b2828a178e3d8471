"""Feature maps to display levels with zero anchored: the same activation value 0 gets the same colour
whatever the normalisation, so a dark tile always means "not firing".

* ``"channel"``: each channel divided by its own largest ``|value|`` (its peak is the top colour);
* ``"layer"``: the whole layer divided by one number, the layer's largest ``|value|``;
* ``"global"``: divided by the largest ``|value|`` of ``value_range`` (several layers on one scale).

A layer with no negative value (after a ReLU) maps 0 to the bottom of the colour map; a layer with
negative values (a convolution's raw output) maps 0 to the middle, so the colour map should be a
diverging one (:func:`default_cmap`). The textbook's recipe (standardise each channel, x64, +128:
:func:`helpers.activations.normalize`) moves zero to a different grey in every channel.

Numpy in, numpy out: no drawing here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..activations import NORMALIZATIONS
from ..validation import check_array, check_choice, check_finite, check_number

__all__ = ["DIVERGING", "SEQUENTIAL", "Scale", "default_cmap", "display_levels", "display_scale"]

SEQUENTIAL = "viridis"   # zero = its darkest colour
DIVERGING = "RdBu_r"     # zero = its middle (white), negative blue, positive red


@dataclass(frozen=True)
class Scale:
    """What the display levels mean: level 255 is ``peak[k]`` in channel ``k`` (one number for
    all channels unless ``mode == "channel"``); with ``signed``, level 0 is ``-peak`` and 127.5 is 0,
    otherwise level 0 is 0."""

    mode: str
    peak: np.ndarray
    signed: bool

    @property
    def limits(self) -> tuple[float, float]:
        """The colour bar's ends in activation units (``"channel"``: in fractions of each channel's peak)."""
        top = 1.0 if self.mode == "channel" else float(self.peak.max()) if self.peak.size else 1.0
        return (-top if self.signed else 0.0), top

    @property
    def label(self) -> str:
        if self.mode == "channel":
            return "fraction of each channel's own peak |value|"
        return "activation" + (" (one scale for several layers)" if self.mode == "global" else "")


def _checked(maps) -> np.ndarray:
    a = check_array("the maps", maps, 3, dtype=np.float64,
                    hint=": one layer's feature maps have shape (height, width, channels)")
    return check_finite("the maps", a, "; feature maps from helpers.activations never have them")


def display_scale(maps, mode: str = "channel", value_range=None) -> Scale:
    """The :class:`Scale` that :func:`display_levels` uses for ``maps`` ``(h, w, c)``.

    Example:
        >>> display_scale(np.array([[[1.0, 4.0]]]), "channel").peak.tolist()
        [1.0, 4.0]
        >>> display_scale(np.array([[[1.0, 4.0]]]), "global", value_range=(-2.0, 8.0)).peak.tolist()
        [8.0, 8.0]
    """
    key = check_choice("normalisation", mode, NORMALIZATIONS, ignore_case=True)  # "Layer" is "layer"
    a = _checked(maps)
    c = a.shape[-1]
    if key == "channel":
        peak = np.abs(a).max(axis=(0, 1)) if a.size else np.zeros(c)
    elif key == "layer":
        peak = np.full(c, np.abs(a).max() if a.size else 0.0)
    else:
        if value_range is None:
            raise ValueError("global normalisation shares one scale across layers: pass "
                             "value_range=helpers.value_range(acts) (the min and max over those layers)")
        low_high = check_array("value_range", value_range, 1, expected="(low, high)")
        if low_high.shape != (2,):
            raise ValueError(f"value_range must be (low, high), got {value_range!r:.60}")
        lo, hi = check_number("value_range's low", low_high[0]), check_number("value_range's high", low_high[1])
        if hi < lo:
            raise ValueError(f"value_range must be finite (low, high) with low <= high; got {value_range!r}")
        peak = np.full(c, max(abs(lo), abs(hi)))
    return Scale(key, peak, bool(a.size) and bool(a.min() < 0))


def display_levels(maps, mode: str = "channel", value_range=None) -> tuple[np.ndarray, Scale]:
    """uint8 levels ``(h, w, c)`` for a colour map's lookup table, zero anchored (see the module),
    and their :class:`Scale`. A channel that is zero everywhere gets level 0 (or 128 if signed);
    values beyond the scale (``"global"`` with a range too small) are clipped.

    Example:
        >>> levels, scale = display_levels(np.array([[[0.0, 1.0]], [[3.0, 2.0]]]), "layer")
        >>> levels[..., 0].ravel().tolist(), levels[..., 1].ravel().tolist(), scale.signed
        ([0, 255], [85, 170], False)
    """
    a = _checked(maps)
    scale = display_scale(a, mode, value_range)
    peak = np.where(scale.peak > 0, scale.peak, 1.0)
    x = a / peak
    x = 127.5 + 127.5 * x if scale.signed else 255.0 * x
    return np.rint(np.clip(x, 0, 255)).astype(np.uint8), scale


def default_cmap(scale: Scale) -> str:
    """A sequential colour map for maps without negative values, a diverging one centred at zero otherwise."""
    return DIVERGING if scale.signed else SEQUENTIAL
