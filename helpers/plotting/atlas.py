"""The filter atlas: many filters' patterns of one layer as one Matplotlib figure (and PNG).

Computing the patterns is :func:`helpers.filters.visualize_filters`; this module only draws them.
"""

from __future__ import annotations

import keras

from ..filters import CLASSIC_STEPS, layer_channels, visualize_filters
from ..validation import check_int
from .figures import show_patterns

__all__ = ["filter_atlas"]


def filter_atlas(model: keras.Model, layer: str, n: int = 64, *, filters=None, size: int = 128,
                 steps: int = CLASSIC_STEPS, seed: int = 0, method: str = "classic", ncols: int = 8,
                 path=None, progress: bool | None = None, on_progress=None, tile: float = 1.1):
    """A grid of the patterns of the first ``n`` filters of ``layer`` (or of ``filters``); returns
    ``(figure, result)`` (a :class:`helpers.filters.FilterResult`). With ``path`` the figure is
    also saved there as a PNG. Undriven filters are titled in red.

    Example:
        >>> fig, result = filter_atlas(load_model(), "block2a_expand_conv", n=8, size=64, steps=10)
        >>> result.patterns.shape
        (8, 64, 64, 3)
    """
    channels = layer_channels(model, layer)
    if filters is None:
        filters = list(range(min(check_int("n", n, 1), channels)))
    result = visualize_filters(model, layer, filters, size=size, steps=steps, seed=seed, method=method,
                               progress=progress, on_progress=on_progress)
    title = f"{layer} ({channels} filters; {method}, {steps} steps, {size} px)"
    if result.target != result.layer:
        title += f"\nmaximising its pre-activation {result.target}"
    fig = show_patterns(result.patterns, [str(f) for f in result.filters], ncols=ncols, size=tile,
                        title=title, flagged=[i for i, f in enumerate(result.filters) if f in result.undriven])
    if path is not None:
        fig.savefig(path, format="png", dpi=100)
    return fig, result
