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
# # 1 · Intermediate activations: what each layer of a convnet makes of your picture
#
# A convolutional network turns an image into a class label through a stack of layers. Every
# convolution layer outputs a **stack of feature maps**: one 2-D grid per filter ("channel"), each
# saying *where* in the picture that filter found its pattern. Looking at them is the oldest way
# to see inside a convnet (Zeiler & Fergus, *Visualizing and Understanding Convolutional
# Networks*, 2014; Olah et al., *Feature Visualization*, Distill 2017).
#
# **Learning goals.** After this notebook you can
# 1. build a multi-output model that returns every layer's feature maps, in ~10 lines of Keras;
# 2. display all channels of a layer as one mosaic, and explain why the **normalisation** (per
#    channel, per layer, global) changes what you think you see;
# 3. describe how the maps change with depth: edges and colours → textures → sparse, class-specific
#    detectors, while the spatial size shrinks and the number of channels grows;
# 4. measure **sparsity** and spot **dead channels** (all zero for this image).
#
# The model is EfficientNet-Lite0 (Tan & Le, *EfficientNet*, 2019), embedded in the repository:
# everything runs offline on a CPU.

# %%
# Parameters -- change these and re-run the notebook.
MODEL_NAME = "efficientnet_lite0"   # offline. Online alternative (Keras downloads the weights once):
                                    #   "vgg16" -- the classic: its first conv outputs 224x224x64, and its
                                    #   MaxPooling layers halve the size (block1_pool: 224 -> 112). (The book's
                                    #   activations chapter uses its own small convnet: 148x148x32 first maps.)
IMAGE = "chelsea"                   # a bundled photo ("chelsea", "coffee", "astronaut", "rocket",
                                    # "cat_and_coffee") or the path of your own picture
CHANNEL = 4                         # a channel of the first layer to look at closely

# %%
# %matplotlib inline
import time
from pathlib import Path
import numpy as np
import matplotlib.pyplot as plt
import helpers  # first: it loads TensorFlow without the CUDA/oneDNN start-up messages
import keras
from helpers.plotting import show_images, show_mosaic, show_layers_overview, plot_sparsity
from helpers.exercises import activations as checks

OUTPUTS = Path("outputs"); OUTPUTS.mkdir(exist_ok=True)   # saved figures go here

model = helpers.load_model(MODEL_NAME)
image = helpers.load_image(IMAGE, size=model)          # uint8 RGB, resized to the model's input
print(f"{model.name}: input {model.input_shape}, {len(model.layers)} layers")
print("prediction:", [(name, f"{p:.0%}") for _, name, p in helpers.predict(model, image, top=3)])
show_images([image], [IMAGE]);

# %% [markdown]
# ## 1 · The core idea in ten lines
#
# A Keras model is a graph of layers. Ask for the **outputs of inner layers** instead of the last
# one, and you get a new model that returns the feature maps. One call computes them all.

# %%
conv_or_pool = (keras.layers.Conv2D, keras.layers.DepthwiseConv2D,
                keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)
names = [layer.name for layer in model.layers if isinstance(layer, conv_or_pool)]

extractor = keras.Model(inputs=model.inputs, outputs=[model.get_layer(n).output for n in names])
maps = extractor.predict(image[None].astype("float32"), verbose=0)   # one array per layer
first = maps[0][0]                                                   # layer 0, image 0: (h, w, channels)

print(f"{len(names)} conv/pooling layers; the first, {names[0]!r}, outputs {first.shape}")
plt.matshow(first[:, :, CHANNEL], cmap="viridis")
plt.title(f"{names[0]}, channel {CHANNEL}"); plt.colorbar();

# %% [markdown]
# The same with `helpers`: `helpers.activations(model, image)` returns `{layer name: (h, w, channels)}`
# for every convolution and pooling layer. It builds the multi-output model **once** (cached), runs it
# as a compiled function, and also works for transfer-learning models whose backbone is *nested*
# inside a `Sequential` (where the lines above fail with "Graph disconnected"). Same numbers:

# %%
acts = helpers.activations(model, image)
assert list(acts) == names, "same layers, same order"
for name, m in zip(names, maps):
    np.testing.assert_allclose(acts[name], m[0], atol=1e-5)
print("textbook and helpers agree ✓")

start = time.perf_counter(); helpers.activations(model, image); t_all = time.perf_counter() - start
start = time.perf_counter(); helpers.predict(model, image); t_one = time.perf_counter() - start
print(f"all {len(acts)} layers: {t_all * 1000:.0f} ms; a plain prediction: {t_one * 1000:.0f} ms")

# %% [markdown]
# ## 2 · All channels of a layer at once -- and why normalisation matters
#
# The first layer has 32 channels. Plotting them as 32 separate subplots is slow; instead they are
# tiled into **one image** (a mosaic, drawn with a single `imshow`): channel number = row label +
# column label. Dead channels (all zero for this image) are light grey.
#
# In EfficientNet a convolution is followed by batch normalisation and a ReLU6 as *separate*
# layers, so we also fetch the `..._activation` layers: that is what the next layer actually sees
# (in VGG16 the ReLU is inside the conv layer). `helpers.layer_names(model)` lists convolution,
# pooling and activation layers.
#
# How to turn activations into grey levels is a choice, and it changes the picture (CNN Explainer,
# Wang et al. 2020, makes the same point):
# * **channel**: every channel gets its own contrast (the textbook: standardise, ×64, +128). Each
#   looks busy -- even one whose values are tiny;
# * **layer**: one scale for the whole layer -- strong and weak channels can be compared;
# * **global**: one scale for *all* layers -- layers can be compared with each other.

# %%
everything = helpers.activations(model, image, helpers.layer_names(model))  # conv + pool + activation layers
value_range = helpers.value_range(everything)                               # for "global" normalisation
layer = "stem_activation" if "stem_activation" in everything else names[0]
for mode in ("channel", "layer", "global"):
    show_mosaic(everything[layer], mode, value_range=value_range, title=layer, width=9)

# %% [markdown]
# With **channel** normalisation the mosaic looks uniformly rich. With **layer** normalisation the
# channels' real strengths appear: some are dead (light grey), some faint, and several reach ReLU6's
# ceiling of 6. That does *not* mean a few channels carry the signal here: at the first layer the work
# is spread over many channels. The numbers:

# %%
a = everything[layer]
peaks, means = a.max(axis=(0, 1)), a.mean(axis=(0, 1))
top8 = np.sort(means)[::-1][:8].sum() / means.sum()
print(f"{layer}: {np.sum(peaks <= 0)} of {len(peaks)} channels dead, {np.sum(peaks >= 6)} peak at exactly 6.0 "
      f"(ReLU6's ceiling); the strongest 8 carry {top8:.0%} of the total activation")
fig = show_mosaic(a, "layer", channel=CHANNEL, title=layer)   # one channel closely, in its real values
name = f"activations_{model.name}_{Path(str(IMAGE)).stem}_{layer}_channel{CHANNEL}_layer-norm.png"
fig.savefig(OUTPUTS / name, dpi=120, bbox_inches="tight"); print("saved", OUTPUTS / name)

# %% [markdown]
# ## 3 · Read the architecture: one MBConv block
#
# EfficientNet is built from **MBConv** blocks (inverted residuals, from MobileNetV2): a 1×1 conv
# *expands* the channels, a 3×3 **depthwise** conv filters each channel on its own, a 1×1 conv
# *projects* back to few channels; batch norms and ReLU6 sit between them, and when the shapes match a
# **skip `add`** adds the block's input to its output. The diagram is drawn from the model itself: its
# layer names, types and output shapes are the ones the dropdowns show. (EfficientNet-B0 adds a
# squeeze-and-excitation step; the Lite version drops it.)

# %%
BLOCK = "block2b" if "block2b_add" in [l.name for l in model.layers] else None   # None: not an MBConv model
if BLOCK:
    block = [l for l in model.layers if l.name.startswith(BLOCK + "_")]
    source = helpers.features.predecessor(model, block[0].name).layer    # the layer that feeds the block
    stage = lambda n: next((k for k in ("expand", "project", "add") if k in n), "depthwise")
    colour = {"input": "white", "expand": "#cfe2ff", "depthwise": "#d1f0d1", "project": "#ffe0b3", "add": "#e0e0e0"}
    def what(l):
        kind = type(l).__name__
        if kind == "ReLU":
            return f"ReLU{l.max_value:g}" if l.max_value else "ReLU"
        if hasattr(l, "kernel_size"):
            return f"{kind} {l.kernel_size[0]}x{l.kernel_size[1]}"
        return kind
    rows = [(source, "input")] + [(l, stage(l.name.replace(BLOCK, ""))) for l in block]
    fig, ax = plt.subplots(figsize=(9, 0.55 * len(rows)))
    for i, (l, st) in enumerate(rows):
        h, w, c = l.output.shape[1:]
        ax.add_patch(plt.Rectangle((0, -i - 0.8), 8.6, 0.7, fc=colour[st], ec="k"))
        ax.text(0.15, -i - 0.45, l.name + (" (block input)" if st == "input" else ""), va="center",
                family="monospace", fontsize=8.5)
        ax.text(4.4, -i - 0.45, f"{what(l)}  {h}x{w}x{c}", va="center", fontsize=8)
        if i:
            ax.annotate("", (3.8, -i - 0.1), (3.8, -i + 0.2), arrowprops=dict(arrowstyle="->"))
        if i and (i == 1 or rows[i - 1][1] != st) and st != "add":
            ax.text(-0.2, -i - 0.45, st, va="center", ha="right", fontsize=10, weight="bold")
    ax.annotate("", (8.6, -len(rows) + 0.55), (8.6, -0.45),
                arrowprops=dict(arrowstyle="->", connectionstyle="arc3,rad=-0.3", color="C3"))
    ax.text(9.9, -len(rows) / 2, "skip", color="C3", va="center", fontsize=10, weight="bold")
    ax.set_xlim(-2.0, 10.6); ax.set_ylim(-len(rows) - 0.1, 0.1); ax.axis("off")
    ax.set_title(f"one MBConv block of {model.name}: {BLOCK}"); plt.show()

# %% [markdown]
# ## 4 · From the first layer to the last
#
# Early layers respond to edges and colours almost everywhere; the maps still look like the photo.
# Deeper, the maps get **smaller** (less *where*), there are **more** of them (more *what*), and
# they get **sparser**: each channel fires only for its pattern, and many do not fire at all on this
# image. The overview shows the first 8 channels of evenly spaced layers, input at the top:

# %%
activation_layers = helpers.layer_names(model, kinds=("activation",)) or names   # VGG16: none -> conv layers
# 10 evenly spaced layers from the first to the last (pass max_layers=... to see more)
show_layers_overview(everything, activation_layers, n_channels=8, mode="channel", max_layers=10);

# %%
middle = activation_layers[len(activation_layers) // 2]
deep = activation_layers[-1]
for name in (middle, deep):
    show_mosaic(everything[name], "layer", title=name, width=9)

# %% [markdown]
# ### The size shrinks: strided convolutions or pooling
#
# VGG16 (the textbook's model) halves the feature maps with **MaxPooling** layers after each block
# (224 → 112 → 56 → 28 → 14 → 7). EfficientNet has no pooling layer with a spatial output: it
# halves the size with **stride-2 convolutions** (the stem conv and the first depthwise conv of some
# blocks). Where does the size change?

# %%
shapes = helpers.layer_names(model, kinds=("conv", "pool"), with_shapes=True)
previous = model.input_shape[1]
for name, (h, w, c) in shapes:
    if h != previous:
        kind = type(model.get_layer(name)).__name__
        print(f"{name:24s} {kind:18s} {previous:>3} -> {h:<3} ({c} channels)")
        assert h == (previous + 1) // 2, "each step halves the size"
        previous = h

# %% [markdown]
# ## 5 · Sparsity and dead channels
#
# After a ReLU (or ReLU6) every negative value becomes exactly 0. The fraction of zeros tells how
# selective a layer is; a **dead channel** is zero everywhere on this image (it may well fire on
# another picture).

# %%
sparsity = helpers.sparsity_by_layer({n: everything[n] for n in activation_layers})
dead = {n: helpers.dead_channels(everything[n]).mean() for n in activation_layers}
plot_sparsity(sparsity, dead, title=f"{model.name} on {IMAGE!r}: fraction of zeros per layer");
for n in (activation_layers[0], middle, deep):
    print(f"{n:28s} {sparsity[n]:5.0%} zeros, {helpers.count_dead(everything[n])} dead channels "
          f"of {everything[n].shape[-1]}")

# %% [markdown]
# ## 6 · Explore it yourself
#
# Pick an image (or upload your own), a layer (the dropdown shows each layer's output shape), a
# channel and a normalisation. The forward pass runs once per image; moving a slider only redraws.
# The red box marks the chosen channel in the mosaic; on the right it is shown large with a colour
# bar in its real activation values.

# %%
from helpers.widgets import activation_explorer

start_layer = "block2b_expand_activation" if "block2b_expand_activation" in everything else None
explorer = activation_explorer(model, image=IMAGE, layer=start_layer)
explorer

# %% [markdown]
# ## 7 · Exercises
#
# Each exercise has an answer cell (`None` until you fill it in) and a check that prints ✓, or ✗ with
# what is wrong. Every correct answer passes (several channels can be right).
#
# **Exercise 1 -- whiskers.** With the explorer (image "chelsea", layer `block2b_expand_activation`
# or another `block2...` layer), find a channel that fires on the cat's **whiskers** (the thin
# white lines at the bottom left and right) much more than on the rest of the face.

# %%
WHISKER_LAYER = "block2b_expand_activation"
WHISKER_CHANNEL = None   # your answer: a channel number

def check_1(layer, channel):
    print(checks.whiskers(everything, layer, channel, IMAGE))
check_1(WHISKER_LAYER, WHISKER_CHANNEL)

# %% [markdown]
# **Exercise 2 -- dead channels.** Going from the input to the output through the activation layers
# (`activation_layers`), which layer is the **first** where more than half of the channels are dead
# on this image? Use `helpers.dead_channels` or the explorer's info line.

# %%
FIRST_MOSTLY_DEAD = None   # your answer: a layer name

def check_2(answer):
    print(checks.first_mostly_dead(everything, activation_layers, answer))
check_2(FIRST_MOSTLY_DEAD)

# %% [markdown]
# **Exercise 3 -- shrinking.** The input is 224 pixels wide. Which convolution or pooling layer is the
# first whose output is a **quarter** of that (56 pixels), and what kind of layer is it?

# %%
QUARTER_LAYER = None   # your answer: a layer name

def check_3(answer):
    print(checks.quarter_layer(model, answer))
check_3(QUARTER_LAYER)

# %% [markdown]
# **Exercise 4 -- normalisation can fool you.** Under "channel" normalisation every live channel of
# `stem_activation` (the first entry of `activation_layers`) looks busy. Which **live** channel (one
# that is non-zero somewhere) has the **smallest mean activation**? Switch the explorer to "layer" to
# see how faint it really is, then confirm with numpy. (Dead channels do not count.)

# %%
WEAKEST_LIVE_CHANNEL = None   # your answer: a channel number

def check_4(answer):
    print(checks.weakest_live_channel(everything[activation_layers[0]], answer))
check_4(WEAKEST_LIVE_CHANNEL)

# %% [markdown]
# ## What to remember
#
# * A layer's output is a stack of feature maps; `keras.Model(inputs, [layer.output, ...])` returns
#   them all in one forward pass.
# * Display choices are part of the result: per-channel normalisation hides how weak a channel is.
# * An MBConv block: expand (1×1) → depthwise (3×3) → project (1×1), batch norms and ReLU6 between, skip `add`.
# * With depth the maps get smaller, more numerous, sparser and more specific to the image's class.
#
# **Next:** notebook 2 asks the reverse question -- what input pattern makes a channel fire most?
#
# *References.* Zeiler & Fergus (2014); Olah, Mordvintsev & Schubert, Feature Visualization (Distill
# 2017); Tan & Le, EfficientNet (2019); Wang et al., CNN Explainer (IEEE TVCG 2020); Chollet, *Deep
# Learning with Python*, "Visualizing intermediate activations" (on the book's own small convnet);
# Sandler et al., MobileNetV2 (2018), for the inverted-residual (MBConv) block.
