"""The model contract: the embedded EfficientNet-Lite0, classics, users' files, predict."""
import keras
import numpy as np
import pytest
from kit import conv_classifier

import helpers
from helpers import models as M
from helpers.efficientnet_lite import block_names, build_efficientnet_lite0
from helpers.loading import imagenet_class_synonyms


def test_default_model_contract(default_model):
    m = default_model
    assert m.input_shape == (None, 224, 224, 3) and m.output_shape == (None, 1000)
    assert m.count_params() == 4_694_024  # 4,652,008 trainable + BatchNorm moving statistics
    assert sum(int(np.prod(w.shape)) for w in m.trainable_weights) == 4_652_008
    names = {layer.name for layer in m.layers}
    for expected in ("rescaling", "stem_conv", "stem_bn", "stem_activation", "block1a_dwconv",
                     "block2a_expand_conv", "block2a_dwconv", "block2b_add", "block7a_project_bn",
                     "top_conv", "top_activation", "avg_pool", "predictions"):
        assert expected in names
    assert len(block_names()) == 16
    assert "block1a_expand_conv" not in names  # expand ratio 1: no expansion in the first block
    assert not any("se_" in n for n in names)  # Lite: no squeeze-excite
    relus = [layer for layer in m.layers if isinstance(layer, keras.layers.ReLU)]
    assert relus and all(float(r.max_value) == 6.0 for r in relus)
    bns = [layer for layer in m.layers if isinstance(layer, keras.layers.BatchNormalization)]
    assert bns and all(b.epsilon == 1e-3 for b in bns)
    assert m.get_layer("predictions").activation is keras.activations.linear


def _same_conv_stride2(x, w):
    """Independent numpy 3x3 stride-2 convolution with TensorFlow 'SAME' padding."""
    n, h, wid, c = x.shape
    oh, ow = -(-h // 2), -(-wid // 2)
    ph, pw = max((oh - 1) * 2 + 3 - h, 0), max((ow - 1) * 2 + 3 - wid, 0)
    xp = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    out = np.zeros((n, oh, ow, w.shape[-1]))
    for i in range(3):
        for j in range(3):
            out += xp[:, i:i + 2 * oh:2, j:j + 2 * ow:2, :] @ w[i, j]
    return out


def test_stem_matches_an_independent_numpy_computation(default_model, cat_224):
    """Preprocessing (x - 127) / 128 inside the model, SAME padding, BN eps 1e-3, ReLU6."""
    m = default_model
    x = cat_224[None].astype(np.float64)
    pre = (x - 127.0) / 128.0
    conv = _same_conv_stride2(pre, m.get_layer("stem_conv").get_weights()[0].astype(np.float64))
    gamma, beta, mean, var = (w.astype(np.float64) for w in m.get_layer("stem_bn").get_weights())
    expected = np.clip((conv - mean) / np.sqrt(var + 1e-3) * gamma + beta, 0, 6)
    out = helpers.feature_model(m, ["rescaling", "stem_activation"])(x.astype(np.float32))
    got_pre, got = out["rescaling"].numpy(), out["stem_activation"].numpy()
    np.testing.assert_allclose(got_pre, pre, atol=1e-6)
    np.testing.assert_allclose(got, expected, atol=2e-4)


def test_outputs_are_logits_not_probabilities(default_model, cat_224):
    z = helpers.logits(default_model, cat_224)
    assert z.shape == (1000,) and z.min() < 0 and abs(np.exp(z).sum() - 1) > 0.1


def test_classifies_the_bundled_photos(default_model):
    cats = {"tiger cat", "Egyptian cat", "tabby"}
    top = helpers.predict(default_model, helpers.load_image("chelsea"), top=3)
    assert {name for _, name, _ in top} <= cats
    top1 = helpers.predict(default_model, helpers.load_image("coffee"), top=1)[0]
    assert top1[:2] == (967, "espresso") and top1[2] > 0.5


def test_predict_format_batch_and_resizing(default_model):
    images = np.stack([helpers.load_image(n, size=224) for n in ("chelsea", "coffee")])
    both = helpers.predict(default_model, images, top=5)
    assert len(both) == 2 and all(len(r) == 5 for r in both)
    probs = [p for _, _, p in both[0]]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1
    assert all(isinstance(i, int) and isinstance(n, str) for i, n, _ in both[0])
    # a single image of another size is resized to the model's input size
    single = helpers.predict(default_model, helpers.load_image("coffee"), top=1)
    assert single[0][0] == both[1][0][0]
    # probabilities agree with an independent softmax of the logits
    z = helpers.logits(default_model, images[0]).astype(np.float64)
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    assert abs(p[both[0][0][0]] - both[0][0][2]) < 1e-6
    with pytest.raises(ValueError, match="top"):
        helpers.predict(default_model, images[0], top=0)
    with pytest.raises(ValueError, match="shape"):
        helpers.predict(default_model, np.zeros((224, 224, 2), np.uint8))
    grey = helpers.load_image("coffee", size=224)[..., 0]  # a grey (H, W) picture: read as load_image reads it
    assert helpers.predict(default_model, grey, top=1)[0][0] == helpers.predict(
        default_model, np.repeat(grey[..., None], 3, axis=2), top=1)[0][0]


def test_class_names_offline():
    names = helpers.imagenet_class_names()
    assert len(names) == 1000 and names[282] == "tiger cat" and names[967] == "espresso"
    assert names[0] == "tench" and imagenet_class_synonyms()[281] == "tabby, tabby cat"


def test_unknown_model_name_lists_the_choices():
    with pytest.raises(ValueError, match="efficientnet_lite0.*vgg16"):
        helpers.load_model("alexnet")
    with pytest.raises(ValueError, match="weights"):
        helpers.load_model(weights="random")


def test_random_weights_option_builds_the_same_architecture(default_model):
    m = helpers.load_model(weights=None)
    assert [layer.name for layer in m.layers] == [layer.name for layer in default_model.layers]
    assert not np.allclose(m.get_layer("stem_conv").get_weights()[0],
                           default_model.get_layer("stem_conv").get_weights()[0])


def test_classic_model_architecture_with_preprocessing_inside():
    m = helpers.load_model("vgg16", weights=None)
    assert m.input_shape == (None, 224, 224, 3) and m.output_shape == (None, 1000)
    assert m.get_layer("block1_conv1").output.shape == (None, 224, 224, 64)  # the textbook's 64 maps
    x = np.random.default_rng(0).uniform(0, 255, (1, 224, 224, 3)).astype(np.float32)
    pre = helpers.feature_model(m, ["preprocess"])(x)["preprocess"].numpy()
    expected = x[..., ::-1] - np.array([103.939, 116.779, 123.68], np.float32)  # caffe: BGR minus mean
    np.testing.assert_allclose(pre, expected, atol=1e-4)
    assert m.get_layer("predictions").activation is keras.activations.linear


def test_offline_classic_model_fails_with_a_clear_message(monkeypatch):
    import os
    import urllib.error
    import urllib.request

    cached = os.path.expanduser(os.path.join(os.environ.get("KERAS_HOME", "~/.keras"), "models"))
    if os.path.isdir(cached) and any("mobilenet_v2" in f for f in os.listdir(cached)):
        pytest.skip("the MobileNetV2 weights are cached here: nothing would be downloaded")

    def offline(*args, **kwargs):  # what the standard library raises with no network
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request, "urlopen", offline)  # used by urllib.request.urlretrieve
    with pytest.raises(helpers.WeightsDownloadError, match="efficientnet_lite0.*offline"):
        helpers.load_model("mobilenet_v2")


def _classifier(final_activation, units):
    """conv (same padding) -> global pooling -> Dense 'head' with the given activation."""
    return conv_classifier(convs=(("conv", 4, None),), padding="same", units=units, head_activation=final_activation,
                           head="head")


def test_user_file_softmax_removed_preprocessing_and_names(tmp_path):
    model = _classifier("softmax", 3)
    path = tmp_path / "mine.keras"
    model.save(path)
    x = np.random.default_rng(1).uniform(0, 255, (2, 32, 32, 3)).astype(np.float32)
    loaded = helpers.load_model(path, preprocess="tf", class_names=["cat", "dog", "fox"])
    # independent logits: the saved model's penultimate features times the head weights
    feats = keras.Model(model.input, model.layers[-2].output)(x / 127.5 - 1).numpy()
    w, b = model.get_layer("head").get_weights()
    np.testing.assert_allclose(helpers.logits(loaded, x), feats @ w + b, atol=1e-5)
    assert [name for _, name, _ in helpers.predict(loaded, x[0], top=3)] != []
    assert helpers.model_info(loaded).class_names == ("cat", "dog", "fox")
    with pytest.raises(ValueError, match="class_names"):
        helpers.load_model(path, class_names=["a"])
    with pytest.raises(ValueError, match="preprocessing"):
        helpers.load_model(path, preprocess="magic")
    with pytest.raises(FileNotFoundError, match="nothere.keras"):
        helpers.load_model(tmp_path / "nothere.keras")
    (tmp_path / "junk.keras").write_text("not a model")
    with pytest.raises(ValueError, match="could not load"):
        helpers.load_model(tmp_path / "junk.keras")


def test_single_sigmoid_head_is_two_classes(tmp_path):
    keras.utils.set_random_seed(3)
    model = _classifier("sigmoid", 1)
    model.get_layer("head").set_weights([np.full((4, 1), 0.01, np.float32), np.array([-0.3], np.float32)])
    path = tmp_path / "binary.keras"
    model.save(path)
    loaded = helpers.load_model(path, class_names=["dog", "cat"])
    x = np.random.default_rng(2).uniform(0, 255, (32, 32, 3)).astype(np.float32)
    feats = keras.Model(model.input, model.layers[-2].output)(x[None]).numpy()
    w, b = model.get_layer("head").get_weights()
    z = float((feats @ w + b)[0, 0])
    assert 0.3 < abs(z) < 3  # a moderate logit: sigmoid(z) and sigmoid(2z) differ clearly
    np.testing.assert_allclose(helpers.logits(loaded, x), [-z, z], atol=1e-5)
    top = dict((name, p) for _, name, p in helpers.predict(loaded, x, top=2))
    p_cat = 1 / (1 + np.exp(-z))  # independent numpy sigmoid
    assert abs(p_cat - 1 / (1 + np.exp(-2 * z))) > 0.05
    assert top["cat"] == pytest.approx(p_cat, abs=1e-6) and top["dog"] == pytest.approx(1 - p_cat, abs=1e-6)
    assert M.num_classes(loaded) == 2
    with pytest.raises(IndexError, match="2 classes"):
        M.check_class_index(loaded, 2)


def _heads(kind):
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(4, 3, name="conv")(inputs))
    if kind == "dense":
        return keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))
    if kind == "softmax_layer":
        return keras.Model(inputs, keras.layers.Softmax()(keras.layers.Dense(3)(x)))
    if kind == "activation_layer":
        return keras.Model(inputs, keras.layers.Activation("softmax")(keras.layers.Dense(3)(x)))
    if kind == "nested_functional":
        return keras.Model(inputs, keras.Sequential([keras.layers.Dense(3), keras.layers.Softmax()])(x))
    base = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Conv2D(4, 3),
                             keras.layers.GlobalAveragePooling2D()])
    return keras.Sequential([base, keras.Sequential([keras.layers.Dense(3), keras.layers.Softmax()])])


@pytest.mark.parametrize("kind", ["dense", "softmax_layer", "activation_layer", "nested_functional",
                                  "nested_sequential"])
def test_softmax_anywhere_at_the_head_is_removed(kind, tmp_path):
    keras.utils.set_random_seed(0)
    model = _heads(kind)
    x = np.random.default_rng(0).uniform(0, 255, (2, 16, 16, 3)).astype(np.float32)
    probs = model(x).numpy().astype(np.float64)
    with pytest.raises(ValueError, match="probabilities"):  # an in-memory model still ending in softmax
        helpers.predict(model, x[0])
    for loaded in (helpers.load_model(model), _save_and_load(model, tmp_path)):
        z = helpers.logits(loaded, x).astype(np.float64)
        assert np.abs(z - probs).max() > 1e-3  # logits, not the probabilities again
        p = np.exp(z - z.max(1, keepdims=True))
        np.testing.assert_allclose(p / p.sum(1, keepdims=True), probs, atol=1e-5)  # softmax(logits) = the model's
        top = helpers.predict(loaded, x[0], top=3)
        np.testing.assert_allclose([q for _, _, q in sorted(top)], probs[0], atol=1e-5)  # [1,0,0]-style: once only
    np.testing.assert_allclose(model(x).numpy(), probs, atol=1e-6)  # the learner's own model is untouched


def _save_and_load(model, tmp_path):
    path = tmp_path / "m.keras"
    model.save(path)
    return helpers.load_model(path)


def test_regression_head_is_refused_for_classes_unless_named(tmp_path):
    model = _classifier(None, 1)
    for m in (model, _save_and_load(model, tmp_path)):
        with pytest.raises(ValueError, match="regression"):
            helpers.predict(m, np.zeros((32, 32, 3), np.uint8))
    named = helpers.load_model(model, class_names=["no", "yes"])  # two names: a binary logit
    assert M.model_info(named).binary and len(helpers.predict(named, np.zeros((32, 32, 3), np.uint8))) == 2


def test_option_and_class_name_mistakes_are_refused_at_once():
    with pytest.raises(ValueError, match="built-in"):
        helpers.load_model("efficientnet_lite0", preprocess="tf")
    with pytest.raises(ValueError, match="built-in"):
        helpers.load_model("efficientnet_lite0", class_names=["a", "b"])
    m = _classifier(None, 3)
    with pytest.raises(ValueError, match="2 names but the model has 3 classes"):
        helpers.register_model(m, "toy", ["a", "b"])
    with pytest.raises(TypeError, match="not one string"):
        helpers.register_model(m, "toy", "abc")
    with pytest.raises(TypeError, match="load_model"):
        helpers.predict("efficientnet_lite0", np.zeros((8, 8, 3), np.uint8))


def test_unsupported_models_are_refused_clearly():
    a, b = keras.Input((8, 8, 3)), keras.Input((8, 8, 3))
    two_in = keras.Model([a, b], keras.layers.Dense(2)(keras.layers.Flatten()(keras.layers.Add()([a, b]))))
    with pytest.raises(ValueError, match="2 inputs"):
        helpers.predict(two_in, np.zeros((8, 8, 3), np.uint8))
    x = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(2, 3)(a))
    two_out = keras.Model(a, [keras.layers.Dense(2)(x), keras.layers.Dense(3)(x)])
    with pytest.raises(ValueError, match="2 outputs"):
        helpers.predict(two_out, np.zeros((8, 8, 3), np.uint8))
    cf_in = keras.Input((3, 16, 16))
    cf = keras.Model(cf_in, keras.layers.Dense(2)(keras.layers.GlobalAveragePooling2D("channels_first")(
        keras.layers.Conv2D(2, 3, data_format="channels_first")(cf_in))))
    for call in (lambda: helpers.predict(cf, np.zeros((16, 16, 3), np.uint8)),
                 lambda: helpers.load_image("chelsea", size=cf)):
        with pytest.raises(ValueError, match="channels first"):
            call()


def test_grayscale_model_end_to_end():
    keras.utils.set_random_seed(1)
    inputs = keras.Input((16, 16, 1))
    x = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(3, 3, name="conv")(inputs))
    model = helpers.register_model(keras.Model(inputs, keras.layers.Dense(2)(x)), "grey", ["dark", "light"])
    rgb = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    luma = rgb.astype(np.float64) @ [0.299, 0.587, 0.114]  # independent RGB -> grey
    np.testing.assert_allclose(helpers.logits(model, rgb), model(luma[None, ..., None]).numpy()[0], atol=1e-4)
    assert helpers.load_image("chelsea", size=model).shape == (16, 16, 3)


def test_open_size_model_needs_a_minimum_size():
    inputs = keras.Input((None, None, 3))
    model = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.GlobalAveragePooling2D()(
        keras.layers.Conv2D(2, 3)(inputs))))
    with pytest.raises(ValueError, match="32"):
        helpers.predict(model, np.zeros((4, 4, 3), np.uint8))
    assert len(helpers.predict(model, np.zeros((40, 48, 3), np.uint8))) == 2
    assert helpers.load_image("chelsea", size=model).shape == (224, 224, 3)


def test_caches_are_freed_with_the_model(cat_224):
    import gc

    from helpers import _cache

    def run():
        model = _classifier(None, 3)
        helpers.forward_fn(model)(np.zeros((1, 32, 32, 3), np.float32))
        helpers.predict(model, np.zeros((32, 32, 3), np.uint8))
        return _cache.cached_models()

    gc.collect()
    before = _cache.cached_models()
    assert run() == before + 1
    gc.collect()
    assert _cache.cached_models() == before


def test_forward_fn_is_compiled_once_and_reused(default_model, cat_224):
    f = helpers.forward_fn(default_model)
    assert helpers.forward_fn(default_model) is f
    x = cat_224[None].astype(np.float32)
    for batch in (x, np.concatenate([x, x])):
        np.testing.assert_allclose(f(batch).numpy(), default_model(batch).numpy(), atol=1e-4)
    assert f.experimental_get_tracing_count() == 1  # batch size 1 and 2 share one trace


def test_weights_file_checks(tmp_path):
    m = build_efficientnet_lite0(weights=None)
    with pytest.raises(ValueError, match="no array"):
        np.savez(tmp_path / "empty.npz", nothing=np.zeros(1))
        build_efficientnet_lite0(weights=tmp_path / "empty.npz")
    assert m.output_shape == (None, 1000)
