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
# # Where did the network look?
#
# Grad-CAM colours each part of the photo by how much it pushed the network towards the chosen class (red: strong evidence). Try the cat-and-coffee photo with *tiger cat*, then *espresso*; turn on *counterfactual* to see what argues against a class.

# %%
import helpers
from helpers.widgets import gradcam_explorer

model = helpers.load_model()  # EfficientNet-Lite0, embedded: works offline
explorer = gradcam_explorer(model)
explorer

# %% [markdown]
# <small>convnet-vis · EfficientNet-Lite0 (ImageNet) · photos CC0 / public domain</small>
