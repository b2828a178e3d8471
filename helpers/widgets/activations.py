"""The intermediate-activations explorer: pick an image, a layer and a channel; see every
feature map of the layer as one mosaic and the chosen channel large, with a colour bar.

The forward pass runs once per image (all the explorer's layers together, via
:func:`helpers.activations`) and is cached; moving the channel slider, changing the layer or
the normalisation only redraws. The picture is one persistent Matplotlib figure rendered to a
PNG in an ``ipywidgets.Image``, so a redraw costs tens of milliseconds, not seconds.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import ipywidgets as W
import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..activations import NORMALIZATIONS, activations, kind_ranges, resolve_layers, sparsity
from ..layers import find_layer, layer_names
from ..plotting import grid_shape, label_mosaic_axes, mosaic_rgb, tile_origin
from ..validation import check_choice, check_int, check_model
from .encoding import png_bytes
from .errors import guarded
from .maps import shared_maps
from .picker import ImagePicker
from .saving import output_name, save_button

__all__ = ["activation_explorer", "ActivationExplorer"]

_CMAPS = ("viridis", "magma", "inferno", "plasma", "cividis", "gray", "turbo")  # offered first in messages

class ActivationExplorer(W.VBox):
    """The widget returned by :func:`activation_explorer`.

    Controls: ``picker`` (an :class:`ImagePicker`), ``layer`` (Dropdown; labels show each
    layer's output shape), ``depth`` (IntSlider: the same layers in forward order, to scrub through
    them), ``save`` (a "save PNG" button: writes the picture under ``outputs/``, or with
    ``save="download"`` offers it to the browser), ``channel`` (IntSlider; its max follows the
    layer), ``norm`` (ToggleButtons: channel / layer / global; 'global' is one scale for the
    explorer's layers of the shown layer's kind). Output: ``view`` (the rendered PNG), ``info``,
    and ``status`` (error messages; the widget stays usable).

    The explorer owns its bounds: a layer, depth, channel or normalisation is checked against
    what the explorer offers (its layers, the layer's channel count, ``NORMALIZATIONS``) before
    anything is computed, not against the widgets' min/max/options, which a browser can change;
    one out of bounds is a message in ``status``.

    For tests: ``forward_count`` counts forward passes, ``render_log`` lists the
    ``(image_key, layer, channel, mode)`` of each completed redraw, ``render(...)`` redraws.
    """

    def __init__(self, model, image="chelsea", layers=None, layer: str | None = None, channel: int = 0,
                 normalization: str = "channel", cmap: str = "viridis", dpi: int = 72, save: str = "file"):
        self._own = uuid.uuid4().hex  # the key of this explorer's own (uploaded) pictures
        check_model(model)
        self.model = model
        self.cmap = check_choice("colormap", cmap, [*_CMAPS, *sorted(set(mpl.colormaps) - set(_CMAPS))])
        self.dpi = check_int("dpi", dpi, 20, 400)
        channel = check_int("channel", channel, 0)
        names = resolve_layers(model, layer_names(model) if layers is None else layers)
        shapes = dict(layer_names(model, kinds="all", with_shapes=True))
        self.shapes = {n: tuple(int(s) for s in shapes[n]) for n in names}
        if layer is None:
            layer = names[0]
        if not isinstance(layer, str) or layer not in self.shapes:
            if isinstance(layer, str):
                resolve_layers(model, [layer])  # KeyError / ValueError with a helpful message
            check_choice("layer", layer, names)  # the explorer's layers: pass others in layers=[...]
        check_choice("normalization", normalization, NORMALIZATIONS)
        if channel >= self.shapes[layer][-1]:
            raise IndexError(f"channel {channel} is out of range: {layer} has {self.shapes[layer][-1]} channels "
                             f"(0..{self.shapes[layer][-1] - 1})")
        self.layers = names
        # 'global' shares one scale among the layers of one kind: conv outputs reach far beyond
        # ReLU6's ceiling of 6, so on one scale for all the activations would look blank
        self.kinds = {n: find_layer(model, n).kind for n in names}
        self.forward_count = 0
        self.render_log: list[tuple] = []
        self._suspend = False
        self._drawn = None
        self._background = None
        self._dynamic = ()
        self._tile = (1, 1)
        self._shown = (None, None)  # (PNG bytes on screen, its file name), replaced in one assignment

        self.picker = ImagePicker(default=image, size=model)  # a mistake is shown in its status, no substitute
        self._image = self.picker.image
        self.layer = W.Dropdown(options=[(f"{n}  ({'x'.join(map(str, self.shapes[n]))})", n) for n in names],
                                value=layer, description="layer", layout=W.Layout(width="420px"))
        c = self.shapes[layer][-1]
        self.channel = W.IntSlider(value=channel, min=0, max=c - 1, description="channel",
                                   continuous_update=False, layout=W.Layout(width="420px"))
        self.depth = W.IntSlider(value=names.index(layer), min=0, max=len(names) - 1, description="depth",
                                 continuous_update=False, layout=W.Layout(width="420px"),
                                 tooltip="scrub through the layers in forward order")
        self.save = save_button(self._current_picture, mode=save)
        self.norm = W.ToggleButtons(options=list(NORMALIZATIONS), value=normalization, description="normalise",
                                    tooltips=["each channel on its own (textbook: standardise x64 +128)",
                                              "one scale for the whole layer",
                                              "one scale for all layers of this kind (conv, activation, pooling)"],
                                    style={"button_width": "80px"})
        self.view = W.Image(format="png", layout=W.Layout(width="100%"))
        self.info = W.HTML()
        self.status = W.HTML()
        self._errors = W.Output()

        self._figure = Figure(figsize=(11.0, 3.9), dpi=dpi)
        FigureCanvasAgg(self._figure)
        self._ax_mosaic = self._figure.add_axes((0.045, 0.07, 0.55, 0.84))
        self._ax_channel = self._figure.add_axes((0.64, 0.07, 0.29, 0.84))
        self._cax = self._figure.add_axes((0.945, 0.12, 0.012, 0.74))

        self.render = guarded(self._errors, self.status)(self._render)
        self._checked_layer = guarded(self._errors, self.status)(lambda value: check_choice("layer", value, names))
        self._checked_depth = guarded(self._errors, self.status)(
            lambda value: check_int("depth", value, 0, len(names) - 1))
        self.picker.observe_image(self._on_image)
        self.layer.observe(self._on_layer, names="value")
        self.depth.observe(self._on_depth, names="value")
        self.channel.observe(self._on_control, names="value")
        self.norm.observe(self._on_control, names="value")
        super().__init__([self.picker, W.HBox([self.layer, self.norm]), W.HBox([self.depth, self.save]),
                          self.channel, self.status, self.info, self.view, self._errors])
        self.render()

    # -- data ---------------------------------------------------------------------------
    def _activations_for(self, image: np.ndarray):
        """Every explorer layer's maps for ``image`` and their value ranges (read-only), from the
        store that explorers of this model share (:mod:`helpers.widgets.maps`); a picture that is
        not the bundled photo the menu shows is kept as this explorer's own."""
        def make():
            acts = activations(self.model, image, self.layers)
            self.forward_count += 1
            return acts, kind_ranges(acts, self.kinds)

        bundled = self.picker.name == self.picker.dropdown.value
        return shared_maps(self.model, image, self.layers, make, owner=None if bundled else self._own)

    # -- callbacks ----------------------------------------------------------------------
    def _on_image(self, image):
        self._image = image
        self.render()

    def _current_picture(self):
        """What the save button saves: the PNG this explorer rendered (kept server-side), never the
        Image widget's value."""
        return self._shown

    def _on_layer(self, change):
        layer = self._checked_layer(change["new"])
        if layer is None:  # not one of the explorer's layers: the message is shown
            return
        self.depth.value = self.layers.index(layer)  # the depth slider follows the dropdown
        c = self.shapes[layer][-1]
        self._suspend = True
        try:
            self.channel.value = min(self.channel.value, c - 1)
            self.channel.max = c - 1
        finally:
            self._suspend = False
        self.render()

    def _on_depth(self, change):
        depth = self._checked_depth(change["new"])
        if depth is not None:  # a depth outside the explorer's layers: the message is shown
            self.layer.value = self.layers[depth]

    def _on_control(self, change):
        if not self._suspend:
            self.render()

    # -- drawing ------------------------------------------------------------------------
    def _render(self, layer: str | None = None, channel: int | None = None, mode: str | None = None):
        # checked against the explorer's own layers and channel counts before anything is computed
        layer = check_choice("layer", self.layer.value if layer is None else layer, self.layers)
        channel = check_int("channel", self.channel.value if channel is None else channel)
        mode = check_choice("normalization", self.norm.value if mode is None else mode, NORMALIZATIONS)
        c = self.shapes[layer][-1]
        if not 0 <= channel < c:
            raise IndexError(f"channel {channel} is out of range: {layer} has {c} channels (0..{c - 1})")
        if self._image is None:
            raise ValueError(f"no picture to show ({self.picker.error}); pick a photo or upload one")
        key, (acts, ranges) = self._activations_for(self._image)
        maps = acts[layer]
        vrange = ranges[self.kinds[layer]]
        h, w, c = maps.shape
        full = self._drawn != (layer, mode)  # a new layer or mode: redraw everything (ticks, titles)
        if full:
            self._tile = self._tile_size(maps.shape)
        rgb, dead = mosaic_rgb(maps, mode, value_range=vrange, cmap=self.cmap, tile=self._tile)
        rgba = np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])  # RGBA: Matplotlib copies it as is
        th, tw = self._tile
        if full:
            self._build_artists(maps, rgba)
            self._ax_mosaic.set_title(f"{layer}: all {c} channels ({h}x{w}), '{mode}' normalisation", fontsize=9)
        else:  # same layer and mode: only update the pixels (cheap)
            self._mosaic_im.set_data(rgba)
        y, x = tile_origin(channel, (th, tw, c))
        self._rect.set_xy((x - 1, y - 1))
        img = maps[..., channel]
        lo, hi = float(img.min()), float(img.max())
        self._channel_im.set_data(img)
        self._channel_im.set_clim(lo, hi if hi > lo else lo + 1.0)
        self._ax_channel.set_title(f"channel {channel}" + (" (dead: all zero)" if dead[channel] else ""),
                                   fontsize=9)
        png = self._png(full)
        self.view.value = png
        self._shown = (png, output_name("activations", self.model.name, Path(str(self.picker.name)).stem, layer,
                                        f"channel{channel}", f"{mode}-norm"))
        self._drawn = (layer, mode)
        n_dead = int(dead.sum())
        kind = self.kinds[layer]
        shared = (f" &nbsp;|&nbsp; global scale of the {list(self.kinds.values()).count(kind)} {kind} layers: "
                  f"{vrange[0]:.3g} to {vrange[1]:.3g}") if mode == "global" else ""
        self.info.value = (f"<b>{layer}</b> {h}x{w}x{c} &nbsp;|&nbsp; {n_dead} of {c} channels dead "
                           f"(all zero, shown grey) &nbsp;|&nbsp; {sparsity(maps):.0%} of the activations are zero "
                           f"&nbsp;|&nbsp; channel {channel}: min {lo:.3g}, max {hi:.3g}{shared}")
        self.render_log.append((key, layer, channel, mode))
        return png

    def _tile_size(self, shape) -> tuple[int, int]:
        """Each channel's size in the mosaic: its real size, or smaller so the mosaic fits its
        place on screen (drawing ~1M pixels only to have Matplotlib shrink them costs ~50 ms)."""
        h, w, c = shape
        rows, cols = grid_shape(c)
        box = self._ax_mosaic.get_window_extent()
        scale = min(box.width / (cols * (w + 1)), box.height / (rows * (h + 1)))
        if scale >= 0.8:
            return h, w
        return max(1, int((h + 1) * scale) - 1), max(1, int((w + 1) * scale) - 1)

    def _build_artists(self, maps, rgba):
        for ax in (self._ax_mosaic, self._ax_channel, self._cax):
            ax.clear()
        h, _w, c = maps.shape
        th, tw = self._tile
        self._mosaic_im = self._ax_mosaic.imshow(rgba, interpolation="nearest")
        label_mosaic_axes(self._ax_mosaic, (th, tw, c))
        self._rect = Rectangle((-1, -1), tw + 1, th + 1, fill=False, edgecolor="red", linewidth=1.5)
        self._ax_mosaic.add_patch(self._rect)
        self._channel_im = self._ax_channel.imshow(maps[..., 0], cmap=self.cmap,
                                                   interpolation="nearest" if h < 64 else "antialiased")
        self._ax_channel.set_xticks([])
        self._ax_channel.set_yticks([])
        self._figure.colorbar(self._channel_im, cax=self._cax)
        self._cax.tick_params(labelsize=8)
        # What changes when only the channel (or image) changes is drawn on top of a saved
        # background ("blitting"): re-rendering every tick label costs more than everything else.
        self._dynamic = (self._mosaic_im, self._rect, self._channel_im, self._ax_channel.title, self._cax)
        for artist in self._dynamic:
            artist.set_animated(True)

    def _png(self, full: bool = True) -> bytes:
        canvas = self._figure.canvas
        if full or self._background is None:
            canvas.draw()  # everything but the dynamic artists
            self._background = canvas.copy_from_bbox(self._figure.bbox)
        else:
            canvas.restore_region(self._background)
        renderer = canvas.get_renderer()
        for artist in self._dynamic:
            artist.draw(renderer)
        return png_bytes(np.asarray(canvas.buffer_rgba()))


def activation_explorer(model, image="chelsea", layers=None, *, layer: str | None = None, channel: int = 0,
                        normalization: str = "channel", cmap: str = "viridis",
                        save: str = "file") -> ActivationExplorer:
    """An interactive explorer of a model's feature maps (ipywidgets): image picker (bundled
    photos or your own upload), layer dropdown (with output shapes), channel slider,
    normalisation toggle (channel / layer / global). The forward pass runs once per image;
    moving a control only redraws.

    Args:
        model: a Keras model from ``helpers.load_model()`` (or any functional/Sequential model).
        image: a bundled photo name, a path, bytes or an array (as :func:`helpers.load_image`
            reads them); a mistake is shown in the status line, not replaced by another photo.
        layers: the layers to offer; default every conv, pooling and activation layer with a
            spatial output (``helpers.layer_names(model)``).
        layer, channel, normalization: the initial choice.
        save: ``"file"`` (the save button writes ``outputs/NAME.png``) or ``"download"`` (it offers
            the picture to the browser and writes nothing: for a server shared by a class).

    Example:
        >>> explorer = activation_explorer(helpers.load_model(), layer="block2a_expand_activation")
        >>> explorer.channel.value = 5          # redraws; the forward pass is not repeated
        >>> explorer.forward_count
        1
        >>> explorer  # doctest: +SKIP
        (in a notebook: displays the widget)
    """
    return ActivationExplorer(model, image=image, layers=layers, layer=layer, channel=channel,
                              normalization=normalization, cmap=cmap, save=save)
