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
* :mod:`.engine` -- compiled functions per (model, layer), kept in the model's cache
  (:mod:`.store`); :mod:`.layer_choice` -- the default layer and the menu of layers;
  :mod:`.inputs` -- images, class indices and errors checked before any pass;
* :mod:`.context` -- one image at one layer: feature maps, scores, gradients per class and
  masked-image scores, each computed when first asked and remembered;
* :mod:`.base` -- the template (``ReLU(sum_k w_k A_k)``, normalised) and the method registry;
  :mod:`.methods` -- one small file per method, each only a ``weights(context, class_index)``;
* :mod:`.api` -- :func:`gradcam`, the public driver; :mod:`.saliency`, :mod:`.sanity`;
* :mod:`.perturbation` -- occlusion and RISE: forward passes only, no gradients.

This package exports what a learner calls; the parts (the maths, the engine, input checks) are
imported from their modules, e.g. ``from helpers.cam.maths import gradcam_weights``.

Example:
    >>> heat = gradcam(model, load_image("cat_and_coffee", size=224), class_index=282)   # tiger cat
    >>> heat.shape, heat.dtype, float(heat.max())
    ((224, 224), dtype('float32'), 1.0)
"""

from .api import gradcam, heatmap
from .base import CAMMethod, available_methods, get_method, register
from .context import Context, context
from .layer_choice import cam_layers, default_layer
from .maths import upsample
from .methods.eigen_cam import EigenCAM
from .methods.grad_cam import GradCAM
from .methods.grad_cam_plus_plus import GradCAMPlusPlus
from .methods.layer_cam import LayerCAM
from .methods.score_cam import ScoreCAM
from .perturbation import occlusion, rise
from .saliency import attributions, gradient_saliency, guided_backprop, integrated_gradients, smoothgrad
from .sanity import cascading_randomization, spearman

__all__ = [
    "gradcam", "heatmap", "context", "Context", "cam_layers", "default_layer", "upsample",
    "CAMMethod", "available_methods", "get_method", "register",
    "GradCAM", "GradCAMPlusPlus", "LayerCAM", "ScoreCAM", "EigenCAM",
    "attributions", "gradient_saliency", "guided_backprop", "integrated_gradients", "smoothgrad",
    "cascading_randomization", "spearman", "occlusion", "rise",
]
