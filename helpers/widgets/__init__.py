"""Interactive explorers (ipywidgets). Each ``*_explorer`` function builds and returns a widget
that only calls the plain functions of ``helpers``; it is testable without a browser (set a
control's ``.value`` and inspect the explorer's state)."""
from ._common import ImagePicker, guarded  # noqa: F401
from .activations import ActivationExplorer, activation_explorer  # noqa: F401,E402  (issue 3)
from .cam import gradcam_explorer  # noqa: F401,E402  (issue 5)
from .filters import FilterExplorer, filter_explorer  # noqa: F401,E402  (issue 4)
