"""Explorer for filter visualisation: pick a layer and a filter, watch the pattern that excites it."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import ipywidgets as W
import matplotlib.pyplot as plt

from ..layers import layer_names
from ..filters import METHODS, layer_channels, visualize_filters
from ..plotting.atlas import filter_atlas
from ..validation import MAX_STEPS, check_choice, check_int, check_type
from .encoding import png_bytes
from .errors import guarded
from .saving import output_name, save_button

__all__ = ["DEFAULT_LAYERS", "display_figure", "filter_explorer", "FilterExplorer"]

DEFAULT_LAYERS = ("block4b_expand_conv", "block3b_expand_conv", "block3_conv1")


class FilterExplorer(W.VBox):
    """The widget :func:`filter_explorer` returns; its controls are public attributes.

    ``layer`` (Dropdown), ``filter`` (IntSlider, max follows the layer), ``method``
    (ToggleButtons), ``steps`` (IntSlider), ``atlas_button`` (Button), ``progress`` (IntProgress);
    ``result`` is the last :class:`helpers.filters.FilterResult`, ``pattern`` its uint8 picture,
    ``atlas_result`` the last atlas. Set a control's ``.value`` (or call ``atlas_button.click()``)
    to drive it from code.

    The explorer owns its bounds: before any work, :meth:`settings` checks what the controls say
    against what the explorer offers (its layers, the layer's filter count, ``METHODS``,
    ``0..max_steps``), not against the widgets' own min/max/options, which a browser can change.
    A value out of bounds is a message in ``status`` and nothing runs.

    ``runner(slot, work)`` decides where the slow work runs when a control changes: ``slot`` is
    ``"redraw"`` or ``"atlas"`` and ``work()`` does it (errors already shown in the widget). The
    default runs it at once; the classroom server passes its shared worker pool, which keeps one
    pending job per student and slot. The first pattern is drawn at once either way.

    ``save``: ``"file"`` (the button writes ``outputs/NAME.png``) or ``"download"`` (it offers the
    picture to the browser; nothing is written), see :func:`helpers.widgets.saving.save_button`.
    """

    def __init__(self, model, *, layers=None, layer: str | None = None, size: int = 128, steps: int = 30,
                 atlas_filters: int = 16, max_steps: int = 200, display_px: int = 256, seed: int = 0,
                 runner=None, save: str = "file"):
        check_type("runner", runner, (type(None), Callable), "a function runner(slot, work), or None")
        self.model = model
        self.runner = runner if runner is not None else (lambda _slot, work: work())
        steps = check_int("steps", steps, 0, MAX_STEPS)
        self.max_steps = max(check_int("max_steps", max_steps, 0, MAX_STEPS), steps)  # the steps slider's range
        self.size, self.seed, self.atlas_filters, self.display_px = size, seed, atlas_filters, display_px
        if layers is None:
            shaped = layer_names(model, kinds=("conv", "activation"), with_shapes=True)
        else:
            shaped = [(name, (None, None, layer_channels(model, name))) for name in layers]
        if not shaped:
            raise ValueError("this model has no convolution layers to visualise")
        self.channels = {name: int(shape[-1]) for name, shape in shaped}  # the layers offered and their filters
        options = [(f"{name} ({shape[-1]} filters)", name) for name, shape in shaped]
        names = list(self.channels)
        if layer is None:
            layer = next((d for d in DEFAULT_LAYERS if d in names), names[len(names) // 2])
        elif layer not in names:
            raise ValueError(f"layer {layer!r} is not among the explorer's layers; choose one of {names[:6]}...")
        self.layer = W.Dropdown(options=options, value=layer, description="layer",
                                layout=W.Layout(width="420px"))
        self.filter = W.IntSlider(value=0, min=0, max=self.channels[layer] - 1, description="filter",
                                  continuous_update=False)
        self.method = W.ToggleButtons(options=list(METHODS), value="classic", description="method")
        self.steps = W.IntSlider(value=steps, min=0, max=self.max_steps, step=5, description="steps",
                                 continuous_update=False)
        self.atlas_button = W.Button(description=f"atlas ({atlas_filters} filters)", icon="th")
        self.progress = W.IntProgress(value=0, min=0, max=1, description="atlas", layout=W.Layout(width="300px"))
        self.image = W.Image(format="png", width=display_px, height=display_px)
        self.info = W.HTML()
        self.status = W.HTML()
        self.output = W.Output()
        self.result = None
        self.pattern = None
        self.atlas_result = None
        self._shown = (None, None)  # (picture on screen, its file name), replaced in one assignment
        self.redraw = guarded(self.output, self.status)(self._redraw)
        self.make_atlas = guarded(self.output, self.status)(self._make_atlas)
        self._checked = guarded(self.output, self.status)(self.settings)
        self._checked_layer = guarded(self.output, self.status)(
            lambda: check_choice("layer", self.layer.value, self.channels))
        self.layer.observe(self._on_layer, names="value")
        for control in (self.filter, self.method, self.steps):
            control.observe(lambda _change: self._request("redraw"), names="value")
        self.atlas_button.on_click(lambda _button: self._request("atlas"))
        self.save = save_button(self._current_picture, mode=save)
        super().__init__([
            W.HBox([self.layer, self.filter]),
            W.HBox([self.method, self.steps]),
            W.HBox([self.image, self.info]),
            W.HBox([self.atlas_button, self.progress, self.save]),
            self.status, self.output])
        self.redraw()

    def settings(self) -> tuple[str, int, str, int]:
        """``(layer, filter, method, steps)`` as the controls say now, each checked against what
        this explorer offers: a ValueError names the value and the bounds."""
        layer = check_choice("layer", self.layer.value, self.channels)
        f = check_int("filter", self.filter.value, 0, self.channels[layer] - 1)
        method = check_choice("method", self.method.value, METHODS)
        steps = check_int("steps", self.steps.value, 0, self.max_steps)
        return layer, f, method, steps

    def _request(self, slot: str) -> None:
        """Check the controls (a message and nothing else when one is out of bounds), then hand
        the work for what they say now to the runner."""
        settings = self._checked()
        if settings is not None:
            work = self.redraw if slot == "redraw" else self.make_atlas
            self.runner(slot, lambda: work(settings))

    def _on_layer(self, _change):
        layer = self._checked_layer()
        if layer is None:  # not one of the explorer's layers: the message is shown
            return
        channels = self.channels[layer]
        with self.filter.hold_trait_notifications():
            self.filter.value = min(self.filter.value, channels - 1)
            self.filter.max = channels - 1
        self._request("redraw")

    def _current_picture(self):
        """What the save button saves: the pattern as drawn (server-side), never the Image widget's value."""
        return self._shown

    def _redraw(self, settings=None):
        layer, f, method, steps = self.settings() if settings is None else settings
        result = visualize_filters(self.model, layer, [f], size=self.size, steps=steps,
                                   seed=self.seed, method=method, progress=False)
        self.result, self.pattern = result, result.patterns[0]
        big = cv2.resize(self.pattern, (self.display_px, self.display_px), interpolation=cv2.INTER_NEAREST)
        self.image.value = png_bytes(big)
        self._shown = (big, output_name("filters", self.model.name, layer, f"filter{f}", method, f"{steps}steps",
                                        f"{self.size}px"))
        a0, a1 = float(result.start_activation[0]), float(result.final_activation[0])
        lines = [f"<b>{layer}</b>, filter {f}",
                 f"mean activation: start {a0:.3g} &rarr; pattern {a1:.3g}"]
        if result.target != layer:
            lines.append(f"(ReLU layer: maximising its pre-activation <code>{result.target}</code>)")
        if result.undriven:
            lines.append("<span style='color:#b00020'>this filter could not be driven (zero gradient)</span>")
        self.info.value = "<br>".join(lines)

    def _make_atlas(self, settings=None):
        layer, _f, method, steps = self.settings() if settings is None else settings
        n = min(self.atlas_filters, self.channels[layer])
        self.progress.max, self.progress.value = n, 0

        def step(done, total):
            self.progress.value = n - total + done  # cached filters count as done

        fig, result = filter_atlas(self.model, layer, n=n, size=self.size, steps=steps,
                                   seed=self.seed, method=method, progress=False, on_progress=step)
        self.progress.value = n
        self.atlas_result = result
        self.output.clear_output(wait=True)
        with self.output:
            display_figure(fig)
        plt.close(fig)


def display_figure(fig):
    """Display a Matplotlib figure in the current output (works headless)."""
    from IPython.display import display
    display(fig)


def filter_explorer(model, *, layers=None, layer: str | None = None, size: int = 128, steps: int = 30,
                    atlas_filters: int = 16, max_steps: int = 200, seed: int = 0, runner=None,
                    save: str = "file") -> FilterExplorer:
    """An interactive explorer of filter patterns (classic or robust gradient ascent).

    Layer dropdown (convolution and activation layers with their filter counts), a filter
    slider whose maximum follows the layer, a method toggle, a steps slider (0..``max_steps``),
    and an "atlas" button that draws the first ``atlas_filters`` filters with a progress bar.
    Results are cached, so going back to a filter is instant; mistakes (and values outside what
    the explorer offers) are shown inside the widget. ``runner``: where slow work runs (see
    :class:`FilterExplorer`); default at once. ``save``: ``"file"`` or ``"download"``.

    Example:
        >>> explorer = filter_explorer(load_model(), size=96)
        >>> explorer.layer.value = "block2a_expand_conv"; explorer.filter.max
        95
    """
    return FilterExplorer(model, layers=layers, layer=layer, size=size, steps=steps, atlas_filters=atlas_filters,
                          max_steps=max_steps, seed=seed, runner=runner, save=save)
