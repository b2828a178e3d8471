"""convnet-vis helpers: what a convolutional network sees, in a few plain functions.

Each technique is a plain function of (model, image array) -> array:

>>> import helpers
>>> model = helpers.load_model()                    # EfficientNet-Lite0, offline
>>> image = helpers.load_image("chelsea", size=model)
>>> helpers.predict(model, image, top=1)[0][1]
'Egyptian cat'
"""

import os as _os

# TensorFlow's C++ INFO and WARNING logs are noise for a learner: hidden unless asked for (set
# TF_CPP_MIN_LOG_LEVEL=0 before importing helpers to see them). The two notes TensorFlow prints before
# its logging starts (absl, oneDNN) still reach stderr; `make notebooks` sends them to build/NN.kernel.log.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# The imports below follow that setting on purpose (ruff: E402), each name from the module that defines it.
# ruff: noqa: E402

from ._cache import clear_caches
from .features import feature_model
from .images import load_image, sample_images
from .layers import find_layer, layer_names
from .loading import WeightsDownloadError, imagenet_class_names
from .models import available_models, forward_fn, load_model, logits, model_info, predict, register_model

# --- the techniques, their drawing, and the course's data, training and evaluation ---
from .activations import (  # intermediate activations
    activations, count_dead, dead_channels, normalize, sparsity, sparsity_by_layer, value_range)
from .cam.api import gradcam  # Grad-CAM class activation heatmaps
from .cam.saliency import gradient_saliency, guided_backprop, integrated_gradients, smoothgrad
from .cam.sanity import cascading_randomization, spearman
from .cam.perturbation import occlusion, rise  # perturbation maps: forward passes only
from .metrics.baselines import baseline_map  # is the explanation right?
from .metrics.curves import deletion, insertion
from .filters.kernels import first_layer_kernels  # filter visualisation by gradient ascent
from .filters.patterns import FilterResult, filter_activations, filter_patterns, visualize_filters
from .plotting.atlas import filter_atlas  # drawing lives in plotting
from .plotting.colour import colorize, overlay
from .plotting.tiles import mosaic, unmosaic
from .datasets import make_shapes, shortcut_splits  # a dataset with ground truth
from .evaluation import heat_in_box, pointing_game  # explanations vs ground truth
from .training import small_convnet  # the small textbook convnet; train in helpers.training

__all__ = [
    # models and images
    "load_model", "available_models", "register_model", "model_info", "predict", "logits", "forward_fn",
    "imagenet_class_names", "WeightsDownloadError", "load_image", "sample_images", "clear_caches",
    # layers and feature models
    "layer_names", "find_layer", "feature_model",
    # intermediate activations
    "activations", "normalize", "dead_channels", "count_dead", "sparsity", "sparsity_by_layer", "value_range",
    # class activation maps, input gradients, perturbation maps, and checks of them
    "gradcam", "gradient_saliency", "guided_backprop", "smoothgrad", "integrated_gradients", "occlusion", "rise",
    "cascading_randomization", "spearman", "deletion", "insertion", "baseline_map",
    # filter visualisation
    "filter_patterns", "visualize_filters", "filter_activations", "FilterResult", "first_layer_kernels",
    "filter_atlas",
    # drawing
    "colorize", "overlay", "mosaic", "unmosaic",
    # the course's data, training and evaluation
    "make_shapes", "shortcut_splits", "heat_in_box", "pointing_game", "small_convnet",
]
