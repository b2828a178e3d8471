"""Filter visualisation by gradient ascent in input space: what image makes one filter fire?

Start from a near-gray image and repeatedly change it (not the weights) in the direction that
increases an *objective* -- usually the mean activation of one filter of one layer. Built, as
lucent's ``optvis``, from small parts that combine freely:

* :mod:`.objectives` -- ``channel``, ``neuron``, ``layer``, ``class_logit``; combine with ``+``,
  ``-`` and ``*`` by a number: ``0.5 * channel(L, 3) + 0.5 * channel(L, 7)``;
* :mod:`.param` -- ``pixels`` (the textbook) or ``fourier`` (Fourier + decorrelated colour);
* :mod:`.transforms` -- ``jitter``, ``scale``, ``rotate``, ``compose``;
* :mod:`.steps` -- ``normalized`` (textbook) or ``adam`` (``keras.optimizers.Adam``);
* :func:`ascend` -- runs them, compiled once per composition (:mod:`.render`).

``filter_patterns(model, layer, filters, method="classic" | "robust")`` uses two named presets
built from those parts (:mod:`.presets`): the textbook's recipe (its 2-pixel border crop
included) and the Distill *Feature Visualization* remedies (whole map, Fourier, transforms, Adam).

Example:
    >>> model = helpers.load_model()
    >>> patterns = filter_patterns(model, "block4b_expand_conv", [0, 1, 2], size=96, steps=20)
    >>> patterns.shape, patterns.dtype
    ((3, 96, 96, 3), dtype('uint8'))
    >>> L = "block4b_expand_conv"
    >>> a = ascend(model, 0.5 * channel(L, 3) + 0.5 * channel(L, 7), fourier(64), jitter(2), normalized(0.5),
    ...            steps=5)
    >>> a.image.shape
    (64, 64, 3)
"""

from .checks import MAX_SIZE, MIN_SIZE, layer_channels
from .kernels import first_layer_kernels
from .objectives import BORDER, Objective, border_crop, channel, class_logit, filter_objective, layer, neuron
from .param import (
    COLOR_CORRELATION, PIXEL_SCALE, Param, fft_frequencies, fourier, fourier_scale, params_to_image, pixels,
    start_image)
from .patterns import FilterResult, filter_activations, filter_patterns, preactivation_layer, visualize_filters
from .presets import CLASSIC_STEP, CLASSIC_STEPS, METHODS, PRESETS, ROBUST_LR, Preset, deprocess, to_uint8
from .render import Ascent, ascend
from .steps import StepRule, adam, normalize_gradient, normalized
from .transforms import Transform, affine_transform, compose, jitter, rotate, scale, standard, warp

__all__ = [
    # the public functions
    "filter_patterns", "visualize_filters", "filter_activations", "FilterResult", "first_layer_kernels",
    "layer_channels", "preactivation_layer", "MIN_SIZE", "MAX_SIZE",
    # the parts: objectives, parametrisations, transforms, step rules, and the ascent that runs them
    "Objective", "channel", "neuron", "layer", "class_logit", "filter_objective", "border_crop", "BORDER",
    "Param", "pixels", "fourier", "start_image", "params_to_image", "fft_frequencies", "fourier_scale",
    "COLOR_CORRELATION", "PIXEL_SCALE",
    "Transform", "jitter", "scale", "rotate", "compose", "standard", "warp", "affine_transform",
    "StepRule", "adam", "normalized", "normalize_gradient",
    "Ascent", "ascend",
    # the two presets of filter_patterns
    "Preset", "PRESETS", "METHODS", "CLASSIC_STEP", "CLASSIC_STEPS", "ROBUST_LR", "deprocess", "to_uint8",
]
