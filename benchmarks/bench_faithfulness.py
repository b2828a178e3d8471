"""Benchmark for the perturbation maps and faithfulness metrics. Prints ratios measured in ONE run.

Usage: .venv/bin/python benchmarks/bench_faithfulness.py [--repeats 3] [--masks 1000] [--steps 32]

Targets: occlusion (patch 32, stride 16: 170 passes at 224 px) and RISE (``--masks`` passes) each
<= 1.3x the same number of plain batched forward passes; a deletion curve of 32 steps <= 1.3x 32
batched passes; our deletion and insertion areas equal, within 1 %, to a reference written here
independently (plain numpy and a plain Keras call, after the structure of Petsiuk et al.'s
``CausalMetric``) on the same model, photos and maps -- Grad-CAM, occlusion, RISE and the three baselines.
The machine may be shared: timings are interleaved, so the ratios come from the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import helpers  # noqa: E402
from helpers.cam.engine import engine  # noqa: E402
from helpers.cam.perturbation import BATCH, occlusion, rise  # noqa: E402
from helpers.metrics import baseline_map, deletion, insertion  # noqa: E402

PHOTOS = (("cat_and_coffee", 967), ("cat_and_coffee", 282), ("chelsea", 285))
IMAGENET_MEAN = (123.68, 116.78, 103.94)  # the reference's own copy of the deletion colour


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def plain_passes(model, image, n: int):
    """``n`` forward passes of the unchanged picture in batches of BATCH, through the same compiled
    function the methods use: the yardstick (no perturbation built, nothing accumulated)."""
    eng = engine(model)
    full = tf.constant(np.repeat(image[None].astype(np.float32), BATCH, axis=0))
    rest = tf.constant(np.repeat(image[None].astype(np.float32), n % BATCH, axis=0)) if n % BATCH else None

    def run():
        for _ in range(n // BATCH):
            np.asarray(eng.forward(full)[1])
        if rest is not None:
            np.asarray(eng.forward(rest)[1])
    return run


def ratio(name, ours, yardstick, n_passes, repeats, target=1.3):
    ours(), yardstick()  # warm: traced, allocated
    t_ours, t_plain = [], []
    for _ in range(repeats):  # interleaved, so background load hits both alike
        t_ours.append(timed(ours))
        t_plain.append(timed(yardstick))
    o, p = statistics.median(t_ours), statistics.median(t_plain)
    verdict = "OK" if o / p <= target else "MISSED"
    print(f"{name:<34s}: {1000 * o:8.0f} ms vs {n_passes} batched passes {1000 * p:8.0f} ms -> "
          f"{o / p:.2f}x (target <= {target}x) {verdict}")


# -- the independent reference ----------------------------------------------------------------------
def reference_blur(x: np.ndarray, ksize: int = 11, sigma: float = 5.0) -> np.ndarray:
    """A separable Gaussian in numpy, mirrored (reflect-101) borders: the insertion start picture."""
    r = ksize // 2
    k = np.exp(-((np.arange(ksize) - r) ** 2) / (2 * sigma ** 2))
    k /= k.sum()
    pad = np.pad(x.astype(np.float64), ((r, r), (r, r), (0, 0)), mode="reflect")
    h, w = x.shape[:2]
    rows = sum(k[i] * pad[i:i + h] for i in range(ksize))
    return sum(k[j] * rows[:, j:j + w] for j in range(ksize))


def reference_auc(model, image, saliency, class_index, mode, steps) -> float:
    """Deletion / insertion area after Petsiuk et al.'s ``CausalMetric``: pixels in the order of
    ``saliency`` (highest first), ``HW / steps`` per step, one plain Keras call on all the pictures,
    softmax, area = (sum - first / 2 - last / 2) / steps."""
    x = image.astype(np.float64)
    h, w = x.shape[:2]
    order = np.argsort(-saliency.reshape(-1), kind="stable")  # most salient first; ties: raster order
    if mode == "deletion":
        current, final = x.copy(), np.broadcast_to(np.array(IMAGENET_MEAN), x.shape)
    else:
        current, final = reference_blur(x), x
    pictures = []
    for i in range(steps + 1):
        pictures.append(current.copy())
        chosen = order[i * h * w // steps:(i + 1) * h * w // steps]
        rr, cc = np.unravel_index(chosen, (h, w))
        current[rr, cc] = final[rr, cc]
    logits = np.asarray(model(np.stack(pictures).astype(np.float32), training=False), np.float64)
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    scores = (probs / probs.sum(axis=1, keepdims=True))[:, class_index]
    return float((scores.sum() - scores[0] / 2 - scores[-1] / 2) / steps)


def bench_costs(model, image, repeats, masks, steps):
    occ = lambda: occlusion(model, image, 967)  # noqa: E731
    ratio("occlusion (32 px, stride 16)", occ, plain_passes(model, image, 170), 170, repeats)
    ris = lambda: rise(model, image, 967, masks=masks)  # noqa: E731
    ratio(f"RISE ({masks} masks)", ris, plain_passes(model, image, masks), masks, repeats)
    heat = helpers.gradcam(model, image, 967)
    dele = lambda: deletion(model, image, heat, 967, steps=steps)  # noqa: E731
    ratio(f"deletion curve ({steps} steps)", dele, plain_passes(model, image, steps), steps, max(repeats, 5))


def bench_agreement(model, steps, masks):
    worst = 0.0
    for name, c in PHOTOS:
        image = helpers.load_image(name, size=224)
        maps = {"gradcam": helpers.gradcam(model, image, c),
                "occlusion": occlusion(model, image, c, patch=48, stride=24),
                "rise": rise(model, image, c, masks=min(masks, 500)),
                **{k: baseline_map(k, image) for k in ("random", "sobel", "centre")}}
        cells = []
        for method, heat in maps.items():
            for mode, fn in (("deletion", deletion), ("insertion", insertion)):
                ours, ref = fn(model, image, heat, c, steps=steps).auc, reference_auc(model, image, heat, c, mode,
                                                                                     steps)
                rel = abs(ours - ref) / max(abs(ref), 1e-12)
                worst = max(worst, rel)
                cells.append(f"{method[:4]} {mode[:3]} {ours:.4f}/{ref:.4f}")
        print(f"  {name} class {c}: " + "; ".join(cells))
    print(f"deletion / insertion areas vs the independent reference: largest relative difference "
          f"{100 * worst:.3f} % (target <= 1 %) {'OK' if worst <= 0.01 else 'MISSED'}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--masks", type=int, default=1000)
    parser.add_argument("--steps", type=int, default=32)
    args = parser.parse_args(argv)
    print(f"TensorFlow {tf.__version__}, {os.cpu_count()} CPUs (shared machine: compare ratios, not absolute ms)")
    model = helpers.load_model()
    image = helpers.load_image("cat_and_coffee", size=224)
    bench_costs(model, image, args.repeats, args.masks, args.steps)
    bench_agreement(model, args.steps, args.masks)


if __name__ == "__main__":
    sys.exit(main())
