"""Models: the offline default, the keras.applications classics, users' own files; predictions.

Every model that :func:`load_model` returns follows one contract: it takes raw RGB pixel
values in [0, 255] (float32, NHWC) -- the preprocessing is the model's first layer -- and it
outputs pre-softmax logits.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from .efficientnet_lite import build_efficientnet_lite0
from .images import DATA_DIR, check_batch, resize

DEFAULT_MODEL = "efficientnet_lite0"
LITE0_WEIGHTS = DATA_DIR / "models" / "efficientnet_lite0.npz"
CLASSES_FILE = DATA_DIR / "imagenet_classes.tsv"

# name -> (keras.applications constructor name, preprocessing mode, input size)
CLASSIC_MODELS = {
    "vgg16": ("VGG16", "caffe", 224),
    "vgg19": ("VGG19", "caffe", 224),
    "resnet50": ("ResNet50", "caffe", 224),
    "resnet50v2": ("ResNet50V2", "tf", 224),
    "mobilenet_v2": ("MobileNetV2", "tf", 224),
    "xception": ("Xception", "tf", 299),
    "inception_v3": ("InceptionV3", "tf", 299),
    "densenet121": ("DenseNet121", "torch", 224),
    "efficientnet_b0": ("EfficientNetB0", "raw", 224),  # has its own rescaling layers
}
PREPROCESS_MODES = ("raw", "lite", "tf", "caffe", "torch")


class WeightsDownloadError(ConnectionError):
    """keras.applications could not download ImageNet weights (typically: no network).

    Example:
        >>> try:  # doctest: +SKIP
        ...     model = load_model("vgg16")          # offline, weights not cached yet
        ... except WeightsDownloadError:
        ...     model = load_model("efficientnet_lite0")
    """


@keras.saving.register_keras_serializable(package="convnet_vis")
class Preprocess(keras.layers.Layer):
    """Maps raw RGB pixels 0..255 to what a network was trained on.

    Modes: ``"raw"`` (unchanged), ``"lite"`` ((x - 127) / 128, EfficientNet-Lite),
    ``"tf"`` (x / 127.5 - 1: MobileNet, Xception, Inception), ``"caffe"`` (RGB -> BGR, minus
    the ImageNet mean: VGG, ResNet50), ``"torch"`` ((x / 255 - mean) / std: DenseNet).

    Example:
        >>> float(Preprocess("tf")(np.full((1, 2, 2, 3), 255.0)).numpy().max())
        1.0
    """

    def __init__(self, mode: str = "raw", **kwargs):
        super().__init__(**kwargs)
        if mode not in PREPROCESS_MODES:
            raise ValueError(f"unknown preprocessing {mode!r}; choose one of {PREPROCESS_MODES}")
        self.mode = mode

    def call(self, x):
        if self.mode == "lite":
            return (x - 127.0) / 128.0
        if self.mode == "tf":
            return x / 127.5 - 1.0
        if self.mode == "caffe":
            return x[..., ::-1] - keras.ops.convert_to_tensor([103.939, 116.779, 123.68], x.dtype)
        if self.mode == "torch":
            mean = keras.ops.convert_to_tensor([0.485, 0.456, 0.406], x.dtype)
            std = keras.ops.convert_to_tensor([0.229, 0.224, 0.225], x.dtype)
            return (x / 255.0 - mean) / std
        return x

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


@dataclass(frozen=True)
class ModelInfo:
    """What convnet-vis knows about a model beyond Keras: its class names and head type."""

    name: str
    class_names: tuple[str, ...]
    binary: bool = False  # a single-logit (sigmoid) head: class 1 = +logit, class 0 = -logit


_INFO: "weakref.WeakKeyDictionary[keras.Model, ModelInfo]" = weakref.WeakKeyDictionary()
_FORWARD: "weakref.WeakKeyDictionary[keras.Model, tf.types.experimental.GenericFunction]" = (
    weakref.WeakKeyDictionary())


def imagenet_class_names() -> tuple[str, ...]:
    """The 1000 ImageNet class names in Keras order (offline; ``data/imagenet_classes.tsv``).

    Example:
        >>> imagenet_class_names()[282]
        'tiger cat'
    """
    return _imagenet_table()[0]


def imagenet_class_synonyms() -> tuple[str, ...]:
    """All WordNet synonyms of each ImageNet class, e.g. ``'tabby, tabby cat'`` (for searching)."""
    return _imagenet_table()[1]


_TABLE: list = []


def _imagenet_table():
    if not _TABLE:
        rows = [line.split("\t") for line in CLASSES_FILE.read_text(encoding="utf-8").splitlines()[1:]]
        _TABLE.append((tuple(r[1] for r in rows), tuple(r[2] for r in rows)))
    return _TABLE[0]


def available_models() -> list[str]:
    """Names :func:`load_model` accepts (the first works offline; the others download weights).

    Example:
        >>> available_models()[:2]
        ['efficientnet_lite0', 'vgg16']
    """
    return [DEFAULT_MODEL, *CLASSIC_MODELS]


def load_model(name_or_path: str | Path = DEFAULT_MODEL, *, weights: str | None = "imagenet",
               preprocess: str | None = None, class_names=None) -> keras.Model:
    """Load a model that takes raw 0..255 RGB pixels and outputs pre-softmax logits.

    Args:
        name_or_path: ``"efficientnet_lite0"`` (the default; embedded, works offline), a
            keras.applications classic (``"vgg16"``, ``"vgg19"``, ``"resnet50"``,
            ``"mobilenet_v2"``, ``"xception"`` ...; Keras downloads their ImageNet weights on first
            use), or the path of your own ``.keras`` / ``.h5`` file (loaded with ``safe_mode``).
        weights: ``"imagenet"`` or ``None`` (the architecture with random weights, e.g. for tests).
        preprocess: for your own file: how it expects pixels, one of ``"raw"``, ``"lite"``,
            ``"tf"``, ``"caffe"``, ``"torch"`` (see :class:`Preprocess`); default ``"raw"``.
        class_names: for your own file: the names of its classes (default ``"class 0"``...).

    A softmax or sigmoid on your model's last layer is removed, so it outputs logits; a
    single-unit sigmoid head becomes a two-class model (class 1 = +logit, class 0 = -logit).

    Raises:
        ValueError: unknown name (the message lists the available ones) or bad options.
        FileNotFoundError: a path that does not exist.
        WeightsDownloadError: a classic model's weights could not be downloaded (offline).

    Example:
        >>> model = load_model()            # EfficientNet-Lite0, offline, about 1 s
        >>> model.input_shape, model.output_shape
        ((None, 224, 224, 3), (None, 1000))
    """
    if weights not in ("imagenet", None):
        raise ValueError(f"weights must be 'imagenet' or None, got {weights!r}")
    key = str(name_or_path)
    if key.lower() == DEFAULT_MODEL:
        return _load_lite0(weights)
    if key.lower() in CLASSIC_MODELS:
        return _load_classic(key.lower(), weights)
    path = Path(key).expanduser()
    if path.suffix.lower() in (".keras", ".h5", ".hdf5") or path.exists():
        return _load_file(path, preprocess or "raw", class_names)
    raise ValueError(f"unknown model {key!r}: choose one of {', '.join(available_models())}, "
                     "or give the path of a .keras / .h5 file")


def _load_lite0(weights) -> keras.Model:
    if weights == "imagenet":
        if not LITE0_WEIGHTS.exists():
            raise FileNotFoundError(f"the embedded weights {LITE0_WEIGHTS} are missing; "
                                    "re-clone the repository (they are part of it)")
        if LITE0_WEIGHTS.stat().st_size < 1_000_000:
            raise ValueError(f"{LITE0_WEIGHTS} is too small to hold the weights (a Git LFS pointer?)")
    model = build_efficientnet_lite0(LITE0_WEIGHTS if weights else None)
    register_model(model, DEFAULT_MODEL, imagenet_class_names())
    return model


def _load_classic(name: str, weights) -> keras.Model:
    constructor, mode, size = CLASSIC_MODELS[name]
    inputs = keras.Input((size, size, 3), name="image")
    x = Preprocess(mode, name="preprocess")(inputs)
    try:
        model = getattr(keras.applications, constructor)(
            weights=weights, input_tensor=x, classifier_activation=None)
    except Exception as err:  # keras raises a bare Exception("URL fetch failure ...")
        if weights is not None and ("fetch failure" in str(err).lower() or isinstance(err, OSError)):
            raise WeightsDownloadError(
                f"could not download the ImageNet weights of {name!r} ({err}). Connect to the "
                f"internet once (Keras then caches them in ~/.keras/models), or use "
                f"load_model('{DEFAULT_MODEL}'), which is embedded and works offline.") from None
        raise
    register_model(model, name, imagenet_class_names())
    return model


def _load_file(path: Path, preprocess: str, class_names) -> keras.Model:
    if not path.exists():
        raise FileNotFoundError(f"no model file at {str(path)!r}")
    if preprocess not in PREPROCESS_MODES:
        raise ValueError(f"unknown preprocessing {preprocess!r}; choose one of {PREPROCESS_MODES}")
    try:
        inner = keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as err:
        raise ValueError(f"could not load {str(path)!r} as a Keras model: {err}") from None
    head = inner.layers[-1]
    activation = getattr(head, "activation", None)
    act_name = getattr(activation, "__name__", "")
    if act_name in ("softmax", "sigmoid"):
        head.activation = keras.activations.linear  # we own this freshly loaded object
    if preprocess != "raw":
        inputs = keras.Input(inner.input_shape[1:], name="image")
        inner = keras.Model(inputs, inner(Preprocess(preprocess, name="preprocess")(inputs)), name=inner.name)
    n_out = inner.output_shape[-1]
    binary = n_out == 1
    n_classes = 2 if binary else n_out
    names = tuple(class_names) if class_names is not None else tuple(f"class {i}" for i in range(n_classes))
    if len(names) != n_classes:
        raise ValueError(f"class_names has {len(names)} names but the model has {n_classes} classes")
    register_model(inner, path.stem, names, binary=binary)
    return inner


def register_model(model: keras.Model, name: str, class_names, *, binary: bool | None = None) -> keras.Model:
    """Tell convnet-vis a model's class names (and whether its head is a single sigmoid logit).

    Use it for a model you built yourself rather than loaded with :func:`load_model`.

    Example:
        >>> m = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(4, 3),
        ...                       keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(1)])
        >>> register_model(m, "toy", ["dog", "cat"]) is m
        True
    """
    if binary is None:
        binary = model.output_shape[-1] == 1
    _INFO[model] = ModelInfo(name, tuple(class_names), bool(binary))
    return model


def model_info(model: keras.Model) -> ModelInfo:
    """Class names and head type of a model (ImageNet names for a 1000-way head by default).

    Example:
        >>> info = model_info(load_model())
        >>> info.class_names[282], info.binary
        ('tiger cat', False)
    """
    if model in _INFO:
        return _INFO[model]
    n = model.output_shape[-1]
    if n == 1:
        names: tuple[str, ...] = ("class 0", "class 1")
    elif n == 1000:
        names = imagenet_class_names()
    else:
        names = tuple(f"class {i}" for i in range(n))
    register_model(model, model.name, names, binary=n == 1)
    return _INFO[model]


def num_classes(model: keras.Model) -> int:
    """Number of classes (2 for a single-logit sigmoid head)."""
    return len(model_info(model).class_names)


def check_class_index(model: keras.Model, class_index) -> int:
    """Validate a class index for ``model``; raises IndexError naming the valid range."""
    n = num_classes(model)
    if isinstance(class_index, (bool, np.bool_)) or not isinstance(class_index, (int, np.integer)):
        raise IndexError(f"class_index must be an integer 0..{n - 1}, got {class_index!r}")
    if not 0 <= int(class_index) < n:
        raise IndexError(f"class_index {class_index} is out of range: this model has {n} classes (0..{n - 1})")
    return int(class_index)


def class_logits(logits, binary: bool):
    """Per-class scores from a model's raw output; a 1-logit head z becomes [-z, +z] (tensor in, tensor out)."""
    if binary:
        return tf.concat([-logits, logits], axis=-1)
    return logits


def input_size(model: keras.Model) -> tuple[int, int]:
    """The (height, width) a model expects; 224 x 224 when it accepts any size."""
    shape = model_input_shape(model)
    h, w = shape[1], shape[2]
    return (int(h) if h else 224, int(w) if w else 224)


def model_input_shape(model: keras.Model) -> tuple:
    """The model's batch input shape, e.g. ``(None, 224, 224, 3)``; also for Sequential models
    whose first layer is a nested model. Raises ValueError if it is unknown."""
    try:
        shape = tuple(model.inputs[0].shape)
    except (AttributeError, IndexError, TypeError, ValueError):
        shape = None
        first = model.layers[0] if getattr(model, "layers", None) else None
        if isinstance(first, keras.Model):
            shape = model_input_shape(first)
    if shape is None or len(shape) != 4:
        raise ValueError("this model's input shape is unknown or not an image (N, H, W, C): build it with "
                         "keras.Input((height, width, 3)) as its first layer, or call it once on an image")
    return shape


def prepare(model: keras.Model, image, *, crop: bool = True) -> tuple[np.ndarray, bool]:
    """Validate an image or batch and resize it to the model's input size when the model has one
    (``crop=False``: stretch the whole picture instead of centre-cropping it).

    Returns ``(float32 batch, was_single)``, a copy; raises ValueError for malformed images.
    """
    batch, single = check_batch(image)
    shape = model_input_shape(model)
    if shape[-1] not in (None, 3):
        raise ValueError(f"this model expects {shape[-1]} input channels; convnet-vis works with RGB models")
    h, w = shape[1], shape[2]
    if (h and batch.shape[1] != h) or (w and batch.shape[2] != w):
        batch = np.stack([resize(b, (h or b.shape[0], w or b.shape[1]), crop=crop) for b in batch])
    return batch, single


def forward_fn(model: keras.Model):
    """A compiled (``tf.function``) forward pass of ``model``, built once per model and reused.

    It accepts any batch size without retracing. Interactive code should call this instead of
    ``model(x)`` (eager: about 8x slower) or ``model.predict`` (per-call setup overhead).

    Example:
        >>> f = forward_fn(load_model())
        >>> f(np.zeros((1, 224, 224, 3), np.float32)).shape
        TensorShape([1, 1000])
    """
    fn = _FORWARD.get(model)
    if fn is None:
        shape = model_input_shape(model)
        spec = tf.TensorSpec((None, *shape[1:]), tf.float32)
        fn = tf.function(lambda x: model(x, training=False), input_signature=[spec], reduce_retracing=True)
        _FORWARD[model] = fn
    return fn


def logits(model: keras.Model, image) -> np.ndarray:
    """Per-class logits for an image (``(classes,)``) or a batch (``(N, classes)``).

    Example:
        >>> z = logits(load_model(), load_image("coffee"))
        >>> int(z.argmax()), z.shape
        (967, (1000,))
    """
    batch, single = prepare(model, image)
    info = model_info(model)
    out = class_logits(forward_fn(model)(tf.constant(batch)), info.binary).numpy()
    return out[0] if single else out


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax (pure numpy)."""
    z = np.asarray(z, np.float64)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def predict(model: keras.Model, image, top: int = 5):
    """Top-``top`` classes of an image: ``[(class_index, class_name, probability), ...]``.

    Probabilities are the softmax of the logits (for a sigmoid head, sigmoid / 1 - sigmoid).
    A batch gives one such list per image. The image is resized to the model's input size.

    Example:
        >>> predict(load_model(), load_image("chelsea"), top=1)[0][1]
        'Egyptian cat'
    """
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or top < 1:
        raise ValueError(f"top must be a positive integer, got {top!r}")
    z = logits(model, image)
    names = model_info(model).class_names
    probs = softmax(np.atleast_2d(z))
    results = []
    for p in probs:
        order = np.argsort(-p, kind="stable")[:top]
        results.append([(int(i), names[i], float(p[i])) for i in order])
    return results[0] if np.ndim(z) == 1 else results
