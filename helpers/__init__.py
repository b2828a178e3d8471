"""convnet-vis helpers: what a convolutional network sees, in a few plain functions.

Each technique is a plain function of (model, image array) -> array:

>>> import helpers
>>> model = helpers.load_model()                    # EfficientNet-Lite0, offline
>>> image = helpers.load_image("chelsea", size=model)
>>> helpers.predict(model, image, top=1)[0][1]
'Egyptian cat'
"""

import os as _os

# TensorFlow's C++ start-up notes (oneDNN) are noise for a learner: quiet unless asked for.
# Only a default: set TF_CPP_MIN_LOG_LEVEL=0 before importing helpers to see them.
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from ._cache import clear_caches  # noqa: E402,F401
from .features import feature_model  # noqa: E402,F401
from .layers import find_layer, layer_names  # noqa: E402,F401
from .images import load_image, sample_images  # noqa: E402,F401
from .models import (  # noqa: E402,F401
    WeightsDownloadError,
    available_models,
    forward_fn,
    imagenet_class_names,
    load_model,
    logits,
    model_info,
    predict,
    register_model,
)

# --- the techniques, their drawing, and the course's data, training and evaluation ---
from .activations import (  # noqa: F401,E402  (intermediate activations)
    activations, count_dead, dead_channels, normalize, sparsity, sparsity_by_layer, value_range)
from .cam import (  # noqa: F401,E402  (Grad-CAM class activation heatmaps)
    cascading_randomization, gradcam, gradient_saliency, guided_backprop, integrated_gradients, smoothgrad, spearman)
from .cam.perturbation import occlusion, rise  # noqa: F401,E402  (perturbation maps: forward passes only)
from .metrics import baseline_map, deletion, insertion  # noqa: F401,E402  (is the explanation right?)
from .filters import (  # noqa: F401,E402  (filter visualisation by gradient ascent)
    FilterResult, filter_activations, filter_patterns, first_layer_kernels, visualize_filters)
from .plotting.atlas import filter_atlas  # noqa: F401,E402  (drawing lives in plotting)
from .plotting import colorize, mosaic, overlay, unmosaic  # noqa: F401,E402  (drawing: colours, tiles)
from .datasets import make_shapes, shortcut_splits  # noqa: F401,E402  (a dataset with ground truth)
from .evaluation import heat_in_box, pointing_game  # noqa: F401,E402  (explanations vs ground truth)
from .training import small_convnet  # noqa: F401,E402  (the small textbook convnet; train in .training)
