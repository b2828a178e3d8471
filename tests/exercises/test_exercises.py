"""Every exercise check of notebooks 1-3 and 5 fed a correct answer (✓), wrong ones (✗ naming what is wrong),
no answer (○ not answered yet) and tied / edge answers; the correct answers are the teacher's answer
keys in docs/teaching/answers/ (the same files the lesson plans point to). Also: the learner's
notebooks come with nothing pre-filled, and they call these checks."""
from __future__ import annotations

import ast
import importlib.util
import re
import types
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

import helpers
from helpers.exercises import activations as ex1
from helpers.exercises import cam as ex3
from helpers.exercises import capstone as ex4
from helpers.exercises import faithfulness as ex5
from helpers.exercises import filters as ex2

ROOT = Path(__file__).resolve().parents[2]
ANSWERS = ROOT / "docs" / "teaching" / "answers"


def _key(n: int):
    spec = importlib.util.spec_from_file_location(f"answers_0{n}", ANSWERS / f"answers_0{n}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ok(result, *words):
    assert result.ok is True and str(result).startswith("✓ correct: "), str(result)
    for w in words:
        assert w in str(result), (w, str(result))


def wrong(result, *words):
    assert result.ok is False and str(result).startswith("✗ not quite: "), str(result)
    for w in words:
        assert w in str(result), (w, str(result))


def unanswered(result):
    assert result.ok is None and str(result).startswith("○ not answered yet: "), str(result)
    assert not result


def _assert_hints_teach(module, not_yet: dict, give_away: dict, *, in_result: bool = True):
    """Each exercise's 'not answered yet' line (``not_yet[n]``) names ``checks.hint(n)``; the hint is a real
    one; neither it nor (``in_result``) that line holds any of ``give_away[n]``; and hint(n) takes exactly the
    exercise numbers 1..N (a numpy integer too, never 0, N + 1, a string, a bool or None: a KeyError)."""
    for n, result in not_yet.items():
        unanswered(result)
        assert f"checks.hint({n})" in str(result)
        hint = module.hint(n)
        assert hint.startswith(f"hint {n}: ") and len(hint) > 60
        for text in (str(result), hint) if in_result else (hint,):
            assert not any(code in text for code in give_away[n]), (n, text)
    count = len(not_yet)
    assert list(not_yet) == list(range(1, count + 1))
    assert module.hint(np.int64(count)) == module.hint(count)
    for bad in (0, count + 1, "1", "2", True, None):
        with pytest.raises(KeyError, match=f"n = {', '.join(map(str, not_yet))}"):
            module.hint(bad)


# --------------------------------------------------------------------------- notebook 1
@pytest.fixture(scope="module")
def nb1(default_model):
    image = helpers.load_image("chelsea", size=default_model)
    everything = helpers.activations(default_model, image, helpers.layer_names(default_model))
    return types.SimpleNamespace(model=default_model, everything=everything, IMAGE="chelsea",
                                 activation_layers=helpers.layer_names(default_model, kinds=("activation",)))


def _whisker_ratio_at_224(fmap):
    """The whisker ratio computed another way: the map repeated up to 224 px (np.kron), then the boxes
    and the border read in picture pixels, as a learner would draw them over the photo."""
    up = np.kron(fmap, np.ones((224 // fmap.shape[0], 224 // fmap.shape[1])))
    box = np.zeros((224, 224), bool)
    box[172:, :100] = box[165:, 185:] = True
    inner = np.zeros((224, 224), bool)
    inner[8:-8, 8:-8] = True
    return up[box & inner].mean() / (up[~box & inner].mean() + 1e-3)


def test_nb1_whiskers(nb1):
    key = _key(1)
    ok(ex1.whiskers(nb1.everything, "block2b_expand_activation", key.exercise_1(nb1)), "channel 79", "whiskers")
    maps = nb1.everything["block2b_expand_activation"]
    other_way = {c: _whisker_ratio_at_224(maps[..., c]) for c in range(maps.shape[-1])}
    best = max(other_way, key=other_way.get)          # the clearest channel, found without the check's code
    ok(ex1.whiskers(nb1.everything, "block2b_expand_activation", best), f"channel {best}")
    # ties: every channel above the bar counts, not only the best one
    ratios = {c: ex1.whisker_ratio(maps[..., c]) for c in range(144)}
    winners = [c for c, r in ratios.items() if r >= ex1.WHISKER_RATIO]
    assert len(winners) >= 2 and 79 in winners and best in winners
    for c in winners:
        ok(ex1.whiskers(nb1.everything, "block2b_expand_activation", c))
    ok(ex1.whiskers(nb1.everything, nb1.model.get_layer("block2b_expand_activation"), np.int64(79)))
    loser = min(ratios, key=ratios.get)
    wrong(ex1.whiskers(nb1.everything, "block2b_expand_activation", loser), f"channel {loser}", "need 3x")
    wrong(ex1.whiskers(nb1.everything, "block2b_expand_activation", 144), "144 does not exist", "0 to 143")
    wrong(ex1.whiskers(nb1.everything, "stem_activation", 3), "not in block 2")
    wrong(ex1.whiskers(nb1.everything, "block2b_expand_activatoin", 79), "did you mean 'block2b_expand_activation'")
    wrong(ex1.whiskers(nb1.everything, "block2b_expand_activation", "seventy-nine"), "whole number")
    unanswered(ex1.whiskers(nb1.everything, "block2b_expand_activation", None))
    unanswered(ex1.whiskers(nb1.everything, "block2b_expand_activation", 79, image_name="coffee"))
    # edge: a ratio of exactly the bar passes, a hair below fails (a map built to hit it)
    edge = np.ones((56, 56, 1), np.float32)
    whisker_box = np.zeros((56, 56), bool)
    whisker_box[43:, :25] = whisker_box[41:, 46:] = True   # the check's boxes at 56 px (172/4, 100/4, ...)
    for bar, verdict in ((ex1.WHISKER_RATIO, ok), (ex1.WHISKER_RATIO - 0.01, wrong)):
        edge[..., 0] = np.where(whisker_box, bar * (1 + 1e-3), 1.0)   # the 1e-3 cancels the check's epsilon
        assert abs(ex1.whisker_ratio(edge[..., 0]) - bar) < 1e-6
        verdict(ex1.whiskers({"block2b_x": edge}, "block2b_x", 0))


def test_nb1_first_mostly_dead(nb1):
    truth = _key(1).exercise_2(nb1)
    # another way: a channel is dead when every value is exactly zero (not via max <= 0)
    dead = {n: np.all(nb1.everything[n] == 0, axis=(0, 1)).mean() for n in nb1.activation_layers}
    other_way = next(n for n in nb1.activation_layers if dead[n] > 0.5)
    assert truth == other_way
    ok(ex1.first_mostly_dead(nb1.everything, nb1.activation_layers, other_way), truth)
    ok(ex1.first_mostly_dead(nb1.everything, nb1.activation_layers, nb1.model.get_layer(truth)))  # the layer itself
    later = next(n for n in nb1.activation_layers[nb1.activation_layers.index(truth) + 1:] if dead[n] > 0.5)
    wrong(ex1.first_mostly_dead(nb1.everything, nb1.activation_layers, later), "an earlier layer")
    wrong(ex1.first_mostly_dead(nb1.everything, nb1.activation_layers, "stem_activation"), "not more than half")
    wrong(ex1.first_mostly_dead(nb1.everything, nb1.activation_layers, "stem_conv"), "not one of activation_layers")
    unanswered(ex1.first_mostly_dead(nb1.everything, nb1.activation_layers, None))
    # edge: exactly half dead is not "more than half"
    half = np.zeros((2, 2, 4), np.float32)
    half[..., :2] = 1
    more = np.zeros((2, 2, 4), np.float32)
    more[..., :1] = 1
    maps = {"a": half, "b": more}
    wrong(ex1.first_mostly_dead(maps, ["a", "b"], "a"), "50%", "not more than half")
    ok(ex1.first_mostly_dead(maps, ["a", "b"], "b"), "75%")


def test_nb1_quarter_layer(nb1):
    truth = _key(1).exercise_3(nb1)
    # another way: multiply the strides of the convolution and pooling layers until they reach 4
    total, other_way = 1, None
    for name in helpers.layer_names(nb1.model, kinds=("conv", "pool")):
        total *= getattr(nb1.model.get_layer(name), "strides", (1, 1))[0]
        if total == 4:
            other_way = name
            break
    assert truth == other_way == "block2a_dwconv"
    ok(ex1.quarter_layer(nb1.model, other_way), "DepthwiseConv2D", "stride 2", "112 -> 56")
    ok(ex1.quarter_layer(nb1.model, nb1.model.get_layer(truth)))
    wrong(ex1.quarter_layer(nb1.model, "stem_conv"), "112x112")
    wrong(ex1.quarter_layer(nb1.model, "block2a_project_conv"), "earlier layer already made it 56")  # edge: also 56
    wrong(ex1.quarter_layer(nb1.model, "block2a_bn"), "BatchNormalization, not a convolution")
    wrong(ex1.quarter_layer(nb1.model, "block2a_dwcov"), "did you mean 'block2a_dwconv'")
    unanswered(ex1.quarter_layer(nb1.model, None))


def test_nb1_weakest_live_channel(nb1):
    stem = nb1.everything["stem_activation"]
    truth = _key(1).exercise_4(nb1)
    # another way: sums instead of means, live = any value above zero
    sums = stem.sum(axis=(0, 1), dtype=np.float64)
    other_way = min((c for c in range(stem.shape[-1]) if np.any(stem[..., c] > 0)), key=lambda c: sums[c])
    assert truth == other_way == 3
    ok(ex1.weakest_live_channel(stem, other_way), "channel 3", "0.004", "0.94", "27 live")
    ok(ex1.weakest_live_channel(stem, 3.0))
    peaks = stem.max(axis=(0, 1))
    dead = int(np.flatnonzero(peaks <= 0)[0])
    wrong(ex1.weakest_live_channel(stem, dead), f"channel {dead} is dead")
    wrong(ex1.weakest_live_channel(stem, int(np.argmax(peaks))), "smaller mean exists")  # the old exercise's answer
    wrong(ex1.weakest_live_channel(stem, 32), "does not exist")
    wrong(ex1.weakest_live_channel(stem, 2.5), "whole number")
    unanswered(ex1.weakest_live_channel(stem, None))
    # ties: two live channels with the same smallest mean both pass
    tied = np.zeros((3, 3, 4), np.float32)
    tied[0, 0] = [0.5, 0.5, 2.0, 0.0]
    ok(ex1.weakest_live_channel(tied, 0), "tied with [1]")
    ok(ex1.weakest_live_channel(tied, 1), "tied with [0]")
    wrong(ex1.weakest_live_channel(tied, 3), "dead")


# --------------------------------------------------------------------------- notebook 2
def test_nb2_loss():
    ok(ex2.loss(_key(2).exercise_1(None)), "2-pixel border", "differentiable")
    ok(ex2.loss(lambda m, f: tf.reduce_mean(m[0, 2:-2, 2:-2, f])))          # an equivalent indexing
    # another way: crop with tf.image, then sum / count
    other_way = lambda m, f: (tf.reduce_sum(tf.image.crop_to_bounding_box(m, 2, 2, m.shape[1] - 4, m.shape[2] - 4)  # noqa: E731
                                            [..., f]) / ((m.shape[1] - 4) * (m.shape[2] - 4)))
    ok(ex2.loss(other_way), "differentiable")
    ok(ex2.loss(lambda m, f: tf.reduce_mean(m[:, 2:-2, 2:-2, f], axis=(1, 2))))  # edge: shape (1,) is one number
    wrong(ex2.loss(lambda m, f: tf.reduce_mean(m[..., f])), "whole map")
    wrong(ex2.loss(lambda m, f: tf.reduce_mean(m[:, 2:-2, 2:-2, :])), "every filter")
    wrong(ex2.loss(lambda m, f: tf.reduce_sum(m[:, 2:-2, 2:-2, f])), "summed")
    wrong(ex2.loss(lambda m, f: tf.reduce_mean(m[:, 1:-1, 1:-1, f])), "cropped 1 pixel")
    wrong(ex2.loss(lambda m, f: np.mean(m.numpy()[:, 2:-2, 2:-2, f])), "no gradient flows")
    wrong(ex2.loss(lambda m, f: m[:, 2:-2, 2:-2, f]), "one number")
    wrong(ex2.loss(lambda m, f: m.nonexistent), "raised AttributeError")
    unanswered(ex2.loss(lambda m, f: None))


def test_nb2_step():
    ok(ex2.step(_key(2).exercise_2(None)), "whole gradient")
    ok(ex2.step(lambda x, g, eta: x + eta * tf.math.l2_normalize(g)), "whole gradient")   # another way
    # the 3rd edition's per-pixel normalisation is an equivalent answer
    per_pixel = lambda x, g, eta: x + eta * g / (tf.norm(g, axis=-1, keepdims=True) + 1e-12)  # noqa: E731
    ok(ex2.step(per_pixel), "per pixel")
    wrong(ex2.step(lambda x, g, eta: x + eta * g / tf.norm(g)), "zero gradient gives NaN")   # edge: no epsilon
    wrong(ex2.step(lambda x, g, eta: x - eta * g / (tf.norm(g) + 1e-12)), "downhill")
    wrong(ex2.step(lambda x, g, eta: x + eta * g), "divide grad by its L2 norm")
    wrong(ex2.step(lambda x, g, eta: x + 2 * eta * g / (tf.norm(g) + 1e-12)), "should have length eta")
    wrong(ex2.step(lambda x, g, eta: x[0]), "shape")
    unanswered(ex2.step(lambda x, g, eta: None))


def test_nb2_hints_teach_without_giving_the_answer():
    """The 'not answered yet' line and checks.hint(n) point the way; neither holds the answer's code."""
    give_away = {1: ("2:-2", "reduce_mean("), 2: ("tf.norm", "/ (", "grad /", "1e-12"),
                 3: tuple(str(f) for f in _key(2).FAILING_FILTERS) + ('"a"',),
                 4: ("power[", "> 0.25]", "f > 0.25", ".sum() /")}
    not_yet = {1: ex2.loss(lambda m, f: None), 2: ex2.step(lambda x, g, eta: None),
               3: ex2.failing_filter(lambda f: (1.0, 2.0), 112, None, None),
               4: ex2.high_frequency_share(lambda p: None)}
    _assert_hints_teach(ex2, not_yet, give_away)


def test_nb2_scan_calls_gain_once_per_filter_and_keeps_stderr_clean(capsys):
    calls = []

    def gain(f):
        calls.append(f)
        return 1.0, 3.0 * f

    assert ex2.scan(gain, range(4)) == {0: (1.0, 0.0), 1: (1.0, 3.0), 2: (1.0, 6.0), 3: (1.0, 9.0)}
    assert calls == [0, 1, 2, 3]
    assert capsys.readouterr().err == ""          # the bar writes to stdout (or is a widget in Jupyter)
    assert ex2.scan(gain, [2, 0], progress=False) == {2: (1.0, 6.0), 0: (1.0, 0.0)}
    assert ex2.scan(gain, []) == {}


def test_nb2_failing_filter_with_measured_gains():
    gains = {37: (6.2, 46.7), 102: (-9.6, 53.1), 60: (2.5, 53.7), 5: (2.0, 2.05), 9: (3.0, 30.0)}
    gain = gains.__getitem__
    ok(ex2.failing_filter(gain, 112, 37, "a"), "46.70")
    ok(ex2.failing_filter(gain, 112, 102, "A "), "-9.60")                  # a negative start counts by |start|
    ok(ex2.failing_filter(gain, 112, np.int64(37), "(a)"))                 # numpy int, the letter in brackets
    ok(ex2.failing_filter(gain, 112, 5, "b"), "gradient is zero")          # a stuck filter (the ReLU trap)
    wrong(ex2.failing_filter(gain, 112, 37, "b"), "did move a lot")
    wrong(ex2.failing_filter(gain, 112, 5, "a"), "barely moved")
    wrong(ex2.failing_filter(gain, 112, 37, "c"), "normalised")
    wrong(ex2.failing_filter(gain, 112, 60, "a"), "not a failure")
    wrong(ex2.failing_filter(gain, 112, 9, "a"), "10.0x", "not a failure")   # edge: exactly 10x passes the bar
    wrong(ex2.failing_filter(gain, 112, 37, "z"), "one letter")
    wrong(ex2.failing_filter(gain, 112, 200, "a"), "does not exist")
    wrong(ex2.failing_filter(gain, 112, 1, "a"), "raised KeyError")
    unanswered(ex2.failing_filter(gain, 112, None, "a"))
    unanswered(ex2.failing_filter(gain, 112, 37, None))


def test_nb2_failing_filter_answer_key_on_the_model(default_model):
    """The key's filter, measured for real (one classic ascent at the notebook's settings), and measured
    again another way: the pattern through a truncated Keras model, the border cropped with numpy."""
    import functools

    gain = functools.cache(lambda f: ex2.filter_gain(default_model, "block5b_add", f, size=128, steps=30, seed=0))
    nb = types.SimpleNamespace(gain=gain)
    f, why = _key(2).exercise_3(nb)
    assert f in _key(2).FAILING_FILTERS
    start, final = gain(f)
    assert final < 10 * abs(start) and final > 5 * abs(start)
    ok(ex2.failing_filter(gain, 112, f, why))

    truncated = helpers.feature_model(default_model, ["block5b_add"], input_shape=(128, 128, 3))
    pattern = helpers.filter_patterns(default_model, "block5b_add", f, size=128, steps=30, seed=0)

    def mean_response(image):
        maps = np.asarray(truncated(np.asarray(image, np.float32).reshape(1, 128, 128, 3))["block5b_add"])
        return float(maps[0, 2:-2, 2:-2, f].mean())

    other_way = {f: (mean_response(helpers.filters.start_image(128, 0)), mean_response(pattern[0]))}
    np.testing.assert_allclose(other_way[f], (start, final), rtol=1e-4, atol=1e-4)
    ok(ex2.failing_filter(other_way.__getitem__, 112, f, why))


def test_nb2_high_frequency_share():
    key = _key(2).exercise_4(None)
    ok(ex2.high_frequency_share(key), "f > 0.25")

    def inclusive(p):  # edge: counting the 0.25 boundary as high is an equivalent reading
        g = np.asarray(p, float).mean(-1)
        g -= g.mean()
        power = np.abs(np.fft.fft2(g)) ** 2
        f = np.hypot(*np.meshgrid(np.fft.fftfreq(g.shape[1]), np.fft.fftfreq(g.shape[0])))
        return power[f >= 0.25].sum() / power.sum()

    def centred(p):  # another way: the spectrum shifted to the centre, frequencies from pixel offsets
        g = np.asarray(p, float).mean(-1)
        power = np.abs(np.fft.fftshift(np.fft.fft2(g - g.mean()))) ** 2
        h, w = g.shape
        fy, fx = np.indices((h, w))
        f = np.sqrt(((fy - h // 2) / h) ** 2 + ((fx - w // 2) / w) ** 2)
        return float(np.sum(power * (f > 0.25)) / np.sum(power))

    def no_mean(p):
        g = np.asarray(p, float).mean(-1)
        power = np.abs(np.fft.fft2(g)) ** 2
        f = np.hypot(*np.meshgrid(np.fft.fftfreq(g.shape[1]), np.fft.fftfreq(g.shape[0])))
        return power[f > 0.25].sum() / power.sum()

    ok(ex2.high_frequency_share(inclusive), ">= 0.25")
    ok(ex2.high_frequency_share(centred), "f > 0.25")
    wrong(ex2.high_frequency_share(no_mean), "remove the gray picture's mean")
    wrong(ex2.high_frequency_share(lambda p: 0.5), "should be")
    wrong(ex2.high_frequency_share(lambda p: p.shape[5]), "raised IndexError")
    unanswered(ex2.high_frequency_share(lambda p: None))
    # the key measures what it should: a checkerboard is all high frequency, a smooth blob almost none
    yy, xx = np.mgrid[:32, :32]
    assert key(np.repeat((((yy + xx) % 2) * 255)[..., None], 3, -1)) > 0.99
    assert key(np.repeat((100 + 50 * np.exp(-((yy - 16) ** 2 + (xx - 16) ** 2) / 60))[..., None], 3, -1)) < 0.01


# --------------------------------------------------------------------------- notebook 3
@pytest.fixture(scope="module")
def nb3(default_model):
    from helpers import cam

    image = helpers.load_image("cat_and_coffee", size=default_model)
    return types.SimpleNamespace(model=default_model, image=image, LAYER=cam.default_layer(default_model),
                                 half=image.shape[1] // 2, CAT=282, ESPRESSO=967,
                                 # the layers section 4 picks, by map size
                                 by_size={7: "top_activation", 14: "block5c_add", 28: "block3b_add"})


def _textbook_map(model, image, class_index, layer, *, score="logit", sign=1.0):
    """Grad-CAM written once more for the tests, another way: a truncated Keras model, the gradient of
    the score, weights as sum / (h*w), a numpy weighted sum and ReLU (no helpers code involved)."""
    import keras

    grad_model = keras.Model(model.inputs, [model.get_layer(layer).output, model.output])
    with tf.GradientTape() as tape:
        maps, logits = grad_model(tf.constant(image[None].astype("float32")))
        scores = tf.nn.softmax(logits) if score == "probability" else logits
        target = scores[0, class_index]
    grads = tape.gradient(target, maps)[0].numpy()
    h, w = grads.shape[:2]
    heat = np.maximum(maps[0].numpy() @ (sign * grads.sum(axis=(0, 1)) / (h * w)), 0)
    return heat / heat.max()


def _upsampled(small, how, size=(224, 224)):
    """A (h, w) map at the picture's size, the ways a learner might write it."""
    import cv2
    import scipy.ndimage
    from PIL import Image

    height, width = size
    if how.startswith("cv2"):
        flag = {"cv2": cv2.INTER_LINEAR, "cv2 bicubic": cv2.INTER_CUBIC, "cv2 nearest": cv2.INTER_NEAREST,
                "cv2 lanczos": cv2.INTER_LANCZOS4}[how]
        return cv2.resize(small.astype(np.float32), (width, height), interpolation=flag)
    if how.startswith("PIL"):   # Pillow's default for resize is bicubic; the book's uint8 heatmap
        mode = {"PIL": Image.BICUBIC, "PIL bilinear": Image.BILINEAR, "PIL nearest": Image.NEAREST}
        if how == "PIL uint8":
            return np.asarray(Image.fromarray(np.uint8(255 * small)).resize((width, height)), np.float64)
        return np.asarray(Image.fromarray(small.astype(np.float32), "F").resize((width, height), mode[how]))
    if how == "tf bilinear":
        return tf.image.resize(small[..., None], size).numpy()[..., 0]
    if how == "scipy zoom":   # corner-aligned grid
        return scipy.ndimage.zoom(small, (height / small.shape[0], width / small.shape[1]), order=1)
    raise ValueError(how)


UPSAMPLINGS = ["cv2", "cv2 bicubic", "cv2 nearest", "cv2 lanczos", "PIL", "PIL bilinear", "PIL nearest",
               "PIL uint8", "tf bilinear", "scipy zoom"]


def test_nb3_weights():
    ok(ex3.weights(_key(3).exercise_1(None)), "averaged")
    ok(ex3.weights(lambda g: tf.reduce_mean(g, axis=(0, 1))))              # a tensor is fine
    ok(ex3.weights(lambda g: g.sum(axis=(0, 1)) / (g.shape[0] * g.shape[1])))   # another way: sum / (h*w)
    ok(ex3.weights(lambda g: g.reshape(-1, g.shape[-1]).mean(axis=0)[None]))   # edge: shape (1, channels)
    wrong(ex3.weights(lambda g: g.sum(axis=(0, 1))), "summed")
    wrong(ex3.weights(lambda g: g.mean(axis=2)), "one number per channel", "(4, 6)")
    wrong(ex3.weights(lambda g: np.abs(g).mean(axis=(0, 1))), "keep the sign")
    wrong(ex3.weights(lambda g: g.mean(axis=(0, 1)) + 1), "differ")
    wrong(ex3.weights(lambda g: g.reshape(7, 7, 5)), "raised ValueError")
    unanswered(ex3.weights(lambda g: None))


def test_nb3_share_right(nb3):
    m = helpers.gradcam(nb3.model, nb3.image, 968, nb3.LAYER)
    truth = _key(3).exercise_2(nb3)
    other_way = 1 - m[:, :nb3.half].sum() / m.sum()                         # one minus the left half's share
    assert truth == pytest.approx(other_way)
    ok(ex3.share_right(m, other_way), f"{truth:.0%}")
    ok(ex3.share_right(m, np.float32(truth)))
    ok(ex3.share_right(m, truth + 0.019))                                   # edge: inside the tolerance
    wrong(ex3.share_right(m, truth + 0.03), "is not the share")
    wrong(ex3.share_right(m, 100 * truth), "not a percentage")
    wrong(ex3.share_right(m, 1 - truth), "LEFT half")
    wrong(ex3.share_right(m, "half"), "one number")
    unanswered(ex3.share_right(m, None))
    # tied: a map with as much heat on each half is 0.5 either way
    even = np.ones((4, 4))
    ok(ex3.share_right(even, 0.5))


@pytest.mark.parametrize("size", [7, 14, 28])
def test_nb3_own_gradcam_accepts_any_standard_upsampling(nb3, size):
    """A correct map computed another way (_textbook_map), upsampled to 224 px with each common
    interpolation, passes at the 7x7, 14x14 and 28x28 layers; the class's own map is never refused."""
    layer = nb3.by_size[size]
    mine = _textbook_map(nb3.model, nb3.image, nb3.ESPRESSO, layer)
    args = (nb3.model, nb3.image, nb3.ESPRESSO, layer)
    ok(ex3.own_gradcam(*args, mine, other_class=nb3.CAT), "layer's resolution")
    for how in UPSAMPLINGS:
        ok(ex3.own_gradcam(*args, _upsampled(mine, how), other_class=nb3.CAT), "picture's resolution")
    ok(ex3.own_gradcam(*args, helpers.gradcam(*args)))


def test_nb3_own_gradcam(nb3):
    layer = nb3.by_size[14]
    args = (nb3.model, nb3.image, nb3.ESPRESSO, layer)
    key = _key(3).exercise_3(nb3)
    assert key.shape == (14, 14)
    ok(ex3.own_gradcam(*args, key, other_class=nb3.CAT), "layer's resolution")
    ok(ex3.own_gradcam(*args, 5.0 * key))                                   # equivalent: not scaled to [0, 1]
    ok(ex3.own_gradcam(*args, tf.constant(key[None, ..., None])))           # a tensor with batch and channel axes
    # tied: a 1x1 convolution after the layer is linear, so its Grad-CAM is the same map, and passes
    tied = _textbook_map(nb3.model, nb3.image, nb3.ESPRESSO, "block6a_expand_conv")
    ok(ex3.own_gradcam(*args, tied))
    wrong(ex3.own_gradcam(*args, np.zeros((14, 14))), "all-zero")
    wrong(ex3.own_gradcam(*args, np.zeros((224, 224))), "all-zero")
    wrong(ex3.own_gradcam(*args, np.full((14, 14), np.nan)), "NaN")
    wrong(ex3.own_gradcam(*args, np.zeros((7, 7))), "(14, 14)", "(224, 224)")
    wrong(ex3.own_gradcam(*args, key - 0.5), "negative values", "ReLU")
    wrong(ex3.own_gradcam(*args, _upsampled(key - 0.5, "cv2")), "negative values", "ReLU")
    cat_map = _textbook_map(nb3.model, nb3.image, nb3.CAT, layer)
    wrong(ex3.own_gradcam(*args, cat_map, other_class=nb3.CAT), "map of class 282")
    wrong(ex3.own_gradcam(*args, _upsampled(cat_map, "cv2"), other_class=nb3.CAT), "map of class 282")
    prob = _textbook_map(nb3.model, nb3.image, nb3.ESPRESSO, layer, score="probability")
    wrong(ex3.own_gradcam(*args, prob), "softmax probability")
    wrong(ex3.own_gradcam(*args, _textbook_map(nb3.model, nb3.image, nb3.ESPRESSO, layer, sign=-1.0)), "AGAINST")
    wrong(ex3.own_gradcam(*args, _textbook_map(nb3.model, nb3.image, nb3.ESPRESSO, "block5b_add")),
          "'block5b_add'", "same grid")
    wrong(ex3.own_gradcam(*args, np.random.default_rng(0).random((14, 14))), "differs from Grad-CAM",
          "none of the usual slips")   # nothing is blamed that was not found
    unanswered(ex3.own_gradcam(*args, None))


def test_nb3_at_cells_reads_back_each_cell():
    small = np.random.default_rng(1).random((7, 7)).astype(np.float32)
    for how in ("cv2 nearest", "PIL nearest"):
        np.testing.assert_allclose(ex3.at_cells(_upsampled(small, how), (7, 7)), small, atol=1e-6)
    corner = _upsampled(small, "scipy zoom")
    # a cell's centre falls between two zoomed pixels, across the kink of the linear interpolation there
    np.testing.assert_allclose(ex3.at_cells(corner, (7, 7), "corner"), small, atol=0.02)
    with pytest.raises(ValueError, match="unknown grid 'centre'; choose one of 'half-pixel', 'corner'"):
        ex3.at_cells(corner, (7, 7), "centre")


def test_nb3_rho_saliency(nb3):
    from scipy.stats import spearmanr

    truth = _key(3).exercise_4(nb3)
    assert -1 <= truth <= 1
    args = (nb3.model, nb3.image, nb3.CAT)
    # another way: list() of the cascade (each stage is its own model) and scipy's Spearman
    (_, original), (_, randomised) = list(helpers.cascading_randomization(nb3.model, steps=1))
    other_way = spearmanr(helpers.gradient_saliency(original, nb3.image, nb3.CAT).ravel(),
                          helpers.gradient_saliency(randomised, nb3.image, nb3.CAT).ravel())[0]
    assert other_way == pytest.approx(truth, abs=1e-6)
    ok(ex3.rho_saliency(*args, other_way), f"{truth:+.2f}")                  # computes the reference itself
    known = (truth, "top")
    ok(ex3.rho_saliency(*args, truth - 0.04, truth=known))                  # edge: inside the tolerance
    wrong(ex3.rho_saliency(*args, truth + 0.3 if truth < 0.5 else truth - 0.3, truth=known), "is not what")
    wrong(ex3.rho_saliency(*args, 1.0, truth=known), "is not what")          # the in-place trap: rho = 1
    wrong(ex3.rho_saliency(*args, 1.5, truth=known), "between -1 and 1")
    wrong(ex3.rho_saliency(*args, [truth], truth=known), "one number")
    unanswered(ex3.rho_saliency(*args, None))


def test_nb3_layer_of_size(nb3):
    model = nb3.model
    ok(ex3.layer_of_size(model, _key(3).exercise_5(nb3), 28), "8x8 pixels")
    # another way: the first layer whose output is 224 / 8 = 28 wide, read off the Keras layers
    other_way = next(layer for layer in model.layers if len(layer.output.shape) == 4
                     and layer.output.shape[2] == model.input_shape[2] // 8)
    ok(ex3.layer_of_size(model, other_way, 28), "8x8 pixels")                # the Layer object itself
    shapes = dict(helpers.layer_names(model, kinds="all", with_shapes=True))
    for name, shape in shapes.items():  # ties: every 28x28 layer passes, every other size fails
        result = ex3.layer_of_size(model, name, 28)
        assert bool(result) == (shape[:2] == (28, 28)), (name, str(result))
    wrong(ex3.layer_of_size(model, "top_activation", 28), "7x7", "earlier layer")
    wrong(ex3.layer_of_size(model, "block2b_add", 28), "56x56", "later layer")
    wrong(ex3.layer_of_size(model, "avg_pool", 28), "not a stack of feature maps")
    wrong(ex3.layer_of_size(model, "block3b_ad", 28), "did you mean 'block3b_add'")
    unanswered(ex3.layer_of_size(model, None, 28))


def test_nb3_hints_teach_without_giving_the_answer(nb3):
    """The 'not answered yet' line and checks.hint(n) point the way; neither holds the answer."""
    give_away = {1: ("mean", "average", "axis=(0, 1)", "sum("), 2: ("m[:, half:]", ".sum() /", "half:]"),
                 3: ("einsum", "reduce_mean", "GradientTape()"), 4: ("spearman(", "gradient_saliency("),
                 5: ("28", "block3", "block4a")}
    not_yet = {1: ex3.weights(lambda g: None), 2: ex3.share_right(np.ones((2, 2)), None),
               3: ex3.own_gradcam(nb3.model, nb3.image, nb3.ESPRESSO, nb3.by_size[14], None),
               4: ex3.rho_saliency(nb3.model, nb3.image, nb3.CAT, None),
               5: ex3.layer_of_size(nb3.model, None, 28)}
    _assert_hints_teach(ex3, not_yet, give_away)


# --------------------------------------------------------------------------- the notebooks themselves
NOTEBOOKS = {1: "01_intermediate_activations", 2: "02_filter_visualization", 3: "03_gradcam_heatmaps",
             5: "05_is_the_explanation_right"}
CHECKS = {1: (ex1, ["whiskers", "first_mostly_dead", "quarter_layer", "weakest_live_channel"]),
          2: (ex2, ["loss", "step", "failing_filter", "high_frequency_share"]),
          3: (ex3, ["weights", "share_right", "own_gradcam", "rho_saliency", "layer_of_size"]),
          5: (ex5, ["area", "occlusion_drop", "blurred_deletion"])}


@pytest.mark.parametrize("n", NOTEBOOKS)
def test_notebook_exercises_start_unanswered_and_call_the_checks(n):
    source = (ROOT / "notebooks" / f"{NOTEBOOKS[n]}.py").read_text(encoding="utf-8")
    exercises = source[source.index("Exercises"):]
    first_cell = re.search(r"^# %%", exercises, flags=re.M)  # a cell marker, with or without slide metadata
    tree = ast.parse(exercises[first_cell.start():])
    answers = [node for node in tree.body if isinstance(node, ast.Assign)    # ANSWER = None, nothing else
               and isinstance(node.value, ast.Constant) and node.value.value is None]
    learner_functions = [node for node in tree.body if isinstance(node, ast.FunctionDef) and not
                         node.name.startswith("check_")]
    for fn in learner_functions:  # nothing pre-solved: the learner's functions only return None
        assert [type(s) for s in fn.body] == [ast.Return] and fn.body[0].value.value is None, fn.name
    module, names = CHECKS[n]
    assert 3 <= len(names) <= 5 and len(answers) + len(learner_functions) >= len(names)
    for name in names:
        assert re.search(rf"checks\.{name}\(", source), f"notebook {n} does not call checks.{name}"
        assert callable(getattr(module, name))
    key = _key(n)
    assert len([k for k in vars(key) if k.startswith("exercise_")]) == len(names)


def test_teachers_pack_points_to_these_answer_keys():
    for n, stem in NOTEBOOKS.items():
        plan = (ROOT / "docs" / "teaching" / f"{stem}.md").read_text(encoding="utf-8")
        assert f"answers/answers_0{n}.py" in plan
        for heading in ("Prerequisites", "Learning goals", "Timing", "Misconceptions", "Answer key",
                        "Discussion questions"):
            assert heading in plan, (stem, heading)
    # the timing tables' sums: tests/test_teaching.py


# -- notebook 4: the capstone's checks ------------------------------------------------------------
def _verdict(check, ok):
    """ok: True (✓ correct), False (✗ not quite), None (○ not answered yet)."""
    start = {True: "✓ correct:", False: "✗ not quite:", None: "○ not answered yet:"}[ok]
    return check.ok is ok and str(check).startswith(start) and bool(check) is (ok is True)


@pytest.mark.parametrize("answer, ok", [("c", True), ("C", True), ("(c)", True), ("a", False), ("b", False),
                                        (None, None), ("d", False), (0, False), ("", False)])
def test_check_swapped_prediction(answer, ok):
    assert _verdict(ex4.check_swapped_prediction(answer, 0.03), ok)


def test_check_swapped_prediction_follows_the_measurement():
    assert ex4.check_swapped_prediction("b", 0.46).ok and ex4.check_swapped_prediction("a", 0.91).ok
    assert not ex4.check_swapped_prediction("c", 0.46).ok


@pytest.mark.parametrize("answer, ok", [(1, True), (np.int64(2), True), (3, True), (0, False), (None, None),
                                        (-1, False), (4, False), (1.0, False), (True, False), ("1", False)])
def test_check_marker_channel_accepts_every_tie(answer, ok):
    check = ex4.check_marker_channel(answer, [0.5, 3.0, 3.0, 2.8])
    assert _verdict(check, ok)
    if answer in (-1, 4):
        assert "0..3" in str(check)


def test_check_marker_channel_with_no_positive_channel_accepts_nothing():
    assert not ex4.check_marker_channel(0, [0.0, 0.0]).ok
    with pytest.raises(ValueError):
        ex4.check_marker_channel(0, [])


@pytest.mark.parametrize("answer, hits, ok", [
    (True, [1, 1, 0], True), ("yes", [1, 1, 0], True), ("No", [1, 0, 0], True), (False, [1, 1, 1], False),
    (np.True_, [1, 1, 1], True), (None, [1], None), ("maybe", [1], False), (1, [1], False),
    (False, [1, 0], True),  # exactly half is not "most": the heat does not follow
])
def test_check_heat_follows(answer, hits, ok):
    assert _verdict(ex4.check_heat_follows(answer, np.array(hits, bool)), ok)


@pytest.fixture(scope="module")
def nb4():
    """Notebook 4's variables with the bundled weights (PRETRAINED = True), computed as the notebook does."""
    from helpers import datasets, training
    from helpers import evaluation as ev

    s = training.pretrained_record()["settings"]
    splits = datasets.shortcut_splits(s["N_TRAIN"], s["N_TEST"], seed=s["SEED"], rate=s["MARKER_RATE"])
    model = training.small_convnet(class_names=datasets.CLASS_NAMES, seed=s["SEED"], filters=tuple(s["FILTERS"]),
                                   pooling=s["POOLING"], batch_norm=s["BATCH_NORM"])
    training.load_pretrained(model, "shortcut", **s)
    swapped = splits["swapped"]
    probe = swapped.subset(np.flatnonzero(swapped.has_marker)[:100])
    maps = helpers.activations(model, probe.images, layers=["conv2"])["conv2"]
    circles = splits["clean"].subset(np.flatnonzero(splits["clean"].labels == 0)[:40])
    moved = [datasets.add_marker(img, "bottom-right") for img in circles.images]
    moved_images, moved_boxes = np.stack([m[0] for m in moved]), np.array([m[1] for m in moved])
    heat_moved = helpers.gradcam(model, moved_images)
    return types.SimpleNamespace(
        model=model, splits=splits, probe=probe, maps=maps, moved_images=moved_images, moved_boxes=moved_boxes,
        heat_moved=heat_moved, acc_before={n: training.accuracy(model, splits[n]) for n in ("val", "clean", "swapped")},
        selectivity=ev.box_selectivity(maps, probe.marker_boxes, image_size=150),
        hits_moved=ev.pointing_game(heat_moved, moved_boxes, 15))


def test_nb4_answer_key_passes_and_so_do_answers_found_another_way(nb4):
    key = _key(4)
    ok(ex4.swapped_prediction(key.exercise_1(nb4), nb4.acc_before["swapped"]), "option c")
    ok(ex4.marker_channel(key.exercise_2(nb4), nb4.selectivity))
    ok(ex4.heat_follows(key.exercise_3(nb4), nb4.hits_moved))
    # 1, another way: the accuracy from the logits' argmax, then the nearest option
    logits = helpers.logits(nb4.model, nb4.splits["swapped"].images)
    acc = float(np.mean(logits.argmax(axis=1) == nb4.splits["swapped"].labels))
    letter = min(ex4.ACCURACY_OPTIONS, key=lambda k: abs(ex4.ACCURACY_OPTIONS[k] - acc))
    ok(ex4.swapped_prediction(f"({letter.upper()})", nb4.acc_before["swapped"]))
    # 2, another way: each channel's map blown up to the 150-px picture (nearest), the marker box read in pixels
    up = np.repeat(np.repeat(nb4.maps, 2, axis=1), 2, axis=2)                 # 72 -> 144 px, offset 3 px
    score = np.zeros(up.shape[-1])
    for m, (x0, y0, x1, y1) in zip(up, nb4.probe.marker_boxes - 3):
        inside = np.zeros(m.shape[:2], bool)
        inside[y0:y1, x0:x1] = True
        score += m[inside].mean(axis=0) - m[~inside].mean(axis=0)
    ok(ex4.marker_channel(int(np.argmax(score)), nb4.selectivity))
    # 3, another way: the peak found with numpy, the box grown by the tolerance by hand
    h, w = nb4.heat_moved.shape[1:]
    ys, xs = np.unravel_index(nb4.heat_moved.reshape(len(nb4.heat_moved), -1).argmax(axis=1), (h, w))
    b = nb4.moved_boxes
    inside = (xs >= b[:, 0] - 15) & (xs < b[:, 2] + 15) & (ys >= b[:, 1] - 15) & (ys < b[:, 3] + 15)
    ok(ex4.heat_follows("yes" if inside.mean() > 0.5 else "no", nb4.hits_moved))
    # wrong ones, on the same measurements
    wrong(ex4.swapped_prediction("a", nb4.acc_before["swapped"]), "option a")
    worst = int(np.argmin(nb4.selectivity))
    wrong(ex4.marker_channel(worst, nb4.selectivity), f"channel {worst}", "sort the scores")
    wrong(ex4.heat_follows(not key.exercise_3(nb4), nb4.hits_moved), "of the images")


def test_nb4_hints_teach_without_giving_the_answer(nb4):
    key = _key(4)
    not_yet = {1: ex4.swapped_prediction(None, 0.0), 2: ex4.marker_channel(None, [1.0, 2.0]),
               3: ex4.heat_follows(None, [True])}
    answers = {1: ("'c'", '"c"', "about 0", "option c"), 2: (f"channel {key.exercise_2(nb4)}",),
               3: ("True", "False", "does follow", "does not follow")}
    # the 'not answered yet' line lists the options ('a', 'b' or 'c'): only the hint must not give one away
    _assert_hints_teach(ex4, not_yet, answers, in_result=False)
    assert ex4.swapped_prediction is ex4.check_swapped_prediction      # the old names still work


def test_nb4_starts_unanswered_and_calls_the_checks():
    source = (ROOT / "notebooks" / "04_debug_a_model.py").read_text(encoding="utf-8")
    for n, name in enumerate(("swapped_prediction", "marker_channel", "heat_follows"), start=1):
        assert re.search(rf"^ANSWER_{n} = None$", source, flags=re.M), n
        assert re.search(rf"checks\.{name}\(ANSWER_{n},", source), name
    assert "from helpers.exercises import capstone as checks" in source
    assert len([k for k in vars(_key(4)) if k.startswith("exercise_")]) == 3


def test_nb4_lesson_plan_points_to_its_answer_key():
    plan = (ROOT / "docs" / "teaching" / "04_debug_a_model.md").read_text(encoding="utf-8")
    assert "answers/answers_04.py" in plan and "PRETRAINED = True" in plan
    for heading in ("Prerequisites", "Learning goals", "Timing", "Misconceptions", "Answer key",
                    "Discussion questions"):
        assert heading in plan, heading
    minutes = [int(m) for m in re.findall(r"^\| *(\d+) min", plan, flags=re.M)]
    assert 45 <= sum(minutes) <= 60, minutes


# --------------------------------------------------------------------------- notebook 5
@pytest.fixture(scope="module")
def nb5(default_model):
    photos = {p: helpers.load_image(p, size=default_model) for p in ("cat_and_coffee", "chelsea")}
    return types.SimpleNamespace(model=default_model, photos=photos, STEPS=16,
                                 GREY=np.array([123.68, 116.78, 103.94], np.float32))


def test_nb5_area():
    ok(ex5.area(_key(5).exercise_1(None)), "trapezoid")
    ok(ex5.area(lambda f, s: np.trapezoid(s, f)))                          # the same rule, another way
    wrong(ex5.area(lambda f, s: float(np.mean(s))), "mean of the scores")
    wrong(ex5.area(lambda f, s: float(np.sum(s))), "sum")
    wrong(ex5.area(lambda f, s: float(np.diff(f) @ np.asarray(s)[:-1])), "rectangle")
    wrong(ex5.area(lambda f, s: 1 / 0), "ZeroDivisionError")
    wrong(ex5.area(lambda f, s: "big"), "one number")
    unanswered(ex5.area(lambda f, s: None))


def test_nb5_occlusion_drop(nb5):
    image = nb5.photos["cat_and_coffee"]
    hidden = image.astype(np.float32)
    hidden[56:112, 168:224] = nb5.GREY                      # computed here with an eager call, not the check's
    p = [float(tf.nn.softmax(nb5.model(im[None].astype(np.float32), training=False))[0, 967]) for im in (image, hidden)]
    check = lambda answer: ex5.occlusion_drop(nb5.model, image, 967, (56, 168), 56, answer)  # noqa: E731
    ok(check(p[0] - p[1]), "drop")
    ok(check(tf.constant(p[0] - p[1])))                                    # a tensor scalar is a number too
    ok(check(_key(5).exercise_2(nb5)))
    wrong(check(p[1]), "with the square hidden")
    wrong(check(p[1] - p[0]), "wrong sign")
    wrong(check(100 * (p[0] - p[1])), "percentage")
    wrong(check("a lot"), "one number")
    unanswered(check(None))


def test_nb5_blurred_deletion(nb5):
    from helpers.cam.perturbation import batched_probabilities
    from helpers.cam.engine import engine
    import cv2

    photo = nb5.photos["chelsea"]
    m = helpers.baseline_map("sobel", photo)                 # the blurred deletion area, computed another way
    order = np.argsort(-m.ravel(), kind="stable")
    blur = cv2.GaussianBlur(photo.astype(np.float32), (11, 11), 5.0, borderType=cv2.BORDER_REFLECT_101)
    counts = np.arange(17) * m.size // 16

    def make(a, b):
        out = np.repeat(photo[None].astype(np.float32), b - a, axis=0)
        for k, n in enumerate(counts[a:b]):
            flat = out[k].reshape(-1, 3)
            flat[order[:n]] = blur.reshape(-1, 3)[order[:n]]
        return out
    scores = batched_probabilities(engine(nb5.model), len(counts), make, class_index=285)
    truth = float(np.trapezoid(scores, counts / m.size))
    check = lambda answer: ex5.blurred_deletion(nb5.model, photo, 285, "sobel", answer, steps=16)  # noqa: E731
    ok(check(truth), "sobel")
    ok(check(_key(5).exercise_3(nb5)))
    grey = helpers.deletion(nb5.model, photo, m, 285, steps=16)
    wrong(check(grey), "grey")                              # the Curve itself: its .auc is read
    wrong(check("sobel"), "not the text")
    wrong(check(truth + 0.2), "not the blurred")
    unanswered(check(None))


def test_nb5_hints_teach_without_giving_the_answer(nb5):
    """As for notebooks 1-3: the 'not answered yet' line and checks.hint(n) point the way; neither holds the answer."""
    give_away = {1: ("trapezoid(", "trapz", "s[1:] + s[:-1]", "np.diff("),
                 2: ("[56:112", "p[0] - p[1]", "before - after"),
                 3: ('baseline="blur"', "baseline='blur'", "baseline_map(\"sobel\"")}
    not_yet = {1: ex5.area(lambda f, s: None),
               2: ex5.occlusion_drop(nb5.model, nb5.photos["cat_and_coffee"], 967, (56, 168), 56, None),
               3: ex5.blurred_deletion(nb5.model, nb5.photos["chelsea"], 285, "sobel", None, steps=nb5.STEPS)}
    _assert_hints_teach(ex5, not_yet, give_away)


def test_nb5_hints_and_notebook_cells():
    assert ex5.hint(3).startswith("hint 3:")
    for bad in (0, 4, "1", True):
        with pytest.raises(KeyError, match="n = 1, 2, 3"):
            ex5.hint(bad)
    source = (ROOT / "notebooks" / "05_is_the_explanation_right.py").read_text(encoding="utf-8")
    for name in ("area", "occlusion_drop", "blurred_deletion"):
        assert re.search(rf"checks\.{name}\(", source)
    exercises = source[source.index("## 7 · Exercises"):]
    assert exercises.count("= None   # your code") == 2 and "return None   # your code" in exercises
    assert len([k for k in vars(_key(5)) if k.startswith("exercise_")]) == 3
