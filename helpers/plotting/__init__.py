"""Everything that draws: colour maps and overlays (:mod:`.colour`), tiling stacks of pictures
into one (:mod:`.tiles`), feature maps to display levels with zero anchored (:mod:`.levels`), the
Matplotlib figures of the notebooks (:mod:`.figures`) and architecture diagrams (:mod:`.diagrams`).

Techniques compute arrays; this layer turns them into pictures. It may import the techniques,
never the other way round (``make lint-imports`` checks it).
"""

from .atlas import filter_atlas
from .colour import COLORMAPS, colorize, colormap, lookup_table, overlay
from .diagrams import show_block_diagram
from .figures import (
    add_scale_bar, draw_channel, draw_mosaic, label_mosaic_axes, mosaic_rgb, plot_similarity_curves, plot_sparsity,
    show_cam, show_images, show_kernels, show_layers_overview, show_mosaic, show_patterns)
from .levels import display_levels, display_scale
from .tiles import atlas_grid, grid_shape, mosaic, tile, tile_origin, unmosaic

__all__ = [
    # atlas, colour, diagrams
    "filter_atlas", "COLORMAPS", "colorize", "colormap", "lookup_table", "overlay", "show_block_diagram",
    # figures
    "add_scale_bar", "draw_channel", "draw_mosaic", "label_mosaic_axes", "mosaic_rgb", "plot_similarity_curves",
    "plot_sparsity", "show_cam", "show_images", "show_kernels", "show_layers_overview", "show_mosaic", "show_patterns",
    # levels, tiles
    "display_levels", "display_scale", "atlas_grid", "grid_shape", "mosaic", "tile", "tile_origin", "unmosaic",
]
