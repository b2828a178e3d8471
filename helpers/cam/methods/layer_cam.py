"""LayerCAM (Jiang et al., 2021)."""

import numpy as np

from ..base import CAMMethod

__all__ = ["LayerCAM"]


class LayerCAM(CAMMethod):
    """Weights per location and channel: the positive part of the gradient there (finer maps
    from earlier layers than Grad-CAM's one weight per channel)."""

    name, label, order = "layercam", "LayerCAM", 20

    def weights(self, ctx, class_index):
        return np.maximum(ctx.grads(class_index), 0.0)  # (h, w, c): broadcasts to the maps
