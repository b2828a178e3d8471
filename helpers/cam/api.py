"""``helpers.gradcam``: the public driver that runs any registered CAM method on images.

Example:
    >>> heat = gradcam(model, load_image("cat_and_coffee", size=224), class_index=282)  # tiger cat
    >>> heat.shape, heat.dtype, float(heat.max())
    ((224, 224), dtype('float32'), 1.0)
"""

from __future__ import annotations

import numpy as np

from ..models import check_classifier, class_index_of
from ..validation import check_int, check_model, check_type
from .base import available_methods, check_counterfactual, get_method
from .context import Context, batch_contexts
from .engine import engine
from .inputs import class_indices, contract_errors, prepare_input
from .layer_choice import check_resolution
from .maths import upsample

__all__ = ["cam_from_gradients", "gradcam", "heatmap"]


def gradcam(model, image, class_index=None, layer=None, *, method="gradcam", counterfactual=False) -> np.ndarray:
    """Class activation heatmap: where in ``image`` the evidence for ``class_index`` is.

    Args:
        model: a Keras model that takes raw 0..255 RGB pixels and outputs logits (e.g.
            :func:`helpers.load_model`); nested backbones, Sequential models and single-sigmoid
            heads (class 1 = +logit, class 0 = -logit) work.
        image: uint8 / float (H, W, 3) RGB 0..255, or a batch (N, H, W, 3). It is stretched to
            the model's input size (not cropped) and never modified.
        class_index: which class to explain, an index or a class name (``"tiger cat"``, in any case,
            or an ImageNet synonym); a list: one per image of a batch; ``None`` = the top predicted class.
        layer: the feature-map layer; ``None`` = the last spatial layer before the global
            pooling (``"top_activation"`` here). Earlier layers: finer but noisier maps.
        method: ``"gradcam"`` (default), ``"gradcam++"``, ``"layercam"``, ``"scorecam"`` or
            ``"eigencam"`` (class-agnostic) -- :func:`helpers.cam.available_methods` lists them -- or a
            method object such as ``ScoreCAM(max_channels=16)``.
        counterfactual: explain what argues *against* the class (negated gradients).

    Returns:
        float32 (H, W) heatmap in [0, 1] at the image's size ((N, H, W) for a batch); an image
        with no positive evidence gives all zeros (never NaN).

    Raises:
        TypeError: not a Keras model (e.g. its name: call :func:`helpers.load_model` first).
        IndexError: class index out of range; ValueError: a class name matching no class or several
        (the closest are listed). KeyError: unknown layer. ValueError: a layer
        without feature maps (e.g. Dense, global pooling) or whose map is 1 x 1 for this image,
        a model without class logits (a regression head, a softmax still on), a bad image or
        method; a TensorFlow error while computing (e.g. out of memory) as a ValueError.

    Example:
        >>> heat = gradcam(model, load_image("cat_and_coffee", size=224), class_index=967)
        >>> bool(heat[:, 112:].sum() > heat[:, :112].sum())     # espresso: the right half
        True
    """
    check_model(model)
    check_classifier(model)
    m = get_method(method)
    if counterfactual:
        check_counterfactual(m)
    eng = engine(model, layer)
    x, single, hw = prepare_input(model, image)
    idx = class_indices(model, class_index, len(x))
    with contract_errors(f"{m.label} of model {model.name!r} at layer {eng.layer!r} on input {x.shape}"):
        if single:  # the context computes what the method asks for, in one pass
            contexts = [Context(eng, x[0])]
        else:  # one batched pass fills every image's context
            contexts = batch_contexts(eng, x, idx, gradients=m.uses_gradients)
        small = [m.heatmap(ctx, None if c < 0 else int(c), counterfactual=counterfactual)
                 for ctx, c in zip(contexts, idx)]
        check_resolution(contexts[0].fmaps.shape, eng.layer)  # e.g. an open-size model given a small image
        maps = [upsample(s, hw) for s in small]
    return maps[0] if single else np.stack(maps)


def heatmap(ctx: Context, class_index=None, method="gradcam", *, counterfactual: bool = False) -> np.ndarray:
    """The [0, 1] map (h, w) of one context at the layer's resolution (``upsample`` it to the
    picture): what :func:`gradcam` computes per image, for code that keeps contexts (the explorer).

    Example:
        >>> from helpers.cam import context
        >>> heatmap(context(model, image), 282, "layercam").shape
        (7, 7)
    """
    m = get_method(method)
    check_type("heatmap()'s context", ctx, Context, "a helpers.cam.Context (helpers.cam.context(model, image, layer))")
    if class_index is not None:  # checked here: a wrong index must not reach tf.gather
        class_index = (class_index_of(ctx.engine.info, class_index) if ctx.engine is not None
                       else check_int("class_index", class_index, 0))
    with contract_errors(f"{m.label} at layer {ctx.layer!r}"):
        small = m.heatmap(ctx, class_index, counterfactual=counterfactual)
    check_resolution(ctx.fmaps.shape, ctx.layer)
    return small


def cam_from_gradients(fmaps, grads, method="gradcam", counterfactual=False) -> np.ndarray:
    """One image's (h, w) map in [0, 1] from its feature maps and gradients (any gradient method).

    Example:
        >>> cam_from_gradients(np.ones((1, 2, 1)), np.ones((1, 2, 1)))
        array([[1., 1.]])
    """
    m = get_method(method)
    if not m.uses_gradients:
        raise ValueError(f"method {m.name!r} does not use gradients; choose one of "
                         f"{', '.join(repr(k.name) for k in available_methods() if k.uses_gradients)}")
    ctx = Context.from_arrays(fmaps, {0: grads})
    if ctx.fmaps.ndim != 3 or ctx.grads(0).shape != ctx.fmaps.shape:
        raise ValueError(f"feature maps and gradients must both be (height, width, channels) arrays of one shape; "
                         f"got {np.shape(fmaps)} and {np.shape(grads)}")
    check_resolution(ctx.fmaps.shape, None)
    return m.heatmap(ctx, 0, counterfactual=counterfactual)
