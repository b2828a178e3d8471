"""Interactive explorers (ipywidgets). Each ``*_explorer`` function builds and returns a widget
that only calls the plain functions of ``helpers``; it is testable without a browser (set a
control's ``.value`` and inspect the explorer's state)."""
from .activations import ActivationExplorer, activation_explorer
from .cam import GradCAMExplorer, gradcam_explorer
from .errors import guarded
from .filters import FilterExplorer, filter_explorer
from .occluder import Occluder, occluder
from .picker import ImagePicker
from .saving import SAVE_MODES, output_name, save_button
from .where_what import WhereWhat, where_what_explorer

__all__ = ["ActivationExplorer", "activation_explorer", "GradCAMExplorer", "gradcam_explorer", "guarded",
           "FilterExplorer", "filter_explorer", "Occluder", "occluder", "ImagePicker", "SAVE_MODES", "output_name",
           "save_button", "WhereWhat", "where_what_explorer"]
