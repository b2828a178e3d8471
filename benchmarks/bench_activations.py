"""Benchmark for helpers.activations / the activations explorer / notebook 1. Prints ratios
measured in ONE run.

Usage: .venv/bin/python benchmarks/bench_activations.py [--no-notebook] [--repeats 30]

Targets: extracting all default layers (every conv and pooling layer) <= 1.3x one
compiled forward pass of the same model and image; explorer redraw after a slider move on a
96-channel 112x112 layer (``block2a_expand_activation``) with cached activations <= 100 ms median
(the textbook's one-subplot-per-channel Matplotlib figure is timed beside it); notebook <= 90 s.
The machine may be shared: absolute times are noisy, so timings are interleaved, the ratios come
from the same run, and CPU time of this process is printed next to wall time for the redraw.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import helpers  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from _common import notebook_wall_time  # noqa: E402
NOTEBOOK = ROOT / "notebooks" / "01_intermediate_activations.ipynb"
LAYER = "block2a_expand_activation"  # 112 x 112 x 96 on EfficientNet-Lite0


def median_ms(times) -> float:
    return 1000 * statistics.median(times)


def clock(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) for one call."""
    w, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w, time.process_time() - c


def bench_extraction(model, image, repeats) -> float:
    x = tf.constant(image[None].astype("float32"))
    fwd = helpers.forward_fn(model)
    all_layers = helpers.layer_names(model)  # conv + pool + activation: what the explorer fetches
    fwd(x).numpy()
    helpers.activations(model, image)
    helpers.activations(model, image, all_layers)
    t_fwd, t_def, t_all = [], [], []
    for _ in range(repeats):  # interleaved, so background load hits all alike
        t_fwd.append(clock(lambda: fwd(x).numpy())[0])
        t_def.append(clock(lambda: helpers.activations(model, image))[0])
        t_all.append(clock(lambda: helpers.activations(model, image, all_layers))[0])
    f, d, a = median_ms(t_fwd), median_ms(t_def), median_ms(t_all)
    n_def = len(helpers.activations(model, image))
    print(f"compiled forward pass (logits)          : {f:7.1f} ms (median of {repeats})")
    print(f"helpers.activations, {n_def} conv/pool layers : {d:7.1f} ms -> {d / f:.2f}x a forward pass "
          f"(target <= 1.3x) {'OK' if d / f <= 1.3 else 'MISSED'}")
    print(f"  + activation layers ({len(all_layers)} layers)      : {a:7.1f} ms -> {a / f:.2f}x (what the explorer "
          "computes once per image)")
    return d / f


def textbook_subplots(maps, channel, dpi=72) -> bytes:
    """The common approach: one Matplotlib subplot per channel (+ the chosen channel with a colour bar)."""
    import matplotlib.pyplot as plt

    c = maps.shape[-1]
    cols = 16
    rows = int(np.ceil(c / cols))
    fig, axes = plt.subplots(rows, cols + 4, figsize=(11.0, 3.9),
                             gridspec_kw={"width_ratios": [1] * cols + [0.2, 2, 2, 0.2]})
    for k, ax in enumerate(axes[:, :cols].flat):
        ax.axis("off")
        if k < c:
            ch = maps[..., k]
            std = ch.std()
            img = (ch - ch.mean()) / (std if std > 0 else 1.0) * 64 + 128
            ax.imshow(np.clip(img, 0, 255).astype("uint8"), cmap="viridis", vmin=0, vmax=255)
    for ax in axes[:, cols:].flat:
        ax.axis("off")
    big = fig.add_axes((0.8, 0.1, 0.15, 0.8))
    im = big.imshow(maps[..., channel], cmap="viridis")
    fig.colorbar(im, ax=big)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    plt.close(fig)
    return buf.getvalue()


def bench_redraw(model, repeats) -> float:
    from helpers.widgets import activation_explorer

    explorer = activation_explorer(model, layer=LAYER)
    maps = helpers.activations(model, explorer.picker.image, [LAYER])[LAYER]   # what the explorer shows
    assert maps.shape == (112, 112, 96), maps.shape
    forward_before = explorer.forward_count
    walls, cpus = [], []
    for i in range(repeats):
        wall, cpu = clock(lambda: setattr(explorer.channel, "value", (i * 7 + 1) % 96))
        walls.append(wall)
        cpus.append(cpu)
    assert explorer.forward_count == forward_before, "a slider move must not recompute the forward pass"
    assert len(explorer.render_log) == repeats + 1
    n_sub = max(3, repeats // 6)
    textbook_subplots(maps, 0)
    sub_w, sub_c = zip(*[clock(lambda: textbook_subplots(maps, k)) for k in range(n_sub)])
    r, s = median_ms(walls), median_ms(sub_w)
    print(f"explorer redraw, slider move, {LAYER} 112x112x96 (cached activations):")
    print(f"  mosaic + blitted figure  : {r:7.1f} ms wall, {median_ms(cpus):6.1f} ms CPU (median of {repeats}; "
          f"target <= 100 ms) {'OK' if r <= 100 else 'MISSED'}")
    print(f"  96 Matplotlib subplots   : {s:7.1f} ms wall, {median_ms(sub_c):6.1f} ms CPU (median of {n_sub}) "
          f"-> the explorer is {s / r:.0f}x faster")
    for mode in ("layer", "global"):
        explorer.norm.value = mode
    layer_walls = [clock(lambda: setattr(explorer.layer, "value", name))[0]
                   for name in ("stem_conv", LAYER, "top_activation", LAYER)]
    print(f"  (layer change, full redraw incl. ticks: {median_ms(layer_walls):.0f} ms median of 4)")
    return r


def bench_notebook() -> float:
    return notebook_wall_time("01_intermediate_activations.ipynb", target_s=90)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--no-notebook", action="store_true")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
          "(other processes share the machine: compare the ratios, not the absolute times)")
    model = helpers.load_model()
    image = helpers.load_image("chelsea", size=model)
    bench_extraction(model, image, args.repeats)
    bench_redraw(model, args.repeats)
    if not args.no_notebook:
        bench_notebook()
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
