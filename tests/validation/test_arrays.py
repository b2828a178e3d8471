"""helpers.validation.arrays: numeric arrays of a given number of dimensions, finite where asked."""
import numpy as np
import pytest

from helpers.validation import ArgumentTypeError, check_array, check_finite


def test_check_array_keeps_the_array_or_converts_it():
    a = np.zeros((2, 3), np.uint8)
    assert check_array("heat", a, 2) is a  # no copy when nothing changes
    out = check_array("heat", [[0, 1]], (2, 3), dtype=np.float32)
    assert out.dtype == np.float32 and out.shape == (1, 2)
    assert check_array("mask", np.array([True, False]), 1).dtype == bool  # booleans are numbers here
    assert check_array("anything", 3.0).shape == ()


@pytest.mark.parametrize("value", ["abc", None, [["a", "b"]], [[1, 2], [3]], np.array([1 + 1j]), {"a": 1}])
def test_check_array_refuses_what_is_not_numbers(value):
    with pytest.raises(ArgumentTypeError, match="the heatmap must be a 2-D array of numbers"):
        check_array("the heatmap", value, 2)


def test_check_array_dimensions_emptiness_and_finiteness():
    with pytest.raises(ValueError, match=r"the heatmap must be a heatmap \(H, W\); got shape \(4,\) \(one map\)"):
        check_array("the heatmap", np.zeros(4), 2, expected="a heatmap (H, W)", hint=" (one map)")
    with pytest.raises(ValueError, match=r"must be a 2-D or 3-D array; got shape \(\)"):
        check_array("maps", 1.0, (2, 3))
    with pytest.raises(ValueError, match=r"maps is empty \(shape \(0, 3\)\)"):
        check_array("maps", np.zeros((0, 3)), 2, allow_empty=False)
    assert check_array("maps", np.zeros((0, 3)), 2).shape == (0, 3)  # empty is fine unless refused
    with pytest.raises(ValueError, match="NaN or infinite values in maps"):
        check_array("maps", [[1.0, np.inf]], 2, finite=True)
    with pytest.raises(ValueError, match="NaN or infinite"):  # beyond float32's range becomes inf, then refused
        check_array("maps", [[1e300]], 2, dtype=np.float32, finite=True)


def test_check_finite_ignores_integers_and_adds_the_hint():
    assert check_finite("counts", np.array([2 ** 62], np.int64)).dtype == np.int64
    with pytest.raises(ValueError, match=r"^NaN or infinite values in the heatmap; divide by \(max \+ eps\)$"):
        check_finite("the heatmap", [np.nan, 1.0], "; divide by (max + eps)")
    with pytest.raises(ArgumentTypeError):
        check_finite("the heatmap", "nan")
