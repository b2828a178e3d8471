"""Models: what convnet-vis knows about a model (class names, head), and predictions.

Every model that :func:`load_model` returns follows one contract: it takes raw RGB pixel
values in [0, 255] (float32, NHWC) -- the preprocessing is the model's first layer -- and it
outputs pre-softmax logits. Loading is in :mod:`helpers.loading`; this module knows each model's
class names and head, checks images for it, and predicts. Its caches live in
:mod:`helpers._cache` (keyed weakly: a deleted model frees them).

Heads. A softmax head has one logit per class. A single-logit sigmoid head ("binary") is a
two-class model: its class scores are ``[-z, +z]`` (class 0 = -logit, class 1 = +logit: the
gradient of either is meaningful for Grad-CAM) and its probabilities are ``sigmoid(-z),
sigmoid(z)`` -- the sigmoid of each score, *not* their softmax. A single *linear* unit is a
regression output, refused by class-based methods, unless two class names were given for it
(``register_model(model, name, ["no", "yes"])``: then it is read as a binary logit).
"""

from __future__ import annotations

import functools
import weakref
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from ._cache import store
from .heads import class_logits, final_activation, probabilities
from .images import check_batch, resize
from .loading import (
    CLASSIC_MODELS,
    DEFAULT_MODEL,
    adopt,
    build_classic,
    build_lite0,
    imagenet_class_names,
    imagenet_class_synonyms,
    read_file,
)
from .validation import (
    FOREIGN_ERRORS,
    MAX_SIDE,
    MIN_OPEN_SIDE,
    check_choice,
    check_class_names,
    check_count,
    check_model,
    check_type,
    contract_error,
)
from .validation import check_class_index as _index_in_range

__all__ = ["ModelInfo", "available_models", "check_class_index", "check_classifier", "class_index_of", "forward_fn",
           "load_model", "logits", "model_info", "num_classes", "predict", "prepare", "register_model"]


@dataclass(frozen=True)
class ModelInfo:
    """What convnet-vis knows about a model beyond Keras: its class names and head type.

    ``binary``: a single-logit (sigmoid) head, class 1 = +logit, class 0 = -logit.
    ``regression``: a single linear output with no class names: refused by class-based methods.
    ``head``: ``"softmax"`` / ``"sigmoid"`` when the model still ends in one (outputs are
    probabilities, not logits: class-based methods refuse it; ``load_model(model)`` removes it).
    """

    name: str
    class_names: tuple[str, ...]
    binary: bool = False
    regression: bool = False
    head: str | None = None


def available_models() -> list[str]:
    """Names :func:`load_model` accepts (the first works offline; the others download weights).

    Example:
        >>> available_models()[:2]
        ['efficientnet_lite0', 'vgg16']
    """
    return [DEFAULT_MODEL, *CLASSIC_MODELS]


def load_model(name_or_path: str | Path | keras.Model = DEFAULT_MODEL, *, weights: str | None = "imagenet",
               preprocess: str | None = None, class_names=None) -> keras.Model:
    """Load a model that takes raw 0..255 RGB pixels and outputs pre-softmax logits.

    Args:
        name_or_path: ``"efficientnet_lite0"`` (the default; embedded, works offline), a
            keras.applications classic (``"vgg16"``, ``"vgg19"``, ``"resnet50"``,
            ``"mobilenet_v2"``, ``"xception"`` ...; Keras downloads their ImageNet weights on first
            use), the path of your own ``.keras`` / ``.h5`` file (loaded with ``safe_mode``), or
            a Keras model you built (returned as is, or as a copy without its softmax).
        weights: ``"imagenet"`` or ``None`` (the architecture with random weights, e.g. for tests).
        preprocess: for your own model: how it expects pixels, one of ``"raw"``, ``"lite"``,
            ``"tf"``, ``"caffe"``, ``"torch"`` (see :class:`Preprocess`); default ``"raw"``.
        class_names: for your own model: the names of its classes (default ``"class 0"``...).

    A final softmax or sigmoid on your model -- in its last Dense layer, a separate
    ``Activation`` or ``Softmax`` layer, or a nested head -- is removed, so it outputs logits; a
    single-unit sigmoid head becomes a two-class model (class 1 = +logit, class 0 = -logit). A
    single *linear* unit is a regression output (class-based methods refuse it) unless you give
    two ``class_names``: then it is read as the logit of a binary classifier.

    Raises:
        ValueError: unknown name (the message lists the available ones) or bad options, e.g.
            ``preprocess``/``class_names`` for a built-in model (they have their own).
        TypeError: ``class_names`` given as one string.
        FileNotFoundError: a path that does not exist.
        WeightsDownloadError: a classic model's weights could not be downloaded (offline).

    Example:
        >>> model = load_model()            # EfficientNet-Lite0, offline, about 1 s
        >>> model.input_shape, model.output_shape
        ((None, 224, 224, 3), (None, 1000))
    """
    weights = check_choice("weights", weights, ("imagenet", None), hint=" (None: random weights)")
    if isinstance(name_or_path, keras.Model):
        model, removed = adopt(name_or_path, preprocess or "raw", owned=False)
        return _register_user_model(model, name_or_path.name, class_names, removed)
    check_type("load_model's first argument", name_or_path, (str, Path), "a model name, a file path or a keras.Model")
    key = str(name_or_path)
    if key.lower() == DEFAULT_MODEL or key.lower() in CLASSIC_MODELS:
        if preprocess is not None or class_names is not None:
            raise ValueError(f"{key!r} is a built-in ImageNet model with its own preprocessing and 1000 class names: "
                             "preprocess= and class_names= are for your own model file")
        if key.lower() == DEFAULT_MODEL:
            return register_model(build_lite0(weights), DEFAULT_MODEL, imagenet_class_names())
        return register_model(build_classic(key.lower(), weights), key.lower(), imagenet_class_names())
    path = Path(key).expanduser()
    if path.suffix.lower() in (".keras", ".h5", ".hdf5") or path.exists():
        model, removed = adopt(read_file(path), preprocess or "raw", owned=True)
        return _register_user_model(model, path.stem, class_names, removed)
    raise ValueError(f"unknown model {key!r}: choose one of {', '.join(available_models())}, "
                     "or give the path of a .keras / .h5 file")


def _register_user_model(model, name, class_names, removed) -> keras.Model:
    n_out = _output_units(model)
    binary = n_out == 1 and (removed == "sigmoid" or (class_names is not None and len(class_names) == 2))
    if n_out == 1 and not binary:  # a regression output: no classes
        if class_names is not None:
            check_class_names(class_names, 2)  # says: two names make it a binary classifier
        _info_store(model).put("info", ModelInfo(name, ("output",), regression=True))
        return model
    n_classes = 2 if binary else n_out
    names = tuple(f"class {i}" for i in range(n_classes)) if class_names is None else class_names
    return register_model(model, name, names, binary=binary)


def _output_units(model) -> int:
    return int(model.output_shape[-1]) if len(model.output_shape) >= 2 and model.output_shape[-1] else 0


def _info_store(model):
    return store(model, "info", max_items=1)


def register_model(model: keras.Model, name: str, class_names, *, binary: bool | None = None) -> keras.Model:
    """Tell convnet-vis a model's class names (and whether its head is a single sigmoid logit).

    Use it for a model you built yourself. A single-unit head with two names is binary (its logit
    z: class 1 = +z, class 0 = -z). ValueError / TypeError at once for names that do not fit.

    Example:
        >>> m = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(4, 3),
        ...                       keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(1)])
        >>> register_model(m, "toy", ["dog", "cat"]) is m
        True
    """
    check_model(model)
    n_out = _output_units(model)
    binary = n_out == 1 if binary is None else bool(binary)
    if binary and n_out != 1:
        raise ValueError(f"binary=True needs a single-logit head; model {model.name!r} has {n_out} outputs")
    names = check_class_names(class_names, 2 if binary else n_out)
    _info_store(model).put("info", ModelInfo(str(name), names, binary, head=final_activation(model)))
    return model


def model_info(model: keras.Model) -> ModelInfo:
    """Class names and head type of a model (ImageNet names for a 1000-way head by default).

    Example:
        >>> info = model_info(load_model())
        >>> info.class_names[282], info.binary
        ('tiger cat', False)
    """
    check_model(model)
    return _info_store(model).get_or_make("info", lambda: _guess_info(model))


def _guess_info(model) -> ModelInfo:
    n, head = _output_units(model), final_activation(model)
    if n == 1:  # only a sigmoid says "binary"; a linear unit is a regression output
        return ModelInfo(model.name, ("class 0", "class 1"), binary=True, head=head) if head == "sigmoid" else (
            ModelInfo(model.name, ("output",), regression=True))
    names = imagenet_class_names() if n == 1000 else tuple(f"class {i}" for i in range(n))
    return ModelInfo(model.name, names, head=head)


def check_classifier(model: keras.Model) -> ModelInfo:
    """The model's info, if class-based methods (predict, Grad-CAM ...) can use it; else a ValueError
    that says why: a regression output, probabilities instead of logits, or no class axis."""
    info = model_info(model)
    if info.regression:
        raise ValueError(f"model {model.name!r} has a single linear output: a regression head, not classes. If it "
                         "is the logit of a binary classifier, say so: helpers.register_model(model, name, "
                         "['negative', 'positive'])")
    if info.head is not None:
        raise ValueError(f"model {model.name!r} ends in a {info.head}: it outputs probabilities, and every method "
                         "here needs logits. Use model = helpers.load_model(model) (a copy without the "
                         f"{info.head}), or build the model without it")
    if len(model.output_shape) != 2:
        raise ValueError(f"model {model.name!r} outputs shape {model.output_shape}, not (batch, classes)")
    return info


def num_classes(model: keras.Model) -> int:
    """Number of classes (2 for a single-logit sigmoid head)."""
    return len(model_info(model).class_names)


def check_class_index(model: keras.Model, class_index) -> int:
    """Validate a class for ``model``: an index (an int or a 0-d integer array) or a class name (exact, in
    any case, an ImageNet synonym, or part of one class's name: ``"tiger cat"``, ``"tabby"``).

    Raises:
        IndexError: an index out of range (named). IndexTypeError: neither an integer nor a name.
        ValueError: a name that matches no class or several (the closest are listed).

    Example:
        >>> check_class_index(load_model(), "Tiger Cat"), check_class_index(load_model(), 282)
        (282, 282)
    """
    return class_index_of(model_info(model), class_index)


def class_index_of(info: ModelInfo, class_index) -> int:
    """:func:`check_class_index` against a model's :class:`ModelInfo` (its class names)."""
    names = info.class_names
    synonyms = imagenet_class_synonyms() if names == imagenet_class_names() else None
    return _index_in_range(class_index, len(names), names, synonyms)



def prepare(model: keras.Model, image, *, crop: bool = True) -> tuple[np.ndarray, bool]:
    """Validate an image or batch and resize it to the model's input size when the model has one
    (``crop=False``: stretch the whole picture instead of centre-cropping it). RGB becomes grey
    for a grayscale model. Pixels follow :func:`helpers.validation.pixel_values`' policy.

    Returns ``(float32 batch 0..255, was_single)``, a copy; raises ValueError for malformed images.
    """
    shape = check_model(model)
    batch, single = check_batch(image, channels=shape[-1])
    h, w = shape[1], shape[2]
    if not (h and w):  # an open-size model: the picture's own size, within limits
        side = min(batch.shape[1:3]) if not h and not w else batch.shape[2] if h else batch.shape[1]
        if side < MIN_OPEN_SIDE or max(batch.shape[1:3]) > MAX_SIDE:
            raise ValueError(f"model {model.name!r} accepts any image size, but this image is {batch.shape[1]} x "
                             f"{batch.shape[2]}: give {MIN_OPEN_SIDE}..{MAX_SIDE} pixels a side "
                             "(e.g. helpers.load_image(source, size=224))")
    if (h and batch.shape[1] != h) or (w and batch.shape[2] != w):
        batch = np.stack([resize(b, (h or b.shape[0], w or b.shape[1]), crop=crop) for b in batch])
        np.clip(batch, 0.0, 255.0, out=batch)  # cubic interpolation may overshoot a little
    return batch, single


def _call_model(model_ref, x):
    return model_ref()(x, training=False)


def forward_fn(model: keras.Model):
    """A compiled (``tf.function``) forward pass of ``model``, built once per model and reused.

    It accepts any batch size without retracing. Interactive code should call this instead of
    ``model(x)`` (eager: about 8x slower) or ``model.predict`` (per-call setup overhead). It
    holds the model weakly: deleting the model frees it.

    Example:
        >>> f = forward_fn(load_model())
        >>> f(np.zeros((1, 224, 224, 3), np.float32)).shape
        TensorShape([1, 1000])
    """
    shape = check_model(model)

    def make():
        spec = tf.TensorSpec((None, *shape[1:]), tf.float32)
        # a partial per model: TensorFlow counts each one's traces on its own (no retracing warning)
        return tf.function(functools.partial(_call_model, weakref.ref(model)), input_signature=[spec],
                           reduce_retracing=True)

    return store(model, "forward", max_items=1).get_or_make("fn", make)


def logits(model: keras.Model, image) -> np.ndarray:
    """Per-class logits for an image (``(classes,)``) or a batch (``(N, classes)``); for a binary
    head ``[-z, +z]``.

    Example:
        >>> z = logits(load_model(), load_image("coffee"))
        >>> int(z.argmax()), z.shape
        (967, (1000,))
    """
    info = check_classifier(model)
    batch, single = prepare(model, image)
    try:
        out = class_logits(forward_fn(model)(tf.constant(batch)), info.binary).numpy()
    except FOREIGN_ERRORS as err:
        raise contract_error(err, f"running model {model.name!r} on a batch of shape {batch.shape}") from None
    return out[0] if single else out


def predict(model: keras.Model, image, top: int = 5):
    """Top-``top`` classes of an image: ``[(class_index, class_name, probability), ...]``.

    Probabilities: softmax of the logits; for a sigmoid head z, sigmoid(z) for class 1 and
    1 - sigmoid(z) for class 0. A batch gives one list per image; images are resized to fit.

    Example:
        >>> predict(load_model(), load_image("chelsea"), top=1)[0][1]
        'Egyptian cat'
    """
    top = check_count("top", top)
    z, info = logits(model, image), model_info(model)
    probs = probabilities(np.atleast_2d(z), info.binary)
    results = []
    for p in probs:
        order = np.argsort(-p, kind="stable")[:top]
        results.append([(int(i), info.class_names[i], float(p[i])) for i in order])
    return results[0] if np.ndim(z) == 1 else results
