"""helpers.plotting.atlas: a grid of filter patterns saved as a picture."""

from __future__ import annotations

import pytest

import helpers


def test_filter_atlas_saves_png(model, tmp_path):
    import matplotlib.pyplot as plt

    path = tmp_path / "atlas.png"
    fig, result = helpers.filter_atlas(model, "block2a_expand_conv", n=6, size=32, steps=3, ncols=3, path=path)
    assert result.patterns.shape == (6, 32, 32, 3) and result.filters == tuple(range(6))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(fig.axes) == 6
    plt.close(fig)
    with pytest.raises(ValueError, match="n must be"):
        helpers.filter_atlas(model, "block2a_expand_conv", n=0)

