"""Grad-CAM (Selvaraju et al., 2017)."""

from ..base import CAMMethod
from ..maths import gradcam_weights

__all__ = ["GradCAM"]


class GradCAM(CAMMethod):
    """Weights: the class score's gradients averaged over the map, one per channel."""

    name, label, order = "gradcam", "Grad-CAM", 0

    def weights(self, ctx, class_index):
        return gradcam_weights(ctx.grads(class_index))
