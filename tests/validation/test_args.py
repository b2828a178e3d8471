"""helpers.validation.args: each generic check on hand-made right, wrong and edge values.

The rule each follows (helpers/validation/__init__.py): a value of the wrong type is an
ArgumentTypeError (a TypeError that is also a ValueError), an index of the wrong type an IndexTypeError
(also an IndexError), a value out of range or an unknown choice a ValueError, an index out of range an
IndexError; the message names the argument and the value given.
"""
import math

import numpy as np
import pytest

from helpers.validation import (
    ArgumentTypeError,
    IndexTypeError,
    check_bool,
    check_choice,
    check_count,
    check_index,
    check_int,
    check_ints,
    check_number,
    check_positive,
    check_size,
    check_type,
)


def _refused(error, call, *words):
    with pytest.raises(error) as info:
        call()
    assert type(info.value) is error, f"{type(info.value).__name__}: {info.value}"
    for word in words:
        assert word in str(info.value), str(info.value)


def test_the_exception_types_are_both_what_they_say_and_what_callers_catch():
    assert issubclass(ArgumentTypeError, TypeError) and issubclass(ArgumentTypeError, ValueError)
    assert issubclass(IndexTypeError, TypeError) and issubclass(IndexTypeError, IndexError)


@pytest.mark.parametrize("value, expected", [(3, 3), (np.int64(3), 3), (np.array(3), 3), (0, 0), (10, 10)])
def test_check_int_accepts_integers_and_gives_a_python_int(value, expected):
    out = check_int("steps", value, 0, 10)
    assert out == expected and type(out) is int


@pytest.mark.parametrize("value", [3.0, True, np.bool_(False), "3", None, [3], np.array([3]), np.array(3.0)])
def test_check_int_refuses_what_is_not_an_integer(value):
    _refused(ArgumentTypeError, lambda: check_int("steps", value, 0, 10), "steps", "integer")


def test_check_int_names_the_range_and_the_value():
    _refused(ValueError, lambda: check_int("steps", 11, 0, 10), "steps must be in 0..10, got 11")
    _refused(ValueError, lambda: check_int("seed", -1, 0), "seed", "0..inf", "-1")
    assert check_int("any", -5) == -5 and check_int("huge", 2 ** 70, 0) == 2 ** 70


@pytest.mark.parametrize("value, high, expected", [(1, None, 1), (np.int32(25), 100, 25), (100, 100, 100)])
def test_check_count_is_a_positive_integer(value, high, expected):
    assert check_count("samples", value, high) == expected


def test_check_count_refuses_zero_too_many_and_non_integers():
    _refused(ValueError, lambda: check_count("samples", 0), "samples must be a positive integer, got 0")
    _refused(ValueError, lambda: check_count("samples", 101, 100), "positive integer up to 100", "101")
    for bad in (2.5, True, "3", None):
        _refused(ArgumentTypeError, lambda: check_count("samples", bad), "samples", "positive integer", repr(bad))


def test_check_number_bounds_open_and_closed():
    assert check_number("noise", np.array(0.25), 0.0, 10.0) == 0.25
    assert check_number("noise", 10, 0.0, 10.0) == 10.0 and type(check_number("x", np.float32(1.5))) is float
    assert check_number("angle", -1e9) == -1e9  # no bound: any finite number
    _refused(ValueError, lambda: check_number("noise", 11, 0.0, 10.0), "noise must be a finite number in 0..10, got 11")
    _refused(ValueError, lambda: check_number("fade", -0.5, 0.0), "fade", ">= 0", "-0.5")
    _refused(ValueError, lambda: check_number("x", 2.0, None, 1.0), "<= 1")
    for bad in (math.nan, math.inf, -math.inf):
        _refused(ValueError, lambda: check_number("noise", bad), "noise", "finite")


@pytest.mark.parametrize("value", ["0.1", True, None, [0.1], np.array([0.1]), 1 + 2j, object()])
def test_check_number_refuses_what_is_not_one_real_number(value):
    _refused(ArgumentTypeError, lambda: check_number("noise", value, 0.0, 10.0), "noise", "number")


def test_check_positive_excludes_zero_and_names_the_rule():
    assert check_positive("step", 1e-9) == 1e-9 and check_positive("rate", 3, 3) == 3.0
    for bad in (0, -1.0, math.nan, math.inf):
        _refused(ValueError, lambda: check_positive("step", bad), "step must be a positive number", repr(float(bad)))
    _refused(ValueError, lambda: check_positive("rate", 4, 3), "up to 3")
    _refused(ArgumentTypeError, lambda: check_positive("step", "1"), "step must be a positive number", "'1'")


def test_check_bool_takes_only_true_and_false():
    assert check_bool("crop", True) is True and check_bool("crop", np.False_) is False
    assert check_bool("crop", np.array(True)) is True
    for bad in (1, 0, "yes", None, 1.0, [True]):
        _refused(ArgumentTypeError, lambda: check_bool("crop", bad), "crop must be True or False", repr(bad))


def test_check_type_returns_the_value_or_says_what_belongs_there():
    marker = object()
    assert check_type("part", marker, object, "anything") is marker
    assert check_type("shape", (1, 2), (tuple, list), "a tuple") == (1, 2)
    _refused(ArgumentTypeError, lambda: check_type("objective", "stem_conv", int, "an Objective (channel(...))"),
             "objective must be an Objective (channel(...)), got 'stem_conv' (str)")


def test_check_index_in_range_and_open():
    assert check_index("channel", 0, 32) == 0 and check_index("channel", np.int16(31), 32) == 31
    assert check_index("x", 10 ** 6) == 10 ** 6  # no count: any index >= 0
    _refused(IndexError, lambda: check_index("filter", 32, 32, hint=": layer 'c' has 32 channels"),
             "filter 32 is out of range 0..31: layer 'c' has 32 channels")
    _refused(IndexError, lambda: check_index("filter", -1, 32), "0..31", "-1")
    _refused(IndexError, lambda: check_index("x", -1), "x must be >= 0, got -1")
    for bad in (1.5, True, "3", None, np.array([1])):
        _refused(IndexTypeError, lambda: check_index("filter", bad, 32), "filter", "integer index 0..31")


def test_check_ints_a_sequence_of_integers():
    assert check_ints("position", (3, 4), 2) == (3, 4) and check_ints("position", np.array([3, 4])) == (3, 4)
    assert check_ints("filters", []) == ()
    _refused(ValueError, lambda: check_ints("position", (1, 2, 3), 2), "position", "2 integers", "3 items")
    for bad in (3, "ab", None, {"x": 1}, np.zeros((2, 2), int)):
        _refused(ArgumentTypeError, lambda: check_ints("position", bad, 2, expected="(x, y) or a corner name"),
                 "position must be (x, y) or a corner name")
    _refused(ArgumentTypeError, lambda: check_ints("position", (3, 4.5), 2), "4.5", "not an integer")


def test_check_choice_exact_case_folded_and_refused_with_the_choices():
    choices = ("channel", "layer", "global")
    assert check_choice("normalisation", "layer", choices) == "layer"
    assert check_choice("normalisation", " Layer ", choices, ignore_case=True) == "layer"
    _refused(ValueError, lambda: check_choice("normalisation", "Layer", choices), "unknown normalisation 'Layer'")
    _refused(ValueError, lambda: check_choice("normalisation", "chanel", choices),
             "choose one of 'channel', 'layer', 'global'")  # the closest first
    _refused(ValueError, lambda: check_choice("pooling", "sum", ("avg", "max"), hint=" (global pooling)"),
             "'avg', 'max' (global pooling)")
    # a non-string where every choice is a name is a wrong type (still a ValueError for callers that catch it)
    _refused(ArgumentTypeError, lambda: check_choice("layer", 3, ("conv1", "conv2")), "unknown layer 3", "'conv1'")
    _refused(ArgumentTypeError, lambda: check_choice("layer", np.array([1, 2]), ("conv1",)), "'conv1'")
    assert check_choice("steps", 2, (1, 2, 3)) == 2
    _refused(ValueError, lambda: check_choice("steps", 4, (1, 2, 3)), "choose one of 1, 2, 3")


def test_check_size_none_a_side_or_a_pair():
    assert check_size(None) is None and check_size(224) == (224, 224) and check_size([100, 200]) == (100, 200)
    _refused(ValueError, lambda: check_size(0), "1..4096")
    _refused(ValueError, lambda: check_size((None, 5)), "both height and width")
    _refused(ArgumentTypeError, lambda: check_size("big"), "size must be None, an int, (height, width)")
