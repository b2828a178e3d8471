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
# # 3 · Grad-CAM: *where* in the picture is the evidence for a class?
#
# A classifier says "tiger cat". **Which pixels made it say so?** Grad-CAM (Selvaraju et al., 2017)
# answers with a heatmap: a 2-D grid of scores for one output class, one score per location of the
# input image.
#
# **Learning goals.** After this notebook you can
# 1. write Grad-CAM yourself in ~10 lines of TensorFlow (`GradientTape`) and explain each line;
# 2. derive it from the **Class Activation Map** (CAM, Zhou et al., 2016), which it generalises, and
#    explain why it differentiates the logit rather than the softmax probability;
# 3. show that it is *class-discriminative*: on one picture, "tiger cat" and "espresso" light up different places;
# 4. choose the layer (late = coarse but semantic, early = fine but noisy) and read a *counterfactual* map;
# 5. compare Grad-CAM, Grad-CAM++ (Chattopadhay et al., 2018) and Score-CAM (Wang et al., 2020);
# 6. run the **sanity check** of Adebayo et al. (2018): an explanation that does not change when the
#    model's weights are destroyed explains the *image*, not the *model*.
#
# The model is EfficientNet-Lite0 (Tan & Le, 2019), embedded in the repository, so everything runs offline on a CPU.

# %% slideshow={"slide_type": "-"} tags=["parameters"]
# Parameters -- change these and re-run the notebook.
MODEL_NAME = "efficientnet_lite0"   # offline. Online alternatives (Keras downloads the weights once):
                                    #   "vgg16" with LAYER = "block5_conv3" (14x14x512, DLwP 1st ed.),
                                    #   "xception" with LAYER = "block14_sepconv2_act" (DLwP 2nd/3rd ed., keras.io)
IMAGE = "cat_and_coffee"            # a bundled photo (cat left, espresso right) or a path to your own picture
LAYER = None                        # None = the last feature-map layer before global pooling
CAT, ESPRESSO = 282, 967            # ImageNet class indices of "tiger cat" and "espresso"
SEED = 0                            # the random weights of the sanity check (section 7)

# %% slideshow={"slide_type": "-"}
# %matplotlib inline
from pathlib import Path
import numpy as np
import helpers  # first: it loads TensorFlow without the CUDA/oneDNN start-up messages
import keras
import tensorflow as tf
from helpers import cam
from helpers.exercises import cam as checks
from helpers.plotting import plot_similarity_curves
from helpers.plotting.cam_figures import show_cam_panels, show_overlays, show_pictures

model = helpers.load_model(MODEL_NAME)
image = helpers.load_image(IMAGE, size=model)          # uint8 RGB at the model's input size
LAYER = LAYER or cam.default_layer(model)
ASPECT = 2.0 if IMAGE == "cat_and_coffee" else 1.0     # the bundled pair is two square photos squashed to half
                                                       # width: pictures are drawn at their real shape
OUTPUTS = Path("outputs"); OUTPUTS.mkdir(exist_ok=True)   # saved figures go here
print("layer:", LAYER, "| top-5:")
for i, name, p in helpers.predict(model, image, top=5):
    print(f"  {i:4d} {name:<20s} {p:.3f}")


# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1 · The idea in ten lines
#
# Take the feature maps $A^k$ (here 7×7, 1280 channels) of a late convolutional layer and the
# **pre-softmax** score $y^c$ of class $c$ (the logit, as in the paper: the softmax would mix in every other class).
#
# 1. gradient $\partial y^c / \partial A^k_{ij}$ — how much each location of each channel pushes the score up;
# 2. channel weight $\alpha^c_k$ = the gradient averaged over the map (one number per channel, per image);
# 3. heatmap = $\mathrm{ReLU}(\sum_k \alpha^c_k A^k)$ — keep only evidence *for* the class; divide by the maximum.

# %% slideshow={"slide_type": "-"}
def textbook_gradcam(model, image, class_index, layer_name, score="logit"):
    grad_model = keras.Model(model.inputs, [model.get_layer(layer_name).output, model.output])  # -> [A, logits]
    x = tf.constant(image[None].astype("float32"))
    with tf.GradientTape() as tape:
        feature_maps, logits = grad_model(x)
        scores = logits if score == "logit" else tf.nn.softmax(logits)   # the paper: logits; the book: softmax
        target = scores[:, class_index]
    grads = tape.gradient(target, feature_maps)             # (1, 7, 7, 1280)
    weights = tf.reduce_mean(grads, axis=(1, 2))            # average over space, per image and channel
    heat = tf.einsum("bhwc,bc->bhw", feature_maps, weights)[0]
    heat = tf.nn.relu(heat)                                 # only evidence FOR the class
    return (heat / (tf.reduce_max(heat) + 1e-7)).numpy()    # epsilon: an all-zero map stays 0, never NaN

small = textbook_gradcam(model, image, CAT, LAYER)
print(small.shape, small.min(), small.max())

# %% [markdown] slideshow={"slide_type": "subslide"}
# Plain Keras and `tf.GradientTape`, nothing from `helpers`: our models output logits, so
# `model.output` is the pre-softmax score (for a Keras model that ends in a softmax, take the Dense
# layer's output instead). `helpers.gradcam` does the same with a compiled `tf.function` (no retracing
# for a new image or class), upsamples smoothly to the picture's size, and works for nested and
# single-sigmoid models. Check that both agree. Below: the map alone at the layer's grid (one square per
# cell), then over the picture (`helpers.overlay`: colour map `turbo`, the colour fading out where the heat is low).

# %% slideshow={"slide_type": "-"}
heat = helpers.gradcam(model, image, CAT, LAYER)
np.testing.assert_allclose(cam.upsample(small, image.shape[:2]), heat, atol=1e-3)
print("textbook and helpers agree ✓")
fig = show_cam_panels(image, small, overlaid=heat, title="Grad-CAM for 'tiger cat'", aspect=ASPECT)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 2 · Where Grad-CAM comes from: the Class Activation Map (CAM)
#
# Zhou et al. (2016, *Learning Deep Features for Discriminative Localization*) noticed that a network
# ending in **global average pooling + one Dense layer** localises for free. With feature maps
# $A^k$ ($h \times w$) and Dense weights $w_{ck}$, bias $b_c$:
#
# $$y^c = \sum_k w_{ck} \, \frac{1}{hw} \sum_{ij} A^k_{ij} + b_c, \qquad
#   \mathrm{CAM}^c_{ij} = \sum_k w_{ck} A^k_{ij}.$$
#
# Grad-CAM needs no such architecture: it uses gradients. At a GAP + Dense head,
# $\partial y^c / \partial A^k_{ij} = w_{ck} / (hw)$ at every position, so the Grad-CAM weight is
# $\alpha_k = w_{ck} / (hw)$, the map before the ReLU is $\mathrm{CAM}^c / (hw)$, and it **sums to
# $y^c - b_c$**. Elsewhere (any layer, any head) Grad-CAM still works: it *generalises* CAM. Check it:

# %% slideshow={"slide_type": "-"}
head = [l for l in model.layers if isinstance(l, keras.layers.Dense)][-1]
between = model.layers[[l.name for l in model.layers].index(LAYER) + 1:]
if all(isinstance(l, (keras.layers.GlobalAveragePooling2D, keras.layers.Dropout, keras.layers.Dense))
       for l in between) and head is between[-1]:
    W, b = head.get_weights()                                     # (channels, 1000), (1000,)
    grad_model = keras.Model(model.inputs, [model.get_layer(LAYER).output, model.output])
    with tf.GradientTape() as tape:
        A, logits = grad_model(tf.constant(image[None].astype("float32")))
        score = logits[:, CAT]
    alpha = tf.reduce_mean(tape.gradient(score, A), axis=(1, 2))[0].numpy()
    A = A[0].numpy(); h, w = A.shape[:2]
    raw = A @ alpha                                              # Grad-CAM before ReLU and scaling
    np.testing.assert_allclose(alpha, W[:, CAT] / (h * w), rtol=1e-3, atol=1e-8)
    np.testing.assert_allclose(raw, (A @ W[:, CAT]) / (h * w), rtol=1e-3, atol=1e-5)   # = CAM / (h w)
    np.testing.assert_allclose(raw.sum(), logits[0, CAT] - b[CAT], rtol=1e-3)
    print(f"✓ at {LAYER}: alpha_k = w_ck / ({h}*{w}), and the map sums to {raw.sum():.4f} "
          f"= logit {float(logits[0, CAT]):.4f} - bias {b[CAT]:.4f}")
else:
    print(f"{LAYER} is not followed by global average pooling + Dense only: CAM does not apply here")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Logit or probability?** The Grad-CAM paper (and keras.io) differentiates the logit $y^c$.
# *Deep Learning with Python* differentiates the softmax probability $p_c$, whose gradient
# $p_c (\nabla y^c - \sum_j p_j \nabla y^j)$ subtracts the evidence for every competing class, and
# vanishes when $p_c$ is near 0 or 1. How different are the two maps on the two-object photo? Two numbers
# per class: the rank correlation (do they order the places alike?) and the largest difference (are the
# heights alike?).

# %% slideshow={"slide_type": "-"}
panels, titles = [], []
probs = tf.nn.softmax(helpers.logits(model, image[None])[0]).numpy()
for c in (CAT, ESPRESSO):
    by_score = {score: textbook_gradcam(model, image, c, LAYER, score=score) for score in ("logit", "probability")}
    for score, m in by_score.items():
        panels.append(cam.upsample(m, image.shape[:2]))
        titles.append(f"{helpers.imagenet_class_names()[c]}, {score}")
    rho, gap = helpers.spearman(*by_score.values()), np.abs(by_score["logit"] - by_score["probability"]).max()
    print(f"class {c} (p = {probs[c]:.3f}): rank correlation {rho:+.2f}, largest difference {gap:.2f}")
    if IMAGE == "cat_and_coffee":   # what the next paragraph says
        assert rho > 0.8 and gap > 1 / 3, (c, rho, gap)
fig = show_overlays(image, panels, titles, ncols=4, size=2.4, aspect=ASPECT)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Reading the numbers.** On this photo both maps order the places alike (rank correlations above
# 0.8) but their heights differ, by up to a third of the maximum or more: subtracting the rivals'
# evidence changes how strongly a place counts more than which places count. For a very confident
# model the probability's gradient itself fades: as $p_c \to 1$ the bracket
# $\nabla y^c - \sum_j p_j \nabla y^j$ shrinks to 0 (and as $p_c \to 0$ the factor $p_c$ does).

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3 · Class discrimination: one picture, two answers
#
# The photo has a cat on the left and an espresso on the right; both classes are in the model's
# top-5. A good explanation for "tiger cat" should light the cat, one for "espresso" the cup.

# %% slideshow={"slide_type": "-"}
maps = {c: helpers.gradcam(model, image, c, LAYER) for c in (CAT, ESPRESSO)}
names = helpers.imagenet_class_names()
half = image.shape[1] // 2
for c, m in maps.items():
    print(f"{names[c]:<10s}: {m[:, :half].sum() / m.sum():.0%} of the heat on the left half")
fig = show_overlays(image, [maps[CAT], maps[ESPRESSO]], [f"'{names[CAT]}'", f"'{names[ESPRESSO]}'"],
                    size=3.0, aspect=ASPECT)
name = (f"gradcam_{model.name}_{Path(str(IMAGE)).stem}_{LAYER}_{CAT}-{names[CAT].replace(' ', '-')}"
        f"_vs_{ESPRESSO}-{names[ESPRESSO].replace(' ', '-')}_gradcam.png")
fig.savefig(OUTPUTS / name, dpi=120, bbox_inches="tight"); print("saved", OUTPUTS / name)
if IMAGE == "cat_and_coffee":
    assert maps[CAT][:, :half].sum() > maps[CAT][:, half:].sum()
    assert maps[ESPRESSO][:, half:].sum() > maps[ESPRESSO][:, :half].sum()

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Stopping point.** If your class splits this lesson in two, stop here: exercises 1–3 in section 9
# need only what you have seen so far. Next time, run all cells again and continue with section 4.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4 · Which layer?
#
# The last feature-map layer (7×7) is coarse: each cell covers 32×32 pixels. Earlier layers have
# finer grids (14×14: 16-pixel cells; 28×28: 8-pixel cells), and more of the network lies between
# them and the score. Does a finer map still tell the two classes apart? One layer of each size, the
# last one (a block's output `_add` where there is one), for both classes:

# %% slideshow={"slide_type": "-"}
shapes = dict(helpers.layer_names(model, kinds="all", with_shapes=True))   # in forward order
usable = set(cam.cam_layers(model))
by_size = {}
for name in [n for n in shapes if n in usable]:
    size = shapes[name][0]
    if size in (7, 14, 28) and (name.endswith("_add") or not by_size.get(size, "").endswith("_add")):
        by_size[size] = name
by_size[shapes[LAYER][0]] = LAYER
panels, titles, left = [], [], {}
for size in sorted(by_size):
    for c in (CAT, ESPRESSO):
        m = helpers.gradcam(model, image, c, by_size[size])
        left[size, c] = m[:, :half].sum() / m.sum()
        panels.append(m)
        titles.append(f"{names[c]}, {by_size[size]} ({size}x{size})\n{left[size, c]:.0%} of the heat on the left")
    print(f"{size:2d}x{size:<2d} {by_size[size]:<16s} '{names[CAT]}' {left[size, CAT]:4.0%} on the left (the cat), "
          f"'{names[ESPRESSO]}' {1 - left[size, ESPRESSO]:4.0%} on the right (the cup)")
fig = show_overlays(image, panels, titles, ncols=2, size=2.6, aspect=ASPECT)

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Reading the numbers.** On this photo only the 7×7 map separates the classes: "tiger cat" on
# the cat, "espresso" on the cup. At the 14×14 and 28×28 layers most of the "tiger cat" heat lies on
# the **cup** half, and "espresso" spreads over both halves (the printed shares). A finer grid is no
# use if the map no longer answers *which evidence is for this class*; on this photo only the last
# layer's map does. That is why Grad-CAM's default is the last layer.

# %% slideshow={"slide_type": "-"}
if IMAGE == "cat_and_coffee" and sorted(by_size) == [7, 14, 28]:   # what the paragraph above says
    assert left[7, CAT] > 0.5 > left[7, ESPRESSO]
    assert all(left[size, CAT] < 0.5 for size in (14, 28)), left
    assert all(0.3 < left[size, ESPRESSO] < 0.7 for size in (14, 28)), left

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 5 · Counterfactual: what argues *against* the class?
#
# Negate the gradients (Selvaraju et al., §5): the map then shows the regions whose features
# *lower* the "tiger cat" score — on our photo, the espresso.

# %% slideshow={"slide_type": "-"}
against = helpers.gradcam(model, image, CAT, LAYER, counterfactual=True)
print(f"counterfactual 'tiger cat': {against[:, half:].sum() / max(against.sum(), 1e-9):.0%} of the heat on the right half")
fig = show_overlays(image, [maps[CAT], against], ["evidence FOR 'tiger cat'", "evidence AGAINST 'tiger cat'"],
                    size=3.0, aspect=ASPECT)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 6 · Grad-CAM vs Grad-CAM++ vs Score-CAM
#
# * **Grad-CAM++** weights each location's positive gradient (through second derivatives); its authors
#   designed it for pictures with several objects of the class. Our photo has one cat, so compare only
#   where the heat goes.
# * **Score-CAM** uses no gradients at all: every channel, scaled to [0, 1], *masks* the image, and its
#   weight is the class probability of the masked image — one forward pass per channel, so
#   `helpers` only tries the 32 most active channels, in batches.

# %% slideshow={"slide_type": "-"}
panels, titles = [], []
for method in ("gradcam", "gradcam++", "scorecam"):
    m = helpers.gradcam(model, image, CAT, LAYER, method=method)
    panels.append(m)
    titles.append(f"{method}: {m[:, :half].sum() / m.sum():.0%} of the heat on the left")
fig = show_overlays(image, panels, titles, size=2.8, aspect=ASPECT)

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7 · Sanity check: does the map depend on the model at all?
#
# Adebayo et al. (2018) asked a simple question: if we **destroy the model's weights**, layer by
# layer from the top ("cascading randomisation"), does the explanation change? It must — an
# explanation of the model should depend on the model. We compare each map with the original one by
# **Spearman rank correlation** (1 = same ordering of pixels, 0 = unrelated), for Grad-CAM and for
# **guided backprop** (Springenberg et al., 2015), a popular sharp-looking saliency method.
# Each step is a new copy (the one before stays as it was); `model` itself is never touched.

# %% slideshow={"slide_type": "-"}
base_cam = helpers.gradcam(model, image, CAT)
base_gb = helpers.guided_backprop(model, image, CAT)
steps, rho_cam, rho_gb, all_maps = [], [], [], []
for name, randomised in helpers.cascading_randomization(model, seed=SEED, steps=8):
    m_cam = helpers.gradcam(randomised, image, CAT)
    m_gb = helpers.guided_backprop(randomised, image, CAT)
    steps.append(name)
    rho_cam.append(helpers.spearman(base_cam, m_cam))
    rho_gb.append(helpers.spearman(base_gb, m_gb))
    all_maps.append((name, m_cam, m_gb))
shown = [all_maps[i] for i in (0, 1, len(all_maps) // 2, -1)]
for s, a, b in zip(steps, rho_cam, rho_gb):
    print(f"{s:<12s} Grad-CAM {a:+.2f}   guided backprop {b:+.2f}")

# %% slideshow={"slide_type": "-"}
fig = plot_similarity_curves(steps, {"Grad-CAM": rho_cam, "guided backprop": rho_gb})
def stretch(g):  # display only: a few very bright pixels would leave the rest black
    return np.clip(g / max(np.percentile(g, 99), 1e-7), 0, 1)
fig2 = show_overlays(image, [c for _, c, _ in shown], [f"Grad-CAM, {n}" for n, _, _ in shown],
                     ncols=len(shown), size=2.2, aspect=ASPECT)
fig3 = show_pictures([stretch(g) for _, _, g in shown], [f"guided BP, {n}" for n, _, _ in shown],
                     ncols=len(shown), size=2.2, aspect=ASPECT)
assert rho_cam[1] < 0.5, "Grad-CAM should change once the classifier weights are random"
assert min(rho_gb[:3]) > 0.8, "guided backprop barely changes: it mostly shows edges of the image"

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Reading the plot.** As soon as the top layer is random, Grad-CAM's map is unrelated to the
# original one (it follows the model). Guided backprop's map keeps a rank correlation near 1 for
# several steps: it is mostly an edge detector of the *image*, whatever the weights say. Sharp,
# pretty pictures are not evidence that an explanation is faithful.
#
# ## 8 · Explore
#
# Pick an image (or upload your own), a class from the top-5 or search all 1000 names, a layer,
# a method; toggle the counterfactual; move alpha. Switching the class does not re-run the network's
# forward pass (the feature maps are cached), and alpha only re-blends.

# %% slideshow={"slide_type": "-"}
from helpers.widgets import gradcam_explorer

explorer = gradcam_explorer(model, IMAGE)
explorer


# %% [markdown] slideshow={"slide_type": "slide"}
# ## 9 · Exercises
#
# Each exercise has an answer cell (`None` until you fill it in) and a check that prints ✓, ✗ with
# what is wrong, or ○ while there is no answer yet (with a question to start from; `checks.hint(n)`
# gives a second one). Maps are compared with a reference Grad-CAM, so only a correct answer passes.
#
# **Exercise 1.** Grad-CAM's channel weights: write `my_weights(grads)` that takes a gradient
# array `(h, w, channels)` and returns one weight per channel.

# %% slideshow={"slide_type": "-"}
def my_weights(grads):
    return None   # your code: one number per channel

print(checks.weights(my_weights))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 2.** Class "cup" (index 968) is also in the top-5. What fraction of its Grad-CAM heat
# lies on the right half of the picture? Store it in `cup_right` (a number between 0 and 1).

# %% slideshow={"slide_type": "-"}
cup_right = None   # your code: use helpers.gradcam(model, image, 968, LAYER) and `half`

print(checks.share_right(helpers.gradcam(model, image, 968, LAYER), cup_right))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 3.** Your own Grad-CAM: compute the map of class "espresso" at the 14×14 layer of
# section 4 (`by_size[14]`) with your own `GradientTape` code (you may adapt `textbook_gradcam`).
# Store it in `espresso_map`, at the layer's resolution or the picture's (upsampled any standard way:
# `cv2.resize`, Pillow, `tf.image.resize`, ...; the check compares the value at each of the layer's cells).

# %% slideshow={"slide_type": "-"}
espresso_map = None   # your code

print(checks.own_gradcam(model, image, ESPRESSO, by_size.get(14, LAYER), espresso_map, other_class=CAT))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 4.** Sanity check by hand: randomise only the top group (`steps=1`) and compute the
# Spearman correlation between the original and the randomised **gradient saliency**
# (`helpers.gradient_saliency`) for "tiger cat". Store it in `rho_saliency`. Does plain
# saliency behave more like Grad-CAM or like guided backprop?

# %% slideshow={"slide_type": "-"}
rho_saliency = None   # your code: for name, rnd in helpers.cascading_randomization(model, steps=1): ...

print(checks.rho_saliency(model, image, CAT, rho_saliency))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 5.** Which layer would give Grad-CAM cells that cover **8×8 pixels** of the 224-pixel
# picture? Name one (any layer with the right grid counts).

# %% slideshow={"slide_type": "-"}
EIGHT_PIXEL_LAYER = None   # your answer: a layer name

print(checks.layer_of_size(model, EIGHT_PIXEL_LAYER, size=model.input_shape[1] // 8))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# * Grad-CAM = ReLU(feature maps weighted by their spatially averaged gradients), normalised with an epsilon.
# * At a global-average-pooling + Dense head it *is* CAM (Zhou et al., 2016), up to the factor 1/(h·w).
# * Differentiate the logit, not the softmax probability: the probability mixes in the other classes.
# * It is class-discriminative, coarse at the last layer, finer but noisier earlier.
# * Always sanity-check an explanation method: if the map survives random weights, it explains the image, not the model.
#
# **References.** Zhou et al., *Learning Deep Features for Discriminative Localization* (CAM), CVPR 2016 ·
# Selvaraju et al., *Grad-CAM*, ICCV 2017 · Chattopadhay et al., *Grad-CAM++*, WACV 2018 ·
# Wang et al., *Score-CAM*, CVPR-W 2020 · Adebayo et al., *Sanity Checks for Saliency Maps*, NeurIPS 2018 ·
# Springenberg et al., *Striving for Simplicity* (guided backprop), ICLR-W 2015 · Zeiler & Fergus,
# *Visualizing and Understanding Convolutional Networks*, ECCV 2014 · Tan & Le, *EfficientNet*, ICML 2019.
