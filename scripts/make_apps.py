"""Write the three classroom app notebooks in notebooks/apps/ (one explorer each, no code shown
under Voila). Run: ``python scripts/make_apps.py``; serve one with
``voila notebooks/apps/gradcam_app.ipynb``."""
from pathlib import Path

from nbgen import NotebookBuilder

APPS = Path(__file__).resolve().parents[1] / "notebooks" / "apps"

SPECS = {
    "activations_app": (
        "# What does each layer see?\n\n"
        "Pick a photo (or upload your own), then a layer: every tile is one feature map, the output of "
        "one filter. Move the channel slider to see one map large. Early layers keep edges and colours; "
        "deep layers are small, abstract and mostly dark (sparse).",
        "explorer = activation_explorer(model)"),
    "filters_app": (
        "# What pattern does a filter look for?\n\n"
        "Each picture is made from grey noise by gradient ascent: its pixels were changed step by step "
        "until the chosen filter responded as strongly as possible. Pick a layer and a filter; the "
        "*atlas* button draws many filters at once.",
        "explorer = filter_explorer(model)"),
    "gradcam_app": (
        "# Where did the network look?\n\n"
        "Grad-CAM colours each part of the photo by how much it pushed the network towards the chosen "
        "class (red: strong evidence). Try the cat-and-coffee photo with *tiger cat*, then *espresso*; "
        "turn on *counterfactual* to see what argues against a class.",
        "explorer = gradcam_explorer(model)"),
}


def main() -> None:
    APPS.mkdir(parents=True, exist_ok=True)
    for name, (intro, build) in SPECS.items():
        function = build.split("= ")[1].split("(")[0]
        nb = NotebookBuilder()
        nb.md(intro)
        nb.code("import helpers\n"
                f"from helpers.widgets import {function}\n\n"
                "model = helpers.load_model()  # EfficientNet-Lite0, embedded: works offline\n"
                f"{build}\nexplorer")
        nb.md("<small>convnet-vis · EfficientNet-Lite0 (ImageNet) · photos CC0 / public domain</small>")
        nb.write(APPS / f"{name}.ipynb")


if __name__ == "__main__":
    main()
