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
# # 2 · Filter visualisation: what picture makes one filter fire?
#
# A convolutional layer has hundreds of *filters*. Each one turns the picture into a map that is high
# wherever "its" pattern appears. To **see** that pattern, we turn the training procedure around:
# keep the weights fixed and change the **pixels** of an input image, step by step, in the direction
# that increases the filter's mean response — *gradient ascent in input space* (Erhan et al. 2009;
# Zeiler & Fergus 2014; Chollet, *Deep Learning with Python*, ch. 9).
#
# **Learning goals.** After this notebook you can
# 1. read the first layer's filters directly from its weights;
# 2. write gradient ascent for one filter in ~10 lines of TensorFlow (`GradientTape`) and explain each line;
# 3. see how patterns grow from colours and edges (early) to textures and object parts (deep);
# 4. explain why ReLU/ReLU6 layers make naive ascent fail, and the fix (maximise the pre-activation);
# 5. make cleaner pictures with the remedies of *Feature Visualization* (Olah, Mordvintsev & Schubert,
#    Distill 2017): a decorrelated-colour Fourier parametrisation and random jitter / scale / rotation.
#
# The model is EfficientNet-Lite0 (Tan & Le, 2019), embedded in the repository: everything runs offline
# on a CPU in about a minute with the defaults below.

# %%
# Parameters -- change these and re-run the notebook.
MODEL_NAME = "efficientnet_lite0"   # offline. Online alternative (Keras downloads the weights once):
                                    #   MODEL_NAME = "vgg16"; LAYERS = {"early": "block1_conv1", "middle":
                                    #   "block3_conv1", "deep": "block4_conv1"} (the textbook grids use
                                    #   block1_conv1 .. block4_conv1); CORE_LAYER = "block3_conv1"; RELU_LAYER = None;
                                    #   EXERCISE_LAYER = "block4_conv1"
LAYERS = {"early": "block2a_expand_conv", "middle": "block4b_expand_conv", "deep": "block6b_expand_conv"}
CORE_LAYER, CORE_FILTER = "block4b_expand_conv", 12   # the filter we dissect by hand
RELU_LAYER = "block5a_expand_activation"    # a ReLU6 layer for the saturation demo (None to skip)
EXERCISE_LAYER = "block5b_add"              # exercise 1: a middle layer (block 10 of 16, 112 filters)
SIZE = 128        # pattern side in pixels. Bigger: SIZE = 192 (the textbook uses 180-200), ~2.3x slower
STEPS = 30        # ascent steps (the textbook's 30)
N_ATLAS = 24      # filters per atlas. The full grid: N_ATLAS = 64 (~1 min per layer on 2 CPU cores)
ROBUST_STEPS = 60 # the robust method takes smaller steps; Lucid uses 512 (try 200 for crisper pictures)
SAVE_ATLAS = None # a folder name, e.g. "atlases", to save each atlas as a PNG there
SEED = 0

# %%
# %matplotlib inline
import os
import time
from pathlib import Path
import numpy as np
import helpers  # first: it loads TensorFlow without the CUDA/oneDNN start-up messages
import tensorflow as tf
import matplotlib.pyplot as plt
from helpers import filters
from helpers.plotting import show_kernels, show_patterns

T0 = time.perf_counter()
model = helpers.load_model(MODEL_NAME)
for name in [*LAYERS.values(), CORE_LAYER]:
    fm = helpers.feature_model(model, [name], input_shape=(SIZE, SIZE, 3))
    print(f"{name:24s} maps at {SIZE} px: {tuple(fm.outputs[0].shape[1:])}")

# %% [markdown]
# ## 0 · The first layer needs no optimisation
#
# A first-layer filter is a weighted sum of the red, green and blue values in a small window, so its
# weights **are** the pattern it likes best. Here are the 32 kernels of `stem_conv` (3×3 pixels × 3 colours),
# drawn as tiny RGB patches: mid-gray = weight 0, a bright colour = a large positive weight for that colour.
# Look for colour contrasts (red vs green, blue vs yellow) and light/dark edges at different angles —
# the same building blocks Zeiler & Fergus (2014) found in AlexNet.

# %%
kernels = helpers.first_layer_kernels(model)        # uint8 (32, 3, 3, 3), no optimisation involved
print("kernels:", kernels.shape)
fig = show_kernels(kernels, ncols=16, size=0.6, title="first-layer kernels (raw weights)")
plt.show()

# %% [markdown]
# ## 1 · The idea in ten lines
#
# Deeper filters combine earlier ones, so we *search* for their pattern. With $a_f(x)$ the mean of filter
# $f$'s feature map (a 2-pixel border cropped: border pixels see padding) we repeat
#
# $$x \leftarrow x + \eta \, \frac{\nabla_x a_f(x)}{\lVert \nabla_x a_f(x) \rVert_2}$$
#
# * **normalised gradient**: every step has the same length $\eta$, whatever the layer's scale;
# * **step** $\eta$: the textbook's 10 is meant for inputs scaled to $[-1, 1]$. Our model takes raw pixels
#   0..255, where one unit is 127.5 pixels, so $\eta = 10 \times 127.5$ (a step of 10 *pixels* leaves many
#   filters barely excited);
# * **start**: near-gray noise, $127.5 \pm 16$ pixels (keras.io: $\pm 0.125$ in $[-1, 1]$);
# * **deprocess**: the result has an arbitrary brightness and contrast, so standardise it, ×0.15, +0.5, clip, ×255.

# %%
fm = helpers.feature_model(model, [CORE_LAYER], input_shape=(SIZE, SIZE, 3))  # stops at CORE_LAYER
image = tf.constant(filters.start_image(SIZE, seed=SEED)[None])     # (1, SIZE, SIZE, 3) raw pixels
for step in range(STEPS):
    with tf.GradientTape() as tape:
        tape.watch(image)
        act = fm(image)[0]                                           # (1, h, w, channels)
        loss = tf.reduce_mean(act[:, 2:-2, 2:-2, CORE_FILTER])       # mean response of one filter
    grad = tape.gradient(loss, image)
    image += 10 * 127.5 * grad / (tf.norm(grad) + 1e-12)             # one normalised step
    if step == 0:
        start_act = float(loss)
mine = filters.deprocess(image[0].numpy())                           # uint8 picture
print(f"filter {CORE_FILTER}: mean activation {start_act:.2f} -> {float(loss):.2f} (last step)")

# %% [markdown]
# The same with `helpers`: `filter_patterns` runs exactly this loop, but compiled once (`tf.function`,
# with the filter index passed as a tensor so the next filter reuses the compiled graph) and only up
# to the target layer. Same seed and settings, so the same picture:

# %%
t = time.perf_counter()
theirs = helpers.filter_patterns(model, CORE_LAYER, CORE_FILTER, size=SIZE, steps=STEPS, seed=SEED)[0]
print(f"helpers: {time.perf_counter() - t:.2f} s (includes compiling once)")
diff = np.abs(mine.astype(int) - theirs.astype(int))
print(f"mean |difference| = {diff.mean():.3f} grey levels (float round-off between eager and compiled)")
assert diff.mean() < 0.5 and np.percentile(diff, 99) <= 2, "helpers disagrees with the 10-line loop"
fig = show_patterns(np.stack([filters.deprocess(filters.start_image(SIZE, SEED)), mine, theirs]),
                    ["start (deprocessed)", "10-line loop", "helpers"], ncols=3, size=2.4)
plt.show()

# %% [markdown]
# ## 2 · From colours to textures to object parts: atlases by depth
#
# One picture per filter, for an early, a middle and a deep layer. Early patterns are colours and
# fine stripes; middle ones are textures (meshes, scales, waves); deep ones fill the image with
# repeated object-like parts (eyes, fur, petals...) — the network's receptive field and abstraction
# grow with depth. A tile titled "(stuck)" in red is a filter the ascent could not move.

# %%
for depth, layer in LAYERS.items():
    t = time.perf_counter()
    path = None
    if SAVE_ATLAS:
        Path(SAVE_ATLAS).mkdir(exist_ok=True)
        path = Path(SAVE_ATLAS) / f"{layer}.png"
    fig, result = helpers.filter_atlas(model, layer, n=N_ATLAS, size=SIZE, steps=STEPS, seed=SEED,
                                       path=path, tile=1.2)
    plt.show()
    gain = np.median(result.final_activation - result.start_activation)
    print(f"{depth}: {layer}, {len(result)} filters in {time.perf_counter() - t:.1f} s, "
          f"median activation gain {gain:.1f}, undriven: {list(result.undriven)}"
          + (f", saved {path}" if path else ""))

# %% [markdown]
# ## 3 · Why ReLU saturation matters
#
# EfficientNet-Lite uses ReLU6: $\min(\max(z, 0), 6)$. Its gradient is **zero** where the filter is off
# ($z<0$) and where it is clipped ($z>6$). Ascend on the activation itself and a filter that is off
# everywhere never moves (a gray square), and one that reaches 6 everywhere stops dead at exactly 6.0.
# The fix: maximise the **pre-activation** $z$ (the BatchNormalization output that feeds the ReLU6) — the
# activation is a monotone function of it, so we look for the same thing without the dead zones.
# `filter_patterns` does this automatically for ReLU layers (`preactivation=False` shows the naive way).

# %%
if RELU_LAYER:
    relu_filters = list(range(16))
    naive = helpers.visualize_filters(model, RELU_LAYER, relu_filters, size=SIZE, steps=STEPS, preactivation=False)
    fixed = helpers.visualize_filters(model, RELU_LAYER, relu_filters, size=SIZE, steps=STEPS)
    print("naive, on", naive.target)
    print("  final mean activation:", np.round(naive.final_activation, 2))
    print("  never moved:", list(naive.stuck), " stopped by the clip:", list(naive.saturated))
    print("pre-activation, on", fixed.target)
    print("  final mean pre-activation:", np.round(fixed.final_activation, 2), " undriven:", list(fixed.undriven))
    why = {**{f: " off" for f in naive.stuck}, **{f: " at 6" for f in naive.saturated}}
    labels = [f"{f}{why.get(f, '')}" for f in relu_filters] + [str(f) for f in relu_filters]
    fig = show_patterns(np.concatenate([naive.patterns, fixed.patterns]), labels, ncols=8, size=1.2,
                        title=f"rows 1-2: naive ascent on {RELU_LAYER}; rows 3-4: its pre-activation {fixed.target}")
    plt.show()

# %% [markdown]
# ## 4 · Classic vs robust
#
# Classic patterns are covered in high-frequency "noise": the gradient is dominated by tiny pixel-level
# patterns that the filter responds to but no photo contains. *Feature Visualization* (Olah et al., 2017)
# removes it with two remedies (both in `method="robust"`):
#
# * **parametrisation** — optimise the image's *Fourier coefficients*, scaled by 1/frequency, in a
#   *decorrelated colour* space (the square root of ImageNet's colour covariance); a sigmoid keeps pixels
#   valid. Low frequencies become as easy to change as high ones.
# * **transformation robustness** — before every step the image is randomly jittered, scaled (0.9–1.1) and
#   rotated (±10°), so only patterns that survive small transformations are reinforced.

# %%
some = [10, 20, 30, 40, 50, 60]
t = time.perf_counter()
classic = helpers.visualize_filters(model, CORE_LAYER, some, size=SIZE, steps=STEPS, seed=SEED)
robust = helpers.visualize_filters(model, CORE_LAYER, some, size=SIZE, steps=ROBUST_STEPS, seed=SEED,
                                   method="robust")
print(f"{time.perf_counter() - t:.1f} s")
fig = show_patterns(np.concatenate([classic.patterns, robust.patterns]), [f"classic {f}" for f in some]
                    + [f"robust {f}" for f in some], ncols=6, size=1.8, title=CORE_LAYER)
plt.show()
acts = filters.filter_activations(model, CORE_LAYER, np.concatenate([classic.patterns, robust.patterns]))
own = acts[np.arange(12), some * 2]
print("filter's mean activation on its classic pattern:", np.round(own[:6], 1))
print("                      ... on its robust pattern:", np.round(own[6:], 1))

# %% [markdown]
# ## 5 · Explore
#
# Pick a layer (the dropdown shows each layer's number of filters), slide through its filters, switch
# between classic and robust, change the number of steps, or draw an atlas of the layer's first 16
# filters. Results are cached: going back to a filter is instant. (In a static rendering of this
# notebook the widget shows nothing — run the notebook to use it.)

# %%
from helpers.widgets import filter_explorer

explorer = filter_explorer(model, layer=CORE_LAYER, size=SIZE, steps=STEPS)
explorer

# %% [markdown]
# ## 6 · Exercises (each cell checks itself)
#
# **Exercise 1 — make a filter fire.** Maximise one filter of the middle layer `EXERCISE_LAYER` and verify that
# its mean activation on your (uint8) pattern is at least **10×** what the start image gives. Try other
# filters. Which ones fail, and why might a filter that already fires on gray noise not reach 10×?

# %%
LAYER_1, FILTER_1 = EXERCISE_LAYER, 3           # <- try other filters (block5b_add: 0..111) or layers
pattern = helpers.filter_patterns(model, LAYER_1, FILTER_1, size=SIZE, steps=STEPS, seed=SEED)
before = filters.filter_activations(model, LAYER_1, filters.start_image(SIZE, SEED))[0, FILTER_1]
after = filters.filter_activations(model, LAYER_1, pattern)[0, FILTER_1]
print(f"mean activation of filter {FILTER_1}: start {before:.2f} -> pattern {after:.2f}")
print("PASS: at least 10x" if after >= 10 * abs(before) else f"FAIL: only {after / abs(before):.1f}x")

# %% [markdown]
# **Exercise 2 — are patterns selective?** A pattern should excite *its own* filter more than the
# other filters' patterns do. Build patterns for 6 filters, compute the activation matrix (pattern × filter)
# and check that each filter's largest response is to its own pattern in at least 5 of 6 cases.

# %%
chosen = [0, 7, 14, 21, 28, 35]                    # <- your choice of filters of CORE_LAYER
pats = helpers.filter_patterns(model, CORE_LAYER, chosen, size=SIZE, steps=STEPS, seed=SEED)
matrix = filters.filter_activations(model, CORE_LAYER, pats)[:, chosen]   # rows: patterns, columns: filters
print(np.round(matrix, 1))
wins = int(sum(np.argmax(matrix[:, j]) == j for j in range(len(chosen))))
print(f"PASS: {wins}/{len(chosen)} filters prefer their own pattern" if wins >= len(chosen) - 1
      else f"FAIL: only {wins}/{len(chosen)}")


# %% [markdown]
# **Exercise 3 — measure the noise.** Write `high_frequency_share(p)`: the share of a picture's power
# (gray, mean removed) above 1/4 cycle per pixel, from `np.fft.fft2`. Then check that the robust patterns
# of section 4 have less than half the high-frequency share of the classic ones.

# %%
def high_frequency_share(p):
    g = p.astype(float).mean(-1)
    g -= g.mean()
    power = np.abs(np.fft.fft2(g)) ** 2
    f = np.hypot(*np.meshgrid(np.fft.fftfreq(g.shape[1]), np.fft.fftfreq(g.shape[0])))
    return power[f > 0.25].sum() / power.sum()

c = np.mean([high_frequency_share(p) for p in classic.patterns])
r = np.mean([high_frequency_share(p) for p in robust.patterns])
print(f"high-frequency share: classic {c:.2f}, robust {r:.2f}")
print("PASS: robust is smoother" if r < 0.5 * c else "FAIL: robust is not clearly smoother")

# %% [markdown]
# **Exercise 4 — the ReLU trap.** Find a filter of `RELU_LAYER` that naive ascent cannot drive
# (`naive.undriven`), and show that the pre-activation version moves it.

# %%
if RELU_LAYER:
    f = (naive.stuck or naive.undriven or (0,))[0]       # prefer a filter that never moved at all
    res = helpers.visualize_filters(model, RELU_LAYER, f, size=SIZE, steps=STEPS)
    moved = res.final_activation[0] - res.start_activation[0]
    print(f"filter {f}: naive ascent ended at {naive.final_activation[relu_filters.index(f)]:.2f}; "
          f"pre-activation {res.start_activation[0]:.2f} -> {res.final_activation[0]:.2f}")
    print("PASS: the pre-activation moved" if moved > 1 and not res.undriven else "FAIL: still stuck")
print(f"notebook compute time so far: {time.perf_counter() - T0:.0f} s")

# %% [markdown]
# ## Going further
#
# * **Bigger and sharper**: `SIZE = 192`, `N_ATLAS = 64`, `ROBUST_STEPS = 200` (a few minutes on 2 cores).
#   Speed figures are in `benchmarks/bench_filters.py`.
# * **Another model**: `MODEL_NAME = "vgg16"` and the layers of the parameters cell reproduce the textbook's
#   grids (VGG16's convolutions include their ReLU, so there is no separate pre-activation to redirect to;
#   undriven filters are reported).
# * **Your own model**: `helpers.load_model("my_model.keras")` — nested transfer-learning models work too.
#
# **References.** Erhan, Bengio, Courville & Vincent, *Visualizing Higher-Layer Features of a Deep Network*, 2009 ·
# Zeiler & Fergus, *Visualizing and Understanding Convolutional Networks*, ECCV 2014 · Olah, Mordvintsev &
# Schubert, *Feature Visualization*, Distill 2017 · Chollet, *Deep Learning with Python*, 2nd ed., ch. 9 and
# keras.io "Visualizing what convnets learn" · Tan & Le, *EfficientNet*, ICML 2019.
