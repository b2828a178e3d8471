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

# %% slideshow={"slide_type": "skip"}
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

# %% [markdown] slideshow={"slide_type": "slide"}
# # 2 · Filter visualisation: what picture makes one filter fire?
#
# A convolutional layer has hundreds of *filters*. Each one turns the picture into a map that is high
# wherever "its" pattern appears. To **see** that pattern, we turn the training procedure around:
# keep the weights fixed and change the **pixels** of an input image, step by step, in the direction
# that increases the filter's mean response — *gradient ascent in input space* (Erhan et al. 2009;
# Zeiler & Fergus 2014; Chollet, *Deep Learning with Python*, ch. 9).
#
# **Learning goals.** After this notebook you can
# 1. read the first layer's filters directly from its weights, and compute one of its maps by hand;
# 2. write gradient ascent for one filter in ~10 lines of TensorFlow (`GradientTape`) and explain each line;
# 3. see how patterns grow from colours and stripes (early) to textures (middle) and object-like parts (deep);
# 4. explain why ReLU/ReLU6 layers make naive ascent fail, and the fix (maximise the pre-activation);
# 5. make cleaner pictures with the remedies of *Feature Visualization* (Olah, Mordvintsev & Schubert,
#    Distill 2017): a decorrelated-colour Fourier parametrisation, random jitter / scale / rotation, Adam.
#
# The model is EfficientNet-Lite0 (Tan & Le, 2019), embedded in the repository: everything runs offline
# on a CPU.

# %% slideshow={"slide_type": "-"} tags=["parameters"]
# Parameters -- change these and re-run the notebook.
MODEL_NAME = "efficientnet_lite0"   # offline (another model: see "Going further")
LAYERS = {"early": "block2a_expand_conv", "middle": "block4b_expand_conv"}   # section 2's atlases
CORE_LAYER, CORE_FILTER = "block4b_expand_conv", 12   # the filter we dissect by hand
RELU_LAYER = "block5a_expand_activation"    # a ReLU6 layer for the saturation demo (None to skip)
DEEP_LAYER, DEEP_FILTERS, DEEP_SIZE = "block6b_expand_conv", [0, 1, 2, 3, 4, 5], 160   # section 4
EXERCISE_LAYER = "block5b_add"              # exercise 3: a middle layer (block 10 of 16, 112 filters)
SIZE = 128        # pattern side in pixels for the atlases (the textbook uses 180-200)
STEPS = 30        # ascent steps (the textbook's 30)
N_ATLAS = 32      # filters per atlas (the textbook's full grid: 64)
ROBUST_STEPS = 30 # robust steps computed here; the gallery of section 4 was made with 256
GALLERY = "filters_deep_robust.png"   # in the bundled data/gallery/, precomputed by `make gallery`
SAVE_ATLAS = "outputs"  # each atlas is saved as a PNG in this folder (None: do not save)
SEED = 0

# %% slideshow={"slide_type": "-"}
# %matplotlib inline
from pathlib import Path
import functools
import numpy as np
import helpers   # loads TensorFlow (in your own Jupyter it may print start-up notes in red: harmless)
import keras
import tensorflow as tf
import matplotlib.pyplot as plt
from IPython.display import Image, display
from helpers import filters
from helpers.exercises import filters as checks
from helpers.plotting import show_kernels, show_patterns

model = helpers.load_model(MODEL_NAME)
for name in dict.fromkeys([*LAYERS.values(), CORE_LAYER, DEEP_LAYER]):
    fm = helpers.feature_model(model, [name], input_shape=(SIZE, SIZE, 3))
    print(f"{name:24s} maps at {SIZE} px: {tuple(fm.outputs[0].shape[1:])}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 0 · The first layer needs no optimisation
#
# A first-layer filter is a weighted sum of the red, green and blue values in a small window, so its
# weights **are** the pattern it likes best. Here are the 32 kernels of `stem_conv` (3×3 pixels × 3 colours),
# drawn as tiny RGB patches (the key below says what a colour means). Look for colour contrasts (red vs
# green, blue vs yellow) and light/dark edges at different angles — the same building blocks Zeiler &
# Fergus (2014) found in AlexNet.

# %% slideshow={"slide_type": "-"}
kernels = helpers.first_layer_kernels(model)        # uint8 (32, 3, 3, 3), no optimisation involved
print("kernels:", kernels.shape)
fig = show_kernels(kernels, ncols=16, size=0.6, title="first-layer kernels (raw weights)")
plt.show()

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### A convolution is a sliding dot product
#
# A first-layer map is made by sliding one kernel over the image, here two pixels at a time (stride 2),
# and taking at each position the **dot product** of the kernel with the 3×3×3 patch under it: the
# *correlation* between filter and input, high where the patch looks like the kernel. (Deep learning's
# "convolution" does not flip the kernel, as the mathematical one would.) By hand, in numpy, for one
# filter, checked against the model's own output:

# %% slideshow={"slide_type": "-"}
K = 4                                                                  # one of the 32 filters
if {"rescaling", "stem_conv"} <= {layer.name for layer in model.layers}:   # EfficientNet-Lite0's first layers
    rescale, stem = model.get_layer("rescaling"), model.get_layer("stem_conv")
    photo = helpers.load_image("chelsea", size=model)                  # uint8, 224 x 224 x 3
    x = photo.astype(np.float64) * rescale.scale + rescale.offset       # the model's first step: pixels to -1..1
    w = stem.kernel.numpy()[..., K].astype(np.float64)                 # filter K: 3 x 3 x 3 weights
    padded = np.pad(x, ((0, 1), (0, 1), (0, 0)))                       # 'same' padding at stride 2: one row/column
    mine = np.empty((112, 112))
    for i in range(112):
        for j in range(112):
            patch = padded[2 * i:2 * i + 3, 2 * j:2 * j + 3]           # the 3x3x3 patch under the filter
            mine[i, j] = np.sum(patch * w)                             # dot product (stem_conv has no bias)
    theirs = helpers.activations(model, photo, ["stem_conv"])["stem_conv"][..., K]
    np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-4)
    print(f"filter {K}: numpy and stem_conv agree to {np.abs(mine - theirs).max():.1e} (values up to "
          f"{np.abs(theirs).max():.1f}) ✓")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1 · The idea in ten lines
#
# Deeper filters combine earlier ones, so we *search* for their pattern. With $a_f(x)$ the mean of filter
# $f$'s feature map (a 2-pixel border cropped: border pixels see padding) we repeat
#
# $$x \leftarrow x + \eta \, \frac{\nabla_x a_f(x)}{\lVert \nabla_x a_f(x) \rVert_2}$$
#
# * **normalised gradient**: every step has the same length $\eta$, whatever the layer's scale;
# * **step** $\eta$: the textbook's 10 is meant for inputs scaled to $[-1, 1]$. Our model takes raw pixels
#   0..255, where one unit is 127.5 pixels, so $\eta = 10 \times 127.5$;
# * **start**: near-gray noise, $127.5 \pm 16$ pixels (keras.io: $\pm 0.125$ in $[-1, 1]$);
# * **deprocess**: the result has an arbitrary brightness and contrast, so standardise it, then ×0.15, +0.5,
#   clip, ×255 (keras.io's recipe).
#
# Plain Keras and `tf.GradientTape`, nothing from `helpers`, so you can paste it into your own project
# (a `keras.Model` built from ours keeps its 224-pixel input).

# %% slideshow={"slide_type": "-"}
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

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Ascent is descent on −loss.** This is the training algorithm, gradient descent, with two things
# swapped: the variables are the pixels (the weights stay fixed) and the loss is $-a_f(x)$. Minimising
# $-a_f$ is maximising $a_f$: give an optimiser that minimises (Keras's `optimizer.apply_gradients`) the
# gradient of $-a_f$, and it moves the pixels uphill on $a_f$. One image, no randomness: plain, not
# stochastic, gradient descent.

# %% [markdown] slideshow={"slide_type": "-"}
# The same with `helpers`: `filter_patterns` runs this loop compiled, only up to the target layer, at any
# size. Same start, same steps: after one step both pictures agree to round-off. Over 30 steps of 1275
# pixels the tiny differences between eager and compiled arithmetic grow (ReLUs switch), so the two final
# pictures differ in detail but drive the filter equally hard:

# %% slideshow={"slide_type": "-"}
theirs = helpers.filter_patterns(model, CORE_LAYER, CORE_FILTER, size=size, steps=STEPS, seed=SEED)[0]
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

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Why noise, not a blank grey image?** A blank start is the same every time, so every run would give the
# very same picture, and you could not tell what the filter wants from an accident of that start. A faint
# noise (±16 grey levels) gives each seed its own start: what stays from seed to seed is the filter's
# pattern, what changes is the accident.

# %% slideshow={"slide_type": "-"}
seeds = [SEED, SEED + 1, SEED + 2]
by_seed = np.concatenate([helpers.filter_patterns(model, CORE_LAYER, CORE_FILTER, size=size, steps=STEPS,
                                                  seed=s) for s in seeds])
drive = filters.filter_activations(model, CORE_LAYER, by_seed)[:, CORE_FILTER]
apart = np.abs(by_seed[0].astype(float) - by_seed[1]).mean()
print(f"mean activation by seed: {np.round(drive, 1)}; the pictures of seeds {seeds[0]} and {seeds[1]} differ by "
      f"{apart:.0f} grey levels per pixel on average")
fig = show_patterns(by_seed, [f"seed {s}: {d:.1f}" for s, d in zip(seeds, drive)], ncols=3, size=2.4)
plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2 · From colours to textures: atlases by depth
#
# One picture per filter, for an early and a middle layer (a tile titled "(stuck)" in red is a filter
# the ascent could not move). Look at what the filters of each layer want:

# %% slideshow={"slide_type": "-"}
for depth, layer in LAYERS.items():
    path = None
    if SAVE_ATLAS:
        Path(SAVE_ATLAS).mkdir(exist_ok=True)
        path = Path(SAVE_ATLAS) / f"filters_{model.name}_{layer}_first{N_ATLAS}_classic_{SIZE}px.png"
    fig, result = helpers.filter_atlas(model, layer, n=N_ATLAS, size=SIZE, steps=STEPS, seed=SEED,
                                       path=path, tile=1.4)
    plt.show()
    gain = np.median(result.final_activation - result.start_activation)
    print(f"{depth}: {layer}, {len(result)} filters, median activation gain {gain:.1f}, "
          f"undriven: {list(result.undriven)}" + (f", saved {path}" if path else ""))

# %% [markdown] slideshow={"slide_type": "subslide"}
# Early filters want flat colours (whole tiles of green, blue or red), fine stripes or a grain; middle ones
# want textures: stripes at an angle, meshes, weaves, dots. Deeper, the classic recipe gives mostly
# high-frequency noise: section 4 shows it, and a better method that reveals what deep filters want.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3 · Why ReLU saturation matters
#
# EfficientNet-Lite uses ReLU6: $\min(\max(z, 0), 6)$. Its gradient is **zero** where the filter is off
# ($z<0$) and where it is clipped ($z>6$). Ascend on the activation itself and a filter that is off
# everywhere never moves (a gray square), and one that reaches 6 everywhere stops dead at exactly 6.0.
# The fix: maximise the **pre-activation** $z$ (the BatchNormalization output that feeds the ReLU6) — the
# activation is a monotone function of it, so we look for the same thing without the dead zones.
# `filter_patterns` does this automatically for ReLU layers (`preactivation=False` shows the naive way).

# %% slideshow={"slide_type": "-"}
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

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4 · Classic vs robust: what deep filters want
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

# %% [markdown] slideshow={"slide_type": "-"}
# The robust method also changes the **step**: `keras.optimizers.Adam` (learning rate 0.05, as Lucid)
# minimises $-a_f$. Instead of one step length for the whole image, Adam gives every Fourier coefficient its
# own: a running average of its past gradients (momentum) divided by the square root of a running average of
# their squares. The random transforms make each step's gradient a noisy estimate: this is *stochastic*
# gradient descent on $-a_f$, as in training.

# %% [markdown] slideshow={"slide_type": "-"}
# The two also score a different area: classic keeps the textbook's 2-pixel border crop, robust maximises
# the whole map, so its pattern fills the frame. To compare them fairly we score both on the whole map
# (`border=0`). Here at `DEEP_LAYER` (`block6b_expand_conv`), with the same number of steps:

# %% slideshow={"slide_type": "-"}
classic = helpers.visualize_filters(model, DEEP_LAYER, DEEP_FILTERS, size=DEEP_SIZE, steps=STEPS, seed=SEED)
robust = helpers.visualize_filters(model, DEEP_LAYER, DEEP_FILTERS, size=DEEP_SIZE, steps=ROBUST_STEPS,
                                   seed=SEED, method="robust")
n = len(DEEP_FILTERS)
fig = show_patterns(np.concatenate([classic.patterns, robust.patterns]), [f"classic {f}" for f in DEEP_FILTERS]
                    + [f"robust {f}" for f in DEEP_FILTERS], ncols=n, size=1.8,
                    title=f"{DEEP_LAYER}: classic (top) and robust (bottom), {STEPS} and {ROBUST_STEPS} steps")
plt.show()
acts = filters.filter_activations(model, DEEP_LAYER, np.concatenate([classic.patterns, robust.patterns]), border=0)
own = acts[np.arange(2 * n), DEEP_FILTERS * 2]
print("filter's mean activation (whole map) on its classic pattern:", np.round(own[:n], 1))
print("                                   ... on its robust pattern:", np.round(own[n:], 1))

# %% [markdown] slideshow={"slide_type": "subslide"}
# The robust pictures are held to be smooth and to survive small shifts, so they need not reach the classic
# activation in the same number of steps (compare the two rows of numbers); what they lose is the pixel
# noise (exercise 4 measures it).

# %% [markdown] slideshow={"slide_type": "-"}
# With 30 robust steps the patterns are blurry but already structured. With 256 steps (too long for this
# notebook) they become pictures of object-like parts: below, filters 0–15 of the same layer, precomputed by
# `make gallery` (robust, 256 steps, 160 px, seed 0), four per row from the top left. Filter 2 wants water,
# 3 a grid, 4 spotted fur with an eye and a nose, 5 grass between stones, 7 animal faces; the blurry
# pictures above are the same filters, from the same start, after 30 steps.

# %% slideshow={"slide_type": "-"}
from helpers.images import DATA_DIR

print(f"{GALLERY}: {DEEP_LAYER}, filters 0-15, 4 per row")
display(Image(filename=DATA_DIR / "gallery" / GALLERY, width=560))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5 · Explore
#
# Pick a layer (the dropdown shows each layer's number of filters), slide through its filters, switch
# between classic and robust, change the number of steps, or draw an atlas of the layer's first 16
# filters. Results are cached: going back to a filter is instant. (In a static rendering of this
# notebook the widget shows nothing — run the notebook to use it.)

# %% slideshow={"slide_type": "-"}
from helpers.widgets import filter_explorer

explorer = filter_explorer(model, layer=CORE_LAYER, size=SIZE, steps=STEPS)
explorer

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6 · Exercises
#
# Each exercise has an answer cell (`None` until you fill it in) and a check that prints ✓, or ✗ with what
# is wrong. Write the code yourself: the checks run your functions on test inputs. Stuck? `checks.hint(n)`
# gives a second hint for exercise `n` (a question, not the answer).
#
# **Exercise 1 — the loss.** Write `my_loss(maps, f)`: `maps` is a layer's output, shape
# `(1, height, width, filters)`; return the mean response of filter `f`, with a 2-pixel border cropped.
# It must be differentiable (TensorFlow ops, not numpy).

# %% slideshow={"slide_type": "-"}
def my_loss(maps, f):
    return None   # your code

print(checks.loss(my_loss))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 2 — the normalised step.** Write `my_step(image, grad, eta)`: one gradient-*ascent* step of
# length `eta` (the L2 norm of `new - image`), whatever the size of `grad`. What must happen when the
# gradient is all zero?

# %% slideshow={"slide_type": "-"}
def my_step(image, grad, eta):
    return None   # your code

print(checks.step(my_step))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 3 — a filter that fails.** `gain(f)` runs the classic ascent on filter `f` of `EXERCISE_LAYER`
# and returns its mean activation on the gray start image and on its pattern. Most filters reach at least
# **10×** their start. Find one that does **not**, and say why, with one letter. `checks.scan(gain, filters)`
# runs many with a progress bar (all 112 take about 40 s on 2 cores); here, the first 8:

# %% slideshow={"slide_type": "-"}
gain = functools.cache(lambda f: checks.filter_gain(model, EXERCISE_LAYER, f, size=SIZE, steps=STEPS, seed=SEED))
n_filters = filters.layer_channels(model, EXERCISE_LAYER)
for letter, reason in checks.REASONS.items():
    print(f"  {letter}: {reason}")
found = checks.scan(gain, range(8))
print(f"{EXERCISE_LAYER} has {n_filters} filters; the first 8, (start, final):")
print({f: (round(start, 2), round(final, 2)) for f, (start, final) in found.items()})

# %% slideshow={"slide_type": "-"}
FAILING_FILTER = None   # your answer: a filter number whose final < 10 x |start|
WHY = None              # your answer: "a", "b" or "c"

print(checks.failing_filter(gain, n_filters, FAILING_FILTER, WHY))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 4 — measure the noise.** Write `high_frequency_share(p)`: the share of a picture's power
# above 1/4 cycle per pixel. Gray = the mean of the colours, mean removed; power = `|np.fft.fft2(gray)|²`;
# a coefficient's frequency is `hypot(fx, fy)` with `np.fft.fftfreq` along each axis. Then compare the
# classic and robust patterns of section 4: is robust clearly smoother?

# %% slideshow={"slide_type": "-"}
def high_frequency_share(p):
    return None   # your code

print(checks.high_frequency_share(high_frequency_share))
if high_frequency_share(classic.patterns[0]) is not None:
    c = np.mean([high_frequency_share(p) for p in classic.patterns])
    r = np.mean([high_frequency_share(p) for p in robust.patterns])
    print(f"high-frequency share: classic {c:.2f}, robust {r:.2f}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Going further
#
# * **Bigger and sharper**: `SIZE = 192`, `N_ATLAS = 64` (the textbook's 8×8 grid), `ROBUST_STEPS = 256`
#   (a few minutes on 2 cores).
# * **Another model**: `MODEL_NAME = "vgg16"` (Keras downloads its weights once) with `LAYERS = {"early":
#   "block1_conv1", "middle": "block3_conv1"}`, `CORE_LAYER = "block3_conv1"`, `DEEP_LAYER = "block4_conv1"`,
#   `RELU_LAYER = None`, `EXERCISE_LAYER = "block4_conv1"`: the textbook's grids. VGG16's convolutions include
#   their ReLU, so there is no separate pre-activation to redirect to; undriven filters are reported.
# * **Your own model**: `helpers.load_model("my_model.keras")` — nested transfer-learning models work too.
#
# **References.** Erhan, Bengio, Courville & Vincent, *Visualizing Higher-Layer Features of a Deep Network*, 2009 ·
# Zeiler & Fergus, *Visualizing and Understanding Convolutional Networks*, ECCV 2014 · Olah, Mordvintsev &
# Schubert, *Feature Visualization*, Distill 2017 · Kingma & Ba, *Adam*, ICLR 2015 · Chollet, *Deep Learning
# with Python*, 2nd ed., ch. 9, and keras.io "Visualizing what convnets learn" · Tan & Le, *EfficientNet*, ICML 2019.
