"""The explorers' "save PNG" action (one helper in widgets/saving, used by all three: a file in
outputs/ or a download link) and the activation explorer's depth slider."""
from __future__ import annotations

import base64
import html
import re

import cv2
import numpy as np
import pytest

from helpers.widgets.saving import MAX_NAME, MAX_PART, output_name, save_button, save_png


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


# --------------------------------------------------------------------------- bounded names, downloads
def _link(message: str):
    """(file name, PNG bytes) of the download link a save button in "download" mode shows."""
    m = re.fullmatch(r'<a download="([^"]*)" href="data:image/png;base64,([A-Za-z0-9+/=]+)">download \1</a>', message)
    assert m, message[:300]
    return html.unescape(m.group(1)), base64.b64decode(m.group(2), validate=True)


def test_output_name_is_bounded_and_still_says_what():
    name = output_name("gradcam", "efficientnet_lite0", "x" * 5000 + ".jpg", "<script>" * 100, "282-tiger cat",
                       "y" * 1000)
    assert len(name) <= MAX_NAME and name.endswith(".png") and re.fullmatch(r"[A-Za-z0-9_.+-]+\.png", name)
    assert name.startswith("gradcam_efficientnet_lite0_" + "x" * MAX_PART + "_script-script")
    assert all(len(part) <= MAX_PART for part in name[:-4].split("_")[2:])
    assert output_name() == output_name(None, "", "...", "//") == "picture.png"


def test_save_png_refuses_a_name_with_a_folder(tmp_path):
    picture = np.zeros((2, 2, 3), np.uint8)
    for bad in ("../escape.png", "sub/a.png", "..", "", "a\\b.png", str(tmp_path / "abs.png")):
        with pytest.raises(ValueError, match="plain file name"):
            save_png(picture, bad, tmp_path / "out")
    assert not any(tmp_path.rglob("*.png"))


def test_save_button_escapes_the_name_and_checks_its_mode(in_tmp):
    picture = np.full((3, 4, 3), 7, np.uint8)
    box = save_button(lambda: (picture, 'x"><script>alert(1)</script>.png'), mode="download")
    box.button.click()
    assert "<script>" not in box.message.value and 'download="x&quot;&gt;&lt;script&gt;' in box.message.value
    name, png = _link(box.message.value)
    assert name == 'x"><script>alert(1)</script>.png' and np.array_equal(_decode(png), picture)
    box = save_button(lambda: (picture, "../escape.png"))   # file mode: a name with a folder part is refused
    box.button.click()
    assert "could not save" in box.message.value and not any(in_tmp.parent.glob("escape.png"))
    box = save_button(lambda: None, mode="download")
    box.button.click()
    assert "nothing to save" in box.message.value
    with pytest.raises(ValueError, match="unknown save 'zip'"):
        save_button(lambda: None, mode="zip")


def test_download_mode_writes_nothing_and_links_the_server_side_picture(default_model, in_tmp):
    """With save="download" nothing is written on the server, and the link holds the picture the
    explorer drew -- even after the browser overwrote the view widget's value with garbage."""
    from helpers.widgets import activation_explorer, filter_explorer, gradcam_explorer

    act = activation_explorer(default_model, layer="block2b_expand_activation", channel=79, save="download")
    fil = filter_explorer(default_model, layer="block4b_expand_conv", size=64, steps=3, save="download")
    cam = gradcam_explorer(default_model, "cat_and_coffee", save="download")
    cam.class_dropdown.value = 282
    server_side = {  # the arrays each explorer holds, not what any widget says
        act: ("activations_efficientnet_lite0_chelsea_block2b_expand_activation_channel79_channel-norm.png",
              lambda: np.asarray(act._figure.canvas.buffer_rgba())[..., :3]),
        fil: ("filters_efficientnet_lite0_block4b_expand_conv_filter0_classic_3steps_64px.png",
              lambda: cv2.resize(fil.pattern, (fil.display_px, fil.display_px), interpolation=cv2.INTER_NEAREST)),
        cam: ("gradcam_efficientnet_lite0_cat_and_coffee_top_activation_282-tiger-cat_gradcam.png",
              lambda: cam.picture),
    }
    for view in (act.view, fil.image, cam.view):  # what a client's state update can do to a synced value
        view.set_state({"value": b"garbage, not a picture"})
        assert view.value == b"garbage, not a picture"
    for explorer, (expected_name, picture) in server_side.items():
        explorer.save.button.click()
        name, png = _link(explorer.save.message.value)
        assert name == expected_name
        assert np.array_equal(_decode(png), picture())
    assert list(in_tmp.iterdir()) == []                                  # nothing written on the server


def test_file_mode_saves_the_server_side_picture_too(default_model, in_tmp):
    from helpers.widgets import filter_explorer

    fil = filter_explorer(default_model, layer="block2a_expand_conv", size=32, steps=2)
    fil.image.set_state({"value": b"garbage"})
    fil.save.button.click()
    path = in_tmp / "outputs" / "filters_efficientnet_lite0_block2a_expand_conv_filter0_classic_2steps_32px.png"
    assert np.array_equal(_read(path), cv2.resize(fil.pattern, (256, 256), interpolation=cv2.INTER_NEAREST))


def test_saved_names_stay_bounded_whatever_the_upload_is_called(default_model, in_tmp):
    import helpers
    from helpers.widgets import activation_explorer, gradcam_explorer

    photo = helpers.load_image("coffee", size=default_model)
    act = activation_explorer(default_model, layers=["stem_conv"], save="download")
    cam = gradcam_explorer(default_model, "cat_and_coffee", save="download")
    for explorer in (act, cam):
        explorer.picker.set_image(photo, '"><img src=x onerror=alert(1)>' + "long" * 2000 + ".jpg")
        explorer.save.button.click()
        name, png = _link(explorer.save.message.value)
        assert len(name) <= MAX_NAME and re.fullmatch(r"[A-Za-z0-9_.+-]+\.png", name), name
        assert "img-src-x-onerror-alert-1-long" in name and _decode(png).size
    with pytest.raises(ValueError, match="unknown save"):
        gradcam_explorer(default_model, save="disk")
