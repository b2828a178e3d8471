"""A small convnet in the textbook's style, and a seeded helper that trains it (notebook 4).

Conv2D (3x3, ReLU) + MaxPooling2D blocks with 32-64-128-128 filters on a 150 x 150 input, so the
first feature map is 148 x 148 x 32 and each pooling layer halves the maps (148 -> 74, 72 -> 36,
34 -> 17) as in *Deep Learning with Python* (1st ed.); then global average pooling and a Dense
layer that outputs logits. The model takes raw RGB pixels 0..255 (its first layer rescales them),
like every model of :func:`helpers.load_model`, so a saved copy loads with
``helpers.load_model(path, class_names=...)`` and every technique works on it unchanged.

Example:
    >>> model = small_convnet()
    >>> model.get_layer("conv1").output.shape, model.output_shape
    ((None, 148, 148, 32), (None, 2))
"""

from __future__ import annotations

import hashlib
import json
import time
import warnings

import keras
import numpy as np
import tensorflow as tf

from .images import DATA_DIR
from .models import logits, register_model
from .validation import (ArgumentTypeError, check_array, check_bool, check_choice, check_class_names, check_count,
                         check_int, check_ints, check_positive)

__all__ = ["FILTERS", "PRETRAINED", "PRETRAINED_FILE", "accuracy", "batches", "load_pretrained", "predict_classes",
           "pretrained_record", "small_convnet", "train"]

FILTERS = (32, 64, 128, 128)   # the textbook's; notebook 4 passes (32, 32, 64, 64): same maps, ~1.5x faster to train


def small_convnet(input_size: int = 150, num_classes: int = 2, filters=FILTERS, *, pooling: str = "avg",
                  batch_norm: bool = False, seed: int | None = 0, class_names=None,
                  name: str = "small_convnet") -> keras.Model:
    """Build (not train) the small convnet: ``conv1, pool1, conv2, pool2, ..., conv4, gap, logits``.

    There is no pooling after the last convolution, so Grad-CAM's default layer (``conv4``,
    15 x 15 for a 150-px input) is followed only by global pooling and the Dense layer (with
    ``pooling="avg"``, the default, Grad-CAM there equals the classic CAM). ``pooling="max"``
    (global max pooling) picks up a small local cue much sooner: a tiny 8-16-16 copy learned the
    marker in one epoch with it and not in three with average pooling. ``seed`` (default 0) makes
    the initial weights reproducible (``None``: random).

    ``batch_norm=True`` adds a BatchNormalization layer (``bn1``, ``bn2``, ...) after each
    pooling layer: the convolutions keep their names and ReLU outputs, ``conv4`` stays the last
    spatial layer, and the net learns the shapes themselves in a few epochs, where without it
    training sat at chance on the marker-free task (measured 2026-12-02, notebook 4's settings, seed 0,
    2 epochs on ``fixed_train``: loss 0.695 -> 0.694 = ln 2, clean accuracy 50 %).
    """
    filters = tuple(check_count("filters", f, 4096) for f in check_ints("filters", filters))
    smallest = 8 * 2 ** len(filters)
    input_size = check_int("input_size", input_size)
    if input_size < smallest:
        raise ValueError(f"input_size must be an integer >= {smallest} for {len(filters)} blocks, got {input_size!r}")
    num_classes = check_int("num_classes", num_classes, 2)
    batch_norm = check_bool("batch_norm", batch_norm)
    pooling = check_choice("pooling", pooling, ("avg", "max"), ignore_case=True,
                           hint=" (global average / max pooling)")
    if seed is not None:
        keras.utils.set_random_seed(check_int("seed", seed, 0))
    inputs = keras.Input((input_size, input_size, 3), name="image")
    x = keras.layers.Rescaling(1 / 255.0, name="rescale")(inputs)  # raw 0..255 pixels in, like load_model's models
    for i, f in enumerate(filters, start=1):
        x = keras.layers.Conv2D(int(f), 3, activation="relu", name=f"conv{i}")(x)
        if i < len(filters):
            x = keras.layers.MaxPooling2D(2, name=f"pool{i}")(x)
            if batch_norm:  # momentum 0.9: a few hundred steps suffice for the moving statistics
                x = keras.layers.BatchNormalization(momentum=0.9, name=f"bn{i}")(x)
    glob = keras.layers.GlobalAveragePooling2D if pooling == "avg" else keras.layers.GlobalMaxPooling2D
    x = glob(name="gap" if pooling == "avg" else "gmp")(x)
    outputs = keras.layers.Dense(int(num_classes), name="logits")(x)  # logits: no softmax
    model = keras.Model(inputs, outputs, name=name)
    names = (check_class_names(class_names, num_classes) if class_names is not None
             else tuple(f"class {i}" for i in range(num_classes)))
    register_model(model, name, names)
    return model


def batches(data, *, batch_size: int = 32, seed: int | None = 0) -> tf.data.Dataset:
    """The batches ``model.fit`` takes: ``(float32 images, labels)`` from a :class:`helpers.datasets.ShapeSet`
    or an ``(images, labels)`` tuple, reshuffled every epoch with ``seed`` (``None``: in order, e.g.
    for validation). The uint8 pictures are held once and cast batch by batch. TensorFlow combines
    ``seed`` with its global seed: after ``keras.utils.set_random_seed(s)`` the same ``seed`` gives the
    same order, epoch by epoch (``fit(..., shuffle=False)``: the batches are shuffled already).

    Example:
        >>> from helpers import datasets
        >>> x, y = next(iter(batches(datasets.make_shapes(4), batch_size=2)))
        >>> tuple(x.shape), x.dtype.name, tuple(y.shape)
        ((2, 150, 150, 3), 'float32', (2,))
    """
    images, labels = _arrays(data, "data")
    batch_size = check_count("batch_size", batch_size)
    return _dataset(images, labels, batch_size, None if seed is None else check_int("seed", seed, 0))


def _dataset(images, labels, batch_size: int, shuffle_seed: int | None) -> tf.data.Dataset:
    """Batches of (float32 images, labels), reshuffled each epoch with the seed. The shuffle
    moves indices, not pictures: each batch is gathered from the uint8 array held once as a
    tensor (shuffling the 67 KB pictures themselves through a buffer: 32 against 25 ms per image
    and epoch in one noisy comparison on 2 cores), then cast to float32."""
    images, labels = tf.constant(images), tf.constant(labels)
    ds = tf.data.Dataset.range(int(labels.shape[0]))
    if shuffle_seed is not None:
        ds = ds.shuffle(int(labels.shape[0]), seed=shuffle_seed, reshuffle_each_iteration=True)
    gather = lambda i: (tf.cast(tf.gather(images, i), tf.float32), tf.gather(labels, i))  # noqa: E731
    return ds.batch(batch_size).map(gather).prefetch(2)


def _arrays(data, what: str):
    if isinstance(data, tuple) and len(data) == 2:
        images, labels = data
    elif hasattr(data, "images") and hasattr(data, "labels"):
        images, labels = data.images, data.labels
    else:
        raise ArgumentTypeError(f"{what} must be a ShapeSet (helpers.datasets) or an (images, labels) tuple, "
                                f"got {type(data).__name__}")
    images, labels = np.asarray(images), np.asarray(labels)
    if images.ndim != 4 or images.shape[-1] != 3 or len(images) != len(labels) or len(labels) == 0:
        raise ValueError(f"{what}: expected images (N, H, W, 3) and N labels, got {images.shape} and {labels.shape}")
    return images, labels.astype(np.int64)


def train(model: keras.Model, data, *, validation=None, epochs: int = 3, batch_size: int = 32, seed: int = 0,
          learning_rate: float = 1e-3, verbose="auto") -> keras.callbacks.History:
    """Train ``model`` on ``data`` (a :class:`helpers.datasets.ShapeSet` or ``(images, labels)``;
    uint8 images are cast batch by batch, so 2000 images of 150 px need no float copy), with
    Adam and cross-entropy on the logits; returns the Keras ``History`` with ``seconds`` (the
    wall time of ``fit``) added to ``history.history``.

    Seeded with ``keras.utils.set_random_seed(seed)`` (weights already built stay as they are;
    shuffling and dropout follow the seed). TensorFlow's CPU kernels are not guaranteed to be
    bit-exact from run to run, so two runs agree closely, not always exactly.
    ``verbose``: Keras's progress bar (1), one line per epoch (2) or silent (0).
    """
    images, labels = _arrays(data, "data")
    epochs, batch_size = check_count("epochs", epochs), check_count("batch_size", batch_size)
    seed, learning_rate = check_int("seed", seed, 0), check_positive("learning_rate", learning_rate)
    n_out = model.output_shape[-1]
    if labels.min() < 0 or labels.max() >= n_out:
        raise ValueError(f"labels must be 0..{n_out - 1} for this model's {n_out} outputs, "
                         f"got {labels.min()}..{labels.max()}")
    keras.utils.set_random_seed(int(seed))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    val = None
    if validation is not None:
        val = _dataset(*_arrays(validation, "validation"), batch_size=batch_size, shuffle_seed=None)
    start = time.perf_counter()
    history = model.fit(_dataset(images, labels, batch_size, int(seed)), validation_data=val, epochs=int(epochs),
                        shuffle=False, verbose=verbose)  # shuffled by the dataset, with the seed
    history.history["seconds"] = [time.perf_counter() - start]
    return history


def predict_classes(model: keras.Model, images, batch_size: int = 100) -> np.ndarray:
    """Predicted class index per image (int64 ``(N,)``), batch by batch with a compiled forward pass."""
    images = check_array("images", images, 4, expected="a batch of images (N, H, W, 3)")
    batch_size = check_count("batch_size", batch_size)
    out = [np.argmax(logits(model, images[i:i + batch_size]), axis=-1) for i in range(0, len(images), batch_size)]
    return np.concatenate(out).astype(np.int64)


def accuracy(model: keras.Model, data) -> float:
    """Fraction of ``data`` (a ShapeSet or ``(images, labels)``) the model classifies correctly."""
    images, labels = _arrays(data, "data")
    return float(np.mean(predict_classes(model, images) == labels))


# --- bundled pre-trained weights (notebook 4, for a class on one shared server) ------------------------------

PRETRAINED = {"shortcut": "small_convnet_shortcut.weights.h5", "fixed": "small_convnet_fixed.weights.h5"}
PRETRAINED_FILE = DATA_DIR / "models" / "small_convnet.json"   # settings and numbers, by scripts/make_pretrained.py


def pretrained_record() -> dict:
    """What the bundled weights are: ``{"settings": {...}, "measured": {...}}`` -- the training
    settings (notebook 4's parameter names) and the accuracies measured when they were made."""
    return json.loads(PRETRAINED_FILE.read_text(encoding="utf-8"))


def load_pretrained(model: keras.Model, which: str, **settings) -> keras.Model:
    """Load the bundled weights ``which`` (``"shortcut"``: trained on ``train``, where the marker
    sits on the squares; ``"fixed"``: trained on ``fixed_train``) into ``model``, a
    :func:`small_convnet` built with the bundled settings; returns ``model``.

    ``settings`` are notebook 4's parameters (``SEED=0, EPOCHS=2, ...``, any of
    ``pretrained_record()["settings"]``): each must equal the value the weights were trained with,
    so that loading never passes off other weights as the result of your settings.

    Raises:
        ValueError: ``which`` is not one of :data:`PRETRAINED`, a setting differs from the bundled one, or
            ``model``'s layers do not fit the weights.
        KeyError: a setting is unknown.

    Example:
        >>> m = small_convnet(filters=(32, 32, 64, 64), pooling="max", batch_norm=True)
        >>> load_pretrained(m, "shortcut", SEED=0) is m
        True
    """
    which = check_choice("bundled weights", which, tuple(PRETRAINED))
    bundled = pretrained_record()["settings"]
    for name, value in settings.items():
        if name not in bundled:
            raise KeyError(f"unknown setting {name!r}; the bundled weights record {', '.join(sorted(bundled))}")
        want = bundled[name]
        same = list(value) == list(want) if isinstance(want, list) else value == want
        if not same:
            raise ValueError(f"the bundled weights were trained with {name} = {want!r}, not {value!r}: "
                             "set it back, or train with your settings (PRETRAINED = False)")
    arch = {k: bundled[k] for k in ("FILTERS", "POOLING", "BATCH_NORM") if k in bundled}
    try:  # through an uncompiled twin: a compiled model's optimizer has no state to restore
        twin = keras.models.clone_model(model)
        with warnings.catch_warnings():   # Keras warns of each layer it skips; the checksum below decides
            warnings.simplefilter("ignore")
            twin.load_weights(DATA_DIR / "models" / PRETRAINED[which])
    except ValueError as error:
        raise ValueError(f"model {model.name!r} does not fit the bundled weights {which!r}, made for small_convnet "
                         f"with {arch} ({str(error)[:200]})") from None
    digest = hashlib.sha256()
    for w in twin.get_weights():
        digest.update(np.ascontiguousarray(w, np.float32).tobytes())
    if digest.hexdigest() != pretrained_record()["sha256_of_weights"][which]:   # a partial load, or another file
        raise ValueError(f"the bundled weights {which!r} did not load completely into model {model.name!r}: "
                         f"build it with small_convnet and {arch}")
    model.set_weights(twin.get_weights())
    return model
