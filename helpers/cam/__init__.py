"""Class activation maps -- Grad-CAM, Grad-CAM++, LayerCAM, Score-CAM, Eigen-CAM -- plus
input-gradient maps (saliency, guided backprop, SmoothGrad, integrated gradients) and the
weight-randomisation sanity check.

Grad-CAM (Selvaraju et al., 2017) answers "which parts of this image made the network say
*tiger cat*?" with a coarse heatmap: take the feature maps ``A`` of a late convolutional layer
and the gradient of the class's pre-softmax score with respect to them; average each
channel's gradient over the map (one weight per channel); add up the channels with those
weights; keep the positive part (ReLU); scale to [0, 1]; upsample to the picture.

Layout (after pytorch-grad-cam's ``get_cam_weights`` template, with caching added):

* :mod:`.maths` -- the arithmetic, numpy only, tested on hand-computed arrays;
* :mod:`.engine` -- compiled functions per (model, layer), kept in the model's cache;
* :mod:`.context` -- one image at one layer: feature maps, scores, gradients per class and
  masked-image scores, each computed when first asked and remembered;
* :mod:`.base` -- the template (``ReLU(sum_k w_k A_k)``, normalised) and the method registry;
  :mod:`.methods` -- one small file per method, each only a ``weights(context, class_index)``;
* :mod:`.api` -- :func:`gradcam`, the public driver; :mod:`.saliency`, :mod:`.sanity`.

Example:
    >>> heat = gradcam(model, load_image("cat_and_coffee", size=224), class_index=282)   # tiger cat
    >>> heat.shape, heat.dtype, float(heat.max())
    ((224, 224), dtype('float32'), 1.0)
"""

from .api import cam_from_gradients, gradcam, heatmap
from .base import CAMMethod, available_methods, get_method, register
from .context import Context, batch_contexts, context
from .engine import (
    Engine, cam_layers, check_resolution, class_indices, contract_errors, default_layer, engine, prepare_input)
from .maths import (
    EPSILON, gradcam_plus_plus_alphas, gradcam_plus_plus_weights, gradcam_weights, normalize_map,
    pixel_map, principal_direction, upsample, weighted_cam)
from .methods.eigen_cam import EigenCAM
from .methods.grad_cam import GradCAM
from .methods.grad_cam_plus_plus import GradCAMPlusPlus
from .methods.layer_cam import LayerCAM
from .methods.score_cam import ScoreCAM
from .saliency import (
    attributions, gradient_saliency, guided_backprop, input_grad_fn, input_gradients, integrated_gradients, smoothgrad)
from .sanity import cascading_randomization, copy_model, randomization_groups, randomize_layers, rankdata, spearman


__all__ = [
    "gradcam", "heatmap", "cam_from_gradients", "CAMMethod", "get_method", "available_methods", "register",
    "GradCAM", "GradCAMPlusPlus", "LayerCAM", "ScoreCAM", "EigenCAM", "Context", "context", "batch_contexts",
    "Engine", "engine", "default_layer", "cam_layers", "prepare_input", "class_indices", "contract_errors",
    "check_resolution", "gradcam_weights",
    "gradcam_plus_plus_weights", "gradcam_plus_plus_alphas", "principal_direction",
    "weighted_cam", "normalize_map", "upsample", "pixel_map", "EPSILON", "gradient_saliency", "guided_backprop",
    "smoothgrad", "integrated_gradients", "attributions", "input_gradients", "input_grad_fn",
    "cascading_randomization", "copy_model", "randomize_layers", "randomization_groups", "spearman", "rankdata",
]
