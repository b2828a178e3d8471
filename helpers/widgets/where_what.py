"""The "where -> what" explorer: pick a cell of a Grad-CAM map and see WHICH channels make it hot there.

Grad-CAM says *where* the evidence for a class lies; this explorer asks *what* it is. At the chosen
cell ``(row, col)`` of the layer's map each channel ``k`` contributes ``alpha_k * A[row, col, k]``
(activation x mean gradient, :func:`helpers.cam.contributions.location_contributions`): the
contributions add up to the Grad-CAM value there. The ``top`` largest are shown, each as its
feature map (where else that channel fires) above its filter pattern (what input drives it,
:func:`helpers.visualize_filters` with ``method="robust"``).

Costs: one compiled forward-and-gradient pass per picture (:class:`helpers.cam.Context`); a new
class computes only that class's gradients from the cached maps; moving the cell computes nothing
with the model (numpy on the cached arrays). Filter patterns are gradient ascents (about 0.2 s each
at the default 64 px, 16 steps, after a first compile of ~3 s); ``visualize_filters`` keeps each
one in the model's ``"filter-patterns"`` cache store, so a channel seen before is not computed
again (by any explorer of that model). After the first picture they run through
``runner(slot, work)`` (slot ``"patterns"``): at once by default, the classroom's worker pool on a
server; a pattern request a later move overtook drops its result.

The cell is picked with two sliders over the layer's grid: ``ipywidgets.Image`` reports no clicks,
and no package that adds click events to it is among the project's requirements. Every value a
control delivers is checked against the explorer's own grid and the model's classes before any
work; a mistake is shown in the status line and the widget stays alive.
"""

from __future__ import annotations

import collections
import html
import threading
from collections.abc import Callable

import cv2
import ipywidgets as W
import numpy as np

from .. import cam
from ..cam.contributions import CONTRIBUTION_WEIGHTS, location_contributions, top_channels
from ..cam.engine import engine
from ..cam.inputs import contract_errors, prepare_input
from ..filters.checks import check_size, check_steps
from ..filters.patterns import visualize_filters
from ..heads import probabilities
from ..models import check_classifier
from ..plotting.colour import colorize, overlay
from ..validation import MAX_SIDE, check_choice, check_class_index, check_int, check_model, check_type
from .encoding import jpeg_bytes, png_bytes
from .errors import guarded
from .picker import resolve_image
from .saving import output_name, save_button

__all__ = ["MAX_TOP", "WhereWhat", "where_what_explorer"]

MAX_TOP = 8          # channels shown at once (each costs a filter pattern)
_TILE = 112          # side of one channel's feature-map and pattern tiles, pixels
_PENDING = 200       # grey of a pattern tile still being computed


class WhereWhat(W.VBox):
    """The widget :func:`where_what_explorer` returns.

    Controls: ``row_slider`` / ``col_slider`` (the cell, over the layer's grid), ``class_dropdown``
    (the top classes with their probabilities, plus ``class_index`` when given), ``save`` (None when
    ``save=None``). Views: ``view`` (photo | Grad-CAM overlay, the cell outlined), ``channel_view``
    (per top channel: its feature map above its filter pattern), ``info_label``, ``channel_label``,
    ``status`` (mistakes).

    State a test can read: ``channels`` (the top channel indices at the cell, by contribution,
    descending), ``contributions`` (their values), ``heatmap`` (the Grad-CAM map upsampled to the
    picture, (H, W) in [0, 1]), ``grid_heatmap`` (the same at the layer's resolution), ``location``
    (row, col), ``class_index``, ``patterns`` (channel -> uint8 pattern, for those drawn so far) and
    ``counters``: ``forward`` / ``gradients`` (compiled passes, counted by the context),
    ``contributions`` (cells evaluated), ``patterns`` (pattern requests run), ``draw``.
    """

    def __init__(self, model, image="cat_and_coffee", *, layer=None, class_index=None, top: int = 4, runner=None,
                 save: str | None = None, weights: str = "gradcam", pattern_size: int = 64, pattern_steps: int = 16,
                 top_k: int = 5, alpha: float = 0.4, display_size: int = 224):
        check_type("runner", runner, (type(None), Callable), "a function runner(slot, work), or None")
        self.runner = runner if runner is not None else (lambda _slot, work: work())
        check_model(model)
        self.model, self.info = model, check_classifier(model)
        self.engine = engine(model, layer)  # an unknown layer: KeyError; one without a spatial map: ValueError
        self.layer = self.engine.layer
        h, w, k = self.engine.map_shape
        self.grid = (int(h), int(w))
        self.top = min(check_int("top", top, 1, MAX_TOP), int(k))
        self.weights = check_choice("weights", weights, CONTRIBUTION_WEIGHTS)
        self.pattern_size, self.pattern_steps = check_size(pattern_size), check_steps(pattern_steps)
        self.display_size = check_int("display_size", display_size, 16, MAX_SIDE)
        top_k = check_int("top_k", top_k, 1)
        self.alpha = float(alpha)
        self.counters: collections.Counter = collections.Counter()
        self.channels: tuple[int, ...] = ()
        self.contributions = np.zeros(0)
        self.heatmap = self.grid_heatmap = None
        self.location: tuple[int, int] | None = None
        self.patterns: dict[int, np.ndarray] = {}
        self._lock = threading.RLock()  # pattern work may finish in a worker thread
        self._generation = 0
        self._shown = (None, None)

        photo, self.name, error = resolve_image(image, size=model)
        if photo is None:
            raise ValueError(error)
        x, _, _ = prepare_input(model, photo)
        self.picture = np.clip(photo, 0, 255).astype(np.uint8)
        self.context = cam.Context(self.engine, x[0], counter=self.counters)
        first = None if class_index is None else check_class_index(class_index, len(self.info.class_names),
                                                                   self.info.class_names)
        with contract_errors(f"running model {model.name!r} on the picture"):
            self.context.grads(first)  # the one pass: feature maps, class scores, this class's gradients
            self._probs = probabilities(self.context.scores, self.info.binary)
        first = self.context.top_class if first is None else first
        order = [int(i) for i in np.argsort(-self._probs, kind="stable")[:top_k]]
        if first not in order:
            order.append(first)
        self._classes = tuple(order)
        self.class_dropdown = W.Dropdown(options=[(self._label(i), i) for i in order], value=first,
                                         description="class", layout=W.Layout(width="360px"))
        peak = self._grid_map(first)
        row, col = (int(v) for v in np.unravel_index(int(np.argmax(peak)), peak.shape))
        self.row_slider = W.IntSlider(value=row, min=0, max=self.grid[0] - 1, description="row",
                                      continuous_update=False)
        self.col_slider = W.IntSlider(value=col, min=0, max=self.grid[1] - 1, description="col",
                                      continuous_update=False)
        self.view = W.Image(format="jpeg")
        self.channel_view = W.Image(format="png")
        self.info_label, self.channel_label, self.status = W.HTML(), W.HTML(), W.HTML()
        self._out = W.Output()
        self._guard = guarded(self._out, self.status)
        self.save = None if save is None else save_button(lambda: self._shown, mode=save)
        for control in (self.row_slider, self.col_slider, self.class_dropdown):
            control.observe(lambda _change: self.redraw(), names="value")
        controls = [W.HBox([self.row_slider, self.col_slider]),
                    W.HBox([self.class_dropdown] + ([self.save] if self.save is not None else []))]
        super().__init__(controls + [self.view, self.info_label, self.channel_view, self.channel_label,
                                     self.status, self._out])
        self.redraw(now=True)

    # -- what the controls say ----------------------------------------------------------------
    def settings(self) -> tuple[int, int, int]:
        """``(row, col, class index)`` as the controls say, checked against the explorer's grid and
        the model's classes (not the widgets' own ranges, which a browser can change)."""
        row = check_int("row", self.row_slider.value, 0, self.grid[0] - 1)
        col = check_int("col", self.col_slider.value, 0, self.grid[1] - 1)
        c = check_class_index(self.class_dropdown.value, len(self.info.class_names))
        return row, col, c

    def _label(self, i: int) -> str:
        return f"{self.info.class_names[i]} ({100 * self._probs[i]:.1f}%)"

    def _grid_map(self, c: int) -> np.ndarray:
        with contract_errors(f"Grad-CAM at layer {self.layer!r}"):
            return cam.heatmap(self.context, c, "gradcam")

    # -- drawing ------------------------------------------------------------------------------
    def redraw(self, now: bool = False):
        """Draw the cell the controls say: maps and contributions at once, the filter patterns at
        once (``now``, the first picture) or through the runner. A mistake goes to the status line."""
        job = self._guard(self._show)()
        if job is None:
            return None
        if now:
            job()
        else:
            self.runner("patterns", job)
        return True

    def _show(self):
        """Evaluate the cell, draw everything but the patterns not drawn yet; return the pattern job."""
        row, col, c = self.settings()
        grads = self.context.grads(c)  # cached per class: a new class runs the layer's head only
        grid = self._grid_map(c)
        contrib = location_contributions(self.context.fmaps, grads, row, col, weights=self.weights)
        order, values = top_channels(contrib, self.top)
        self.counters["contributions"] += 1
        channels = tuple(int(i) for i in order)
        with self._lock:
            self._generation += 1
            generation = self._generation
            self.location, self.class_index = (row, col), c
            self.grid_heatmap, self.heatmap = grid, cam.upsample(grid, self.picture.shape[:2])
            self.channels, self.contributions = channels, values
            self._total = float(contrib.sum())
            self.patterns = {f: p for f, p in self.patterns.items() if f in channels}
            self._draw_view()
            self._draw_channels()
        return lambda: self._guard(self._compute_patterns)(channels, generation)

    def _compute_patterns(self, channels, generation):
        if generation != self._generation:  # a later move overtook this request
            return
        result = visualize_filters(self.model, self.layer, list(channels), size=self.pattern_size,
                                   steps=self.pattern_steps, method="robust", progress=False)
        self.counters["patterns"] += 1
        with self._lock:
            if generation != self._generation:
                return
            self.patterns = {f: p for f, p in zip(channels, result.patterns)}
            self._draw_channels()

    def _cell_box(self, shape) -> tuple[int, int, int, int]:
        """The chosen cell's pixel box ``(x0, y0, x1, y1)`` on a picture of ``shape``."""
        (row, col), (gh, gw) = self.location, self.grid
        h, w = shape[:2]
        return (round(col * w / gw), round(row * h / gh), round((col + 1) * w / gw) - 1,
                round((row + 1) * h / gh) - 1)

    def _outline(self, picture: np.ndarray) -> np.ndarray:
        out = np.ascontiguousarray(picture).copy()
        x0, y0, x1, y1 = self._cell_box(out.shape)
        cv2.rectangle(out, (x0, y0), (x1, y1), (0, 0, 0), 3)
        cv2.rectangle(out, (x0, y0), (x1, y1), (255, 255, 255), 1)
        return out

    def _draw_view(self):
        strip = np.concatenate([self._outline(self.picture),
                                self._outline(overlay(self.picture, self.heatmap, self.alpha))], axis=1)
        scale = self.display_size / strip.shape[0]
        if scale != 1:
            strip = cv2.resize(strip, (round(strip.shape[1] * scale), self.display_size),
                               interpolation=cv2.INTER_LINEAR)
        self._strip = strip
        self.view.value = jpeg_bytes(strip)
        (row, col), (gh, gw), c = self.location, self.grid, self.class_index
        x0, y0, x1, y1 = self._cell_box(self.picture.shape)
        share = self._total and float(self.contributions.sum()) / self._total
        cold = "" if self._total > 0 else (" <b>This cell is not hot for the class</b> (the contributions add up "
                                            "to no more than 0): the channels below push for it most anyway.")
        self.info_label.value = (
            f"cell ({row}, {col}) of the {gh}x{gw} map of <code>{html.escape(self.layer)}</code> (pixels "
            f"{y0}..{y1} down, {x0}..{x1} across); Grad-CAM there {float(self.grid_heatmap[row, col]):.2f} of its "
            f"peak for <i>{html.escape(self.info.class_names[c])}</i> (p = {self._probs[c]:.3f}). The channels add "
            f"up to {self._total:.3g} there; the top {len(self.channels)} give {self.contributions.sum():.3g}"
            + (f" ({100 * share:.0f} %)." if self._total > 0 else ".") + cold)

    def _draw_channels(self):
        fmaps = self.context.fmaps
        columns = []
        for f in self.channels:
            a = fmaps[..., f].astype(np.float64)
            span = a.max() - a.min()
            level = (a - a.min()) / span if span > 0 else np.zeros_like(a)
            fmap = cv2.resize(colorize(level, "viridis"), (_TILE, _TILE), interpolation=cv2.INTER_NEAREST)
            pattern = self.patterns.get(f)
            tile = (np.full((_TILE, _TILE, 3), _PENDING, np.uint8) if pattern is None else
                    cv2.resize(pattern, (_TILE, _TILE), interpolation=cv2.INTER_LINEAR))
            gap = np.full((4, _TILE, 3), 255, np.uint8)
            columns.append(np.concatenate([self._outline(fmap), gap, tile], axis=0))
            columns.append(np.full((2 * _TILE + 4, 6, 3), 255, np.uint8))
        tiles = np.concatenate(columns[:-1], axis=1)
        self.channel_view.value = png_bytes(tiles)
        self.counters["draw"] += 1
        cells = "".join(
            f"<td style='width:{_TILE + 6}px;vertical-align:top'>channel <b>{f}</b><br>contribution {v:.3g}<br>"
            f"activation {float(fmaps[self.location][f]):.3g}"
            + ("" if f in self.patterns else "<br><i>pattern: computing ...</i>") + "</td>"
            for f, v in zip(self.channels, self.contributions))
        self.channel_label.value = (
            "<table style='border-collapse:collapse'><tr>" + cells + "</tr></table>"
            "<small>top: each channel's feature map over the whole picture (the cell outlined); below: its "
            f"filter pattern (robust feature visualisation, {self.pattern_size} px, {self.pattern_steps} steps)"
            "</small>")
        pad = max(0, self._strip.shape[1] - tiles.shape[1]), max(0, tiles.shape[1] - self._strip.shape[1])
        saved = np.concatenate([np.pad(self._strip, ((0, 8), (0, pad[1]), (0, 0)), constant_values=255),
                                np.pad(tiles, ((0, 0), (0, pad[0]), (0, 0)), constant_values=255)], axis=0)
        row, col = self.location
        self._shown = (saved, output_name("where-what", self.model.name, self.name, self.layer,
                                          f"{self.class_index}-{self.info.class_names[self.class_index]}",
                                          f"cell{row}-{col}"))


def where_what_explorer(model, image="cat_and_coffee", *, layer=None, class_index=None, top: int = 4, runner=None,
                        save: str | None = None, weights: str = "gradcam", pattern_size: int = 64,
                        pattern_steps: int = 16) -> WhereWhat:
    """Where -> what: sliders pick a cell ``(row, col)`` of the Grad-CAM map of ``image`` (a bundled
    photo name, a path or an array) at ``layer`` (default: the CAM default, the last convolutional
    stage) for a class (default: the top class; the menu offers the top five and ``class_index``);
    below, the ``top`` channels that contribute most to that cell (activation x gradient), each with
    its feature map and its robust filter pattern (``pattern_size`` px, ``pattern_steps`` steps;
    computed once per model and channel and cached).

    ``weights="gradcam"`` (default) ranks by ``alpha_k * A[row, col, k]``, which adds up to the map's
    value there; ``"local"`` by the gradient at that cell. ``runner(slot, work)``: where the filter
    patterns run after the first picture (slot ``"patterns"``; default: at once). ``save``: None (no
    button), ``"file"`` (write ``outputs/NAME.png``) or ``"download"`` (offer it, write nothing).

    The cell is picked with sliders, not a click: ``ipywidgets.Image`` reports no click events.

    Raises:
        TypeError: not a Keras model, or a runner that is not callable. KeyError: an unknown layer.
        ValueError: a layer without a spatial map, an image that cannot be read, ``top`` outside
        1..8, an unknown ``weights`` or ``save``. IndexError: a class index out of range.

    Example:
        >>> w = where_what_explorer(model, "cat_and_coffee", class_index=967, top=3)
        >>> w.col_slider.value = 0; len(w.channels), w.counters["forward"]   # no new pass for a move
        (3, 1)
    """
    return WhereWhat(model, image, layer=layer, class_index=class_index, top=top, runner=runner, save=save,
                     weights=weights, pattern_size=pattern_size, pattern_steps=pattern_steps)
