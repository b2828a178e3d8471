"""The template every class activation map follows, and the registry of methods.

A class activation map is ``ReLU(sum_k w_k * A_k)`` over a layer's feature maps ``A``, scaled
to [0, 1]. Methods differ only in the weights ``w``, so a method is a subclass of
:class:`CAMMethod` that implements one function, ``weights(context, class_index)``, returning
one weight per channel ``(c,)`` or one per location and channel ``(h, w, c)`` -- anything
that broadcasts to the maps. The :class:`~helpers.cam.context.Context` hands it whatever it asks
for (feature maps, gradients of a class, masked-image scores), computed once and remembered.

Defining a subclass with a ``name`` registers it: ``helpers.gradcam(..., method=name)`` and the
explorer's method buttons find it. Every module in ``helpers/cam/methods/`` is imported when
the registry is first read, so a new method is one class in one new file there.

Example:
    >>> [m.name for m in available_methods()]
    ['gradcam', 'gradcam++', 'layercam', 'scorecam', 'eigencam']
    >>> get_method("Grad-CAM++").label
    'Grad-CAM++'
"""

from __future__ import annotations

import importlib
import pkgutil

import numpy as np

from ..validation import ArgumentTypeError
from .maths import normalize_map, weighted_cam

__all__ = ["CAMMethod", "available_methods", "check_counterfactual", "get_method", "register"]

_REGISTRY: dict[str, "CAMMethod"] = {}  # the method classes of this package (not a cache)
_ALIASES: dict[str, str] = {}


class CAMMethod:
    """Base of every CAM method. Subclasses set the class attributes and implement :meth:`weights`.

    Attributes:
        name: the key for ``method=`` (lower case); subclasses with a name register themselves.
        label: how menus show it.
        uses_gradients: False for gradient-free methods (no counterfactual map for them).
        centred: subtract the map's spatial mean before the ReLU (a projection, e.g. Eigen-CAM).
        order: position in menus (lower first).
        aliases: other spellings accepted by ``method=``.
    """

    name: str = ""
    label: str = ""
    uses_gradients: bool = True
    centred: bool = False
    order: int = 50
    aliases: tuple[str, ...] = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("name"):
            register(cls())

    def weights(self, ctx, class_index: int | None) -> np.ndarray:
        """The weights for ``ctx``'s feature maps: ``(c,)`` or ``(h, w, c)``. ``class_index`` None
        means the top class (``ctx.grads(None)`` and ``ctx.top_class`` resolve it)."""
        raise NotImplementedError(f"{type(self).__name__} must implement weights(ctx, class_index)")

    def raw(self, ctx, class_index: int | None = None) -> np.ndarray:
        """The unnormalised map ``ReLU(sum_k w_k A_k)`` (h, w) at the layer's resolution."""
        if self.uses_gradients:  # first: one pass then gives the maps, the scores and these gradients
            ctx.grads(class_index)
        return weighted_cam(ctx.fmaps, self.weights(ctx, class_index), centred=self.centred)

    def heatmap(self, ctx, class_index: int | None = None, *, counterfactual: bool = False) -> np.ndarray:
        """The map scaled to [0, 1] (h, w); ``counterfactual`` negates the gradients first: what
        argues *against* the class (Selvaraju et al., section 5)."""
        if counterfactual:
            check_counterfactual(self)
            ctx = ctx.negated()
        return normalize_map(self.raw(ctx, class_index))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def check_counterfactual(method: CAMMethod) -> None:
    if not method.uses_gradients:
        names = ", ".join(repr(m.name) for m in available_methods() if m.uses_gradients)
        raise ValueError(f"counterfactual maps negate the gradients, and method {method.name!r} uses none; "
                         f"use one of {names}")


def _key(name) -> str:
    return str(name).lower().replace("-", "").replace("_", "").replace(" ", "")


def register(method: CAMMethod) -> CAMMethod:
    """Add (or replace) a method in the registry under its name and aliases."""
    _REGISTRY[method.name] = method
    for alias in (method.name, method.label, *method.aliases):
        _ALIASES[_key(alias)] = method.name
    return method


def _load_methods() -> None:
    """Import every module of ``helpers/cam/methods/`` (once: Python remembers imported modules)."""
    package = importlib.import_module(f"{__package__}.methods")
    if not getattr(package, "_all_loaded", False):
        for info in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{info.name}")
        package._all_loaded = True


def available_methods() -> list[CAMMethod]:
    """The registered methods, in menu order.

    Example:
        >>> [m.label for m in available_methods()][:2]
        ['Grad-CAM', 'Grad-CAM++']
    """
    _load_methods()
    return sorted(_REGISTRY.values(), key=lambda m: (m.order, m.name))


def get_method(method) -> CAMMethod:
    """A method by name (any spelling: ``"Grad-CAM++"``, ``"gradcam_pp"`` ...) or the instance itself.

    Raises:
        ValueError: an unknown name; the message lists the choices. ArgumentTypeError (also a ValueError):
        neither a name nor a method.
    """
    if isinstance(method, CAMMethod):
        return method
    choices = available_methods()
    name = _ALIASES.get(_key(method)) if isinstance(method, str) else None
    if name is None:
        error = ValueError if isinstance(method, str) else ArgumentTypeError  # e.g. method=3: a name belongs there
        raise error(f"unknown method {method!r}; choose one of {', '.join(repr(m.name) for m in choices)}")
    return _REGISTRY[name]
