"""Architecture diagrams drawn from the model itself: one MBConv block, layer by layer.

The boxes are the block's real layers (name, kind, kernel size, output shape), read from the model, so
the diagram always matches what the explorers' dropdowns list.
"""

from __future__ import annotations

import keras
import matplotlib.pyplot as plt

from ..layers import predecessor

__all__ = ["STAGE_COLOURS", "block_rows", "show_block_diagram"]

STAGE_COLOURS = {"input": "white", "expand": "#cfe2ff", "depthwise": "#d1f0d1", "project": "#ffe0b3",
                 "add": "#e0e0e0"}


def _stage(suffix: str) -> str:
    return next((k for k in ("expand", "project", "add") if k in suffix), "depthwise")


def _kind(layer) -> str:
    kind = type(layer).__name__
    if kind == "ReLU":
        return f"ReLU{layer.max_value:g}" if layer.max_value else "ReLU"
    if hasattr(layer, "kernel_size"):
        return f"{kind} {layer.kernel_size[0]}x{layer.kernel_size[1]}"
    return kind


def block_rows(model: keras.Model, block: str) -> list[tuple[str, str, str, tuple]]:
    """The rows of :func:`show_block_diagram`: ``(layer name, stage, kind, output shape)``, the layer
    that feeds the block first (stage ``"input"``), then every layer whose name starts with ``block + "_"``.

    Example:
        >>> [r[1] for r in block_rows(load_model(), "block2b")][:3]
        ['input', 'expand', 'expand']
    """
    layers = [layer for layer in model.layers if layer.name.startswith(block + "_")]
    if not layers:
        blocks = sorted({layer.name.split("_")[0] for layer in model.layers if layer.name.startswith("block")})
        raise KeyError(f"no layer of {model.name} belongs to block {block!r}; its blocks: {', '.join(blocks)}")
    source = predecessor(model, layers[0].name).layer
    rows = [(source.name, "input", _kind(source), tuple(source.output.shape[1:]))]
    return rows + [(layer.name, _stage(layer.name[len(block):]), _kind(layer), tuple(layer.output.shape[1:]))
                   for layer in layers]


def show_block_diagram(model: keras.Model, block: str = "block2b"):
    """One MBConv block as boxes, input at the top: each layer's name, kind and output shape, its
    stage (expand / depthwise / project) in bold on the left, and the skip connection as a red arrow
    when the block ends with an ``add``. Returns the figure.

    Example:
        >>> fig = show_block_diagram(load_model(), "block2b")
    """
    rows = block_rows(model, block)
    fig, ax = plt.subplots(figsize=(9.5, 0.55 * len(rows)))
    for i, (name, stage, kind, shape) in enumerate(rows):
        ax.add_patch(plt.Rectangle((0, -i - 0.8), 9.4, 0.7, fc=STAGE_COLOURS[stage], ec="k"))
        ax.text(0.15, -i - 0.45, name + (" (block input)" if stage == "input" else ""), va="center",
                family="monospace", fontsize=9)
        ax.text(5.3, -i - 0.45, f"{kind}  {'x'.join(str(s) for s in shape)}", va="center", fontsize=9)
        if i:
            ax.annotate("", (4.7, -i - 0.1), (4.7, -i + 0.2), arrowprops=dict(arrowstyle="->"))
        if i and (i == 1 or rows[i - 1][1] != stage) and stage != "add":
            ax.text(-0.2, -i - 0.45, stage, va="center", ha="right", fontsize=10, weight="bold")
    if rows[-1][1] == "add":
        ax.annotate("", (9.4, -len(rows) + 0.55), (9.4, -0.45),
                    arrowprops=dict(arrowstyle="->", connectionstyle="arc3,rad=-0.3", color="C3"))
        ax.text(10.7, -len(rows) / 2, "skip", color="C3", va="center", fontsize=10, weight="bold")
    ax.set_xlim(-2.0, 11.4)
    ax.set_ylim(-len(rows) - 0.1, 0.1)
    ax.axis("off")
    ax.set_title(f"one MBConv block of {model.name}: {block}")
    return fig
