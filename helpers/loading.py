"""Building and reading models (used by :func:`helpers.models.load_model`, which registers them).

The embedded EfficientNet-Lite0, keras.applications classics with their preprocessing as the
first layer, and users' ``.keras`` / ``.h5`` files or in-memory models, whose final softmax or
sigmoid is removed (:mod:`helpers.heads`) so that every model outputs logits.
"""

from __future__ import annotations

from pathlib import Path

import keras

from ._cache import store
from .efficientnet_lite import build_efficientnet_lite0
from .heads import copy_model, final_activation, without_final_activation
from .images import DATA_DIR
from .validation import check_choice, check_model

__all__ = ["CLASSES_FILE", "CLASSIC_MODELS", "DEFAULT_MODEL", "LITE0_WEIGHTS", "PREPROCESS_MODES", "adopt",
           "build_classic", "build_lite0", "imagenet_class_names", "imagenet_class_synonyms", "Preprocess",
           "read_file", "WeightsDownloadError"]

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


def _read_table():
    rows = [line.split("\t") for line in CLASSES_FILE.read_text(encoding="utf-8").splitlines()[1:]]
    return tuple(r[1] for r in rows), tuple(r[2] for r in rows)


def _imagenet_table():
    return store(None, "imagenet_classes").get_or_make("table", _read_table)


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
    ``"caffe"`` and ``"torch"`` need 3 channels; the others work for grayscale models too.

    Example:
        >>> float(Preprocess("tf")(np.full((1, 2, 2, 3), 255.0)).numpy().max())
        1.0
    """

    def __init__(self, mode: str = "raw", **kwargs):
        super().__init__(**kwargs)
        self.mode = check_choice("preprocessing", mode, PREPROCESS_MODES, ignore_case=True)

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


def build_lite0(weights) -> keras.Model:
    """The embedded EfficientNet-Lite0 (``weights="imagenet"`` or ``None``)."""
    if weights == "imagenet":
        if not LITE0_WEIGHTS.exists():
            raise FileNotFoundError(f"the embedded weights {LITE0_WEIGHTS} are missing; "
                                    "re-clone the repository (they are part of it)")
        if LITE0_WEIGHTS.stat().st_size < 1_000_000:
            raise ValueError(f"{LITE0_WEIGHTS} is too small to hold the weights (a Git LFS pointer?)")
    return build_efficientnet_lite0(LITE0_WEIGHTS if weights else None)


def build_classic(name: str, weights) -> keras.Model:
    """A keras.applications classic with its preprocessing as the first layer and no softmax."""
    constructor, mode, size = CLASSIC_MODELS[name]
    inputs = keras.Input((size, size, 3), name="image")
    x = Preprocess(mode, name="preprocess")(inputs)
    try:
        return getattr(keras.applications, constructor)(weights=weights, input_tensor=x, classifier_activation=None)
    except Exception as err:  # keras raises a bare Exception("URL fetch failure ...")
        if weights is not None and ("fetch failure" in str(err).lower() or isinstance(err, OSError)):
            raise WeightsDownloadError(
                f"could not download the ImageNet weights of {name!r} ({err}). Connect to the "
                f"internet once (Keras then caches them in ~/.keras/models), or use "
                f"load_model('{DEFAULT_MODEL}'), which is embedded and works offline.") from None
        raise


def read_file(path: Path) -> keras.Model:
    """A ``.keras`` / ``.h5`` file as a Keras model (``safe_mode``; not compiled)."""
    if not path.exists():
        raise FileNotFoundError(f"no model file at {str(path)!r}")
    if path.is_dir():
        raise ValueError(f"{str(path)!r} is a folder, not a .keras / .h5 model file")
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as err:
        raise ValueError(f"could not load {str(path)!r} as a Keras model: {err}") from None


def adopt(model: keras.Model, preprocess: str, *, owned: bool) -> tuple[keras.Model, str | None]:
    """A user's model made to follow the contract: final softmax/sigmoid removed (on a copy
    unless ``owned``), ``preprocess`` as a first layer. Returns ``(model, removed activation)``."""
    check_model(model)
    preprocess = check_choice("preprocessing", preprocess, PREPROCESS_MODES, ignore_case=True)
    removed = final_activation(model)
    if removed is not None:
        model = without_final_activation(model if owned else copy_model(model))
    if preprocess != "raw":
        shape = check_model(model)
        if preprocess in ("caffe", "torch") and shape[-1] != 3:
            raise ValueError(f"preprocess={preprocess!r} needs an RGB model; this one takes {shape[-1]} channel(s)")
        inputs = keras.Input(shape[1:], name="image")
        model = keras.Model(inputs, model(Preprocess(preprocess, name="preprocess")(inputs)), name=model.name)
    return model, removed
