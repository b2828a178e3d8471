"""Regenerate the README's pictures in docs/images/ (small PNGs of real outputs, offline).

    python scripts/make_gallery.py        # or: make gallery

Each picture is made by the public helpers functions on the embedded EfficientNet-Lite0.
"""
from pathlib import Path

import cv2
import numpy as np

import helpers
from helpers.plotting import atlas_grid
from helpers.plotting import mosaic_rgb

OUT = Path(__file__).resolve().parents[1] / "docs" / "images"


def save(name: str, rgb: np.ndarray, width: int) -> None:
    h, w = rgb.shape[:2]
    rgb = cv2.resize(rgb, (width, round(h * width / w)), interpolation=cv2.INTER_AREA)
    cv2.imwrite(str(OUT / name), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(f"wrote {OUT / name}")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    model = helpers.load_model()
    cat = helpers.load_image("chelsea", size=model)

    maps = helpers.activations(model, cat, ["block2a_expand_activation"])["block2a_expand_activation"]
    rgb, _ = mosaic_rgb(maps[..., :32], "channel", ncols=8, tile=(56, 56))
    save("activations.png", rgb, 480)

    rows = [helpers.filter_patterns(model, "block4b_expand_conv", list(range(8)), size=96, method=method)
            for method in ("classic", "robust")]  # top row: the textbook recipe; bottom: Distill's remedies
    save("filters.png", atlas_grid(np.concatenate(rows), ncols=8, pad=2), 640)

    both = helpers.load_image("cat_and_coffee", size=model)
    tiles = [both]
    for cls in (282, 967):  # tiger cat, espresso
        tiles.append(helpers.overlay(both, helpers.gradcam(model, both, class_index=cls)))
    gap = np.full((both.shape[0], 6, 3), 255, np.uint8)
    save("gradcam.png", np.concatenate([tiles[0], gap, tiles[1], gap, tiles[2]], axis=1), 600)


if __name__ == "__main__":
    main()
