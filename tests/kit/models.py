"""Tiny toy models and the independent computations tests compare against.

Every model here builds in well under a second, so a test can make its own instead of waiting
for EfficientNet-Lite0. Their layers are named, so a test can ask for them by name.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

__all__ = ["ESPRESSO", "TIGER_CAT", "cam_model", "conv_base", "conv_classifier", "quadrant_image", "quadrant_model",
           "random_image", "sub_model_output", "tape_gradient"]

# the two ImageNet classes in the bundled photo 'cat_and_coffee'
TIGER_CAT, ESPRESSO = 282, 967


def conv_classifier(shape=(32, 32, 3), *, convs=(("conv", 8, "relu"),), units=3, head_activation=None,
                    padding="valid", seed=None, name="toy", pool="gap", head="dense") -> keras.Model:
    """3 x 3 ``Conv2D`` layers -> ``GlobalAveragePooling2D`` -> ``Dense``: the shape of every
    CAM-style classifier. ``convs`` holds one ``(name, filters, activation)`` per convolution;
    ``seed`` makes the weights reproducible."""
    if seed is not None:
        keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape)
    x = inputs
    for layer_name, filters, activation in convs:
        x = keras.layers.Conv2D(filters, 3, padding=padding, activation=activation, name=layer_name)(x)
    x = keras.layers.GlobalAveragePooling2D(name=pool)(x)
    out = keras.layers.Dense(units, activation=head_activation, name=head)(x)
    return keras.Model(inputs, out, name=name)


def cam_model(seed=0, *, units=5, name="small", sigmoid=False, positive=False) -> keras.Model:
    """20 px input -> conv (8 channels, ReLU, layer 'conv') -> global average pooling -> Dense
    ('dense', no activation): Grad-CAM must equal classic CAM on it. ``sigmoid``: one logit;
    ``positive``: Dense weights > 0, so every gradient is positive and constant over space."""
    m = conv_classifier((20, 20, 3), convs=(("conv", 8, "relu"),), units=1 if sigmoid else units, seed=seed,
                        name=name)
    if positive:
        k, b = m.get_layer("dense").get_weights()
        m.get_layer("dense").set_weights([np.abs(k) + 0.01, b])
    return m


def conv_base(shape=(32, 32, 3), name="base") -> keras.Model:
    """A small backbone to nest inside another model: conv -> max-pool -> conv -> ReLU."""
    inputs = keras.Input(shape)
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu", name=f"{name}_conv1")(inputs)
    x = keras.layers.MaxPooling2D(name=f"{name}_pool1")(x)
    x = keras.layers.Conv2D(16, 3, padding="same", name=f"{name}_conv2")(x)
    x = keras.layers.ReLU(name=f"{name}_relu2")(x)
    return keras.Model(inputs, x, name=name)


def random_image(seed: int, size: int = 20) -> np.ndarray:
    """A seeded uint8 RGB noise picture, ``size`` x ``size``."""
    return np.random.default_rng(seed).integers(0, 256, (size, size, 3)).astype(np.uint8)


def sub_model_output(model: keras.Model, layer: str, x) -> np.ndarray:
    """Independent value of a layer's output: the textbook sub-model, called eagerly on the batch ``x``."""
    return keras.Model(model.input, model.get_layer(layer).output)(np.asarray(x, np.float32)).numpy()


def tape_gradient(model: keras.Model, layer: str, image, class_index: int) -> np.ndarray:
    """Independent gradient of logit ``class_index`` with respect to a layer's output, for one
    image (an eager ``GradientTape``, no helpers code)."""
    sub = keras.Model(model.input, [model.get_layer(layer).output, model.output])
    with tf.GradientTape() as tape:
        a, z = sub(tf.constant(np.asarray(image, np.float32)[None]))
        score = z[:, class_index]
    return tape.gradient(score, a).numpy()[0]


def quadrant_model(side: int = 16, gain: float = 8.0) -> keras.Model:
    """Two classes whose evidence is known by construction: ``logit_1 - logit_0 = gain * (m - 1/2)``,
    m the mean red (/255) of the top-left quadrant (a fixed 1x1 conv keeps red, a crop keeps the
    quadrant): no other pixel counts."""
    inp = keras.Input((side, side, 3))
    red = keras.layers.Conv2D(1, 1, use_bias=False, name="red")(inp)
    top_left = keras.layers.Cropping2D(((0, side // 2), (0, side // 2)), name="top_left")(red)
    out = keras.layers.Dense(2, name="logits")(keras.layers.GlobalAveragePooling2D()(top_left))
    model = keras.Model(inp, out, name="quadrant")
    model.get_layer("red").set_weights([np.array([1 / 255, 0, 0], np.float32).reshape(1, 1, 3, 1)])
    model.get_layer("logits").set_weights([np.array([[-gain / 2, gain / 2]], np.float32),
                                           np.array([gain / 4, -gain / 4], np.float32)])
    return model


def quadrant_image(seed: int = 0, side: int = 16, red: int = 255) -> np.ndarray:
    """Random pixels, with the top-left quadrant's red at ``red`` (255: any grey fill there lowers class 1)."""
    img = np.random.default_rng(seed).integers(0, 256, (side, side, 3)).astype(np.uint8)
    img[: side // 2, : side // 2, 0] = red
    return img
