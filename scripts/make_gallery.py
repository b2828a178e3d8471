"""Regenerate the pictures in docs/images/ (PNGs of real outputs, offline, deterministic: fixed seeds).

    python scripts/make_gallery.py                    # or: make gallery (every picture)
    python scripts/make_gallery.py filters_deep       # only the pictures named

* ``activations.png``, ``filters.png``, ``gradcam.png``: the README's three small pictures;
* ``filters_deep_robust.png``: what deep filters want, for notebook 2 -- the robust preset on
  ``block6b_expand_conv``, filters 0-15, 160 px, 256 steps (about 8 s a filter on 2 cores: longer
  than the notebook's time allows, so it is computed here and committed).

Each picture is made by the public helpers functions on the embedded EfficientNet-Lite0.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

import helpers
from helpers.plotting import atlas_grid, mosaic_rgb

OUT = Path(__file__).resolve().parents[1] / "docs" / "images"   # the README's pictures
DATA_OUT = Path(__file__).resolve().parents[1] / "data" / "gallery"   # pictures a notebook shows

# notebook 2's deep gallery: what the notebook shows and describes
DEEP_LAYER = "block6b_expand_conv"
DEEP_FILTERS = tuple(range(16))
DEEP_SIZE = 160
DEEP_STEPS = 256
DEEP_SEED = 0


def save(name: str, rgb: np.ndarray, width: int | None = None, folder: Path = OUT) -> Path:
    """Write ``rgb`` (uint8) as ``<folder>/<name>``, resized to ``width`` pixels if given."""
    h, w = rgb.shape[:2]
    if width is not None and width != w:
        rgb = cv2.resize(rgb, (width, round(h * width / w)), interpolation=cv2.INTER_AREA)
    path = folder / name
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 9])
    print(f"wrote {path}", flush=True)
    return path


def deep_gallery(model, *, layer: str = DEEP_LAYER, filters=DEEP_FILTERS, size: int = DEEP_SIZE,
                 steps: int = DEEP_STEPS, seed: int = DEEP_SEED, ncols: int = 4) -> np.ndarray:
    """The robust patterns of ``filters`` of ``layer`` tiled ``ncols`` wide (white gaps): uint8 RGB.
    Computed afresh every time (no cache); same arguments, same picture (a fixed seed)."""
    patterns = helpers.filter_patterns(model, layer, list(filters), size=size, steps=steps, seed=seed,
                                       method="robust", progress=True, cache=False)
    return atlas_grid(patterns, ncols=ncols, pad=4)


def make_activations(model) -> None:
    cat = helpers.load_image("chelsea", size=model)
    maps = helpers.activations(model, cat, ["block2a_expand_activation"])["block2a_expand_activation"]
    rgb, _ = mosaic_rgb(maps[..., :32], "channel", ncols=8, tile=(56, 56))
    save("activations.png", rgb, 480)


def make_filters(model) -> None:
    rows = [helpers.filter_patterns(model, "block4b_expand_conv", list(range(8)), size=96, method=method)
            for method in ("classic", "robust")]  # top row: the textbook recipe; bottom: Distill's remedies
    save("filters.png", atlas_grid(np.concatenate(rows), ncols=8, pad=2), 640)


def make_gradcam(model) -> None:
    both = helpers.load_image("cat_and_coffee", size=model)
    tiles = [both]
    for cls in (282, 967):  # tiger cat, espresso
        tiles.append(helpers.overlay(both, helpers.gradcam(model, both, class_index=cls)))
    gap = np.full((both.shape[0], 6, 3), 255, np.uint8)
    save("gradcam.png", np.concatenate([tiles[0], gap, tiles[1], gap, tiles[2]], axis=1), 600)


def make_filters_deep(model) -> None:
    save("filters_deep_robust.png", deep_gallery(model), folder=DATA_OUT)


PICTURES = {"activations": make_activations, "filters": make_filters, "gradcam": make_gradcam,
            "filters_deep": make_filters_deep}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", help=f"pictures to make (default: all): {', '.join(PICTURES)}")
    args = parser.parse_args(argv)
    unknown = [name for name in args.only if name not in PICTURES]
    if unknown:
        parser.error(f"unknown picture(s) {unknown}; choose from {', '.join(PICTURES)}")
    OUT.mkdir(parents=True, exist_ok=True)
    model = helpers.load_model()
    for name in args.only or PICTURES:
        PICTURES[name](model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
