"""helpers.widgets.filters: the filter explorer's wiring and its background runner."""

from __future__ import annotations

import pytest

L4 = "block4b_expand_conv"


def test_explorer_wiring(model):
    from helpers.widgets import filter_explorer
    ex = filter_explorer(model, size=32, steps=3, atlas_filters=4)
    labels = dict((v, k) for k, v in ex.layer.options)
    assert "(480 filters)" in labels[L4]
    assert ex.pattern.shape == (32, 32, 3) and ex.image.value[:4] == b"\x89PNG"
    ex.filter.value = 100
    ex.layer.value = "block2a_expand_conv"               # 96 filters: slider max follows, value clamps
    assert ex.filter.max == 95 and ex.filter.value == 95
    assert ex.result.layer == "block2a_expand_conv" and ex.result.filters == (95,)
    ex.method.value = "robust"
    assert ex.result.method == "robust"
    ex.steps.value = 5
    assert ex.result.settings["steps"] == 5
    ex.layer.value = "block5a_expand_activation"
    assert "pre-activation" in ex.info.value and ex.result.target == "block5a_expand_bn"
    ex.atlas_button.click()
    assert ex.progress.value == ex.progress.max == 4
    assert ex.atlas_result.patterns.shape == (4, 32, 32, 3) and ex.status.value == ""
    # a failure is shown in the widget, which stays alive
    ex.size = 8
    ex.filter.value = 3
    assert "size" in ex.status.value
    ex.size = 32
    ex.filter.value = 4
    assert ex.status.value == "" and ex.result.filters == (4,)


def test_explorer_hands_slow_work_to_its_runner(model):
    """runner(slot, work) receives every ascent and atlas the controls ask for; nothing runs until it
    calls work() (the classroom's worker pool calls it later, in a worker thread)."""
    from helpers.widgets import filter_explorer

    queued = []
    ex = filter_explorer(model, size=32, steps=3, atlas_filters=2,
                         runner=lambda slot, work: queued.append((slot, work)))
    first = ex.result                                     # the first pattern is drawn at once
    assert first.filters == (0,) and queued == []
    ex.filter.value = 7
    ex.atlas_button.click()
    assert [slot for slot, _ in queued] == ["redraw", "atlas"] and ex.result is first
    for _slot, work in queued:
        work()
    assert ex.result.filters == (7,) and ex.atlas_result.patterns.shape == (2, 32, 32, 3)
    with pytest.raises(TypeError, match="runner"):
        filter_explorer(model, size=32, steps=3, runner="pool")

