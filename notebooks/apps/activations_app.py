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
# # What does each layer see?
#
# Pick a photo (or upload your own), then a layer: every tile is one feature map, the output of one filter. Move the channel slider to see one map large. Early layers keep edges and colours; deep layers are small, abstract and mostly dark (sparse).

# %%
import helpers
from helpers.widgets import activation_explorer

model = helpers.load_model()  # EfficientNet-Lite0, embedded: works offline
explorer = activation_explorer(model)
explorer

# %% [markdown]
# <small>convnet-vis · EfficientNet-Lite0 (ImageNet) · photos CC0 / public domain</small>
