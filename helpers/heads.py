"""A classifier's head: find a final softmax / sigmoid wherever it sits, and remove it.

Every method in convnet-vis works on logits (pre-softmax scores), as the Grad-CAM paper does.
A model may end in a probability activation in several ways: ``Dense(n, activation="softmax")``,
a separate ``Activation("softmax")`` or ``keras.layers.Softmax()`` layer, or any of these as the
last layer of a nested head (``Sequential([backbone, Sequential([Dense, Softmax])])``). The
final layer is found by descending into the last layer of nested models; public Keras APIs only.

Example:
    >>> m = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(2, 3),
    ...                       keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(3),
    ...                       keras.layers.Softmax()])
    >>> final_activation(m), final_activation(without_final_activation(m))
    ('softmax', None)
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

__all__ = ["PROBABILITY_ACTIVATIONS", "class_logits", "copy_model", "final_activation", "final_layer", "Logits",
           "probabilities", "softmax", "without_final_activation"]

PROBABILITY_ACTIVATIONS = ("softmax", "sigmoid")


@keras.saving.register_keras_serializable(package="convnet_vis")
class Logits(keras.layers.Layer):
    """Stands in for a removed ``Softmax`` layer: passes its input through (the logits)."""

    def call(self, inputs, mask=None):
        return inputs


def final_layer(model: keras.Model):
    """The layer that produces the model's output, nested models entered (their last layer)."""
    layer = model
    while isinstance(layer, keras.Model):
        inner = [x for x in layer.layers if not isinstance(x, keras.layers.InputLayer)]
        if not inner:
            break
        layer = inner[-1]
    return layer


def final_activation(model: keras.Model) -> str | None:
    """``"softmax"`` or ``"sigmoid"`` when the model's output is a probability, else ``None``."""
    layer = final_layer(model)
    if isinstance(layer, keras.layers.Softmax):
        return "softmax"
    name = getattr(getattr(layer, "activation", None), "__name__", None)
    return name if name in PROBABILITY_ACTIVATIONS else None


def _contains(model: keras.Model, target) -> bool:
    for layer in model.layers:
        if layer is target or (isinstance(layer, keras.Model) and _contains(layer, target)):
            return True
    return False


def _replace(model: keras.Model, old, new) -> keras.Model:
    """A model sharing every layer of ``model`` but with ``old`` replaced by ``new``."""

    def clone(layer):
        if layer is old:
            return new
        if isinstance(layer, keras.Model) and _contains(layer, old):
            return _replace(layer, old, new)
        return layer

    return keras.models.clone_model(model, clone_function=clone)


def without_final_activation(model: keras.Model) -> keras.Model:
    """``model`` with its final softmax / sigmoid removed, so it outputs logits.

    A layer with an ``activation`` attribute (Dense, Activation ...) gets a linear one -- the
    model object is changed in place, so call this only on a model you own (a freshly loaded
    file, or :func:`copy_model`'s copy). A ``Softmax`` layer is replaced by a pass-through :class:`Logits` in a
    rebuilt model that shares all other layers. A model without one is returned unchanged.
    """
    if final_activation(model) is None:
        return model
    layer = final_layer(model)
    if isinstance(layer, keras.layers.Softmax):
        return _replace(model, layer, Logits(name=layer.name))
    layer.activation = keras.activations.linear
    return model


def copy_model(model: keras.Model) -> keras.Model:
    """A copy of ``model`` with its own layers and the same weights (the original is untouched)."""
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def class_logits(logits, binary: bool):
    """Per-class scores from a model's raw output; a 1-logit head z becomes [-z, +z] (tensor in,
    tensor out). Their probabilities are :func:`probabilities` (sigmoid of each for a binary head)."""
    if binary:
        return tf.concat([-logits, logits], axis=-1)
    return logits


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax (pure numpy)."""
    z = np.asarray(z, np.float64)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def probabilities(scores: np.ndarray, binary: bool) -> np.ndarray:
    """Class probabilities from :func:`logits`' scores: softmax, or for a binary head ``[-z, z]``
    the sigmoid of each (``1 - sigmoid(z), sigmoid(z)``).

    Example:
        >>> probabilities(np.array([-0.5, 0.5]), binary=True).round(4).tolist()
        [0.3775, 0.6225]
    """
    z = np.asarray(scores, np.float64)
    return 1.0 / (1.0 + np.exp(-z)) if binary else softmax(z)
