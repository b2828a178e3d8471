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
                                    #   "vgg16" -- the textbook's example: its first conv outputs 224x224x64,
                                    #   and its MaxPooling layers halve the size (block1_pool: 224 -> 112)
IMAGE = "chelsea"                   # a bundled photo ("chelsea", "coffee", "astronaut", "rocket",
                                    # "cat_and_coffee") or the path of your own picture
CHANNEL = 4                         # a channel of the first layer to look at closely

# %%
# %matplotlib inline
import time
import numpy as np
import matplotlib.pyplot as plt
import helpers  # first: it loads TensorFlow without the CUDA/oneDNN start-up messages
import keras
from helpers.plotting import show_images, show_mosaic, show_layers_overview, plot_sparsity

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
# With **channel** normalisation the mosaic looks uniformly rich; with **layer** normalisation you see
# that a few channels carry most of the signal. Look closely at one channel, in its real values:

# %%
show_mosaic(everything[layer], "layer", channel=CHANNEL, title=layer);

# %% [markdown]
# ## 3 · From the first layer to the last
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
# ## 4 · Sparsity and dead channels
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
# ## 5 · Explore it yourself
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
# ## 6 · Exercises
#
# Each exercise has an answer cell (`None` until you fill it in) and a check that says ✓ or ✗.
#
# **Exercise 1 -- whiskers.** With the explorer (image "chelsea", layer `block2b_expand_activation`
# or another `block2...` layer), find a channel that fires on the cat's **whiskers** (the thin
# white lines at the bottom left and right) much more than on the rest of the face.

# %%
WHISKER_LAYER = "block2b_expand_activation"
WHISKER_CHANNEL = None   # your answer: a channel number

def check_1(layer, channel):
    if IMAGE != "chelsea":
        return print("this exercise is about the cat photo: set IMAGE = 'chelsea' and re-run")
    if channel is None:
        return print("✗ not answered yet: move the channel slider and watch the bottom corners")
    if not layer.startswith("block2"):
        return print(f"✗ {layer!r} is not in block 2: pick a layer whose name starts with 'block2'")
    a = everything[layer][..., channel]
    s, b = a.shape[0] / 224, max(1, round(a.shape[0] * 0.04))   # ignore the image border
    box = np.zeros(a.shape, bool)
    box[int(172 * s):, :int(100 * s)] = True; box[int(165 * s):, int(185 * s):] = True
    inner = np.zeros(a.shape, bool); inner[b:-b, b:-b] = True
    ratio = a[box & inner].mean() / (a[~box & inner].mean() + 1e-3)
    if ratio >= 3:
        return print(f"✓ correct: channel {channel} is {ratio:.1f}x more active on the whiskers")
    print(f"✗ not quite: channel {channel} is only {ratio:.1f}x more active there (need 3x)")
check_1(WHISKER_LAYER, WHISKER_CHANNEL)

# %% [markdown]
# **Exercise 2 -- dead channels.** Going from the input to the output through the activation layers
# (`activation_layers`), which layer is the **first** where more than half of the channels are dead
# on this image? Use `helpers.dead_channels` or the explorer's info line.

# %%
FIRST_MOSTLY_DEAD = None   # your answer: a layer name

def check_2(answer):
    truth = next((n for n in activation_layers if helpers.dead_channels(everything[n]).mean() > 0.5), None)
    if answer is None:
        return print("✗ not answered yet")
    if answer == truth:
        return print(f"✓ correct: {truth} ({helpers.dead_channels(everything[truth]).mean():.0%} dead)")
    frac = helpers.dead_channels(everything[answer]).mean() if answer in everything else float("nan")
    print(f"✗ not quite: {answer!r} has {frac:.0%} dead channels -- or an earlier layer already has more than half")
check_2(FIRST_MOSTLY_DEAD)

# %% [markdown]
# **Exercise 3 -- shrinking.** The input is 224 pixels wide. Which convolution or pooling layer is the
# first whose output is a **quarter** of that (56 pixels), and what kind of layer is it?

# %%
QUARTER_LAYER = None   # your answer: a layer name

def check_3(answer):
    quarter = model.input_shape[1] // 4
    truth = next(n for n, shape in helpers.layer_names(model, kinds=("conv", "pool"), with_shapes=True)
                 if shape[0] == quarter)
    if answer is None:
        return print("✗ not answered yet: look at the table in section 3")
    if answer == truth:
        layer = model.get_layer(truth)
        how = f"stride {layer.strides[0]}" if hasattr(layer, "strides") else "pooling"
        return print(f"✓ correct: {truth} is a {type(layer).__name__} ({how}) that halves 112 -> 56")
    print(f"✗ not quite: the first layer with a {quarter}x{quarter} output is another one")
check_3(QUARTER_LAYER)

# %% [markdown]
# **Exercise 4 -- normalisation can fool you.** In "channel" normalisation all 32 channels of the
# first activation layer look equally strong. Which channel of `stem_activation` (the first entry of
# `activation_layers`) has the **largest activation value**? Switch the explorer to "layer" to see it,
# then confirm with numpy.

# %%
STRONGEST_CHANNEL = None   # your answer: a channel number

def check_4(answer):
    a = everything[activation_layers[0]]
    peaks = a.max(axis=(0, 1))
    if answer is None:
        return print("✗ not answered yet")
    if int(answer) == int(peaks.argmax()):
        return print(f"✓ correct: channel {answer} peaks at {peaks.max():.2f}; "
                     f"the median channel only at {np.median(peaks):.2f}")
    print(f"✗ not quite: channel {answer} peaks at {peaks[int(answer)]:.2f}, another one goes higher")
check_4(STRONGEST_CHANNEL)

# %% [markdown]
# ## What to remember
#
# * A layer's output is a stack of feature maps; `keras.Model(inputs, [layer.output, ...])` returns
#   them all in one forward pass.
# * Display choices are part of the result: per-channel normalisation hides how weak a channel is.
# * With depth the maps get smaller, more numerous, sparser and more specific to the image's class.
#
# **Next:** notebook 2 asks the reverse question -- what input pattern makes a channel fire most?
#
# *References.* Zeiler & Fergus (2014); Olah, Mordvintsev & Schubert, Feature Visualization (Distill
# 2017); Tan & Le, EfficientNet (2019); Wang et al., CNN Explainer (IEEE TVCG 2020); Chollet, *Deep
# Learning with Python*, "Visualizing intermediate activations".
