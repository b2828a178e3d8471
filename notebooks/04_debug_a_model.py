# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 4 · Debug a model you trained: catch a shortcut with all three techniques
#
# Notebooks 1–3 looked inside a network someone else trained, on photos where nobody knows the
# "right" reason for an answer. Here **you** train the network, on pictures whose ground truth you
# know: circles and squares, each with its bounding box. And we plant a trap. A small
# black-and-white checkerboard, the **marker**, sits in the top-left corner of 95 % of the
# squares and of no circle. A network that reads the marker instead of the shape scores just as
# well on data like its training data. It has learned a *shortcut* (the "Clever Hans" effect).
# Can the three techniques of this course catch it?
#
# **Learning goals.** After this notebook you can
# 1. build and train a small convnet in the textbook's style (Conv2D + MaxPooling2D, 150-px input,
#    first map 148×148×32; Chollet, *Deep Learning with Python*) in under two minutes on a laptop CPU;
# 2. explain why a high validation accuracy does not prove that a model learned the right thing,
#    and build the test set that exposes a shortcut;
# 3. catch the shortcut three ways: **Grad-CAM** (where is the evidence?), **activations** (which
#    channel fires on the marker?), **filter visualisation** (what pattern does that channel want?);
# 4. score an explanation against ground truth with the **pointing game** (Zhang et al., 2016) and
#    the **heat mass** inside a box;
# 5. fix the training data, retrain, and check the fix with the same numbers.
#
# Everything is generated on the fly (numpy + OpenCV, seeded) and runs offline; the whole notebook
# takes a few minutes on a 2-core CPU, most of it the two trainings.

# %%
# Parameters -- change these and re-run the notebook.
SEED = 0             # same seed: the same images (bit for bit) and the same initial weights
N_TRAIN = 1500       # training images per model (the textbook's cats-vs-dogs subset has 2000)
N_TEST = 400         # images per test set
EPOCHS = 2           # measured: ~1.5 min per model on 2 idle CPU cores
FILTERS = (32, 32, 64, 64)  # per convolution; the textbook's (32, 64, 128, 128) learns the same, ~1.5x slower
LEARNING_RATE = 2e-3 # Adam; BatchNormalization lets it be twice Keras's default
MARKER_RATE = 0.95   # fraction of squares that carry the marker in the training data
N_CAM = 100          # swapped test images that carry the marker, scored with Grad-CAM
DETECTOR_LAYER = "conv2"   # where we look for a marker-detector channel (72x72, 32 channels)
POOLING = "max"      # global max pooling at the head: a small local cue (a corner, the marker) counts fully
BATCH_NORM = True    # BatchNormalization after each pooling layer: without it the shapes were not learned
TOLERANCE = 15       # pointing game: a peak up to 15 px outside a box still counts (Zhang et al.'s protocol)

# %%
# %matplotlib inline
import tempfile
import time
from pathlib import Path

import numpy as np
import helpers  # first: it loads TensorFlow quietly
import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle

from helpers import datasets, training
from helpers import evaluation as ev
from helpers.exercises import capstone as ex4
from helpers.plotting import show_images

T0 = time.perf_counter()
CLASSES = datasets.CLASS_NAMES
print("classes:", CLASSES)

# %% [markdown]
# ## 1 · The data: shapes with ground truth, and a planted shortcut
#
# `datasets.shortcut_splits` makes five sets, each from its own seed:
#
# | set | marker on circles | marker on squares | what it is for |
# |---|---|---|---|
# | `train`, `val` | 0 % | 95 % | the shortcut is there to learn; `val` looks just like `train` |
# | `clean` | 0 % | 0 % | does the model know the shapes? |
# | `swapped` | 100 % | 0 % | the marker on the *other* class: trust the marker and you are always wrong |
# | `fixed_train` | 50 % | 50 % | the marker says nothing about the class (section 6) |
#
# Every image comes with the object's box and the marker's box, `(x0, y0, x1, y1)` in pixels.

# %%
t = time.perf_counter()
splits = datasets.shortcut_splits(N_TRAIN, N_TEST, seed=SEED, rate=MARKER_RATE)
print(f"generated {sum(len(d) for d in splits.values())} images in {time.perf_counter() - t:.1f} s")
for name, d in splits.items():
    on = [d.has_marker[d.labels == c].mean() for c in range(len(CLASSES))]
    print(f"  {name:12s} {len(d):5d} images   marker on {CLASSES[0]}s {on[0]:4.0%}, on {CLASSES[1]}s {on[1]:4.0%}")


# %%
def draw_boxes(ax, data, i, colours=("lime", "red")):
    """Outline the object (green) and the marker, if any (red) of image i of a ShapeSet."""
    for box, colour in zip((data.boxes[i], data.marker_boxes[i]), colours):
        if box[0] >= 0:
            ax.add_patch(Rectangle((box[0] - 0.5, box[1] - 0.5), box[2] - box[0], box[3] - box[1],
                                   fill=False, edgecolor=colour, linewidth=1.5))


def show_set(data, idx, pictures=None, titles=None, size=2.2):
    fig, axes = plt.subplots(1, len(idx), figsize=(size * len(idx), size + 0.3), squeeze=False)
    for ax, k, i in zip(axes[0], range(len(idx)), idx):
        ax.imshow(data.images[i] if pictures is None else pictures[k])
        draw_boxes(ax, data, i)
        ax.set_title(titles[k] if titles else CLASSES[data.labels[i]], fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    return fig


fig = show_set(splits["train"], range(8))

# %% [markdown]
# ## 2 · A small convnet in the textbook's style, trained in under two minutes
#
# Four 3×3 convolutions (`FILTERS`: 32, 32, 64, 64 filters, ReLU; the book has 32, 64, 128, 128),
# a 2×2 max-pooling after each of the first three, global max pooling and a Dense layer with one
# output (a logit) per class. The
# model takes raw pixels 0..255 (its first layer rescales them), like every model in this course.
# Each convolution trims 2 pixels (no padding) and each pooling halves the map.
#
# Two additions to the textbook's recipe, both measured on these images: a
# **BatchNormalization** layer after each pooling layer (`bn1`..`bn3`; it rescales the maps
# during training so the next convolution learns quickly), and global **max** pooling instead of
# average pooling (the evidence for "square" is local: four corners in a 15×15 map). Without
# them, a model trained on marker-free shapes sat at chance (loss ln 2 = 0.693) for three epochs;
# with them it learns the shapes.

# %%
model = training.small_convnet(class_names=CLASSES, seed=SEED, filters=FILTERS, pooling=POOLING,
                               batch_norm=BATCH_NORM)
for name, shape in helpers.layer_names(model, kinds="all", with_shapes=True):
    print(f"  {name:8s} {' x '.join(map(str, shape))}")
print(f"{model.count_params():,} parameters")

# %% [markdown]
# Train it on the shortcut data with `model.fit` (Adam, cross-entropy on the logits), with a
# progress bar. `training.train` is ten lines you can read: `helpers/training.py`.

# %%
history = training.train(model, splits["train"], epochs=EPOCHS, seed=SEED, learning_rate=LEARNING_RATE, verbose=2)
train_seconds = {"shortcut": history.history["seconds"][0]}
print(f"trained in {train_seconds['shortcut']:.0f} s; validation accuracy {training.accuracy(model, splits['val']):.1%}")

# Save it and load it back the way you would load any model of your own:
folder = Path(tempfile.mkdtemp(prefix="convnet_vis_"))
model.save(folder / "shortcut.keras")
shortcut_model = helpers.load_model(folder / "shortcut.keras", class_names=CLASSES)
print(helpers.predict(shortcut_model, splits["val"].images[0], top=2), "| true:", CLASSES[splits["val"].labels[0]])

# %% [markdown]
# ## 3 · Is it right for the right reason? Three test sets
#
# **Exercise 1 — predict before you measure.** The validation accuracy is high. What will the
# accuracy be on the `swapped` set (marker on every circle, on no square)?
# (a) about 98 %, (b) about 50 % (chance), (c) about 0 %. Set `ANSWER_1` to `"a"`, `"b"` or `"c"`,
# then run the next cell.

# %%
ANSWER_1 = None

# %%
acc_before = {name: training.accuracy(shortcut_model, splits[name]) for name in ("val", "clean", "swapped")}
for name, acc in acc_before.items():
    print(f"  {name:8s} accuracy {acc:6.1%}")
print(ex4.check_swapped_prediction(ANSWER_1, acc_before["swapped"]))

# %% [markdown]
# How to read the three numbers: a model that learned the *shapes* scores about the same on all
# three sets. A model that reads the *marker* is near chance on `clean` (no marker to read) and
# near 0 % on `swapped` (the marker sits on the wrong class). Accuracy tells us *that* something is
# wrong; the three techniques tell us *what*, even without a swapped test set.
#
# ## 4 · Grad-CAM: where is the evidence?
#
# For each swapped image that carries the marker, Grad-CAM at `conv4` (15×15, the last
# convolution) for the class the model chose. Only global pooling and the Dense layer follow
# `conv4`, so each channel's Grad-CAM weight is its Dense weight ÷ 225, as in the classic CAM.
# Two scores against the ground truth:
# * **pointing game**: is the heatmap's peak inside the box? (`ev.pointing_game`)
# * **heat mass**: which fraction of the whole heat lies inside the box? (`ev.heat_in_box`)
#
# The marker box is 12×12 px, 0.6 % of the image; the object box is 5–19 %. One cell of the 15×15
# map covers 10×10 px, so the peak of an upsampled map is only known to within a cell or so: as in
# Zhang et al.'s pointing game, a peak up to `TOLERANCE` = 15 px outside a box still counts. A
# grown box covers more of the image, so compare every hit rate with **chance**: how often a
# peak dropped at random would hit the same grown boxes (`ev.pointing_chance`).

# %%
swapped = splits["swapped"]
probe = swapped.subset(np.flatnonzero(swapped.has_marker)[:N_CAM])   # circles with the marker


def explain(model, data, method="gradcam"):
    """Grad-CAM (or another CAM method) for the predicted class of every image, and four scores."""
    heat = helpers.gradcam(model, data.images, method=method)
    scores = {"peak on marker": ev.pointing_game(heat, data.marker_boxes, TOLERANCE).mean(),
              "peak on object": ev.pointing_game(heat, data.boxes, TOLERANCE).mean(),
              "heat on marker": ev.heat_in_box(heat, data.marker_boxes).mean(),
              "heat on object": ev.heat_in_box(heat, data.boxes).mean()}
    return heat, scores


t = time.perf_counter()
heat_before, scores_before = explain(shortcut_model, probe)
print(f"Grad-CAM of {len(probe)} images in {time.perf_counter() - t:.1f} s")
chance = {"marker": ev.pointing_chance(probe.marker_boxes, TOLERANCE), "object": ev.pointing_chance(probe.boxes, TOLERANCE)}
for k, v in scores_before.items():
    print(f"  {k}: {v:6.1%}" + (f"   (chance {chance[k.split()[-1]]:.0%})" if k.startswith("peak") else ""))
pred = training.predict_classes(shortcut_model, probe.images[:6])
fig = show_set(probe, range(6), [helpers.overlay(probe.images[i], heat_before[i]) for i in range(6)],
               [f"said {CLASSES[p]}" for p in pred])

# %% [markdown]
# ## 5 · Activations: which channel fires on the marker?
#
# First the textbook's picture of a convnet: convolution and pooling layers, each pooling layer
# halving the maps. Below, one channel of every layer for a swapped image (the marker is top-left).

# %%
image = probe.images[0]
acts = helpers.activations(shortcut_model, image)   # every conv and pooling layer
fig, axes = plt.subplots(1, len(acts), figsize=(2.0 * len(acts), 2.3))
for ax, (name, maps) in zip(axes, acts.items()):
    ax.imshow(maps[..., int(maps.mean(axis=(0, 1)).argmax())], cmap="viridis")
    ax.set_title(f"{name}\n{maps.shape[0]}x{maps.shape[1]}x{maps.shape[2]}", fontsize=9)
    ax.axis("off")
fig.tight_layout()
print(" -> ".join(f"{m.shape[0]}" for m in acts.values()))

# %% [markdown]
# Which channel of `conv2` is a **marker detector**? Score every channel by its mean activation
# inside the marker box minus its mean activation elsewhere, averaged over the probe images
# (`ev.box_selectivity`): a detector scores high.
#
# **Exercise 2.** Find the marker detector of `DETECTOR_LAYER` from `selectivity` (hint:
# `np.argsort`) and set `ANSWER_2` to its channel number. Every channel within 10 % of the best
# score counts.

# %%
maps = helpers.activations(shortcut_model, probe.images, layers=[DETECTOR_LAYER])[DETECTOR_LAYER]
selectivity = ev.box_selectivity(maps, probe.marker_boxes, image_size=image.shape[0])
print(f"{DETECTOR_LAYER}: {maps.shape[-1]} channels; selectivity from {selectivity.min():.2f} "
      f"to {selectivity.max():.2f}, median {np.median(selectivity):.2f}")

# %%
ANSWER_2 = None
print(ex4.check_marker_channel(ANSWER_2, selectivity))

# %%
detector = int(np.argmax(selectivity))
clean_circle = splits["clean"].images[np.flatnonzero(splits["clean"].labels == 0)[0]]
with_marker, _ = datasets.add_marker(clean_circle)
pair = helpers.activations(shortcut_model, np.stack([clean_circle, with_marker]), layers=[DETECTOR_LAYER])
pair = pair[DETECTOR_LAYER][..., detector]
fig = show_images([clean_circle, pair[0], with_marker, pair[1]],
                  ["no marker", f"channel {detector}: max {pair[0].max():.2f}",
                   "marker added", f"channel {detector}: max {pair[1].max():.2f}"], size=2.4)

# %% [markdown]
# ## 6 · Filter visualisation: what does the detector want to see?
#
# Gradient ascent (notebook 2) on the input pixels, maximising the detector channel's mean
# response, beside three channels of median selectivity, and the marker itself enlarged.

# %%
others = [int(c) for c in np.argsort(selectivity)[len(selectivity) // 2:][:3]]
result = helpers.visualize_filters(shortcut_model, DETECTOR_LAYER, [detector, *others], size=64, steps=30)
marker_big = np.kron(datasets.marker_pattern(), np.ones((5, 5, 1), np.uint8))[:64, :64]
fig = show_images([marker_big, *result.patterns], ["the marker (x5)", f"detector {detector}",
                  *[f"channel {c}" for c in others]], size=2.0)
drive = helpers.filter_activations(shortcut_model, DETECTOR_LAYER, np.stack([with_marker, clean_circle]), border=0)
print(f"channel {detector}: mean response {drive[0, detector]:.3f} with the marker, "
      f"{drive[1, detector]:.3f} without; its own pattern reaches {result.final_activation[0]:.2f}")

# %% [markdown]
# **Exercise 3 — move the marker.** The marker was always in the top-left corner during training.
# Stamp it in the bottom-right corner of clean circles instead (`datasets.add_marker(img,
# "bottom-right")`): does the heat follow it? Guess first, set `ANSWER_3` to `True` or `False`,
# then run the check, which plays the pointing game on the moved marker.

# %%
ANSWER_3 = None

# %%
circles = splits["clean"].subset(np.flatnonzero(splits["clean"].labels == 0)[:40])
moved = [datasets.add_marker(img, "bottom-right") for img in circles.images]
moved_images, moved_boxes = np.stack([m[0] for m in moved]), np.array([m[1] for m in moved])
heat_moved = helpers.gradcam(shortcut_model, moved_images)
hits_moved = ev.pointing_game(heat_moved, moved_boxes, TOLERANCE)
said_square = (training.predict_classes(shortcut_model, moved_images) == 1).mean()
print(f"the model says '{CLASSES[1]}' for {said_square:.0%} of these circles")
print(ex4.check_heat_follows(ANSWER_3, hits_moved))
fig = show_images([helpers.overlay(moved_images[i], heat_moved[i]) for i in range(5)], size=2.0)

# %% [markdown]
# ## 7 · The fix: make the marker useless, retrain, measure again
#
# We cannot always remove a shortcut from real data, but we can break its link to the label. In
# `fixed_train` the marker is on half of the circles *and* half of the squares, so it carries no
# information about the class. Same architecture, same seed, same number of epochs.

# %%
fixed = training.small_convnet(class_names=CLASSES, seed=SEED, filters=FILTERS, pooling=POOLING,
                               batch_norm=BATCH_NORM)
history = training.train(fixed, splits["fixed_train"], epochs=EPOCHS, seed=SEED, learning_rate=LEARNING_RATE,
                         verbose=2)
train_seconds["fixed"] = history.history["seconds"][0]
fixed.save(folder / "fixed.keras")
fixed_model = helpers.load_model(folder / "fixed.keras", class_names=CLASSES)
acc_after = {name: training.accuracy(fixed_model, splits[name]) for name in ("val", "clean", "swapped")}
heat_after, scores_after = explain(fixed_model, probe)
print(f"{'':16s} {'before':>8s} {'after':>8s}")
for name in acc_before:
    print(f"{name + ' accuracy':16s} {acc_before[name]:8.1%} {acc_after[name]:8.1%}")
for k in scores_before:
    print(f"{k:16s} {scores_before[k]:8.1%} {scores_after[k]:8.1%}")

# %%
idx = range(5)
pictures = [helpers.overlay(probe.images[i], h[i]) for h in (heat_before, heat_after) for i in idx]
titles = [f"{tag}: said {CLASSES[p]}" for tag, m in (("before", shortcut_model), ("after", fixed_model))
          for p in training.predict_classes(m, probe.images[:5])]
fig = show_images(pictures, titles, ncols=5, size=2.2)

# %% [markdown]
# ### Why Grad-CAM is blurrier here, and LayerCAM is not
#
# Our model ends with global **max** pooling: each channel's logit contribution comes from *one*
# location, its maximum, and only there is the gradient non-zero. Grad-CAM averages each channel's
# gradient over the whole map (weight = Dense weight ÷ 225) and so spreads that channel's evidence
# over every place it is active, including the clutter. **LayerCAM** (Jiang et al., 2021) weights
# each *location* by its own positive gradient instead: for a max-pooled model, exactly the
# locations the pooling used. Same model, same images, one argument changed:

# %%
layercam = {"before": explain(shortcut_model, probe, "layercam")[1], "after": explain(fixed_model, probe, "layercam")[1]}
print(f"{'':22s} {'before':>8s} {'after':>8s}   (chance)")
for method, (b, a) in {"Grad-CAM": (scores_before, scores_after),
                       "LayerCAM": (layercam["before"], layercam["after"])}.items():
    for k in ("peak on marker", "peak on object"):
        print(f"{method + ' ' + k:22s} {b[k]:8.1%} {a[k]:8.1%}   ({chance[k.split()[-1]]:.0%})")

# %% [markdown]
# ## 8 · Explore it yourself
#
# The three explorers of notebooks 1–3 work on your model unchanged. Pick a layer, a channel, a
# class; upload your own drawing of a circle or a square (it is resized to 150×150).

# %%
from helpers.widgets import activation_explorer, filter_explorer, gradcam_explorer

gradcam_explorer(shortcut_model, probe.images[1])

# %%
activation_explorer(shortcut_model, probe.images[1], layer=DETECTOR_LAYER, channel=detector)

# %%
filter_explorer(fixed_model, layer="conv3", size=64)

# %% [markdown]
# ## Summary
#
# * A high validation accuracy does not show that a model is right for the right reason when the
#   validation set shares the training set's shortcut; a test set that breaks the shortcut
#   (`swapped`) does.
# * Each technique answers its own question: Grad-CAM *where* (peak on the marker or the object?),
#   activations *which channel* (selectivity for the marker box), filter visualisation *what
#   pattern* that channel wants. Compare the printed numbers, not the impression of a picture.
# * The pointing game and the heat mass turn "the heatmap looks right" into numbers that can be
#   compared before and after a fix (printed below for this run).
#
# Further: Geirhos et al., *Shortcut learning in deep neural networks* (Nature Machine
# Intelligence, 2020); Lapuschkin et al., *Unmasking Clever Hans predictors* (Nature
# Communications, 2019): a real classifier that recognised horses by a copyright tag.

# %%
print(f"training: {train_seconds['shortcut']:.0f} s (shortcut) + {train_seconds['fixed']:.0f} s (fixed)")
print(f"swapped accuracy {acc_before['swapped']:.0%} -> {acc_after['swapped']:.0%}; "
      f"peak on marker {scores_before['peak on marker']:.0%} -> {scores_after['peak on marker']:.0%}; "
      f"peak on object {scores_before['peak on object']:.0%} -> {scores_after['peak on object']:.0%} "
      f"(LayerCAM {layercam['before']['peak on object']:.0%} -> {layercam['after']['peak on object']:.0%})")
print(f"clean accuracy {acc_before['clean']:.0%} -> {acc_after['clean']:.0%}")
print(f"notebook compute time: {time.perf_counter() - T0:.0f} s")
