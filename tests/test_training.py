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


# --------------------------------------------------------------------------- the bundled pre-trained weights
NOTEBOOK_RANGES = {  # what notebook 4 says about its numbers (fractions); the bundled weights must fall inside
    "shortcut": {"val": (0.90, 1.0), "clean": (0.40, 0.60), "swapped": (0.0, 0.05)},
    "fixed": {"val": (0.80, 1.0), "clean": (0.80, 1.0), "swapped": (0.80, 1.0)},
}


@pytest.fixture(scope="module")
def bundled():
    """Both bundled models, built with the recorded settings, and notebook 4's test sets."""
    settings = training.pretrained_record()["settings"]
    splits = ds.shortcut_splits(settings["N_TRAIN"], settings["N_TEST"], seed=settings["SEED"],
                                rate=settings["MARKER_RATE"])
    models = {}
    for which in training.PRETRAINED:
        m = training.small_convnet(class_names=CLASSES, seed=settings["SEED"], filters=tuple(settings["FILTERS"]),
                                   pooling=settings["POOLING"], batch_norm=settings["BATCH_NORM"])
        models[which] = training.load_pretrained(m, which, **settings)
    return models, splits


def test_bundled_weights_reproduce_the_recorded_accuracies_and_the_notebooks_ranges(bundled):
    """Same data, same weights: the accuracies recorded by scripts/make_pretrained.py come back to
    within half a percentage point (float round-off only), and lie in the ranges notebook 4 states."""
    import hashlib

    models, splits = bundled
    record = training.pretrained_record()
    for which, model in models.items():
        digest = hashlib.sha256()
        for w in model.get_weights():
            digest.update(np.ascontiguousarray(w, np.float32).tobytes())
        assert digest.hexdigest() == record["sha256_of_weights"][which], which
        assert 60_000 <= model.count_params() <= 70_000          # "~66k parameters"
        for name, (low, high) in NOTEBOOK_RANGES[which].items():
            acc = training.accuracy(model, splits[name])
            assert acc == pytest.approx(record["measured"][which][name], abs=0.005), (which, name)
            assert low <= acc <= high, (which, name, acc)


def test_bundled_shortcut_model_reads_the_marker(bundled):
    """The bundled shortcut model shows the notebook's story: Grad-CAM's peak on the marker of every
    swapped circle that carries it, LayerCAM's heat more concentrated in the marker box than Grad-CAM's."""
    from helpers import evaluation as ev

    models, splits = bundled
    swapped = splits["swapped"]
    probe = swapped.subset(np.flatnonzero(swapped.has_marker)[:40])
    heat = {m: helpers.gradcam(models["shortcut"], probe.images, method=m) for m in ("gradcam", "layercam")}
    assert ev.pointing_game(heat["gradcam"], probe.marker_boxes, 15).mean() >= 0.95
    assert ev.heat_in_box(heat["layercam"], probe.marker_boxes).mean() > ev.heat_in_box(heat["gradcam"],
                                                                                       probe.marker_boxes).mean()


def test_load_pretrained_refuses_what_does_not_fit():
    settings = training.pretrained_record()["settings"]
    model = training.small_convnet(filters=tuple(settings["FILTERS"]), pooling="max", batch_norm=True)
    with pytest.raises(ValueError, match="unknown bundled weights 'best'; choose one of 'shortcut', 'fixed'"):
        training.load_pretrained(model, "best")
    with pytest.raises(ValueError, match="EPOCHS = 2, not 5"):
        training.load_pretrained(model, "shortcut", EPOCHS=5)
    with pytest.raises(ValueError, match="FILTERS"):
        training.load_pretrained(model, "shortcut", FILTERS=(32, 64, 128, 128))
    with pytest.raises(KeyError, match="unknown setting 'EPOCH'"):
        training.load_pretrained(model, "shortcut", EPOCH=2)
    assert training.load_pretrained(model, "fixed", FILTERS=(32, 32, 64, 64), SEED=0) is model   # a tuple is fine
    textbook = training.small_convnet(pooling="max", batch_norm=True)       # (32, 64, 128, 128): other shapes
    with pytest.raises(ValueError, match="does not fit the bundled weights"):
        training.load_pretrained(textbook, "shortcut")


def test_batches_are_float32_and_reshuffled_with_the_seed():
    data = (ds.make_shapes(12, seed=0).images, np.arange(12))   # labels = indices: they show the order
    order = lambda ds_: np.concatenate([y.numpy() for _, y in ds_])  # noqa: E731
    import keras

    keras.utils.set_random_seed(0)
    a = training.batches(data, batch_size=5, seed=3)
    first, second = order(a), order(a)                                       # a new order each epoch
    keras.utils.set_random_seed(0)                                           # as the notebook does before fit
    b = training.batches(data, batch_size=5, seed=3)
    np.testing.assert_array_equal(order(b), first)                           # same seeds, same orders
    np.testing.assert_array_equal(order(b), second)
    x, _ = next(iter(a))
    assert x.dtype.name == "float32" and tuple(x.shape) == (5, 150, 150, 3)
    assert sorted(first) == sorted(second) == list(range(12)) and list(first) != list(second)
    np.testing.assert_array_equal(order(training.batches(data, seed=None)), np.arange(12))   # in order
    with pytest.raises(ValueError, match="batch_size"):
        training.batches(data, batch_size=0)
