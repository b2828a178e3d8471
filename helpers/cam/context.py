"""One image seen through one layer: what every CAM method asks for, computed once.

A :class:`Context` belongs to one (model, layer, image). It computes, only when first asked,
and then remembers:

* ``fmaps`` -- the layer's feature maps (h, w, c) and ``scores`` -- the class scores (logits);
* ``grads(class_index)`` -- d score / d feature maps, per class;
* ``masked_scores(channels)`` -- Score-CAM's class probabilities of the image masked by channels.

The first request runs one compiled pass; asking for another class's gradients later runs only
the part of the network after the layer (no forward pass), when the graph allows it. The
explorer keeps one context per (image, layer); :func:`helpers.gradcam` makes a fresh one per call.

Example:
    >>> ctx = context(model, image)                 # nothing computed yet
    >>> ctx.grads(282).shape, ctx.counts["forward"]   # one pass: maps, scores, gradients
    ((7, 7, 1280), 1)
    >>> _ = ctx.grads(281); ctx.counts["forward"], ctx.counts["gradients"]
    (1, 2)
"""

from __future__ import annotations

import collections

import numpy as np
import tensorflow as tf

from .engine import Engine, engine
from .inputs import prepare_input

SCORECAM_BATCH = 16  # masked images per compiled call
MAX_CLASSES = 32     # gradients remembered per context (a 7x7x1280 map: 250 KB each)


class Context:
    """Lazily computed, memoised arrays of one image at one layer (see the module docstring).

    Args:
        engine: the (model, layer) machinery (:func:`helpers.cam.engine.engine`); None for a context
            built from given arrays (:meth:`from_arrays`).
        x: the image, float32 (H, W, 3) at the model's input size (:func:`prepare_input`).
        counter: a ``collections.Counter`` to count passes in (``"forward"``, ``"gradients"``,
            ``"masked"``); by default the context's own, ``counts``.

    A context is not meant to be shared between threads.
    """

    def __init__(self, engine: Engine | None, x: np.ndarray | None, *, counter: collections.Counter | None = None):
        self.engine = engine
        self.x = None if x is None else np.asarray(x, np.float32)
        self.counts = counter if counter is not None else collections.Counter()
        self._fmaps = self._scores = None
        self._grads: dict[int, np.ndarray] = {}
        self._masked: dict[tuple, np.ndarray] = {}

    @classmethod
    def from_arrays(cls, fmaps, grads: dict | None = None, scores=None) -> "Context":
        """A context over given arrays (no model): ``grads`` maps class index -> gradients.

        Example:
            >>> ctx = Context.from_arrays(np.ones((2, 2, 3)), {0: np.ones((2, 2, 3))})
            >>> float(ctx.grads(0).sum())
            12.0
        """
        ctx = cls(None, None)
        ctx._fmaps = np.asarray(fmaps, np.float32)
        ctx._grads = {int(c): np.asarray(g, np.float32) for c, g in (grads or {}).items()}
        ctx._scores = None if scores is None else np.asarray(scores, np.float32)
        return ctx

    # -- what methods ask for ---------------------------------------------------------------
    @property
    def layer(self) -> str | None:
        return None if self.engine is None else self.engine.layer

    @property
    def fmaps(self) -> np.ndarray:
        """The layer's feature maps, float32 (h, w, c)."""
        if self._fmaps is None:
            self._need_engine("feature maps")
            self._forward()
        return self._fmaps

    @property
    def scores(self) -> np.ndarray:
        """The class scores (logits; ``[-z, z]`` for a single-sigmoid head), float32 (classes,)."""
        if self._scores is None:
            self._need_engine("class scores")
            self._forward()
        return self._scores

    @property
    def top_class(self) -> int:
        return int(np.argmax(self.scores))

    def grads(self, class_index: int | None = None) -> np.ndarray:
        """d(score of ``class_index``)/d(feature maps), float32 (h, w, c); None = the top class."""
        if class_index is None and self._scores is None and self._fmaps is None and self.engine is not None:
            return self._full_pass(-1)
        c = self.top_class if class_index is None else int(class_index)
        if c not in self._grads:
            self._need_engine(f"gradients for class {c}")
            head = self.engine.head_grads if self._fmaps is not None else None
            if head is None:  # nothing computed yet, or a skip connection crosses the layer
                return self._full_pass(c)
            self._remember(c, np.asarray(head(tf.constant(self._fmaps[None]), tf.constant([c], tf.int32)))[0])
            self.counts["gradients"] += 1
        return self._grads[c]

    def _remember(self, c: int, grads: np.ndarray) -> None:
        """Memoise one class's gradients; a context keeps the last MAX_CLASSES classes (an
        explorer whose student visits class after class must not grow without bound)."""
        self._grads[c] = grads
        while len(self._grads) > MAX_CLASSES:
            self._grads.pop(next(iter(self._grads)))

    def masked_scores(self, channels, batch_size: int = SCORECAM_BATCH) -> np.ndarray:
        """Class probabilities (k, classes) of the image masked by each of the ``channels``
        (upsampled to the image and scaled to [0, 1]) -- Score-CAM's passes, batched."""
        key = tuple(int(k) for k in channels)
        if key not in self._masked:
            self._need_engine("masked-image scores")
            x = tf.constant(self.x[None])
            out = []
            for start in range(0, len(key), batch_size):
                sel = self.fmaps[..., list(key[start:start + batch_size])][None]
                out.append(np.asarray(self.engine.masked_probs(x, tf.constant(sel))))
            self._masked[key] = np.concatenate(out, axis=0)
            self.counts["masked"] += 1
        return self._masked[key]

    def negated(self) -> "Context":
        """A view of this context whose gradients are negated (counterfactual maps); it shares
        everything else, memoised arrays included."""
        return _Negated(self)

    # -- internals ---------------------------------------------------------------------------
    def _forward(self) -> None:
        fmaps, scores = self.engine.forward(tf.constant(self.x[None]))
        self.counts["forward"] += 1
        self._fmaps, self._scores = np.asarray(fmaps)[0], np.asarray(scores)[0]

    def _full_pass(self, class_index: int) -> np.ndarray:
        fmaps, grads, scores, idx = self.engine.grads(tf.constant(self.x[None]), tf.constant([class_index], tf.int32))
        self.counts["forward"] += 1
        self.counts["gradients"] += 1
        self._fmaps, self._scores = np.asarray(fmaps)[0], np.asarray(scores)[0]
        c = int(np.asarray(idx)[0])
        self._remember(c, np.asarray(grads)[0])
        return self._grads[c]

    def _need_engine(self, what: str) -> None:
        if self.engine is None:
            raise ValueError(f"this context was built from arrays and holds no {what}; build it with "
                             "helpers.cam.context(model, image, layer) to compute them")


class _Negated(Context):
    """Counterfactual view: gradients negated, everything else shared with the base context."""

    def __init__(self, base: Context):  # super().__init__ not called: all state lives in base
        self.base = base
        self.engine, self.x, self.counts = base.engine, base.x, base.counts

    fmaps = property(lambda self: self.base.fmaps)
    scores = property(lambda self: self.base.scores)

    def grads(self, class_index=None):
        return -self.base.grads(class_index)

    def masked_scores(self, channels, batch_size: int = SCORECAM_BATCH):
        return self.base.masked_scores(channels, batch_size)

    def negated(self):
        return self.base


def context(model, image, layer: str | None = None, *, counter: collections.Counter | None = None) -> Context:
    """A fresh :class:`Context` for one image (any size: it is stretched to the model's input)."""
    x, single, _ = prepare_input(model, image)
    if not single:
        raise ValueError(f"a context holds one image (H, W, 3); got a batch of {len(x)}: make one per image")
    return Context(engine(model, layer), x[0], counter=counter)


def batch_contexts(eng: Engine, x: np.ndarray, idx: np.ndarray, *, gradients: bool) -> list[Context]:
    """One context per image of batch ``x``, filled by ONE batched pass: feature maps, scores and,
    with ``gradients``, each image's gradients for its class in ``idx`` (-1: its top class)."""
    contexts = [Context(eng, xi) for xi in x]
    if gradients:
        fmaps, grads, scores, idx = (np.asarray(t) for t in eng.grads(tf.constant(x), tf.constant(idx)))
    else:
        fmaps, scores = (np.asarray(t) for t in eng.forward(tf.constant(x)))
    for i, ctx in enumerate(contexts):
        ctx._fmaps, ctx._scores = fmaps[i], scores[i]
        ctx.counts["forward"] += 1
        if gradients:
            ctx._grads[int(idx[i])] = grads[i]
            ctx.counts["gradients"] += 1
    return contexts


__all__ = ["Context", "context", "batch_contexts", "SCORECAM_BATCH"]
