"""Score-CAM (Wang et al., 2020)."""

import numpy as np

from ...validation import check_count
from ..base import CAMMethod
from ..context import SCORECAM_BATCH

__all__ = ["MAX_CHANNELS", "ScoreCAM"]

MAX_CHANNELS = 32  # only the most active channels mask the image (one forward pass each)


class ScoreCAM(CAMMethod):
    """No gradients: each channel, upsampled and scaled to [0, 1], masks the image, and its weight
    is the class probability of the masked image (as in the authors' code; the paper's extra
    softmax over channels flattens probabilities <= 1 to almost equal weights -- measured here:
    the tiger-cat map's share on the cat fell from 0.82 to 0.58). Only the ``max_channels`` most
    active channels are tried, batched, so a CPU answers in about a second.

    Example:
        >>> heat = helpers.gradcam(model, image, class_index=282, method=ScoreCAM(max_channels=16))
        >>> heat.shape, bool(0 <= heat.min() <= heat.max() <= 1)
        ((224, 224), True)
    """

    name, label, order, uses_gradients = "scorecam", "Score-CAM", 30, False

    def __init__(self, max_channels: int = MAX_CHANNELS, batch_size: int = SCORECAM_BATCH):
        self.max_channels = check_count("max_channels", max_channels)
        self.batch_size = check_count("batch_size", batch_size)

    def channels(self, fmaps: np.ndarray) -> np.ndarray:
        """Indices of the most active channels of (h, w, c) maps (by mean activation)."""
        return np.argsort(-fmaps.mean(axis=(0, 1)), kind="stable")[: min(self.max_channels, fmaps.shape[-1])]

    def weights(self, ctx, class_index):
        chosen = self.channels(ctx.fmaps)
        probs = ctx.masked_scores(chosen, self.batch_size)  # (k, classes), remembered by the context
        w = np.zeros(ctx.fmaps.shape[-1])
        w[chosen] = probs[:, ctx.top_class if class_index is None else class_index]
        return w
