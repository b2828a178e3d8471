"""convnet-vis helpers: what a convolutional network sees, in a few plain functions.

Each technique is a plain function of (model, image array) -> array:

>>> import helpers
>>> model = helpers.load_model()                    # EfficientNet-Lite0, offline
>>> image = helpers.load_image("chelsea", size=model)
>>> helpers.predict(model, image, top=1)[0][1]
'Egyptian cat'
"""

from . import _quiet_tf  # noqa: F401  (first: imports TensorFlow without its CUDA/oneDNN chatter)
from .features import feature_model, find_layer, layer_names  # noqa: F401
from .images import load_image, sample_images  # noqa: F401
from .models import (  # noqa: F401
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

# --- technique modules (each issue adds its own line below) ---
from .activations import (  # noqa: F401,E402  (issue 3: intermediate activations)
    activations, count_dead, dead_channels, mosaic, normalize, sparsity, sparsity_by_layer, unmosaic, value_range)
from .cam import (  # noqa: F401,E402  (issue 5: Grad-CAM class activation heatmaps)
    cascading_randomization, gradcam, gradient_saliency, guided_backprop, overlay, spearman)
from .filters import (  # noqa: F401,E402  (issue 4: filter visualisation by gradient ascent)
    FilterResult, filter_activations, filter_atlas, filter_patterns, first_layer_kernels, visualize_filters)
