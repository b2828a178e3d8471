"""scripts/make_gallery.py: the committed pictures are what the script makes, and notebook 2 shows the deep one."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from helpers.images import DATA_DIR

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import make_gallery  # noqa: E402


def test_the_deep_gallery_is_deterministic(default_model):
    """Same settings, same picture (a fixed seed; small settings here, the script's are 160 px x 256 steps)."""
    settings = dict(filters=(0, 1, 2), size=32, steps=3, ncols=2)
    first = make_gallery.deep_gallery(default_model, **settings)
    second = make_gallery.deep_gallery(default_model, **settings)
    assert first.dtype == np.uint8 and first.shape == (2 * 32 + 4, 2 * 32 + 4, 3)
    np.testing.assert_array_equal(first, second)
    assert np.all(first[-32:, -32:] == 255)                  # the fourth place of the 2x2 grid is empty


def test_the_committed_deep_gallery_is_the_one_notebook_2_shows():
    source = (ROOT / "notebooks" / "02_filter_visualization.py").read_text(encoding="utf-8")
    shown = re.search(r'^GALLERY = "([^"]+)"', source, flags=re.M).group(1)
    assert 'DATA_DIR / "gallery" / GALLERY' in source        # found from any folder, not relative to the notebook
    path = DATA_DIR / "gallery" / shown
    assert path == make_gallery.DATA_OUT / "filters_deep_robust.png"
    picture = cv2.imread(str(path))
    assert len(make_gallery.DEEP_FILTERS) == 16                # the notebook says "filters 0-15, 4 per row"
    side = 4 * make_gallery.DEEP_SIZE + 3 * 4                  # 4 per row, 4-pixel white gaps
    assert picture.shape == (side, side, 3)
    assert f'"{make_gallery.DEEP_LAYER}"' in source and "256 steps" in source and str(make_gallery.DEEP_STEPS) == "256"


def test_make_gallery_names_its_pictures():
    with pytest.raises(SystemExit):
        make_gallery.main(["no_such_picture"])
    assert set(make_gallery.PICTURES) == {"activations", "filters", "gradcam", "filters_deep"}
