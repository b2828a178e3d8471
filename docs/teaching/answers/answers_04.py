"""Answer key, notebook 4 (debug a model you trained). Each function takes the notebook's variables
(``nb.acc_before``, ``nb.selectivity``, ``nb.hits_moved``, ...) and returns what a learner would type
into the answer cell. tests/exercises/test_exercises.py runs these answers through the notebook's checks,
on the bundled pre-trained weights (``PRETRAINED = True``), which give the same answers as the default
training at SEED = 0.

With the default settings (measured 2026-12-02, seeds 0-2 and the bundled weights): the shortcut model
scores 0-1.3 % on `swapped` (option c); its marker detector in conv2 stands out (selectivity about 3.4-4.2
against a median of 0.2-1.3); with the marker moved to the bottom-right corner the model still calls the
circles circles, and whether Grad-CAM's peak follows the marker depends on the run (seeds 0 and 1: in every
image; seed 2: in 2.5 %), so exercise 3's answer is "look, then answer": True for SEED = 0.
"""
import numpy as np


def exercise_1(nb):
    """The swapped set puts the marker on the wrong class: a marker reader is wrong almost every time."""
    return "c"


def exercise_2(nb):
    """The channel with the highest selectivity for the marker box."""
    return int(np.argsort(nb.selectivity)[-1])


def exercise_3(nb):
    """SEED = 0 (and the bundled weights): the peak lands on the moved marker in most images."""
    return True
