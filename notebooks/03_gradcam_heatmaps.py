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
# # 3 · Grad-CAM: *where* in the picture is the evidence for a class?
#
# A classifier says "tiger cat". **Which pixels made it say so?** Grad-CAM (Selvaraju et al., 2017)
# answers with a heatmap: a 2-D grid of scores for one output class, one score per location of the
# input image.
#
# **Learning goals.** After this notebook you can
# 1. write Grad-CAM yourself in ~10 lines of TensorFlow (`GradientTape`) and explain each line;
# 2. show that it is *class-discriminative*: on one picture, "tiger cat" and "espresso" light up different places;
# 3. choose the layer (late = coarse but semantic, early = fine but noisy) and read a *counterfactual* map;
# 4. compare Grad-CAM, Grad-CAM++ (Chattopadhay et al., 2018) and Score-CAM (Wang et al., 2020);
# 5. run the **sanity check** of Adebayo et al. (2018): an explanation that does not change when the
#    model's weights are destroyed explains the *image*, not the *model*.
#
# The model is EfficientNet-Lite0 (Tan & Le, 2019), embedded in the repository, so everything runs offline on a CPU.

# %%
# Parameters -- change these and re-run the notebook.
MODEL_NAME = "efficientnet_lite0"   # offline. Online alternatives (Keras downloads the weights once):
                                    #   "vgg16" with LAYER = "block5_conv3" (14x14x512, the textbook's example),
                                    #   "xception" with LAYER = "block14_sepconv2_act"
IMAGE = "cat_and_coffee"            # a bundled photo (cat left, espresso right) or a path to your own picture
LAYER = None                        # None = the last feature-map layer before global pooling
CAT, ESPRESSO = 282, 967            # ImageNet class indices of "tiger cat" and "espresso"

# %%
# %matplotlib inline
import time
import numpy as np
import helpers  # first: it loads TensorFlow without the CUDA/oneDNN start-up messages
import tensorflow as tf
import matplotlib.pyplot as plt
from helpers import cam
from helpers.plotting import show_cam, show_images, plot_similarity_curves

model = helpers.load_model(MODEL_NAME)
image = helpers.load_image(IMAGE, size=model)          # uint8 RGB at the model's input size
LAYER = LAYER or cam.default_layer(model)
print("layer:", LAYER, "| top-5:")
for i, name, p in helpers.predict(model, image, top=5):
    print(f"  {i:4d} {name:<20s} {p:.3f}")


# %% [markdown]
# ## 1 · The idea in ten lines
#
# Take the feature maps $A^k$ (here 7×7, 1280 channels) of a late convolutional layer and the
# **pre-softmax** score $y^c$ of class $c$ (the logit, as in the paper: the softmax would mix in every other class).
#
# 1. gradient $\partial y^c / \partial A^k_{ij}$ — how much each location of each channel pushes the score up;
# 2. channel weight $\alpha^c_k$ = the gradient averaged over the map (one number per channel, per image);
# 3. heatmap = $\mathrm{ReLU}(\sum_k \alpha^c_k A^k)$ — keep only evidence *for* the class; divide by the maximum.

# %%
def textbook_gradcam(model, image, class_index, layer_name):
    grad_model = helpers.feature_model(model, [layer_name], with_logits=True)  # pixels -> [A, logits]
    x = tf.constant(image[None].astype("float32"))
    with tf.GradientTape() as tape:
        feature_maps, logits = grad_model(x)
        score = logits[:, class_index]                      # the pre-softmax class score
    grads = tape.gradient(score, feature_maps)              # (1, 7, 7, 1280)
    weights = tf.reduce_mean(grads, axis=(1, 2))            # average over space, per image and channel
    heat = tf.einsum("bhwc,bc->bhw", feature_maps, weights)[0]
    heat = tf.nn.relu(heat)                                 # only evidence FOR the class
    return (heat / (tf.reduce_max(heat) + 1e-7)).numpy()    # epsilon: an all-zero map stays 0, never NaN

small = textbook_gradcam(model, image, CAT, LAYER)
print(small.shape, small.min(), small.max())

# %% [markdown]
# `helpers.gradcam` does the same with a compiled `tf.function` (no retracing for a new image or
# class), upsamples smoothly to the picture's size, and works for nested and single-sigmoid models.
# Check that both agree (at the 7×7 resolution, and after upsampling):

# %%
heat = helpers.gradcam(model, image, CAT, LAYER)
np.testing.assert_allclose(cam.upsample(small, image.shape[:2]), heat, atol=1e-3)
fmaps, grads, _, _ = cam.engine(model, LAYER).grads(tf.constant(image[None].astype("float32")), tf.constant([CAT]))
np.testing.assert_allclose(cam.cam_from_gradients(fmaps[0].numpy(), grads[0].numpy()), small, atol=1e-4)
print("textbook and helpers agree ✓")
fig = show_cam(image, heat, helpers.overlay(image, heat, alpha=0.4), title="Grad-CAM for 'tiger cat'")

# %% [markdown]
# ## 2 · Class discrimination: one picture, two answers
#
# The photo has a cat on the left and an espresso on the right; both classes are in the model's
# top-5. A good explanation for "tiger cat" should light the cat, one for "espresso" the cup.

# %%
maps = {c: helpers.gradcam(model, image, c, LAYER) for c in (CAT, ESPRESSO)}
names = helpers.imagenet_class_names()
half = image.shape[1] // 2
for c, m in maps.items():
    print(f"{names[c]:<10s}: {m[:, :half].sum() / m.sum():.0%} of the heat on the left half")
fig = show_images([helpers.overlay(image, maps[CAT]), helpers.overlay(image, maps[ESPRESSO])],
                  [f"'{names[CAT]}'", f"'{names[ESPRESSO]}'"], size=3.2)
if IMAGE == "cat_and_coffee":
    assert maps[CAT][:, :half].sum() > maps[CAT][:, half:].sum()
    assert maps[ESPRESSO][:, half:].sum() > maps[ESPRESSO][:, :half].sum()

# %% [markdown]
# ## 3 · Which layer?
#
# The last feature-map layer (`top_activation`, 7×7) sees whole objects but is coarse: each cell
# covers 32×32 pixels. Earlier layers have finer grids but less class-specific features, and
# their gradients are noisier (more of the network lies between them and the score).

# %%
layers = ["top_activation", "block6d_add", "block5c_add", "block4c_add"]
layers = [l for l in layers if l in cam.cam_layers(model)] or [LAYER]
panels, titles = [], []
for name in layers:
    m = helpers.gradcam(model, image, CAT, name)
    h, w = helpers.features.output_shape(helpers.find_layer(model, name))[1:3]
    panels.append(helpers.overlay(image, m))
    titles.append(f"{name} ({h}x{w})")
fig = show_images(panels, titles, size=2.8)

# %% [markdown]
# ## 4 · Counterfactual: what argues *against* the class?
#
# Negate the gradients (Selvaraju et al., §5): the map then shows the regions whose features
# *lower* the "tiger cat" score — on our photo, the espresso.

# %%
against = helpers.gradcam(model, image, CAT, LAYER, counterfactual=True)
print(f"counterfactual 'tiger cat': {against[:, half:].sum() / max(against.sum(), 1e-9):.0%} of the heat on the right half")
fig = show_images([helpers.overlay(image, maps[CAT]), helpers.overlay(image, against)],
                  ["evidence FOR 'tiger cat'", "evidence AGAINST 'tiger cat'"], size=3.2)

# %% [markdown]
# ## 5 · Grad-CAM vs Grad-CAM++ vs Score-CAM
#
# * **Grad-CAM++** weights each location's positive gradient (better with several instances of a class).
# * **Score-CAM** uses no gradients at all: every channel, scaled to [0, 1], *masks* the image, and its
#   weight is the class probability of the masked image — one forward pass per channel, so
#   `helpers` only tries the 32 most active channels, in batches.

# %%
panels, titles = [], []
for method in ("gradcam", "gradcam++", "scorecam"):
    t0 = time.perf_counter()
    m = helpers.gradcam(model, image, CAT, LAYER, method=method)
    dt = time.perf_counter() - t0
    panels.append(helpers.overlay(image, m))
    titles.append(f"{method}: {m[:, :half].sum() / m.sum():.0%} left, {dt:.2f} s")
fig = show_images(panels, titles, size=3.0)

# %% [markdown]
# ## 6 · Sanity check: does the map depend on the model at all?
#
# Adebayo et al. (2018) asked a simple question: if we **destroy the model's weights**, layer by
# layer from the top ("cascading randomisation"), does the explanation change? It must — an
# explanation of the model should depend on the model. We compare each map with the original one by
# **Spearman rank correlation** (1 = same ordering of pixels, 0 = unrelated), for Grad-CAM and for
# **guided backprop** (Springenberg et al., 2015), a popular sharp-looking saliency method.
# The randomisation runs on a *copy*; `model` itself is never touched.

# %%
base_cam = helpers.gradcam(model, image, CAT)
base_gb = helpers.guided_backprop(model, image, CAT)
steps, rho_cam, rho_gb, all_maps = [], [], [], []
for name, randomised in helpers.cascading_randomization(model, seed=0, steps=8):
    m_cam = helpers.gradcam(randomised, image, CAT)
    m_gb = helpers.guided_backprop(randomised, image, CAT)
    steps.append(name)
    rho_cam.append(helpers.spearman(base_cam, m_cam))
    rho_gb.append(helpers.spearman(base_gb, m_gb))
    all_maps.append((name, m_cam, m_gb))
shown = [all_maps[i] for i in (0, 1, len(all_maps) // 2, -1)]
for s, a, b in zip(steps, rho_cam, rho_gb):
    print(f"{s:<12s} Grad-CAM {a:+.2f}   guided backprop {b:+.2f}")

# %%
fig = plot_similarity_curves(steps, {"Grad-CAM": rho_cam, "guided backprop": rho_gb})
def stretch(g):  # display only: a few very bright pixels would leave the rest black
    return np.clip(g / max(np.percentile(g, 99), 1e-7), 0, 1)
fig2 = show_images([helpers.overlay(image, c) for _, c, _ in shown] + [stretch(g) for _, _, g in shown],
                   [f"Grad-CAM, {n}" for n, _, _ in shown] + [f"guided BP, {n}" for n, _, _ in shown],
                   ncols=len(shown), size=2.4, cmap="gray")
assert rho_cam[1] < 0.5, "Grad-CAM should change once the classifier weights are random"
assert min(rho_gb[:3]) > 0.8, "guided backprop barely changes: it mostly shows edges of the image"

# %% [markdown]
# **Reading the plot.** As soon as the top layer is random, Grad-CAM's map is unrelated to the
# original one (it follows the model). Guided backprop's map keeps a rank correlation near 1 for
# several steps: it is mostly an edge detector of the *image*, whatever the weights say. Sharp,
# pretty pictures are not evidence that an explanation is faithful.
#
# ## 7 · Explore
#
# Pick an image (or upload your own), a class from the top-5 or search all 1000 names, a layer,
# a method; toggle the counterfactual; move alpha. Switching the class does not re-run the network's
# forward pass (the feature maps are cached), and alpha only re-blends.

# %%
from helpers.widgets import gradcam_explorer

explorer = gradcam_explorer(model, IMAGE)
explorer


# %% [markdown]
# ## 8 · Exercises
#
# Each exercise has an answer cell (`None` until you fill it in) and a check cell that says ✓ or
# explains what is wrong.
#
# **Exercise 1.** Grad-CAM's channel weights: write `my_weights(grads)` that takes a gradient
# array `(h, w, channels)` and returns one weight per channel.

# %%
def my_weights(grads):
    return None   # your code: one number per channel

def check_1():
    g = np.random.default_rng(0).normal(size=(7, 7, 5))
    mine = my_weights(g)
    if mine is None:
        return print("✗ not answered yet: return the gradients averaged over the two spatial axes")
    np.testing.assert_allclose(np.asarray(mine), cam.gradcam_weights(g), atol=1e-9, err_msg="average over axes 0 and 1")
    print("✓ correct: the weight of a channel is its gradient averaged over the map")
check_1()

# %% [markdown]
# **Exercise 2.** Class "cup" (index 968) is also in the top-5. What fraction of its Grad-CAM heat
# lies on the right half of the picture? Store it in `cup_right` (a number between 0 and 1).

# %%
cup_right = None   # your code: use helpers.gradcam(model, image, 968, LAYER) and `half`

def check_2():
    m = helpers.gradcam(model, image, 968, LAYER)
    truth = m[:, half:].sum() / m.sum()
    if cup_right is None:
        return print("✗ not answered yet")
    assert abs(cup_right - truth) < 0.02, f"not quite: recompute the share of m[:, half:] in m.sum()"
    print(f"✓ correct: {truth:.0%} -- the cup class {'also points at the cup' if truth > 0.5 else 'looks elsewhere'}")
check_2()

# %% [markdown]
# **Exercise 3.** Zero evidence. Make a grey picture (`np.full((224, 224, 3), 128, np.uint8)`) and
# compute its *counterfactual* map for the class the model predicts. Store it in `grey_map`. Why
# must `helpers.gradcam` never divide by zero here?

# %%
grey_map = None   # your code

def check_3():
    if grey_map is None:
        return print("✗ not answered yet")
    g = np.asarray(grey_map)
    assert g.shape == (224, 224), f"expected a (224, 224) map, got {g.shape}"
    assert not np.isnan(g).any(), "a NaN map: the normalisation needs an epsilon"
    assert g.min() >= 0 and g.max() <= 1, "maps are scaled to [0, 1]"
    print(f"✓ correct: a valid map (max {g.max():.2f}); an all-zero map stays zeros instead of 0/0 = NaN")
check_3()

# %% [markdown]
# **Exercise 4.** Sanity check by hand: randomise only the top group (`steps=1`) and compute the
# Spearman correlation between the original and the randomised **gradient saliency**
# (`helpers.gradient_saliency`) for "tiger cat". Store it in `rho_saliency`. Does plain
# saliency behave more like Grad-CAM or like guided backprop?

# %%
rho_saliency = None   # your code: for name, rnd in helpers.cascading_randomization(model, steps=1): ...

def check_4():
    if rho_saliency is None:
        return print("✗ not answered yet")
    *_, (name, rnd) = helpers.cascading_randomization(model, steps=1)
    truth = helpers.spearman(helpers.gradient_saliency(model, image, CAT), helpers.gradient_saliency(rnd, image, CAT))
    assert abs(rho_saliency - truth) < 0.05, f"not quite: compare the maps before and after '{name}' is randomised"
    print(f"✓ correct: rho = {truth:+.2f} ({'changes, like Grad-CAM' if truth < 0.5 else 'barely changes'})")
check_4()

# %% [markdown]
# ## Summary
#
# * Grad-CAM = ReLU(feature maps weighted by their spatially averaged gradients), normalised with an epsilon.
# * It is class-discriminative, coarse at the last layer, finer but noisier earlier.
# * Always sanity-check an explanation method: if the map survives random weights, it explains the image, not the model.
#
# **References.** Selvaraju et al., *Grad-CAM*, ICCV 2017 · Chattopadhay et al., *Grad-CAM++*, WACV 2018 ·
# Wang et al., *Score-CAM*, CVPR-W 2020 · Adebayo et al., *Sanity Checks for Saliency Maps*, NeurIPS 2018 ·
# Springenberg et al., *Striving for Simplicity* (guided backprop), ICLR-W 2015 · Zeiler & Fergus,
# *Visualizing and Understanding Convolutional Networks*, ECCV 2014 · Tan & Le, *EfficientNet*, ICML 2019.
