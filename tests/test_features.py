"""The shared feature-model mechanism: layer lookup and multi-output models for any Keras model."""
import keras
import numpy as np
import pytest
from kit import conv_base, sub_model_output

import helpers
from helpers.features import feature_model
from helpers.layers import find_layer, layer_names, require_spatial


def test_flat_model_values_equal_direct_sub_models(default_model, cat_224):
    x = cat_224[None].astype(np.float32)
    names = ["stem_conv", "block2b_add", "top_activation"]
    outs = feature_model(default_model, names, with_logits=True)(x)
    assert list(outs) == [*names, "logits"]
    for name in names:
        np.testing.assert_allclose(outs[name].numpy(), sub_model_output(default_model, name, x), atol=1e-5)
    np.testing.assert_allclose(outs["logits"].numpy(), default_model(x).numpy(), atol=1e-4)


def test_feature_models_are_cached_and_truncated(default_model):
    a = feature_model(default_model, ["block3a_expand_conv"])
    assert feature_model(default_model, ("block3a_expand_conv",)) is a
    assert "top_conv" not in {layer.name for layer in a.layers}
    small = feature_model(default_model, ["block3a_expand_conv"], input_shape=(96, 96, 3))
    assert small.output["block3a_expand_conv"].shape == (None, 24, 24, 144)


def test_nested_sequential_transfer_learning_shape():
    """Sequential([base, GAP, Dense]) -- the shape that gives other tools 'Graph disconnected'."""
    base = conv_base()
    model = keras.Sequential([base, keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(3)])
    model.build((None, 32, 32, 3))
    x = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype(np.float32)
    conv2, relu2, z = feature_model(model, ["base_conv2", "base_relu2"], with_logits=True)(x).values()
    np.testing.assert_allclose(conv2.numpy(), sub_model_output(base, "base_conv2", x), atol=1e-5)
    np.testing.assert_allclose(relu2.numpy(), np.maximum(conv2.numpy(), 0), atol=1e-6)
    np.testing.assert_allclose(z.numpy(), model(x).numpy(), atol=1e-5)
    assert layer_names(model) == ["base_conv1", "base_pool1", "base_conv2", "base_relu2"]
    assert layer_names(model, with_shapes=True)[1] == ("base_pool1", (16, 16, 8))
    assert find_layer(model, "base_conv2").parents == (base,)


def test_nested_functional_model_and_other_input_size():
    base = conv_base((None, None, 3))
    inputs = keras.Input((32, 32, 3))
    y = keras.layers.Dense(1)(keras.layers.GlobalAveragePooling2D()(base(inputs)))
    model = keras.Model(inputs, y)
    x = np.random.default_rng(1).uniform(0, 255, (1, 48, 48, 3)).astype(np.float32)
    (pool,) = feature_model(model, ["base_pool1"], input_shape=(48, 48, 3))(x).values()
    np.testing.assert_allclose(pool.numpy(), sub_model_output(base, "base_pool1", x), atol=1e-5)


def test_plain_sequential_model():
    model = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Conv2D(4, 3, name="c1"),
                              keras.layers.Flatten(), keras.layers.Dense(2)])
    x = np.ones((1, 16, 16, 3), np.float32)
    (c1,) = feature_model(model, ["c1"])(x).values()
    np.testing.assert_allclose(c1.numpy(), model.get_layer("c1")(x).numpy(), atol=1e-6)


def test_layer_names_of_the_default_model(default_model):
    convs = layer_names(default_model, kinds=("conv",))
    assert convs[0] == "stem_conv" and convs[-1] == "top_conv" and "block2a_dwconv" in convs
    pairs = dict(layer_names(default_model, with_shapes=True))
    assert pairs["stem_conv"] == (112, 112, 32)
    assert pairs["block2a_expand_activation"] == (112, 112, 96)
    assert pairs["top_activation"] == (7, 7, 1280)
    assert "avg_pool" not in pairs and "predictions" not in pairs
    everything = layer_names(default_model, kinds="all", spatial=False)
    assert everything.index("stem_conv") < everything.index("block4a_dwconv") < everything.index("predictions")


def test_unknown_layer_lists_close_matches(default_model):
    with pytest.raises(KeyError, match="block2a_expand_conv"):
        find_layer(default_model, "block2a_expand_cnv")
    with pytest.raises(KeyError, match="top_activation"):
        feature_model(default_model, ["top_activaton"])


def test_dense_layer_is_not_a_feature_map(default_model):
    with pytest.raises(ValueError, match="not a grid of feature maps"):
        require_spatial(default_model, "predictions")
    assert require_spatial(default_model, "top_activation").name == "top_activation"


def test_model_without_convolutions_is_rejected():
    mlp = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="no convolution layer"):
        layer_names(mlp)


def test_helpers_exports_have_docstrings_with_examples():
    for name in ("load_model", "load_image", "predict", "layer_names", "feature_model", "find_layer"):
        doc = getattr(helpers, name).__doc__
        assert doc and ">>>" in doc, name


def test_other_input_size_with_a_size_fixing_head():
    """VGG-style Flatten + Dense head: a feature model at another size stops before the head."""
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", name="c1")(inputs)
    x = keras.layers.MaxPooling2D(name="p1")(x)
    y = keras.layers.Dense(2)(keras.layers.Flatten()(x))  # needs exactly 16 * 16 * 4 inputs
    model = keras.Model(inputs, y)
    x64 = np.random.default_rng(3).uniform(0, 255, (1, 64, 64, 3)).astype(np.float32)
    (p1,) = feature_model(model, ["p1"], input_shape=(64, 64, 3))(x64).values()
    conv = model.get_layer("c1")(x64).numpy()
    expected = conv.reshape(1, 32, 2, 32, 2, 4).max(axis=(2, 4))  # independent 2x2 max pooling
    np.testing.assert_allclose(p1.numpy(), expected, atol=1e-5)
    nested = keras.Sequential([model.layers[1], model.layers[2], keras.layers.Flatten(), keras.layers.Dense(2)])
    nested.build((None, 32, 32, 3))
    (p1n,) = feature_model(nested, ["p1"], input_shape=(64, 64, 3))(x64).values()
    np.testing.assert_allclose(p1n.numpy(), expected, atol=1e-5)


def test_feature_fn_returns_the_layers_in_the_order_asked_for(default_model, cat_224):
    from helpers.features import feature_fn

    x = cat_224[None].astype(np.float32)
    a, b = feature_fn(default_model, ["block2b_add", "stem_conv"])(x)
    assert a.shape == (1, 56, 56, 24) and b.shape == (1, 112, 112, 32)
    np.testing.assert_allclose(b.numpy(), sub_model_output(default_model, "stem_conv", x), atol=1e-5)


def test_predecessor_is_the_layer_whose_output_feeds_it(default_model):
    from helpers.layers import predecessor

    assert predecessor(default_model, "stem_activation").name == "stem_bn"
    assert predecessor(default_model, "block2a_expand_activation").name == "block2a_expand_bn"
    first = layer_names(default_model, kinds="all", spatial=False)[0]
    assert predecessor(default_model, first) is None  # fed by the model's input


def test_subclassed_model_is_refused_with_a_clear_message():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.conv = keras.layers.Conv2D(2, 3, name="conv")  # named: Keras numbers unnamed layers per process

        def call(self, x):
            return self.conv(x)

    net = Net()
    net(np.zeros((1, 8, 8, 3), np.float32))
    with pytest.raises(ValueError, match="subclassed"):
        feature_model(net, ["conv"], input_shape=(8, 8, 3))


def test_flat_model_at_its_own_size_uses_the_direct_sub_model(default_model):
    """The textbook keras.Model(model.input, layer.output) where valid (fast to build); a re-trace otherwise."""
    direct = feature_model(default_model, ["block2b_add"])
    assert direct.inputs[0] is default_model.inputs[0]
    retraced = feature_model(default_model, ["block2b_add"], input_shape=(96, 96, 3))
    assert retraced.inputs[0] is not default_model.inputs[0]
