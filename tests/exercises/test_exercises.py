"""Every exercise check of notebooks 1-3 fed a correct answer (✓), wrong ones (✗ naming what is wrong),
no answer (✗ not answered yet) and tied / edge answers; the correct answers are the teacher's answer
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
    assert result.ok is None and str(result).startswith("✗ not answered yet: "), str(result)
    assert not result


# --------------------------------------------------------------------------- notebook 1
@pytest.fixture(scope="module")
def nb1(default_model):
    image = helpers.load_image("chelsea", size=default_model)
    everything = helpers.activations(default_model, image, helpers.layer_names(default_model))
    return types.SimpleNamespace(model=default_model, everything=everything, IMAGE="chelsea",
                                 activation_layers=helpers.layer_names(default_model, kinds=("activation",)))


def test_nb1_whiskers(nb1):
    key = _key(1)
    ok(ex1.whiskers(nb1.everything, *key.exercise_1(nb1)), "channel 79", "whiskers")
    # ties: every channel above the bar counts, not only the best one
    ratios = {c: ex1.whisker_ratio(nb1.everything["block2b_expand_activation"][..., c]) for c in range(144)}
    winners = [c for c, r in ratios.items() if r >= ex1.WHISKER_RATIO]
    assert len(winners) >= 2 and 79 in winners
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


def test_nb1_first_mostly_dead(nb1):
    truth = _key(1).exercise_2(nb1)
    dead = {n: helpers.dead_channels(nb1.everything[n]).mean() for n in nb1.activation_layers}  # independent
    assert truth == next(n for n in nb1.activation_layers if dead[n] > 0.5)
    ok(ex1.first_mostly_dead(nb1.everything, nb1.activation_layers, truth), truth)
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
    assert truth == "block2a_dwconv"
    ok(ex1.quarter_layer(nb1.model, truth), "DepthwiseConv2D", "stride 2", "112 -> 56")
    ok(ex1.quarter_layer(nb1.model, nb1.model.get_layer(truth)))
    wrong(ex1.quarter_layer(nb1.model, "stem_conv"), "112x112")
    wrong(ex1.quarter_layer(nb1.model, "block2a_project_conv"), "earlier layer already made it 56")
    wrong(ex1.quarter_layer(nb1.model, "block2a_bn"), "BatchNormalization, not a convolution")
    wrong(ex1.quarter_layer(nb1.model, "block2a_dwcov"), "did you mean 'block2a_dwconv'")
    unanswered(ex1.quarter_layer(nb1.model, None))


def test_nb1_weakest_live_channel(nb1):
    stem = nb1.everything["stem_activation"]
    truth = _key(1).exercise_4(nb1)
    assert truth == 3
    ok(ex1.weakest_live_channel(stem, truth), "channel 3", "0.004", "0.94", "27 live")
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
    # the 3rd edition's per-pixel normalisation is an equivalent answer
    per_pixel = lambda x, g, eta: x + eta * g / (tf.norm(g, axis=-1, keepdims=True) + 1e-12)  # noqa: E731
    ok(ex2.step(per_pixel), "per pixel")
    wrong(ex2.step(lambda x, g, eta: x + eta * g / tf.norm(g)), "zero gradient gives NaN")   # edge: no epsilon
    wrong(ex2.step(lambda x, g, eta: x - eta * g / (tf.norm(g) + 1e-12)), "downhill")
    wrong(ex2.step(lambda x, g, eta: x + eta * g), "divide grad by its L2 norm")
    wrong(ex2.step(lambda x, g, eta: x + 2 * eta * g / (tf.norm(g) + 1e-12)), "should have length eta")
    wrong(ex2.step(lambda x, g, eta: x[0]), "shape")
    unanswered(ex2.step(lambda x, g, eta: None))


def test_nb2_failing_filter_with_measured_gains():
    gains = {37: (6.2, 46.7), 102: (-9.6, 53.1), 60: (2.5, 53.7), 5: (2.0, 2.05), 9: (3.0, 30.0)}
    gain = gains.__getitem__
    ok(ex2.failing_filter(gain, 112, 37, "a"), "46.70")
    ok(ex2.failing_filter(gain, 112, 102, "A "), "-9.60")                  # a negative start counts by |start|
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
    """The key's filter, measured for real (one classic ascent at the notebook's settings)."""
    import functools

    gain = functools.cache(lambda f: ex2.filter_gain(default_model, "block5b_add", f, size=128, steps=30, seed=0))
    nb = types.SimpleNamespace(gain=gain)
    f, why = _key(2).exercise_3(nb)
    assert f in _key(2).FAILING_FILTERS
    start, final = gain(f)
    assert final < 10 * abs(start) and final > 5 * abs(start)
    ok(ex2.failing_filter(gain, 112, f, why))


def test_nb2_high_frequency_share():
    key = _key(2).exercise_4(None)
    ok(ex2.high_frequency_share(key), "f > 0.25")

    def inclusive(p):  # edge: counting the 0.25 boundary as high is an equivalent reading
        g = np.asarray(p, float).mean(-1)
        g -= g.mean()
        power = np.abs(np.fft.fft2(g)) ** 2
        f = np.hypot(*np.meshgrid(np.fft.fftfreq(g.shape[1]), np.fft.fftfreq(g.shape[0])))
        return power[f >= 0.25].sum() / power.sum()

    def no_mean(p):
        g = np.asarray(p, float).mean(-1)
        power = np.abs(np.fft.fft2(g)) ** 2
        f = np.hypot(*np.meshgrid(np.fft.fftfreq(g.shape[1]), np.fft.fftfreq(g.shape[0])))
        return power[f > 0.25].sum() / power.sum()

    ok(ex2.high_frequency_share(inclusive), ">= 0.25")
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


def test_nb3_weights():
    ok(ex3.weights(_key(3).exercise_1(None)), "averaged")
    ok(ex3.weights(lambda g: tf.reduce_mean(g, axis=(0, 1))))              # a tensor is fine
    wrong(ex3.weights(lambda g: g.sum(axis=(0, 1))), "summed")
    wrong(ex3.weights(lambda g: g.mean(axis=2)), "one number per channel", "(4, 6)")
    wrong(ex3.weights(lambda g: np.abs(g).mean(axis=(0, 1))), "keep the sign")
    wrong(ex3.weights(lambda g: g.mean(axis=(0, 1)) + 1), "differ")
    wrong(ex3.weights(lambda g: g.reshape(7, 7, 5)), "raised ValueError")
    unanswered(ex3.weights(lambda g: None))


def test_nb3_share_right(nb3):
    m = helpers.gradcam(nb3.model, nb3.image, 968, nb3.LAYER)
    truth = _key(3).exercise_2(nb3)
    assert truth == pytest.approx(m[:, 112:].sum() / m.sum())
    ok(ex3.share_right(m, truth), f"{truth:.0%}")
    ok(ex3.share_right(m, truth + 0.019))                                   # edge: inside the tolerance
    wrong(ex3.share_right(m, truth + 0.03), "is not the share")
    wrong(ex3.share_right(m, 100 * truth), "not a percentage")
    wrong(ex3.share_right(m, 1 - truth), "LEFT half")
    wrong(ex3.share_right(m, "half"), "one number")
    unanswered(ex3.share_right(m, None))


def test_nb3_own_gradcam(nb3):
    args = (nb3.model, nb3.image, nb3.ESPRESSO, nb3.by_size[14])
    mine = _key(3).exercise_3(nb3)
    assert mine.shape == (14, 14)
    ok(ex3.own_gradcam(*args, mine, other_class=nb3.CAT), "layer's resolution")
    ok(ex3.own_gradcam(*args, helpers.gradcam(*args), other_class=nb3.CAT), "picture's resolution")
    ok(ex3.own_gradcam(*args, 5.0 * mine))                                  # equivalent: not scaled to [0, 1]
    wrong(ex3.own_gradcam(*args, np.zeros((14, 14))), "all-zero")
    wrong(ex3.own_gradcam(*args, np.zeros((224, 224))), "all-zero")
    wrong(ex3.own_gradcam(*args, np.full((14, 14), np.nan)), "NaN")
    wrong(ex3.own_gradcam(*args, np.zeros((7, 7))), "(14, 14)", "(224, 224)")
    wrong(ex3.own_gradcam(*args, mine - 0.5), "negative values", "ReLU")
    cat_map = ex3.reference_gradcam(nb3.model, nb3.image, nb3.CAT, nb3.by_size[14])
    wrong(ex3.own_gradcam(*args, cat_map, other_class=nb3.CAT), "map of class 282")
    wrong(ex3.own_gradcam(*args, np.random.default_rng(0).random((14, 14))), "differs from Grad-CAM")
    unanswered(ex3.own_gradcam(*args, None))


def test_nb3_rho_saliency(nb3):
    truth = _key(3).exercise_4(nb3)
    assert -1 <= truth <= 1
    args = (nb3.model, nb3.image, nb3.CAT)
    ok(ex3.rho_saliency(*args, truth), f"{truth:+.2f}")                      # computes the reference itself
    known = (truth, "top")
    ok(ex3.rho_saliency(*args, truth - 0.04, truth=known))                  # edge: inside the tolerance
    wrong(ex3.rho_saliency(*args, truth + 0.3 if truth < 0.5 else truth - 0.3, truth=known), "is not what")
    wrong(ex3.rho_saliency(*args, 1.5, truth=known), "between -1 and 1")
    wrong(ex3.rho_saliency(*args, [truth], truth=known), "one number")
    unanswered(ex3.rho_saliency(*args, None))


def test_nb3_layer_of_size(nb3):
    model = nb3.model
    ok(ex3.layer_of_size(model, _key(3).exercise_5(nb3), 28), "8x8 pixels")
    shapes = dict(helpers.layer_names(model, kinds="all", with_shapes=True))
    for name, shape in shapes.items():  # ties: every 28x28 layer passes, every other size fails
        result = ex3.layer_of_size(model, name, 28)
        assert bool(result) == (shape[:2] == (28, 28)), (name, str(result))
    wrong(ex3.layer_of_size(model, "top_activation", 28), "7x7", "earlier layer")
    wrong(ex3.layer_of_size(model, "block2b_add", 28), "56x56", "later layer")
    wrong(ex3.layer_of_size(model, "avg_pool", 28), "not a stack of feature maps")
    wrong(ex3.layer_of_size(model, "block3b_ad", 28), "did you mean 'block3b_add'")
    unanswered(ex3.layer_of_size(model, None, 28))


# --------------------------------------------------------------------------- the notebooks themselves
NOTEBOOKS = {1: "01_intermediate_activations", 2: "02_filter_visualization", 3: "03_gradcam_heatmaps"}
CHECKS = {1: (ex1, ["whiskers", "first_mostly_dead", "quarter_layer", "weakest_live_channel"]),
          2: (ex2, ["loss", "step", "failing_filter", "high_frequency_share"]),
          3: (ex3, ["weights", "share_right", "own_gradcam", "rho_saliency", "layer_of_size"])}


@pytest.mark.parametrize("n", NOTEBOOKS)
def test_notebook_exercises_start_unanswered_and_call_the_checks(n):
    source = (ROOT / "notebooks" / f"{NOTEBOOKS[n]}.py").read_text(encoding="utf-8")
    exercises = source[source.index("Exercises"):]
    tree = ast.parse(exercises[exercises.index("\n# %%\n"):])
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
        minutes = [int(m) for m in re.findall(r"^\| *(\d+) min", plan, flags=re.M)]
        assert 45 <= sum(minutes) <= 60, (stem, minutes)


# -- notebook 4: the capstone's checks ------------------------------------------------------------
def _verdict(check, ok):
    """ok: True (✓ correct), False (✗ not quite), None (✗ not answered yet)."""
    start = {True: "✓ correct:", False: "✗ not quite:", None: "✗ not answered yet:"}[ok]
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
