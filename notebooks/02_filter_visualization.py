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

# %%
# Colab only: fetch the repository and install what it needs. Anywhere else (JupyterLab, a classroom
# server, VS Code) this cell does nothing. Teachers: set REPO_URL once (docs/teaching/README.md).
import os, subprocess, sys
try:
    import google.colab  # noqa: F401  (importable only on Colab)
except ImportError:
    pass
else:
    REPO_URL = "https://github.com/YOUR-ORG/convnet-vis"   # your copy of the repository
    if "YOUR-ORG" in REPO_URL:
        raise ValueError("set REPO_URL in this cell to your copy of convnet-vis (docs/teaching/README.md)")
    if not os.path.isdir("/content/convnet-vis"):
        subprocess.run(["git", "clone", "--depth", "1", REPO_URL, "/content/convnet-vis"], check=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-r", "/content/convnet-vis/requirements.txt"],
                   check=True)
    os.chdir("/content/convnet-vis/notebooks")
    sys.path.insert(0, "/content/convnet-vis")

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
N_ATLAS = 16      # filters per atlas. The full grid: N_ATLAS = 64 (~30-60 s per layer on 2 CPU cores)
ROBUST_STEPS = 60 # the robust method takes smaller steps; Lucid uses 512 (try 200 for crisper pictures)
SAVE_ATLAS = "outputs"  # each atlas is saved as a PNG in this folder (None: do not save)
SEED = 0

# %%
# %matplotlib inline
import os
import time
from pathlib import Path
import numpy as np
import helpers  # first: it loads TensorFlow without the CUDA/oneDNN start-up messages
import functools
import keras
import tensorflow as tf
import matplotlib.pyplot as plt
from helpers import filters
from helpers.exercises import filters as checks
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
# * **deprocess**: the result has an arbitrary brightness and contrast, so standardise it, then ×0.15, +0.5,
#   clip, ×255 (keras.io's recipe; *Deep Learning with Python* standardises, ×64, +128 in 0..255 units, i.e. a
#   contrast of 0.25 instead of 0.15).
#
# Plain Keras and `tf.GradientTape`, nothing from `helpers`, so you can paste it into your own project. A
# `keras.Model` built from our model keeps its 224-pixel input (the textbook's Xception without its top
# accepts any size), so this loop runs at 224 px.

# %%
layer_model = keras.Model(model.inputs, model.get_layer(CORE_LAYER).output)   # pixels -> the layer's maps
size = model.input_shape[1]                                                   # 224 for our model
rng = np.random.default_rng(SEED)
image = tf.constant(127.5 + 127.5 * 0.25 * (rng.random((1, size, size, 3)) - 0.5), tf.float32)  # gray +- 16
for step in range(STEPS):
    with tf.GradientTape() as tape:
        tape.watch(image)
        loss = tf.reduce_mean(layer_model(image)[:, 2:-2, 2:-2, CORE_FILTER])   # mean response of one filter
    grad = tape.gradient(loss, image)
    image += 10 * 127.5 * grad / (tf.norm(grad) + 1e-12)                    # one normalised step
    if step == 0: after_one = image                                         # (kept to compare below)
x = image[0].numpy(); x = (x - x.mean()) / (x.std() + 1e-5)                 # deprocess: standardise,
mine = np.round(np.clip(x * 0.15 + 0.5, 0, 1) * 255).astype(np.uint8)      # x0.15, +0.5, clip, x255
print(f"filter {CORE_FILTER} of {CORE_LAYER}: mean activation {float(loss):.2f} at the last step")

# %% [markdown]
# The same with `helpers`: `filter_patterns` runs exactly this loop, but compiled once (`tf.function`,
# with the filter index passed as a tensor so the next filter reuses the compiled graph), only up to the
# target layer, and at any size (`helpers.feature_model` re-traces the graph; the atlases below use 128 px).
# Same start, same steps: after one step both pictures agree to round-off. Over 30 steps of 1275 pixels
# the tiny differences between eager and compiled arithmetic grow (ReLUs switch), so the two final
# pictures differ in detail but drive the filter equally hard:

# %%
t = time.perf_counter()
theirs = helpers.filter_patterns(model, CORE_LAYER, CORE_FILTER, size=size, steps=STEPS, seed=SEED)[0]
print(f"helpers: {time.perf_counter() - t:.2f} s (includes compiling once)")
one = helpers.filter_patterns(model, CORE_LAYER, CORE_FILTER, size=size, steps=1, seed=SEED)[0]
x = after_one[0].numpy(); x = (x - x.mean()) / (x.std() + 1e-5)
one_step_diff = np.abs(np.round(np.clip(x * 0.15 + 0.5, 0, 1) * 255) - one).mean()
drive = filters.filter_activations(model, CORE_LAYER, np.stack([mine, theirs]))[:, CORE_FILTER]
print(f"after 1 step: mean |difference| {one_step_diff:.4f} grey levels; after {STEPS}: the filter's mean "
      f"activation {drive[0]:.2f} (10-line loop) vs {drive[1]:.2f} (helpers)")
assert one_step_diff < 0.01 and abs(drive[0] - drive[1]) < 0.05 * abs(drive[0]), "helpers disagrees"
print("textbook and helpers agree ✓")
fig = show_patterns(np.stack([filters.deprocess(filters.start_image(size, SEED)), mine, theirs]),
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
        path = Path(SAVE_ATLAS) / f"filters_{model.name}_{layer}_first{N_ATLAS}_classic_{SIZE}px.png"
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
# * **transformation robustness** — before every step the image is randomly jittered, scaled (0.95–1.05) and
#   rotated (±5°), so only patterns that survive small transformations are reinforced.
#
# The two also score a different area: classic keeps the textbook's 2-pixel border crop (at 128 px only the
# central 4×4 of the 8×8 map counts, so its pattern gathers in the middle), robust maximises the whole map, so
# its pattern fills the frame. To compare them fairly we score both on the whole map (`border=0`).

# %%
some = [10, 20, 30, 40]
t = time.perf_counter()
classic = helpers.visualize_filters(model, CORE_LAYER, some, size=SIZE, steps=STEPS, seed=SEED)
robust = helpers.visualize_filters(model, CORE_LAYER, some, size=SIZE, steps=ROBUST_STEPS, seed=SEED,
                                   method="robust")
print(f"{time.perf_counter() - t:.1f} s")
fig = show_patterns(np.concatenate([classic.patterns, robust.patterns]), [f"classic {f}" for f in some]
                    + [f"robust {f}" for f in some], ncols=len(some), size=1.8, title=CORE_LAYER)
plt.show()
acts = filters.filter_activations(model, CORE_LAYER, np.concatenate([classic.patterns, robust.patterns]), border=0)
own = acts[np.arange(2 * len(some)), some * 2]
print("filter's mean activation (whole map) on its classic pattern:", np.round(own[:len(some)], 1))
print("                                   ... on its robust pattern:", np.round(own[len(some):], 1))

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
# ## 6 · Exercises
#
# Each exercise has an answer cell (`None` until you fill it in) and a check that prints ✓, or ✗ with what
# is wrong. Write the code yourself: the checks run your functions on test inputs.
#
# **Exercise 1 — the loss.** Write `my_loss(maps, f)`: `maps` is a layer's output, shape
# `(1, height, width, filters)`; return the mean response of filter `f`, with a 2-pixel border cropped.
# It must be differentiable (TensorFlow ops, not numpy).

# %%
def my_loss(maps, f):
    return None   # your code

print(checks.loss(my_loss))

# %% [markdown]
# **Exercise 2 — the normalised step.** Write `my_step(image, grad, eta)`: one gradient-*ascent* step of
# length `eta` (the L2 norm of `new - image`), whatever the size of `grad`. What must happen when the
# gradient is all zero?

# %%
def my_step(image, grad, eta):
    return None   # your code

print(checks.step(my_step))

# %% [markdown]
# **Exercise 3 — a filter that fails.** `gain(f)` runs the classic ascent on filter `f` of `EXERCISE_LAYER`
# and returns its mean activation on the gray start image and on its pattern. Most filters reach at least
# **10×** their start. Find one that does **not**, and say why, with one letter:

# %%
gain = functools.cache(lambda f: checks.filter_gain(model, EXERCISE_LAYER, f, size=SIZE, steps=STEPS, seed=SEED))
n_filters = filters.layer_channels(model, EXERCISE_LAYER)
for letter, reason in checks.REASONS.items():
    print(f"  {letter}: {reason}")
print(f"{EXERCISE_LAYER} has {n_filters} filters; try: start, final = gain(0)")

# %%
FAILING_FILTER = None   # your answer: a filter number whose final < 10 x |start|
WHY = None              # your answer: "a", "b" or "c"

print(checks.failing_filter(gain, n_filters, FAILING_FILTER, WHY))

# %% [markdown]
# **Exercise 4 — measure the noise.** Write `high_frequency_share(p)`: the share of a picture's power
# above 1/4 cycle per pixel. Gray = the mean of the colours, mean removed; power = `|np.fft.fft2(gray)|²`;
# a coefficient's frequency is `hypot(fx, fy)` with `np.fft.fftfreq` along each axis. Then compare the
# classic and robust patterns of section 4: is robust clearly smoother?

# %%
def high_frequency_share(p):
    return None   # your code

print(checks.high_frequency_share(high_frequency_share))
if high_frequency_share(classic.patterns[0]) is not None:
    c = np.mean([high_frequency_share(p) for p in classic.patterns])
    r = np.mean([high_frequency_share(p) for p in robust.patterns])
    print(f"high-frequency share: classic {c:.2f}, robust {r:.2f}")
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
# Schubert, *Feature Visualization*, Distill 2017 · Chollet, *Deep Learning with Python*, 2nd ed., ch. 9 (deprocess ×64 + 128) and
# keras.io "Visualizing what convnets learn" (deprocess ×0.15 + 0.5) · Tan & Le, *EfficientNet*, ICML 2019.
