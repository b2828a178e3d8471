"""convnet-vis helpers: what a convolutional network sees, in a few plain functions."""
from .images import load_image, sample_images  # noqa: F401
from .models import load_model, predict  # noqa: F401
from .features import feature_model, find_layer, layer_names  # noqa: F401
