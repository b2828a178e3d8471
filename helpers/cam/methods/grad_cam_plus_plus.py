"""Grad-CAM++ (Chattopadhay et al., 2018)."""

from ..base import CAMMethod
from ..maths import gradcam_plus_plus_weights

__all__ = ["GradCAMPlusPlus"]


class GradCAMPlusPlus(CAMMethod):
    """Weights: positive gradients weighted by per-location coefficients (better with several
    instances of a class in one picture)."""

    name, label, order, aliases = "gradcam++", "Grad-CAM++", 10, ("gradcampp", "gradcamplusplus")

    def weights(self, ctx, class_index):
        return gradcam_plus_plus_weights(ctx.fmaps, ctx.grads(class_index))
