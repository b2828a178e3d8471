"""The tests' shared kit: tiny toy models built in a second, free ports for test servers, the
headless Chromium every browser test drives, and a Python student that speaks the classroom's
websocket protocol. ``pyproject.toml`` puts ``tests/`` on the path, so a test writes
``from kit import conv_classifier, free_port``.
"""

from .models import (
    ESPRESSO,
    TIGER_CAT,
    cam_model,
    conv_base,
    conv_classifier,
    quadrant_image,
    quadrant_model,
    random_image,
    sub_model_output,
    tape_gradient,
)
from .net import free_port

__all__ = ["ESPRESSO", "TIGER_CAT", "cam_model", "conv_base", "conv_classifier", "quadrant_image", "quadrant_model",
           "free_port", "random_image", "sub_model_output", "tape_gradient"]
