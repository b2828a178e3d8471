"""EfficientNet-Lite0 as a Keras 3 functional model, with keras.applications layer names.

EfficientNet-Lite (Tan & Le, 2019; the "Lite" variants for mobile CPUs) differs from
EfficientNet-B0 in three ways that matter for visualisation:

* no squeeze-and-excitation blocks,
* ReLU6 instead of swish everywhere,
* the stem (32 filters) and the head (1280 filters) are not scaled.

The layer names copy ``keras.applications.EfficientNetB0`` (``stem_conv``,
``block2a_expand_conv``, ``block2b_add``, ``top_activation`` ...), so what a learner
finds here transfers to the Keras model zoo.

The model takes raw RGB pixels in [0, 255] and applies the official Lite preprocessing,
``(x - 127) / 128``, in its first layer (``rescaling``). It outputs pre-softmax logits.

Example:
    >>> model = build_efficientnet_lite0(weights=None)
    >>> model.get_layer("top_activation").output.shape
    (None, 7, 7, 1280)
"""

from __future__ import annotations

import string
from pathlib import Path

import keras
import numpy as np

__all__ = ["BN_EPSILON", "INPUT_SIZE", "LITE0_STAGES", "NUM_CLASSES", "block_names", "build_efficientnet_lite0",
           "load_npz_weights", "save_npz_weights"]

# (repeats, kernel, stride, expand_ratio, input_filters, output_filters) per stage,
# from efficientnet/lite/efficientnet_lite_builder.py (official TensorFlow TPU repo).
LITE0_STAGES = (
    (1, 3, 1, 1, 32, 16),
    (2, 3, 2, 6, 16, 24),
    (2, 5, 2, 6, 24, 40),
    (3, 3, 2, 6, 40, 80),
    (3, 5, 1, 6, 80, 112),
    (4, 5, 2, 6, 112, 192),
    (1, 3, 1, 6, 192, 320),
)
BN_EPSILON = 1e-3
INPUT_SIZE = 224
NUM_CLASSES = 1000


def block_names() -> list[str]:
    """Names of the 16 MBConv blocks in forward order: ``['block1a', 'block2a', 'block2b', ...]``."""
    names = []
    for stage, (repeats, *_rest) in enumerate(LITE0_STAGES, start=1):
        names += [f"block{stage}{string.ascii_lowercase[i]}" for i in range(repeats)]
    return names


def _conv_bn_relu6(x, filters, kernel, stride, conv_name, bn_name, act_name):
    x = keras.layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False, name=conv_name)(x)
    x = keras.layers.BatchNormalization(epsilon=BN_EPSILON, name=bn_name)(x)
    return keras.layers.ReLU(max_value=6.0, name=act_name)(x)


def _mbconv(x, name, kernel, stride, expand_ratio, in_filters, out_filters):
    """One mobile inverted bottleneck (MBConv) block without squeeze-excite."""
    inputs = x
    if expand_ratio != 1:
        x = _conv_bn_relu6(x, in_filters * expand_ratio, 1, 1,
                           f"{name}_expand_conv", f"{name}_expand_bn", f"{name}_expand_activation")
    x = keras.layers.DepthwiseConv2D(kernel, strides=stride, padding="same", use_bias=False,
                                     name=f"{name}_dwconv")(x)
    x = keras.layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_bn")(x)
    x = keras.layers.ReLU(max_value=6.0, name=f"{name}_activation")(x)
    x = keras.layers.Conv2D(out_filters, 1, padding="same", use_bias=False, name=f"{name}_project_conv")(x)
    x = keras.layers.BatchNormalization(epsilon=BN_EPSILON, name=f"{name}_project_bn")(x)
    if stride == 1 and in_filters == out_filters:
        x = keras.layers.Add(name=f"{name}_add")([x, inputs])
    return x


def build_efficientnet_lite0(weights: str | Path | None = None, input_size: int | None = INPUT_SIZE) -> keras.Model:
    """Build EfficientNet-Lite0 (4.65 M trainable parameters) and optionally load ported ImageNet weights.

    Args:
        weights: path to the ``.npz`` file written by ``scripts/convert_efficientnet_lite0.py``
            (one array per ``"<layer>/<index>"``), or ``None`` for random initial weights.
        input_size: square input side in pixels (224, the size the model was trained at), or
            ``None`` for a model that accepts any size.

    Example:
        >>> model = build_efficientnet_lite0(weights=None)
        >>> model.output_shape
        (None, 1000)
    """
    inputs = keras.Input((input_size, input_size, 3), name="image")
    # Official Lite preprocessing: (x - 127) / 128, i.e. x * (1/128) + (-127/128).
    x = keras.layers.Rescaling(1.0 / 128.0, offset=-127.0 / 128.0, name="rescaling")(inputs)
    x = _conv_bn_relu6(x, 32, 3, 2, "stem_conv", "stem_bn", "stem_activation")
    names = iter(block_names())
    for repeats, kernel, stride, expand, fin, fout in LITE0_STAGES:
        for i in range(repeats):
            x = _mbconv(x, next(names), kernel, stride if i == 0 else 1, expand, fin if i == 0 else fout, fout)
    x = _conv_bn_relu6(x, 1280, 1, 1, "top_conv", "top_bn", "top_activation")
    x = keras.layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = keras.layers.Dropout(0.2, name="top_dropout")(x)
    outputs = keras.layers.Dense(NUM_CLASSES, name="predictions")(x)  # logits: no softmax
    model = keras.Model(inputs, outputs, name="efficientnet_lite0")
    if weights is not None:
        load_npz_weights(model, weights)
    return model


def load_npz_weights(model: keras.Model, path: str | Path) -> None:
    """Set each layer's weights from an ``.npz`` holding ``"<layer name>/<i>"`` arrays.

    Raises ValueError when a layer is missing from the file or a shape differs, so a
    corrupt or mismatched file never yields a silently half-loaded model.
    """
    with np.load(path) as data:
        stored = dict(data)
    used = set()
    for layer in model.layers:
        current = layer.get_weights()
        if not current:
            continue
        new = []
        for i, w in enumerate(current):
            key = f"{layer.name}/{i}"
            if key not in stored:
                raise ValueError(f"weights file {path} has no array {key!r}; was it written for this model?")
            if stored[key].shape != w.shape:
                raise ValueError(f"{key}: file shape {stored[key].shape} != model shape {w.shape}")
            new.append(stored[key])
            used.add(key)
        layer.set_weights(new)
    unused = sorted(set(stored) - used)
    if unused:
        raise ValueError(f"weights file {path} has arrays no layer uses: {unused[:5]}")


def save_npz_weights(model: keras.Model, path: str | Path) -> None:
    """Inverse of :func:`load_npz_weights` (used by the conversion script)."""
    arrays = {f"{layer.name}/{i}": np.asarray(w, np.float32)
              for layer in model.layers for i, w in enumerate(layer.get_weights())}
    np.savez_compressed(path, **arrays)
