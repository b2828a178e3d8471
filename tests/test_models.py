"""The model contract: the embedded EfficientNet-Lite0, classics, users' files, predict."""
import numpy as np
import pytest
import keras

import helpers
from helpers import models as M
from helpers.efficientnet_lite import block_names, build_efficientnet_lite0


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
    fm = helpers.feature_model(m, ["rescaling", "stem_activation"])
    got_pre, got = (t.numpy() for t in fm(x.astype(np.float32)))
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
        helpers.predict(default_model, np.zeros((224, 224), np.uint8))


def test_class_names_offline():
    names = helpers.imagenet_class_names()
    assert len(names) == 1000 and names[282] == "tiger cat" and names[967] == "espresso"
    assert names[0] == "tench" and M.imagenet_class_synonyms()[281] == "tabby, tabby cat"


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
    pre = helpers.feature_model(m, ["preprocess"])(x)[0].numpy()
    expected = x[..., ::-1] - np.array([103.939, 116.779, 123.68], np.float32)  # caffe: BGR minus mean
    np.testing.assert_allclose(pre, expected, atol=1e-4)
    assert m.get_layer("predictions").activation is keras.activations.linear


def test_offline_classic_model_fails_with_a_clear_message(monkeypatch):
    def offline(*args, **kwargs):  # what keras.utils.get_file raises with no network
        raise Exception("URL fetch failure on https://example/weights.h5: None -- [Errno -3] "
                        "Temporary failure in name resolution")

    monkeypatch.setattr("keras.src.utils.file_utils.get_file", offline)
    monkeypatch.setattr("keras.src.applications.mobilenet_v2.file_utils.get_file", offline, raising=False)
    with pytest.raises(helpers.WeightsDownloadError, match="efficientnet_lite0.*offline"):
        helpers.load_model("mobilenet_v2")


def _small_classifier(final_activation, units):
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", name="conv")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(units, activation=final_activation, name="head")(x))


def test_user_file_softmax_removed_preprocessing_and_names(tmp_path):
    model = _small_classifier("softmax", 3)
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
    model = _small_classifier("sigmoid", 1)
    path = tmp_path / "binary.keras"
    model.save(path)
    loaded = helpers.load_model(path, class_names=["dog", "cat"])
    x = np.random.default_rng(2).uniform(0, 255, (32, 32, 3)).astype(np.float32)
    feats = keras.Model(model.input, model.layers[-2].output)(x[None]).numpy()
    w, b = model.get_layer("head").get_weights()
    z = float((feats @ w + b)[0, 0])
    np.testing.assert_allclose(helpers.logits(loaded, x), [-z, z], atol=1e-5)
    top = helpers.predict(loaded, x, top=2)
    p_cat = 1 / (1 + np.exp(-z))
    assert dict((name, p) for _, name, p in top)["cat"] == pytest.approx(p_cat, abs=1e-6)
    assert M.num_classes(loaded) == 2
    with pytest.raises(IndexError, match="2 classes"):
        M.check_class_index(loaded, 2)


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
