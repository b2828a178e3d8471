"""Is the explanation right? Faithfulness metrics for heatmaps, and model-free baselines to read them by.

A heatmap (:func:`helpers.gradcam`, :func:`helpers.cam.perturbation.occlusion`, ...) *claims* where the
model's evidence is. These functions test the claim against the model itself, with forward passes only:

* :mod:`.curves` -- :func:`deletion` and :func:`insertion` (Petsiuk et al., 2018): hide (or reveal)
  pixels in the map's order and watch the class probability; the area under the curve summarises it
  (deletion: lower is better; insertion: higher is better);
* :mod:`.confidence` -- :func:`average_drop` and :func:`increase_in_confidence` (Chattopadhay et al.,
  2018): keep only what the map highlights -- does the model stay as sure?
* :mod:`.baselines` -- :func:`baseline_map` ``"random"``, ``"sobel"``, ``"centre"``: what a map made with
  no model scores. A method is only as good as its margin over these.

These are the techniques layer: they build on :mod:`helpers.cam` (its compiled forward pass and
input checks) and never draw; plotting and widgets build on them. Every function is pure (model, image,
map in; numbers out), batched, and its cost in forward passes is in its docstring.

Example:
    >>> photo = load_image("cat_and_coffee", size=224)
    >>> heat = helpers.gradcam(model, photo, "espresso")
    >>> ours = deletion(model, photo, heat, "espresso", steps=8).auc
    >>> chance = deletion(model, photo, baseline_map("random", photo), "espresso", steps=8).auc
    >>> bool(ours < chance)                              # Grad-CAM beats chance at finding the espresso
    True
"""

from .baselines import BASELINE_KINDS, CENTRE_SIGMA, baseline_map
from .confidence import Confidence, average_drop, confidence, increase_in_confidence
from .curves import BASELINES, Curve, deletion, insertion

__all__ = ["BASELINES", "BASELINE_KINDS", "CENTRE_SIGMA", "Confidence", "Curve", "average_drop", "baseline_map",
           "confidence", "deletion", "increase_in_confidence", "insertion"]
