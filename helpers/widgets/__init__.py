"""Interactive explorers (ipywidgets). Each ``*_explorer`` function builds and returns a widget
that only calls the plain functions of ``helpers``; it is testable without a browser (set a
control's ``.value`` and inspect the explorer's state)."""
from .activations import ActivationExplorer, activation_explorer  # noqa: F401
from .cam import GradCAMExplorer, gradcam_explorer  # noqa: F401
from .errors import guarded  # noqa: F401
from .filters import FilterExplorer, filter_explorer  # noqa: F401
from .occluder import Occluder, occluder  # noqa: F401
from .picker import ImagePicker  # noqa: F401
from .saving import SAVE_MODES, output_name, save_button  # noqa: F401
