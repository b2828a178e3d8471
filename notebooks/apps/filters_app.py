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
# # What pattern does a filter look for?
#
# Each picture is made from grey noise by gradient ascent: its pixels were changed step by step until the chosen filter responded as strongly as possible. Pick a layer and a filter; the *atlas* button draws many filters at once.

# %%
import helpers
from helpers.widgets import filter_explorer

model = helpers.load_model()  # EfficientNet-Lite0, embedded: works offline
explorer = filter_explorer(model)
explorer

# %% [markdown]
# <small>convnet-vis · EfficientNet-Lite0 (ImageNet) · photos CC0 / public domain</small>
