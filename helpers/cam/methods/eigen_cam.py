"""Eigen-CAM (Muhammad & Yeasin, 2020)."""

from ..base import CAMMethod
from ..maths import principal_direction

__all__ = ["EigenCAM"]


class EigenCAM(CAMMethod):
    """The centred feature maps projected on their first principal component: no gradients and
    no class -- it shows what the layer responds to most, the same map for every class."""

    name, label, order = "eigencam", "Eigen-CAM", 40
    uses_gradients, centred = False, True

    def weights(self, ctx, class_index):
        return principal_direction(ctx.fmaps)
