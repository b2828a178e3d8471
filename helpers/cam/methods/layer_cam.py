"""LayerCAM (Jiang et al., 2021)."""

from ..base import CAMMethod
from ..maths import layercam_weights


class LayerCAM(CAMMethod):
    """Weights per location and channel: the positive part of the gradient there (finer maps
    from earlier layers than Grad-CAM's one weight per channel)."""

    name, label, order = "layercam", "LayerCAM", 20

    def weights(self, ctx, class_index):
        return layercam_weights(ctx.grads(class_index))
