"""Answer key, notebook 3 (Grad-CAM). Each function takes the notebook's variables (``nb.model``,
``nb.image``, ``nb.LAYER``, ``nb.by_size``, ...) and returns what a learner would type into the
answer cell. tests/exercises/test_exercises.py runs these answers through the notebook's checks.

On "cat_and_coffee" with EfficientNet-Lite0: exercise 5 accepts every 28x28 layer (block3a_dwconv
to block4a_expand_activation, e.g. block3b_add); exercise 3 accepts the map at 14x14, or at 224x224
upsampled any standard way (cv2, Pillow, TensorFlow).
"""
import keras
import numpy as np
import tensorflow as tf

import helpers


def exercise_1(nb):
    return lambda grads: np.mean(grads, axis=(0, 1))   # one weight per channel: the spatial average


def exercise_2(nb):
    m = helpers.gradcam(nb.model, nb.image, 968, nb.LAYER)
    return m[:, nb.half:].sum() / m.sum()


def exercise_3(nb):
    """Grad-CAM of 'espresso' at the 14x14 layer, written out (plain Keras + GradientTape)."""
    layer = nb.by_size[14]
    grad_model = keras.Model(nb.model.inputs, [nb.model.get_layer(layer).output, nb.model.output])
    with tf.GradientTape() as tape:
        maps, logits = grad_model(tf.constant(nb.image[None].astype("float32")))
        score = logits[:, nb.ESPRESSO]
    weights = tf.reduce_mean(tape.gradient(score, maps), axis=(1, 2))
    heat = tf.nn.relu(tf.einsum("bhwc,bc->bhw", maps, weights))[0].numpy()
    return heat / (heat.max() + 1e-7)


def exercise_4(nb):
    *_, (name, randomised) = helpers.cascading_randomization(nb.model, steps=1)
    return helpers.spearman(helpers.gradient_saliency(nb.model, nb.image, nb.CAT),
                            helpers.gradient_saliency(randomised, nb.image, nb.CAT))


def exercise_5(nb):
    return "block3b_add"   # 28x28: each cell covers 224 / 28 = 8 pixels
