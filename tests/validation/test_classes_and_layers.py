"""helpers.validation.classes and .layers: class names and indices, layers by name or object, kinds."""
import keras
import numpy as np
import pytest

from helpers.validation import (
    ArgumentTypeError,
    IndexTypeError,
    LayerTypeError,
    check_class_index,
    check_class_names,
    check_kinds,
    check_layers,
    class_from_name,
    layer_name,
)

NAMES = ("tabby", "tiger cat", "Persian cat")


def test_class_names_are_a_tuple_of_strings_of_the_right_count():
    assert check_class_names(["a", "b"], 2) == ("a", "b")
    with pytest.raises(ArgumentTypeError, match="not one string"):
        check_class_names("ab", 2)
    with pytest.raises(ArgumentTypeError, match="all be strings"):
        check_class_names(["a", 2])
    with pytest.raises(ValueError, match="2 names but the model has 3 classes"):
        check_class_names(["a", "b"], 3)


def test_class_index_by_number_and_by_name():
    assert check_class_index(np.array(2), 3) == 2 and check_class_index("Tiger Cat", 3, NAMES) == 1
    with pytest.raises(IndexError, match=r"class_index 3 is out of range: this model has 3 classes \(0..2\)"):
        check_class_index(3, 3)
    with pytest.raises(IndexTypeError, match="or a class name"):
        check_class_index(2.0, 3, NAMES)
    with pytest.raises(IndexTypeError):
        check_class_index("tabby", 3)  # no names known: a string is not an index


def test_class_from_name_exact_part_or_the_closest_listed():
    assert class_from_name("persian", NAMES) == 2  # a part of exactly one name
    with pytest.raises(ValueError, match=r"matches 3 classes: 'tabby' \(0\), 'tiger cat' \(1\)"):
        class_from_name("a", NAMES)
    with pytest.raises(ValueError, match=r"did you mean 'tabby' \(0\)"):
        class_from_name("tabbby", NAMES)


def test_layers_by_name_object_list_or_none():
    conv = keras.layers.Conv2D(2, 3, name="c1")
    assert layer_name(conv) == "c1" and layer_name("c2") == "c2"
    assert check_layers(None) is None and check_layers(conv) == ("c1",)
    assert check_layers(["c2", conv]) == ("c2", "c1") and check_layers(np.array(["a", "b"])) == ("a", "b")
    with pytest.raises(LayerTypeError, match="get_layer") as info:
        layer_name(3)
    assert isinstance(info.value, KeyError) and str(info.value).startswith("a layer is named")
    for bad in (5, {"a": 1}, b"c1", np.array([["a"]])):
        with pytest.raises(ArgumentTypeError, match="layers must be a layer name"):
            check_layers(bad)
    with pytest.raises(ArgumentTypeError, match="layers: a layer is named by a string"):
        check_layers(["c1", 5])


def test_layer_kinds_one_several_or_all():
    kinds = ("conv", "pool")
    assert check_kinds("all", kinds) == kinds and check_kinds("Conv", kinds) == ("conv",)
    assert check_kinds(["pool", "conv"], kinds) == ("pool", "conv")
    with pytest.raises(ValueError, match="'conv'"):
        check_kinds("convolution", kinds)
    with pytest.raises(ArgumentTypeError, match="kinds must be a layer kind"):
        check_kinds(3, kinds)
