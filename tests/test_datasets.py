"""The generated shapes dataset (helpers.datasets) and the ground-truth scores (helpers.evaluation)."""
import numpy as np
import pytest

from helpers import datasets as ds
from helpers import evaluation as ev


@pytest.fixture(scope="module")
def shortcut():
    return ds.make_shapes(300, seed=3, marker_rates=(0.0, 0.95))


def test_same_seed_gives_identical_data_and_another_seed_does_not():
    a = ds.make_shapes(20, seed=7, marker_rates=(0.5, 0.5))
    b = ds.make_shapes(20, seed=7, marker_rates=(0.5, 0.5))
    c = ds.make_shapes(20, seed=8, marker_rates=(0.5, 0.5))
    for field in ("images", "labels", "boxes", "marker_boxes"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.images, c.images)


def test_splits_are_deterministic_and_distinct():
    s1, s2 = ds.shortcut_splits(30, 10, seed=5), ds.shortcut_splits(30, 10, seed=5)
    for name in s1:
        np.testing.assert_array_equal(s1[name].images, s2[name].images)
    assert not np.array_equal(s1["train"].images, s1["fixed_train"].images)  # each split has its own seed
    assert not np.array_equal(s1["val"].images, s1["clean"].images)


def test_classes_are_balanced_and_shapes_right(shortcut):
    assert shortcut.images.shape == (300, 150, 150, 3) and shortcut.images.dtype == np.uint8
    assert np.bincount(shortcut.labels).tolist() == [150, 150]
    assert shortcut.class_names == ("circle", "square")


def test_object_boxes_hold_the_object(shortcut):
    """Inside the box the object colour fills the centre; a circle leaves the box corners to the
    background, a square fills them: an independent check of label and box."""
    for img, label, (x0, y0, x1, y1) in zip(shortcut.images[:60], shortcut.labels, shortcut.boxes):
        assert 0 <= x0 < x1 <= 150 and 0 <= y0 < y1 <= 150 and x1 - x0 == y1 - y0
        r = (x1 - x0) // 2
        patch = img[y0:y1, x0:x1].astype(float)
        centre = patch[r - 3:r + 4, r - 3:r + 4].reshape(-1, 3).mean(0)
        corner = patch[1:4, 1:4].reshape(-1, 3).mean(0)  # inside the box, outside a circle
        edge_mid = patch[r - 1:r + 2, 1:4].reshape(-1, 3).mean(0)  # inside both shapes
        assert np.abs(edge_mid - centre).max() < 25
        if label == 1:
            assert np.abs(corner - centre).max() < 25
        else:
            assert np.abs(corner - centre).max() > 25 or np.abs(patch[1:4, 1:4] - centre).max() > 25
        outside = img[max(y0 - 4, 0):y0 - 1, x0:x1] if y0 >= 5 else img[y1 + 1:y1 + 4, x0:x1]
        assert np.abs(outside.reshape(-1, 3).mean(0) - centre).max() > 5  # the box is tight


def test_marker_only_on_the_shortcut_class_at_about_the_rate(shortcut):
    on = shortcut.has_marker
    assert not on[shortcut.labels == 0].any()
    assert 0.90 <= on[shortcut.labels == 1].mean() <= 0.99
    x0, y0, x1, y1 = ds.marker_box("top-left")
    np.testing.assert_array_equal(shortcut.images[on][:, y0:y1, x0:x1], np.broadcast_to(
        ds.marker_pattern(), (on.sum(), 12, 12, 3)))
    assert (shortcut.marker_boxes[on] == (x0, y0, x1, y1)).all() and (shortcut.marker_boxes[~on] == -1).all()
    # an image without the marker has no checkerboard there
    assert not np.array_equal(shortcut.images[~on][0, y0:y1, x0:x1], ds.marker_pattern())


def test_objects_never_touch_any_marker_corner(shortcut):
    for corner in ds.CORNERS:
        m = ds.marker_box(corner)
        assert not any(_overlap(b, m) for b in shortcut.boxes)


def _overlap(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_split_marker_rates():
    s = ds.shortcut_splits(400, 200, seed=1)
    sw = s["swapped"]
    assert sw.has_marker[sw.labels == 0].all() and not sw.has_marker[sw.labels == 1].any()
    assert not s["clean"].has_marker.any()
    fixed = s["fixed_train"]
    for c in (0, 1):
        assert 0.4 < fixed.has_marker[fixed.labels == c].mean() < 0.6


def test_marker_pattern_and_positions():
    p = ds.marker_pattern(12)
    assert p.shape == (12, 12, 3) and set(np.unique(p)) == {0, 255} and p.mean() == 127.5
    assert ds.marker_box("top-right") == (134, 4, 146, 16)
    assert ds.marker_box((0, 138)) == (0, 138, 12, 150)
    img = np.full((150, 150, 3), 9, np.uint8)
    moved, box = ds.add_marker(img, "bottom-left")
    assert box == (4, 134, 16, 146) and (img == 9).all()  # the input is not modified
    assert (moved != 9).sum() == 12 * 12 * 3


def test_moved_marker_position_in_generated_data():
    d = ds.make_shapes(10, seed=0, marker_rates=(1.0, 1.0), marker_at="bottom-right")
    assert (d.marker_boxes == (134, 134, 146, 146)).all()


@pytest.mark.parametrize("kwargs, error", [
    ({"n": 0}, ValueError), ({"n": 2.5}, TypeError), ({"n": 4, "marker_rates": (0.5,)}, ValueError),
    ({"n": 4, "marker_rates": (0.0, 1.5)}, ValueError), ({"n": 4, "marker_at": "middle"}, ValueError),
    ({"n": 4, "marker_at": (145, 0)}, ValueError), ({"n": 4, "marker_at": 3}, TypeError),
    ({"n": 4, "seed": -1}, ValueError),
])
def test_bad_arguments_name_the_value(kwargs, error):
    with pytest.raises(error):
        ds.make_shapes(**kwargs)


def test_add_marker_rejects_non_images():
    with pytest.raises(ValueError, match="square uint8 RGB"):
        ds.add_marker(np.zeros((150, 100, 3), np.uint8))


def test_subset_keeps_ground_truth_aligned(shortcut):
    sub = shortcut.subset(shortcut.labels == 1)
    assert len(sub) == 150 and (sub.labels == 1).all()
    np.testing.assert_array_equal(sub.boxes, shortcut.boxes[shortcut.labels == 1])


# --- helpers.evaluation: scores against ground truth, and the exercise checks ---------------------------

def test_pointing_game_and_heat_mass_against_hand_computed_values():
    heat = np.zeros((3, 20, 20))
    heat[0, 5, 15] = 1.0                    # peak inside box 0
    heat[1, 19, 19] = 1.0                   # peak 1 px outside box 1 (x1, y1 are exclusive)
    heat[2] = 0.5                           # flat: the first pixel is the peak
    boxes = np.array([(10, 0, 20, 10), (0, 0, 19, 19), (-1, -1, -1, -1)])
    np.testing.assert_array_equal(ev.pointing_game(heat, boxes), [True, False, False])
    np.testing.assert_array_equal(ev.pointing_game(heat, boxes, tolerance=1), [True, True, False])
    np.testing.assert_allclose(ev.heat_in_box(heat, boxes), [1.0, 0.0, 0.0])
    assert ev.heat_in_box(np.zeros((4, 4)), (0, 0, 2, 2)) == 0.0  # all-zero map: 0, not NaN
    half = np.ones((10, 10))
    assert ev.heat_in_box(half, (0, 0, 10, 5)) == pytest.approx(0.5)
    np.testing.assert_array_equal(ev.peak(heat[:2]), [[15, 5], [19, 19]])


def test_pointing_chance_is_the_hit_rate_of_a_random_peak():
    boxes = np.array([(10, 0, 20, 10), (0, 0, 20, 20), (-1, -1, -1, -1)])
    # by hand: 100 / 400 and 400 / 400 of a 20 x 20 image; the missing box is left out
    assert ev.pointing_chance(boxes, 0, image_size=20) == pytest.approx((0.25 + 1.0) / 2)
    # grown by 2 and clipped: (8, 0, 20, 12) -> 144 / 400
    assert ev.pointing_chance(boxes[:1], 2, image_size=20) == pytest.approx(0.36)
    rng = np.random.default_rng(0)                  # against the game itself, with uniform random peaks
    box = np.array([(15, 20, 35, 45)])
    heat = np.zeros((1000, 50, 50), np.float32)
    heat[np.arange(1000), rng.integers(0, 50, 1000), rng.integers(0, 50, 1000)] = 1.0
    hits = ev.pointing_game(heat, np.repeat(box, 1000, axis=0), tolerance=3).mean()
    assert hits == pytest.approx(ev.pointing_chance(box, 3, image_size=50), abs=0.04)   # 26 x 31 px of 50 x 50: 0.3224
    with pytest.raises(ValueError, match="every box is missing"):
        ev.pointing_chance([(-1, -1, -1, -1)])
    with pytest.raises(ValueError, match="tolerance"):
        ev.pointing_chance(box, -3)


def test_evaluation_rejects_bad_input():
    with pytest.raises(ValueError, match="NaN"):
        ev.pointing_game(np.full((4, 4), np.nan), (0, 0, 1, 1))
    with pytest.raises(ValueError, match="one .* box per heatmap"):
        ev.heat_in_box(np.zeros((2, 4, 4)), np.zeros((3, 4)))
    with pytest.raises(ValueError, match="tolerance"):
        ev.pointing_game(np.zeros((4, 4)), (0, 0, 1, 1), tolerance=-1)
    with pytest.raises(ValueError, match="carry the marker"):
        ev.box_selectivity(np.zeros((1, 4, 4, 2)), [(-1, -1, -1, -1)], 16)


def test_box_selectivity_finds_the_channel_that_fires_in_the_box():
    rng = np.random.default_rng(0)
    maps = rng.random((5, 15, 15, 6))
    maps[:, :2, :2, 4] += 3.0               # channel 4 fires in the top-left corner (pixels 0..19 of 150)
    scores = ev.box_selectivity(maps, [(0, 0, 20, 20)] * 5, image_size=150)
    assert scores.argmax() == 4 and scores[4] == pytest.approx(3.0, abs=0.3)
    assert np.abs(np.delete(scores, 4)).max() < 0.3
