"""The small textbook convnet (helpers.training): architecture, a tiny run that learns, and every
public helper working unchanged on a saved-and-reloaded copy."""
import numpy as np
import pytest

import helpers
from helpers import datasets as ds
from helpers import training

CLASSES = ("circle", "square")


@pytest.fixture(scope="module")
def reloaded(tmp_path_factory):
    """The full-size architecture (untrained, seeded), saved as .keras and loaded the public way."""
    model = training.small_convnet(class_names=CLASSES)
    path = tmp_path_factory.mktemp("model") / "small.keras"
    model.save(path)
    return model, helpers.load_model(path, class_names=CLASSES)


@pytest.fixture(scope="module")
def images():
    return ds.make_shapes(4, seed=0, marker_rates=(1.0, 0.0)).images


def test_textbook_shapes_pooling_halves_the_maps(reloaded):
    shapes = dict(helpers.layer_names(reloaded[1], kinds="all", with_shapes=True))
    assert shapes["conv1"] == (148, 148, 32)  # the textbook's first map
    assert [shapes[f"pool{i}"][:2] for i in (1, 2, 3)] == [(74, 74), (36, 36), (17, 17)]
    assert [shapes[f"conv{i}"][:2] for i in (2, 3, 4)] == [(72, 72), (34, 34), (15, 15)]
    assert reloaded[1].output_shape == (None, 2)


def test_same_seed_same_initial_weights_and_other_seed_differs():
    a, b = training.small_convnet(seed=4), training.small_convnet(seed=4)
    c = training.small_convnet(seed=5)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert not np.array_equal(a.get_weights()[0], c.get_weights()[0])


def test_reload_gives_the_same_logits_and_class_names(reloaded, images):
    model, loaded = reloaded
    np.testing.assert_allclose(helpers.logits(loaded, images), helpers.logits(model, images), rtol=1e-5, atol=1e-6)
    assert helpers.model_info(loaded).class_names == CLASSES
    assert helpers.predict(loaded, images[0], top=2)[0][1] in CLASSES


def test_public_helpers_work_unchanged_on_it(reloaded, images):
    model = reloaded[1]
    acts = helpers.activations(model, images[0], layers=["conv1", "pool1", "conv4"])
    assert acts["conv1"].shape == (148, 148, 32) and acts["pool1"].shape == (74, 74, 32)
    np.testing.assert_allclose(acts["pool1"], acts["conv1"].reshape(74, 2, 74, 2, 32).max(axis=(1, 3)), rtol=1e-5)
    heat = helpers.gradcam(model, images[0], class_index=0)
    assert heat.shape == (150, 150) and np.isfinite(heat).all() and 0 <= heat.min() and heat.max() <= 1
    assert helpers.cam.default_layer(model) == "conv4"
    patterns = helpers.filter_patterns(model, "conv2", [0, 1], size=64, steps=5)
    assert patterns.shape == (2, 64, 64, 3) and patterns.dtype == np.uint8


def test_the_three_explorers_accept_it(reloaded, images):
    from helpers import widgets

    model = reloaded[1]
    act = widgets.activation_explorer(model, images[0], layer="pool1")
    assert act.forward_count == 1 and act.channel.max == 31
    cam = widgets.gradcam_explorer(model, images[0])
    assert cam.heatmap is not None and cam.heatmap.shape[:2] == (150, 150)
    assert {label.split(" (")[0] for label, _ in cam.class_dropdown.options} == set(CLASSES)
    filt = widgets.filter_explorer(model, layer="conv3", size=64, steps=5)
    assert filt.filter.max == 127 and filt.pattern is not None


def test_a_tiny_run_learns_above_chance():
    """A narrow copy (8-16-16 filters, global max pooling) learns the planted marker from 400
    images in 3 epochs and scores well above chance (50 %) on 200 new images (measured: 100 %;
    with global average pooling the same tiny run stayed near chance)."""
    train = ds.make_shapes(400, seed=1, marker_rates=(0.0, 1.0))
    test = ds.make_shapes(200, seed=2, marker_rates=(0.0, 1.0))
    model = training.small_convnet(filters=(8, 16, 16), pooling="max", seed=0)
    history = training.train(model, train, epochs=3, batch_size=16, seed=0, learning_rate=3e-3, verbose=0)
    assert history.history["seconds"][0] > 0 and len(history.history["loss"]) == 3
    assert training.accuracy(model, test) >= 0.75


def test_batch_norm_variant_keeps_the_textbook_layers_and_grad_cam_layer():
    """batch_norm=True inserts bn1..bn3 after the pooling layers only: the convolutions keep their
    names, shapes and ReLU outputs, and conv4 stays Grad-CAM's default layer."""
    model = training.small_convnet(pooling="max", batch_norm=True, seed=0)
    names = [layer.name for layer in model.layers]
    assert [n for n in names if n.startswith("bn")] == ["bn1", "bn2", "bn3"]
    assert [names.index(f"bn{i}") - names.index(f"pool{i}") for i in (1, 2, 3)] == [1, 1, 1]
    assert "gmp" in names and model.get_layer("conv1").output.shape == (None, 148, 148, 32)
    assert helpers.cam.default_layer(model) == "conv4"
    image = ds.make_shapes(1, seed=0).images
    acts = helpers.activations(model, image[0], layers=["conv2", "pool2"])
    assert acts["conv2"].min() >= 0 and acts["pool2"].shape == (36, 36, 64)
    with pytest.raises(TypeError, match="batch_norm"):
        training.small_convnet(batch_norm="yes")


def test_predict_classes_matches_argmax_of_logits(reloaded, images):
    np.testing.assert_array_equal(training.predict_classes(reloaded[1], images, batch_size=3),
                                  helpers.logits(reloaded[1], images).argmax(axis=1))


@pytest.mark.parametrize("kwargs", [{"input_size": 20}, {"num_classes": 1}, {"class_names": ("a",)},
                                    {"pooling": "sum"}])
def test_bad_architecture_arguments(kwargs):
    with pytest.raises(ValueError):
        training.small_convnet(**kwargs)


def test_bad_training_arguments(reloaded, images):
    model = training.small_convnet(filters=(4, 4), seed=0)
    with pytest.raises(TypeError, match="ShapeSet"):
        training.train(model, images)
    with pytest.raises(ValueError, match="labels must be 0..1"):
        training.train(model, (images, np.array([0, 1, 2, 0])))
    with pytest.raises(ValueError, match="epochs"):
        training.train(model, (images, np.array([0, 1, 1, 0])), epochs=0)
