"""The explorers' "save PNG" action (one helper in widgets/_common, used by all three) and the
activation explorer's depth slider."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from helpers.widgets._common import output_name, save_png


def _read(path):
    return cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def _decode(png: bytes):
    return cv2.cvtColor(cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def test_output_name_says_what_and_is_a_safe_file_name():
    assert output_name("gradcam", "efficientnet_lite0", "cat_and_coffee", "top_conv", "282-tiger cat", "gradcam") \
        == "gradcam_efficientnet_lite0_cat_and_coffee_top_conv_282-tiger-cat_gradcam.png"
    assert output_name("filters", "m", "../../etc/passwd", None, "") == "filters_m_etc-passwd.png"


def test_save_png_writes_arrays_and_png_bytes(tmp_path):
    picture = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    path = save_png(picture, "a.png", tmp_path / "new")
    assert path == tmp_path / "new" / "a.png" and np.array_equal(_read(path), picture)
    again = save_png(path.read_bytes(), "b.png", tmp_path)
    assert np.array_equal(_read(again), picture)


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_explorer_saves_what_it_shows(default_model, in_tmp):
    from helpers.widgets import activation_explorer, filter_explorer, gradcam_explorer

    act = activation_explorer(default_model, layer="block2b_expand_activation", channel=79)
    fil = filter_explorer(default_model, layer="block4b_expand_conv", size=64, steps=3)
    cam = gradcam_explorer(default_model, "cat_and_coffee")
    cam.class_dropdown.value = 282
    expected = {
        act: ("activations_efficientnet_lite0_chelsea_block2b_expand_activation_channel79_channel-norm.png",
              lambda: _decode(act.view.value)),
        fil: ("filters_efficientnet_lite0_block4b_expand_conv_filter0_classic_3steps_64px.png",
              lambda: _decode(fil.image.value)),
        cam: ("gradcam_efficientnet_lite0_cat_and_coffee_top_activation_282-tiger-cat_gradcam.png",
              lambda: cam.picture),
    }
    for explorer, (name, shown) in expected.items():
        explorer.save.button.click()
        path = in_tmp / "outputs" / name
        assert path.exists(), (explorer.save.message.value, sorted(p.name for p in (in_tmp / "outputs").iterdir()))
        assert f"outputs/{name}" in explorer.save.message.value
        assert np.array_equal(_read(path), shown())


def test_depth_slider_scrubs_layers_in_forward_order(default_model):
    import helpers
    from helpers.widgets import activation_explorer

    explorer = activation_explorer(default_model, layer="stem_activation")
    computed = explorer.forward_count           # 1, or 0 when another explorer already has these maps
    names = helpers.layer_names(default_model)
    assert explorer.depth.value == names.index("stem_activation") and explorer.depth.max == len(names) - 1
    seen = []
    for depth in range(0, len(names), 7):
        explorer.depth.value = depth
        seen.append(explorer.layer.value)
        assert explorer.render_log[-1][1] == names[depth]            # the picture follows
    assert seen == names[::7]
    explorer.layer.value = "top_activation"                           # the dropdown stays, and the slider follows
    assert explorer.depth.value == names.index("top_activation")
    assert explorer.forward_count == computed <= 1                   # scrubbing only redraws
