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
# # 5 · Is the explanation right? Occlusion, faithfulness curves and honest baselines
#
# Notebook 3 drew *where* Grad-CAM finds the evidence for a class, and its sanity check showed that the
# map depends on the model's weights. Neither says whether the map is **faithful**: do the places it
# lights up really drive the model's answer, and does it do better than a map made with no model at all?
#
# **Learning goals.** After this notebook you can
# 1. write **occlusion sensitivity** (Zeiler & Fergus, 2014) in ~10 lines of plain Keras: hide a grey
#    square, watch the class probability fall; and explain its cost in forward passes;
# 2. measure how far occlusion and Grad-CAM agree (rank correlation) and say when they cannot agree;
# 3. compute **deletion and insertion curves** and their areas (Petsiuk et al., 2018, who also
#    introduced **RISE**, random masks) for several methods and layers, and rank them in a table;
# 4. read those numbers against **model-free baselines** (random noise, Sobel edges, a centre blob) and
#    say honestly where a baseline comes close or wins, and why (the artefact that ROAD fixes);
# 5. tell apart the questions answered by the cascading-randomisation sanity check and by these metrics.

# %% slideshow={"slide_type": "-"} tags=["parameters"]
# Parameters -- change these and re-run the notebook.
MODEL_NAME = "efficientnet_lite0"   # offline, embedded in the repository
PHOTOS = {"coffee": 967, "chelsea": 285, "cat_and_coffee": 967}   # photo -> class (espresso, Egyptian cat)
TABLE = ("coffee", "chelsea")       # the photos of the ranking table (their class is the model's top-1)
PATCH, STRIDE = 56, 28              # occlusion's grey square and its step, in pixels (1 + 7 x 7 = 50 passes)
RISE_MASKS = 300                    # RISE's random masks (the paper used 4000-8000; fewer = noisier, faster)
STEPS = 16                          # points on each deletion / insertion curve (+1): one forward pass each
SEED = 0                            # RISE's masks and the random baseline map

# %% slideshow={"slide_type": "-"}
# %matplotlib inline
import time
import numpy as np
import helpers  # first: it loads TensorFlow without the CUDA/oneDNN start-up messages
import tensorflow as tf
from helpers import cam
from helpers.exercises import faithfulness as checks
from helpers.metrics import BASELINE_KINDS
from helpers.plotting.cam_figures import show_overlays
from helpers.plotting.faithfulness import format_ranking, plot_faithfulness_curves

START = time.perf_counter()
model = helpers.load_model(MODEL_NAME)
names = helpers.imagenet_class_names()
photos = {p: helpers.load_image(p, size=model) for p in PHOTOS}   # uint8 RGB at the model's input size
LAYERS = (cam.default_layer(model), "block6d_add", "block5c_add")  # 7x7, 7x7 (a block earlier), 14x14
def probability(picture, c):
    """The model's probability of class c for one picture (softmax of the logits)."""
    return float(tf.nn.softmax(helpers.logits(model, picture[None]))[0, c])


for p, c in PHOTOS.items():
    top = helpers.predict(model, photos[p], top=2)
    print(f"{p:<15s} '{names[c]}' p = {probability(photos[p], c):.3f} | top-2: "
          + ", ".join(f"{n} {q:.3f}" for _, n, q in top))

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 1 · The idea in ten lines: occlusion is a loop of forward passes
#
# Paint a grey square over part of the picture and ask the model again. If the class probability
# falls, the square hid evidence for the class. Slide the square over the whole picture, one forward
# pass per position, and give every pixel the fall of the square that covered it. Grey here is the
# ImageNet mean colour, what a normalised input calls zero: "nothing here". No gradients, no layer
# names, nothing about the architecture: this works on any classifier.

# %% slideshow={"slide_type": "-"}
GREY = np.array([123.68, 116.78, 103.94], np.float32)   # the ImageNet mean colour


def textbook_occlusion(model, image, class_index, patch=56):
    x = image.astype("float32")
    p0 = tf.nn.softmax(model(x[None]))[0, class_index]                 # the picture as it is
    heat = np.zeros(x.shape[:2], np.float32)
    for top in range(0, x.shape[0] - patch + 1, patch):                # one row of squares per batch
        row = [x.copy() for _ in range(0, x.shape[1] - patch + 1, patch)]
        for k, hidden in enumerate(row):
            hidden[top:top + patch, k * patch:(k + 1) * patch] = GREY
        drops = p0 - tf.nn.softmax(model(np.stack(row)))[:, class_index]
        for k, d in enumerate(drops.numpy()):
            heat[top:top + patch, k * patch:(k + 1) * patch] = d
    heat = np.maximum(heat, 0)                                         # only evidence FOR the class
    return heat / (heat.max() + 1e-7)


image = photos["cat_and_coffee"]
mine = textbook_occlusion(model, image, 967)
ours = helpers.occlusion(model, image, 967, patch=56, stride=56)       # 1 + 4 x 4 = 17 forward passes
np.testing.assert_allclose(mine, ours, atol=1e-3)
print("textbook and helpers agree ✓ (largest difference", f"{np.abs(mine - ours).max():.1e})")

# %% [markdown] slideshow={"slide_type": "subslide"}
# `helpers.occlusion` does the same through a compiled forward pass in fixed-size batches (memory stays
# bounded), lets squares overlap (`stride` < `patch`: each pixel gets the *mean* fall of the squares
# that covered it, a smoother map) and adds one square flush with the far edge when the steps leave a
# strip uncovered. Its cost is `1 + ny × nx` forward passes: with the notebook's `PATCH`, `STRIDE`
# that is 50 per photo; Grad-CAM needs one forward and one backward pass.
#
# ## 2 · Occlusion vs Grad-CAM: how far do they agree?
#
# Both give a (224, 224) map in [0, 1]. The **Spearman rank correlation** (notebook 3) says whether
# they order the pixels alike: 1 = same order, 0 = unrelated.

# %% slideshow={"slide_type": "-"}
gradcam_maps, occlusion_maps, rho = {}, {}, {}
for p, c in PHOTOS.items():
    gradcam_maps[p] = helpers.gradcam(model, photos[p], c)
    occlusion_maps[p] = helpers.occlusion(model, photos[p], c, patch=PATCH, stride=STRIDE)
    rho[p] = helpers.spearman(gradcam_maps[p], occlusion_maps[p])
    print(f"{p:<15s} '{names[c]}': rank correlation Grad-CAM vs occlusion {rho[p]:+.2f}")
for p in PHOTOS:
    show_overlays(photos[p], [gradcam_maps[p], occlusion_maps[p]], ["Grad-CAM", f"occlusion {PATCH}/{STRIDE}"],
                  size=2.3, aspect=2.0 if p == "cat_and_coffee" else 1.0, suptitle=f"{p}: '{names[PHOTOS[p]]}'")

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Reading the numbers.** For "espresso" the two maps order the pixels alike on both photos with a
# cup. On `chelsea` they do not: the rank correlation is below zero (the figures: the peaks lie apart).
# Which one is right is a question for the model, and section 3 asks it. First, a trap. Occlusion scores
# a *probability*, and probabilities are shared: on `cat_and_coffee` "tiger cat" (282) and "Egyptian cat"
# (285) are close. Hide one square (the hottest of occlusion's map for "tiger cat") and see where the
# probability goes, for two square sizes:

# %% slideshow={"slide_type": "-"}
if list(PHOTOS)[:3] == ["coffee", "chelsea", "cat_and_coffee"]:   # what the paragraph above says
    assert rho["coffee"] > 0.5 and rho["cat_and_coffee"] > 0.5 and rho["chelsea"] < 0.3, rho
TIGER, EGYPTIAN, image = 282, 285, photos["cat_and_coffee"]
for patch, stride in ((56, 28), (32, 32)):
    m = helpers.occlusion(model, image, TIGER, patch=patch, stride=stride)
    y, x = (int(v) for v in np.unravel_index(m.argmax(), m.shape))
    y0, x0 = min(max(y - patch // 2, 0), 224 - patch), min(max(x - patch // 2, 0), 224 - patch)
    hidden = image.astype(np.float32)
    hidden[y0:y0 + patch, x0:x0 + patch] = GREY
    q0, q1 = (tf.nn.softmax(helpers.logits(model, im[None]))[0].numpy() for im in (image, hidden))
    side = "left (the cat)" if x < 112 else "right (the cup)"
    print(f"square {patch}/{stride}: peak on the {side}; tiger cat {q0[TIGER]:.3f} -> {q1[TIGER]:.3f}, "
          f"Egyptian cat {q0[EGYPTIAN]:.3f} -> {q1[EGYPTIAN]:.3f}, "
          f"all five cat classes {q0[281:286].sum():.3f} -> {q1[281:286].sum():.3f}")

# %% [markdown] slideshow={"slide_type": "subslide"}
# With one square size the hottest square for "tiger cat" lies on the **cup**: hiding it moves
# probability from "tiger cat" to "Egyptian cat" while the five cat classes together change far less
# (the printed numbers). Occlusion faithfully reports what the *probability* of one class does, and here
# that is not "where the cat is". Prefer a class with no close rival (espresso), or read the map of the
# rival classes too.

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 3 · Deletion and insertion: act on the map and watch the model
#
# Petsiuk et al. (2018) turned "is the map right?" into two experiments with forward passes only:
#
# * **deletion**: hide the pixels in the map's order, most salient first (grey, as above), and record
#   the class probability after each step. A faithful map makes it collapse early: **low area** is good.
# * **insertion**: start from a blurred copy and put the original pixels back in the map's order.
#   A faithful map makes the probability climb early: **high area** is good.
#
# Each curve costs `STEPS + 1` forward passes. We score the four CAM methods of notebook 3 (Grad-CAM
# also at two earlier layers), occlusion, RISE (random masks, `RISE_MASKS` forward passes) and three
# maps made **with no model at all**: uniform noise, Sobel edges, a centred Gaussian. A method is only
# as good as its margin over these.

# %% slideshow={"slide_type": "-"}
def all_maps(p, c):
    """Every map of photo p for class c: name -> (224, 224) in [0, 1]."""
    maps = {m: helpers.gradcam(model, photos[p], c, method=m) for m in ("gradcam", "gradcam++", "layercam")}
    maps["scorecam"] = helpers.gradcam(model, photos[p], c, method="scorecam")   # 32 masked passes
    for layer in LAYERS[1:]:
        maps[f"gradcam@{layer}"] = helpers.gradcam(model, photos[p], c, layer)
    maps["occlusion"] = occlusion_maps[p]
    maps["rise"] = helpers.rise(model, photos[p], c, masks=RISE_MASKS, seed=SEED)
    for kind in BASELINE_KINDS:                                   # random, sobel, centre
        maps[kind] = helpers.baseline_map(kind, photos[p], seed=SEED)
    return maps


maps, curves, areas = {}, {}, {}
t0 = time.perf_counter()
for p in TABLE:
    c = PHOTOS[p]
    maps[p] = all_maps(p, c)
    for name, m in maps[p].items():
        pair = (helpers.deletion(model, photos[p], m, c, steps=STEPS),
                helpers.insertion(model, photos[p], m, c, steps=STEPS))
        curves[p, name] = pair
        areas.setdefault(name, {})[p] = (pair[0].auc, pair[1].auc)
print(f"{sum(len(m) for m in maps.values())} maps, {2 * len(curves)} curves in {time.perf_counter() - t0:.0f} s")
print(format_ranking(areas, TABLE, baselines=BASELINE_KINDS))

# %% [markdown] slideshow={"slide_type": "subslide"}
# The table: for each map its deletion and insertion area on each photo, the means over the photos,
# and its rank by each mean (1 = best); `*` marks the model-free baselines. The curves behind one column:

# %% slideshow={"slide_type": "-"}
p = "chelsea"
shown = ("gradcam", "scorecam", "occlusion", "rise") + BASELINE_KINDS
fig = plot_faithfulness_curves({n: curves[p, n] for n in shown}, baselines=BASELINE_KINDS,
                               title=f"{p}, '{names[PHOTOS[p]]}': deletion and insertion")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 4 · Honest baselines: where a map with no model comes close, or wins
#
# Read every method against the three starred rows. The next cell says, from the table, which baselines
# score at least as well as Grad-CAM (or within 0.03 of it) on each photo.

# %% slideshow={"slide_type": "-"}
def verdict(p, k):
    """Which model-free maps match or beat Grad-CAM on photo p, metric k (0 deletion, 1 insertion)."""
    ours, sign = areas["gradcam"][p][k], (1 if k == 0 else -1)           # deletion: lower is better
    wins = [b for b in BASELINE_KINDS if sign * (areas[b][p][k] - ours) <= 0]
    close = [b for b in BASELINE_KINDS if b not in wins and sign * (areas[b][p][k] - ours) < 0.03]
    return ours, wins, close


for p in TABLE:
    for k, metric in enumerate(("deletion", "insertion")):
        ours, wins, close = verdict(p, k)
        said = ", ".join(f"{b} {areas[b][p][k]:.3f}" for b in wins) or "none"
        near = ", ".join(f"{b} {areas[b][p][k]:.3f}" for b in close) or "none"
        print(f"{p:<8s} {metric:<9s} Grad-CAM {ours:.3f} | baselines as good or better: {said} | within 0.03: {near}")
if TABLE == ("coffee", "chelsea") and STEPS == 16:              # what the text below and the summary say
    assert verdict("chelsea", 0)[1] == ["random", "sobel", "centre"] and "centre" in verdict("chelsea", 1)[1]
    assert all(areas[m]["coffee"][0] < min(areas[b]["coffee"][0] for b in ("centre", "sobel")) and
               areas[m]["coffee"][1] > max(areas[b]["coffee"][1] for b in ("centre", "sobel"))
               for m in ("gradcam", "occlusion", "rise"))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Deletion rewards destruction.** The random and Sobel maps delete *scattered* pixels, so after a few
# steps the whole picture is covered in grey speckles, a texture the model never saw in training, and
# the probability of any class collapses. The curve then measures how badly the picture was wrecked,
# not whether the evidence was removed. ROAD (Rong et al., 2022; pytorch-grad-cam's `metrics/road.py`)
# fixes this by filling each removed pixel from its neighbours. A cheap stand-in: hide pixels with the
# *blurred* photo instead of grey (`baseline="blur"`), so scattered deletions blend in.
#
# **Insertion rewards the photographer.** The centred Gaussian knows nothing about the model; it puts the
# middle of the picture back first, and on photos taken with the object in the middle that is where the
# object is. Where it matches or beats a method, that method's insertion area says little about *this
# model* (TorchRay's pointing game found the same: a fixed centre point scores 69.6 % on VOC07).

# %% slideshow={"slide_type": "-"}
p, c = "chelsea", PHOTOS["chelsea"]
blurred = {k: helpers.deletion(model, photos[p], maps[p][k], c, steps=STEPS, baseline="blur").auc
           for k in ("gradcam", "random")}
for k, auc in blurred.items():
    print(f"{p}, {k:<8s}: deletion area with grey pixels {areas[k][p][0]:.3f}, with blurred pixels {auc:.3f}")
gap_grey, gap_blur = areas["gradcam"][p][0] - areas["random"][p][0], blurred["gradcam"] - blurred["random"]
print(f"random's lead over Grad-CAM: {gap_grey:.3f} with grey, {gap_blur:.3f} with blur -> "
      + ("random still wins: on this photo Grad-CAM's order is no better than chance at removing the evidence"
         if gap_blur > 0 else "Grad-CAM now wins: the grey speckles were doing the work"))

# %% [markdown] slideshow={"slide_type": "subslide"}
# So the blur shrinks the artefact but, on `chelsea`, does not remove the verdict (the printed lead).
# The deletion curve says that hiding the pixels in Grad-CAM's order first is not the fastest way to make the model stop saying "Egyptian cat". On `coffee`, one compact object,
# Grad-CAM, occlusion and RISE all beat the centre and Sobel maps on both metrics. **One photo proves
# little**: a real evaluation averages over hundreds, and always prints the baselines beside the methods.
#
# ## 5 · Two different questions: the sanity check and the faithfulness metrics
#
# * The **cascading-randomisation check** (notebook 3) asks: *does the map depend on the model at all?*
#   It compares the map with itself after the weights are destroyed. The Sobel map would fail it at once:
#   it uses no model, so randomising the weights cannot change it (rank correlation 1 at every step).
# * **Deletion and insertion** ask: *does the map's order match what this model uses on this picture?*
#   The same Sobel map scored the best deletion area on `chelsea` above.
#
# A map can pass one and fail the other, so report both: the sanity check rules out maps that ignore the
# model; the curves, read against the baselines, measure how useful the rest are. Neither says whether
# the model is *right* (that was notebook 4's shortcut).
#
# ## 6 · Explore
#
# Slide the grey square with the sliders: the class probability and the Grad-CAM map of the occluded
# picture update, one forward pass per move (the position sliders end where the square meets the edge).

# %% slideshow={"slide_type": "-"}
from helpers.widgets import occluder

explorer = occluder(model, "cat_and_coffee", class_index=967)
explorer

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Where → what.** Grad-CAM says *where* the evidence is; this explorer asks *what* it is. Pick a cell of
# the map with the `row` and `col` sliders: below it are the channels of the layer that contribute most
# there (activation × gradient; all the channels' contributions add up to the map's value at the cell),
# each with its feature map over the whole picture and the pattern that drives it (a quick robust
# visualisation, 16 steps). Look for channels whose feature map lights up only on the cup (a part or
# object detector) rather than everywhere (a texture), and for the ones that stay when you switch the
# class to "tiger cat" at the same cell.

# %% slideshow={"slide_type": "-"}
from helpers.widgets import where_what_explorer

where_what = where_what_explorer(model, "cat_and_coffee", class_index=967)
where_what

# %% [markdown] slideshow={"slide_type": "slide"}
# ## 7 · Exercises
#
# Each exercise has an answer cell (`None` until you fill it in) and a check that prints ✓, ✗ with what
# is wrong, or ○ while there is no answer yet; `checks.hint(n)` gives a second hint.
#
# **Exercise 1.** The area under a curve: write `my_area(fractions, scores)` that returns the area under
# the polyline through the points (the trapezoid rule, as `helpers.deletion` uses). The fractions need
# not be evenly spaced.

# %% slideshow={"slide_type": "-"}
def my_area(fractions, scores):
    return None   # your code: one number

print(checks.area(my_area))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 2.** Occlusion by hand, one square: on `cat_and_coffee`, paint the 56 × 56 square whose
# top-left corner is at row 56, column 168 in `GREY` and compute how much the "espresso" probability
# falls (the picture's probability minus the occluded one's). Store it in `drop`.

# %% slideshow={"slide_type": "-"}
drop = None   # your code: use probability(...) from the top of the notebook

print(checks.occlusion_drop(model, photos["cat_and_coffee"], 967, (56, 168), 56, drop))

# %% [markdown] slideshow={"slide_type": "subslide"}
# **Exercise 3.** Does the blur of section 4 also tame the **Sobel** map? Compute its deletion area on
# `chelsea` (class 285, `STEPS` steps) with hidden pixels blurred, and store it in `sobel_blur_auc`.

# %% slideshow={"slide_type": "-"}
sobel_blur_auc = None   # your code: helpers.deletion(..., baseline=...).auc

print(checks.blurred_deletion(model, photos["chelsea"], 285, "sobel", sobel_blur_auc, steps=STEPS))

# %% slideshow={"slide_type": "-"}
print(f"notebook run time: {time.perf_counter() - START:.0f} s")

# %% [markdown] slideshow={"slide_type": "slide"}
# ## Summary
#
# * Occlusion is a loop of forward passes: hide, ask again, keep the fall. It needs no gradients, costs
#   `1 + ny × nx` passes, and scores a probability, so a close rival class can move its peak.
# * Deletion and insertion curves test a map against the model itself; their areas rank methods and layers.
# * Always print model-free baselines beside them: here random and Sobel maps won deletion on `chelsea`
#   (scattered grey pixels wreck the picture: the artefact ROAD fixes) and the centre blob won insertion.
# * The sanity check asks "does the map depend on the model?", the curves "does it match what the model
#   uses?": different questions, report both.
#
# **References.** Zeiler & Fergus, *Visualizing and Understanding Convolutional Networks*, ECCV 2014 ·
# Petsiuk et al., *RISE: Randomized Input Sampling for Explanation of Black-box Models*, BMVC 2018 ·
# Rong et al., *A Consistent and Efficient Evaluation Strategy for Attribution Methods* (ROAD), ICML 2022 ·
# Chattopadhay et al., *Grad-CAM++*, WACV 2018 · Selvaraju et al., *Grad-CAM*, ICCV 2017 ·
# Wang et al., *Score-CAM*, CVPR-W 2020 · Adebayo et al., *Sanity Checks for Saliency Maps*, NeurIPS 2018 ·
# Zhang et al., *Top-down Neural Attention by Excitation Backprop* (pointing game), ECCV 2016 ·
# Tan & Le, *EfficientNet*, ICML 2019.
