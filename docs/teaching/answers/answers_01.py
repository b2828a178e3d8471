"""Answer key, notebook 1 (intermediate activations). Each function takes the notebook's variables
(``nb.model``, ``nb.everything``, ``nb.activation_layers``, ...) and returns what a learner would
type into the answer cell. tests/exercises/test_exercises.py runs these answers through the notebook's checks.
On the cat photo ("chelsea"): block2b_expand_activation channels 20, 25, 75, 79 (whiskers); block6d_activation
is the first layer with more than half of its channels dead; block2a_dwconv (stride 2) makes 112 -> 56;
stem_activation channel 3 is the weakest live channel (mean 0.004, peak 0.94).
"""
import numpy as np


def exercise_1(nb):
    """A whisker channel of WHISKER_LAYER (block2b_expand_activation), read off the explorer; 79 is the clearest."""
    return 79


def exercise_2(nb):
    """The first activation layer where more than half of the channels are zero everywhere."""
    for name in nb.activation_layers:
        peaks = nb.everything[name].reshape(-1, nb.everything[name].shape[-1]).max(axis=0)
        if np.mean(peaks <= 0) > 0.5:
            return name


def exercise_3(nb):
    """The first conv/pool layer whose output is 56 pixels wide."""
    for layer in nb.model.layers:
        shape = getattr(layer, "output", None) is not None and tuple(layer.output.shape)
        if shape and len(shape) == 4 and shape[1] == nb.model.input_shape[1] // 4:
            return layer.name


def exercise_4(nb):
    """The live channel (max > 0) of stem_activation with the smallest mean."""
    a = nb.everything["stem_activation"]
    peaks, means = a.max(axis=(0, 1)), a.mean(axis=(0, 1))
    means = np.where(peaks > 0, means, np.inf)
    return int(np.argmin(means))
