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
# # 1 · Intermediate activations: what each layer of a convnet makes of your picture
#
# A convolutional network turns an image into a class label through a stack of layers. Every
# convolution layer outputs a **stack of feature maps**: one 2-D grid per filter ("channel"), each
# saying *where* in the picture that filter found its pattern. Looking at them is the oldest way
# to see inside a convnet (Zeiler & Fergus, *Visualizing and Understanding Convolutional
# Networks*, 2014; Olah et al., *Feature Visualization*, Distill 2017).
#
# **Learning goals.** After this notebook you can
# 1. say how many maps of what size a convolution layer outputs, from its filters, stride and padding;
# 2. build a multi-output model that returns every layer's feature maps, in ~10 lines of Keras;
# 3. display all channels of a layer as one mosaic, and explain why the **normalisation** (per
#    channel, per layer, global) changes what you think you see;
# 4. describe how the maps change with depth: smaller, more numerous, sparser;
# 5. measure **sparsity** and spot **dead channels** (all zero for this image).
#
# The model is EfficientNet-Lite0 (Tan & Le, *EfficientNet*, 2019), embedded in the repository:
# everything runs offline on a CPU.

# %% slideshow={"slide_type": "-"}
# Parameters -- change these and re-run the notebook.
MODEL_NAME = "efficientnet_lite0"   # offline; "vgg16" is the classic (Keras downloads its weights once)
IMAGE = "chelsea"                   # a bundled photo ("chelsea", "coffee", "astronaut", "rocket",
                                    # "cat_and_coffee") or the path of your own picture
CHANNEL = 4                         # a channel of the first layer to look at closely

# %% slideshow={"slide_type": "-"}
# %matplotlib inline
from pathlib import Path
import numpy as np
import matplotlib.pyplot as plt
import helpers   # loads TensorFlow (in your own Jupyter it may print start-up notes in red: harmless)
import keras
from helpers.plotting import show_images, show_mosaic, show_layers_overview, plot_sparsity, show_block_diagram
from helpers.exercises import activations as checks

OUTPUTS = Path("outputs"); OUTPUTS.mkdir(exist_ok=True)   # saved figures go here

model = helpers.load_model(MODEL_NAME)
image = helpers.load_image(IMAGE, size=model)          # uint8 RGB, resized to the model's input
print(f"{model.name}: input {model.input_shape}, {len(model.layers)} layers")
print("prediction:", [(name, f"{p:.0%}") for _, name, p in helpers.predict(model, image, top=3)])
show_images([image], [IMAGE]);

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 0 · How many maps, of what size?
#
# The classic example is VGG16's first layer, `block1_conv1`: **64 filters** of 3×3 slid over the
# 224×224 picture one pixel at a time (**stride 1**), with a border of zeros so the filter fits at the
# edges (**"same" padding**). One map per filter, as large as the input: **64 maps of 224×224**.
#
# With "same" padding a layer's output is ⌈input ÷ stride⌉ pixels wide. Our model's first convolution,
# `stem_conv`, has 32 filters and **stride 2**: 32 maps of 112×112. Both shapes, computed (VGG16's layer is
# built from its architecture alone: its shape does not depend on the weights):

# %% slideshow={"slide_type": "-"}
vgg_conv1 = keras.layers.Conv2D(64, 3, strides=1, padding="same", activation="relu", name="block1_conv1")
vgg_maps = vgg_conv1(image[None].astype("float32"))[0]           # untrained weights: only the shape counts
first_conv = model.get_layer(helpers.layer_names(model, kinds=("conv",))[0])
our_maps = helpers.activations(model, image, [first_conv.name])[first_conv.name]
for who, conv, maps_ in [("VGG16", vgg_conv1, vgg_maps), (model.name, first_conv, our_maps)]:
    h, w, c = maps_.shape
    print(f"{who:18s} {conv.name}: {conv.filters} filters {conv.kernel_size[0]}x{conv.kernel_size[1]}, "
          f"stride {conv.strides[0]}, padding {conv.padding!r} -> {c} maps of {h}x{w}")
    assert c == conv.filters and h == -(-image.shape[0] // conv.strides[0])   # ceil(224 / stride)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1 · The core idea in ten lines
#
# A Keras model is a graph of layers. Ask for the **outputs of inner layers** instead of the last
# one, and you get a new model that returns the feature maps. One call computes them all.

# %% slideshow={"slide_type": "-"}
conv_or_pool = (keras.layers.Conv2D, keras.layers.DepthwiseConv2D,
                keras.layers.MaxPooling2D, keras.layers.AveragePooling2D)
names = [layer.name for layer in model.layers if isinstance(layer, conv_or_pool)]

extractor = keras.Model(inputs=model.inputs, outputs=[model.get_layer(n).output for n in names])
maps = extractor.predict(image[None].astype("float32"), verbose=0)   # one array per layer
first = maps[0][0]                                                   # layer 0, image 0: (h, w, channels)

print(f"{len(names)} conv/pooling layers; the first, {names[0]!r}, outputs {first.shape}")
plt.matshow(first[:, :, CHANNEL], cmap="viridis")
plt.title(f"{names[0]}, channel {CHANNEL}"); plt.colorbar();

# %% [markdown] slideshow={"slide_type": "subslide"}
# The same with `helpers`: `helpers.activations(model, image)` returns `{layer name: (h, w, channels)}`
# for every convolution and pooling layer, from a multi-output model built once. Same numbers:

# %% slideshow={"slide_type": "-"}
acts = helpers.activations(model, image)
assert list(acts) == names, "same layers, same order"
for name, m in zip(names, maps):
    np.testing.assert_allclose(acts[name], m[0], atol=1e-5)
print("textbook and helpers agree ✓")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2 · All channels of a layer at once
#
# The first layer has 32 channels. Instead of 32 subplots, they are tiled into **one image** (a
# mosaic, drawn with a single `imshow`): channel number = row label + column label. Dead channels (all
# zero for this image) are light grey.

# %% [markdown] slideshow={"slide_type": "-"}
# In EfficientNet a convolution is followed by batch normalisation and a ReLU6 as *separate* layers.
# We look at the `..._activation` layers: what the next layer actually sees, never negative and at most 6.
# `helpers.layer_names(model)` lists convolution, pooling and activation layers.

# %% [markdown] slideshow={"slide_type": "-"}
# How to turn activations into colours is a choice, and it changes the picture (CNN Explainer, Wang et
# al. 2020, makes the same point). In the mosaics below an activation of **0 is the darkest colour**;
# what the brightest colour means depends on the normalisation (the colour bar says it):
# * **channel**: each channel is scaled to its own peak -- a weak channel's peak is as bright as a strong one's;
# * **layer**: one scale for the whole layer -- channels can be compared with each other;
# * **global**: one scale for several layers of one kind -- layers can be compared (section 4; the explorer
#   shares it among its layers of the shown layer's kind: conv outputs reach far beyond ReLU6's ceiling of 6).

# %% slideshow={"slide_type": "-"}
everything = helpers.activations(model, image, helpers.layer_names(model))  # conv + pool + activation layers
activation_layers = helpers.layer_names(model, kinds=("activation",)) or names   # VGG16: none -> conv layers
layer = activation_layers[0]
for mode in ("channel", "layer"):
    show_mosaic(everything[layer], mode, title=layer, width=9)

# %% [markdown] slideshow={"slide_type": "subslide"}
# Under **channel** the brightest pixel of every live channel is yellow, whatever its real size. Under
# **layer** the real strengths appear: some channels are faint, several reach ReLU6's ceiling of 6. The
# numbers, for this image:

# %% slideshow={"slide_type": "-"}
a = everything[layer]
peaks, means = a.max(axis=(0, 1)), a.mean(axis=(0, 1))
live = peaks > 0
top8 = np.sort(means)[::-1][:8].sum() / means.sum()
print(f"{layer}: {np.sum(~live)} of {len(peaks)} channels dead; the live ones peak between "
      f"{peaks[live].min():.2f} and {peaks[live].max():.2f}, {np.sum(peaks >= 6)} at exactly 6.0 (ReLU6's ceiling)")
print(f"the strongest 8 of the {len(peaks)} channels carry {top8:.0%} of the layer's total activation")
fig = show_mosaic(a, "layer", channel=CHANNEL, title=layer)   # one channel closely, in its real values
name = f"activations_{model.name}_{Path(str(IMAGE)).stem}_{layer}_channel{CHANNEL}_layer-norm.png"
fig.savefig(OUTPUTS / name, dpi=120, bbox_inches="tight"); print("saved", OUTPUTS / name)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3 · Read the architecture: one MBConv block
#
# EfficientNet is built from **MBConv** blocks (inverted residuals, from MobileNetV2): a 1×1 conv
# *expands* the channels, a 3×3 **depthwise** conv filters each channel on its own, a 1×1 conv
# *projects* back to few channels; batch norms and ReLU6 sit between them, and when the shapes match a
# **skip `add`** adds the block's input to its output. The diagram is drawn from the model itself: its
# layer names, types and output shapes are the ones the explorer's dropdown shows.

# %% slideshow={"slide_type": "-"}
BLOCK = "block2b"
if BLOCK + "_add" in [layer.name for layer in model.layers]:   # VGG16 has no MBConv block
    show_block_diagram(model, BLOCK)
    plt.show()

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4 · From the first layer to the last
#
# Deeper, the maps get **smaller** (less *where*) and there are **more** of them (more *what*). The
# overview shows the first 8 channels of 10 evenly spaced activation layers, input at the top, all on
# one **global** scale, so the rows can be compared:

# %% slideshow={"slide_type": "-"}
value_range = helpers.value_range({n: everything[n] for n in activation_layers})   # one scale for all rows
capped = sum(everything[n].max() >= 6 for n in activation_layers)
print(f"global scale: {value_range[0]:g} to {value_range[1]:g}; {capped} of {len(activation_layers)} activation "
      f"layers reach ReLU6's ceiling of 6 on this image")
show_layers_overview(everything, activation_layers, n_channels=8, mode="global", value_range=value_range,
                     max_layers=10);

# %% slideshow={"slide_type": "subslide"}
middle = activation_layers[len(activation_layers) // 2]
deep = activation_layers[-1]
for name in (middle, deep):
    show_mosaic(everything[name], "layer", title=name, width=9)

# %% [markdown] slideshow={"slide_type": "subslide"}
# ### The size shrinks: strided convolutions or pooling
#
# VGG16 halves the feature maps with **MaxPooling** layers after each block (224 → 112 → 56 → 28 →
# 14 → 7). EfficientNet has no pooling layer with a spatial output: it halves the size with **stride-2
# convolutions** (the stem conv and the first depthwise conv of some blocks). Where does the size change?

# %% slideshow={"slide_type": "-"}
shapes = helpers.layer_names(model, kinds=("conv", "pool"), with_shapes=True)
previous = model.input_shape[1]
for name, (h, w, c) in shapes:
    if h != previous:
        kind = type(model.get_layer(name)).__name__
        print(f"{name:24s} {kind:18s} {previous:>3} -> {h:<3} ({c} channels)")
        assert h == (previous + 1) // 2, "each step halves the size"
        previous = h

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5 · Sparsity and dead channels
#
# After a ReLU (or ReLU6) every negative value becomes exactly 0. The fraction of zeros tells how
# selective a layer is; a **dead channel** is zero everywhere on this image (it may well fire on
# another picture).

# %% slideshow={"slide_type": "-"}
sparsity = helpers.sparsity_by_layer({n: everything[n] for n in activation_layers})
dead = {n: helpers.dead_channels(everything[n]).mean() for n in activation_layers}
plot_sparsity(sparsity, dead, title=f"{model.name} on {IMAGE!r}: fraction of zeros per layer");
third = len(activation_layers) // 3
early, late = np.mean(list(sparsity.values())[:third]), np.mean(list(sparsity.values())[-third:])
print(f"zeros: {early:.0%} on average in the first third of the layers, {late:.0%} in the last third")
for n in (activation_layers[0], middle, deep):
    print(f"{n:28s} {sparsity[n]:5.0%} zeros, {helpers.count_dead(everything[n])} dead channels "
          f"of {everything[n].shape[-1]}")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6 · Explore it yourself
#
# Pick an image (or upload your own), a layer (the dropdown shows each layer's output shape), a
# channel and a normalisation. The forward pass runs once per image; moving a slider only redraws.
# The red box marks the chosen channel in the mosaic; on the right it is shown large with a colour
# bar in its real activation values.

# %% slideshow={"slide_type": "-"}
from helpers.widgets import activation_explorer

start_layer = "block2b_expand_activation" if "block2b_expand_activation" in everything else None
explorer = activation_explorer(model, image=IMAGE, layer=start_layer)
explorer

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7 · Exercises
#
# Each exercise has an answer cell (`None` until you fill it in) and a check that prints ✓, or ✗ with
# what is wrong. Every correct answer passes (several channels can be right).
#
# **Exercise 1 -- whiskers.** With the explorer (image "chelsea", layer `block2b_expand_activation`
# or another `block2...` layer), find a channel that fires on the cat's **whiskers** (the thin
# white lines at the bottom left and right) much more than on the rest of the face.

# %% slideshow={"slide_type": "-"}
WHISKER_LAYER = "block2b_expand_activation"
WHISKER_CHANNEL = None   # your answer: a channel number

print(checks.whiskers(everything, WHISKER_LAYER, WHISKER_CHANNEL, IMAGE))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 2 -- dead channels.** Going from the input to the output through the activation layers
# (`activation_layers`), which layer is the **first** where more than half of the channels are dead
# on this image? Use `helpers.dead_channels` or the explorer's info line.

# %% slideshow={"slide_type": "-"}
FIRST_MOSTLY_DEAD = None   # your answer: a layer name

print(checks.first_mostly_dead(everything, activation_layers, FIRST_MOSTLY_DEAD))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 3 -- shrinking.** The input is 224 pixels wide. Which convolution or pooling layer is the
# first whose output is a **quarter** of that (56 pixels), and what kind of layer is it?

# %% slideshow={"slide_type": "-"}
QUARTER_LAYER = None   # your answer: a layer name

print(checks.quarter_layer(model, QUARTER_LAYER))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 4 -- normalisation can fool you.** Under "channel" normalisation each live channel of
# `stem_activation` (the first entry of `activation_layers`) is scaled to its own peak, so a map's
# brightness says nothing about its strength. Which **live** channel (non-zero somewhere) has the
# **smallest mean activation**? Switch the explorer to "layer" to see how faint it really is, then
# confirm with numpy. (Dead channels do not count.)

# %% slideshow={"slide_type": "-"}
WEAKEST_LIVE_CHANNEL = None   # your answer: a channel number

print(checks.weakest_live_channel(everything[activation_layers[0]], WEAKEST_LIVE_CHANNEL))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## What to remember
#
# * A convolution with "same" padding outputs one map per filter, ⌈input ÷ stride⌉ pixels wide: VGG16's
#   first layer 64 × 224×224, ours 32 × 112×112.
# * A layer's output is a stack of feature maps; `keras.Model(inputs, [layer.output, ...])` returns
#   them all in one forward pass.
# * Display choices are part of the result: per-channel normalisation hides how weak a channel is.
# * An MBConv block: expand (1×1) → depthwise (3×3) → project (1×1), batch norms and ReLU6 between, skip `add`.
# * With depth the maps get smaller and more numerous; on this image the last layers hold more zeros
#   than the first ones.
#
# **Next:** notebook 2 asks the reverse question -- what input pattern makes a channel fire most?
#
# *References.* Zeiler & Fergus (2014); Olah, Mordvintsev & Schubert, Feature Visualization (Distill
# 2017); Tan & Le, EfficientNet (2019); Wang et al., CNN Explainer (IEEE TVCG 2020); Chollet, *Deep
# Learning with Python*, "Visualizing intermediate activations"; Simonyan & Zisserman, VGG (2015);
# Sandler et al., MobileNetV2 (2018), for the inverted-residual (MBConv) block.
