"""Answer key, notebook 5 (is the explanation right?). Each function takes the notebook's variables
(``nb.model``, ``nb.photos``, ``nb.GREY``, ``nb.STEPS``, ...) and returns what a learner would type into
the answer cell. tests/exercises/test_exercises.py runs these answers through the notebook's checks.
"""
import numpy as np
import tensorflow as tf

import helpers


def exercise_1(nb):
    # the trapezoid rule: each step's width times the mean of its two ends
    return lambda f, s: float(np.sum(np.diff(f) * (np.asarray(s)[1:] + np.asarray(s)[:-1]) / 2))


def exercise_2(nb):
    image = nb.photos["cat_and_coffee"].astype(np.float32)
    hidden = image.copy()
    hidden[56:112, 168:224] = nb.GREY
    p = [float(tf.nn.softmax(helpers.logits(nb.model, im[None]))[0, 967]) for im in (image, hidden)]
    return p[0] - p[1]


def exercise_3(nb):
    photo = nb.photos["chelsea"]
    return helpers.deletion(nb.model, photo, helpers.baseline_map("sobel", photo), 285, steps=nb.STEPS,
                            baseline="blur").auc
