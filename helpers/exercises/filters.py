"""Checks for notebook 2 (filter visualisation). The learner writes the ascent's loss and step and the
noise measure; each check runs the learner's function on test inputs and names what is wrong.

Example:
    >>> print(loss(lambda maps, f: tf.reduce_mean(maps[:, 2:-2, 2:-2, f])))
    ✓ correct: the mean of filter f's map with a 2-pixel border cropped, and it is differentiable
    >>> print(loss(lambda maps, f: tf.reduce_mean(maps[..., f])))  # doctest: +ELLIPSIS
    ✗ not quite: you averaged the whole map: crop the 2-pixel border first (maps[:, 2:-2, 2:-2, f]), ...
"""
from __future__ import annotations

import sys

import numpy as np
import tensorflow as tf

from ..filters import filter_activations, filter_patterns, start_image
from ._result import Hints, Result, as_int, failed, passed, raised, unanswered

__all__ = ["BORDER", "GAIN", "HINTS", "REASONS", "failing_filter", "filter_gain", "high_frequency_share", "hint",
           "loss", "scan", "step"]

BORDER = 2
GAIN = 10.0  # exercise 3: a pattern should drive its filter to GAIN x the start image's activation
REASONS = {
    "a": "it already responds strongly (positively or negatively) to the gray start image: 10 x |start| is a high bar",
    "b": "the ascent cannot move it: its gradient is zero where the filter is off",
    "c": "the step is too small for this layer",
}


# A second hint per exercise, for a learner who is stuck: a question or a test case to try by hand,
# never the line of code itself (the answer keys are in docs/teaching/answers/).
HINTS = {
    1: "A layer's output is indexed maps[image, row, column, filter]. Which slice keeps filter f only, without its "
       "2 outermost rows and columns on each side? Then: which TensorFlow function averages a tensor?",
    2: "Work it out on paper with grad = [3, 4]: how long is that vector (its L2 norm)? What must you multiply it "
       "by to get a vector of length 1 pointing the same way, then one of length eta? Now try grad = [0, 0].",
    3: "Call gain(f) for a few filters (scan(...) runs many with a progress bar) and compare final with "
       "10 x |start|. For a filter that stays below: did it move at all (final - start)? Which reason fits that?",
    4: "Test your function on pictures you can predict: a checkerboard (pixels alternate every pixel) has all "
       "its power at 0.5 cycles per pixel, so its share is 1; a smooth blob has almost none above 0.25.",
}


hint = Hints(2, HINTS)
"""A second hint for an exercise of notebook 2: ``hint(n)``, a question to work on, not the answer."""


def _close(a, b, tol=1e-4) -> bool:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=tol, atol=tol))


def _value(out):
    return None if out is None else np.asarray(out.numpy() if hasattr(out, "numpy") else out, np.float64)


def loss(my_loss) -> Result:
    """Exercise 1: ``my_loss(maps, f)`` = mean of ``maps[:, 2:-2, 2:-2, f]``, differentiable."""
    maps = tf.constant(np.random.default_rng(1).normal(size=(1, 9, 11, 6)).astype("float32"))
    f = 4
    with tf.GradientTape() as tape:
        tape.watch(maps)
        try:
            out = my_loss(maps, f)
        except Exception as e:  # noqa: BLE001 -- the learner's code: report, never a traceback
            return raised("my_loss(maps, f)", e)
    value = _value(out)
    if value is None:
        return unanswered("return the mean of one filter's map, border cropped, as a tf tensor "
                          "(stuck? print(checks.hint(1)))")
    if value.size != 1:
        return failed(f"return one number (the loss), not an array of shape {value.shape}")
    m = maps.numpy()
    wrong = {
        "you averaged the whole map: crop the 2-pixel border first (maps[:, 2:-2, 2:-2, f]), border pixels see "
        "padding": m[..., f].mean(),
        "you averaged every filter: take channel f only ([..., f])": m[:, 2:-2, 2:-2, :].mean(),
        "you summed: the textbook takes the mean (reduce_mean), so the loss does not grow with the map's size":
            m[:, 2:-2, 2:-2, f].sum(),
        "you cropped 1 pixel: the recipe crops 2": m[:, 1:-1, 1:-1, f].mean(),
    }
    if not _close(value.reshape(()), m[:, BORDER:-BORDER, BORDER:-BORDER, f].mean()):
        why = next((w for w, v in wrong.items() if _close(value.reshape(()), v)), None)
        return failed(why or f"for a test map the loss should be {m[:, 2:-2, 2:-2, f].mean():.4f}, yours is "
                      f"{float(value.reshape(())):.4f}")
    grad = tape.gradient(out, maps) if isinstance(out, tf.Tensor) else None
    if grad is None:
        return failed("right value, but no gradient flows through it: use TensorFlow ops (tf.reduce_mean), "
                      "not numpy, inside the tape")
    return passed("the mean of filter f's map with a 2-pixel border cropped, and it is differentiable")


def step(my_step) -> Result:
    """Exercise 2: ``my_step(image, grad, eta)`` = one gradient-ascent step of length ``eta``.

    The L2 norm over the whole gradient (DLwP 2nd ed., keras.io) and per pixel over the colour
    axis (3rd ed., ``keras.ops.normalize``) are both accepted."""
    rng = np.random.default_rng(2)
    image = tf.constant(rng.uniform(100, 150, (1, 6, 5, 3)).astype("float32"))
    grad = tf.constant(rng.normal(0, 1e-3, (1, 6, 5, 3)).astype("float32"))
    eta = 5.0
    try:
        out = _value(my_step(image, grad, eta))
        still = _value(my_step(image, tf.zeros_like(grad), eta))
    except Exception as e:  # noqa: BLE001
        return raised("my_step(image, grad, eta)", e)
    if out is None:
        return unanswered("which vector points the way grad points but has length 1? Scale it to length eta "
                          "(stuck? print(checks.hint(2)))")
    x, g = image.numpy().astype(np.float64), grad.numpy().astype(np.float64)
    if out.shape != x.shape:
        return failed(f"return the new image, shape {x.shape}, not {out.shape}")
    whole = x + eta * g / np.linalg.norm(g)
    pixel = x + eta * g / np.linalg.norm(g, axis=-1, keepdims=True)
    if _close(out, x - (whole - x)) or _close(out, x - (pixel - x)):
        return failed("you stepped downhill: gradient *ascent* adds the gradient (image + ...)")
    if _close(out, x + eta * g) or _close(out, x + g):
        return failed("the step's length depends on the gradient's size: divide grad by its L2 norm "
                      "(tf.norm(grad)) so every step has length eta")
    if not (_close(out, whole) or _close(out, pixel)):
        return failed(f"the step should have length eta = {eta} (L2 norm of new - old); yours has "
                      f"{np.linalg.norm(out - x):.4g}")
    if still is None or not np.all(np.isfinite(still)):
        return failed("a zero gradient gives NaN (0 / 0): add a small epsilon to the norm")
    how = "over the whole gradient (2nd ed.)" if _close(out, whole) else "per pixel (3rd ed., keras.ops.normalize)"
    return passed(f"a normalised step of length eta, L2 norm {how}; a zero gradient leaves the image as it is")


def filter_gain(model, layer: str, f: int, *, size: int, steps: int, seed: int = 0) -> tuple[float, float]:
    """(start, final): filter ``f``'s mean activation on the gray start image and on its classic pattern."""
    pattern = filter_patterns(model, layer, f, size=size, steps=steps, seed=seed)
    start = filter_activations(model, layer, start_image(size, seed))[0, f]
    final = filter_activations(model, layer, pattern)[0, f]
    return float(start), float(final)


def scan(gain, filters, *, progress: bool = True) -> dict:
    """``{f: gain(f)}`` for every filter of ``filters``, in order, with a progress bar (tqdm.auto: a
    widget in Jupyter; text on stdout elsewhere, never stderr). ``gain`` caches, so a second scan is instant.

    Example:
        >>> scan(lambda f: (1.0, 2.0 * f), range(3), progress=False)
        {0: (1.0, 0.0), 1: (1.0, 2.0), 2: (1.0, 4.0)}
    """
    todo = list(filters)
    if not progress:
        return {f: gain(f) for f in todo}
    from tqdm.auto import tqdm

    return {f: gain(f) for f in tqdm(todo, desc="filters", file=sys.stdout, leave=False)}


def failing_filter(gain, n_filters: int, answer, why) -> Result:
    """Exercise 3: a filter whose pattern stays below 10x its start activation, and the reason.

    ``gain(f)`` returns ``(start, final)`` mean activations (:func:`filter_gain`); the reason, one
    letter of :data:`REASONS`, is judged against those two numbers."""
    if answer is None or why is None:
        return unanswered("try filters with gain(f) until one stays below 10x, then pick a reason from REASONS "
                          "(stuck? print(checks.hint(3)))")
    index = as_int(answer, "filter", n_filters)
    if isinstance(index, Result):
        return index
    answer = index
    try:
        start, final = gain(answer)
    except Exception as e:  # noqa: BLE001
        return raised(f"gain({answer})", e)
    ratio = final / max(abs(start), 1e-9)
    if ratio >= GAIN:
        return failed(f"filter {answer} reaches {ratio:.1f}x its start ({start:.2f} -> {final:.2f}): "
                      f"that is not a failure")
    why = str(why).strip().strip("()[]'\" ").lower()[:1]   # "A", " a ", "(a)" are the letter a
    if why not in REASONS:
        return failed(f"answer WHY with one letter of {sorted(REASONS)}")
    moved = final - start
    truth = "b" if moved < 0.1 * max(abs(start), 1.0) else "a"
    if why == truth:
        return passed(f"filter {answer}: {start:.2f} -> {final:.2f} ({ratio:.1f}x): {REASONS[why]}")
    if why == "c":
        return failed("the step is normalised: its size is the same for every filter, so that cannot explain "
                      f"one filter; filter {answer} went {start:.2f} -> {final:.2f}")
    return failed(f"filter {answer} went {start:.2f} -> {final:.2f}: "
                  + ("it did move a lot, so the gradient was not zero" if why == "b"
                     else "it barely moved from its start, so look at the gradient"))


def _reference_share(p, strict=True):
    g = np.asarray(p, np.float64).mean(-1)
    g = g - g.mean()
    power = np.abs(np.fft.fft2(g)) ** 2
    f = np.hypot(*np.meshgrid(np.fft.fftfreq(g.shape[1]), np.fft.fftfreq(g.shape[0])))
    high = f > 0.25 if strict else f >= 0.25
    return power[high].sum() / max(power.sum(), 1e-30)


def high_frequency_share(my_share) -> Result:
    """Exercise 4: ``my_share(picture)`` = share of the power above 1/4 cycle per pixel (``>`` or ``>=``)."""
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[:48, :64]
    tests = {
        "noise": rng.uniform(0, 255, (48, 64, 3)),
        "stripes": np.repeat((127 + 100 * np.cos(2 * np.pi * 0.25 * xx))[..., None], 3, -1),
        "checkerboard": np.repeat((((yy + xx) % 2) * 200.0 + 20)[..., None], 3, -1),
        "bright blob": np.repeat((200 + 50 * np.exp(-((yy - 24) ** 2 + (xx - 30) ** 2) / 50))[..., None], 3, -1),
    }
    try:
        mine = {k: my_share(v.astype(np.uint8)) for k, v in tests.items()}
    except Exception as e:  # noqa: BLE001
        return raised("high_frequency_share(picture)", e)
    if all(v is None for v in mine.values()):
        return unanswered("which coefficients count as high frequency, and what share of the total power do "
                          "they hold? (stuck? print(checks.hint(4)))")
    got = {k: float(np.asarray(v)) for k, v in mine.items()}
    for strict in (True, False):
        if all(abs(got[k] - _reference_share(v.astype(np.uint8), strict)) < 1e-6 for k, v in tests.items()):
            edge = "f > 0.25" if strict else "f >= 0.25 (the 0.25 boundary counted as high)"
            return passed(f"shares match on noise, stripes, a checkerboard and a blob ({edge})")
    blob = tests["bright blob"].astype(np.uint8)
    g = blob.astype(np.float64).mean(-1)
    no_mean = np.abs(np.fft.fft2(g)) ** 2
    f = np.hypot(*np.meshgrid(np.fft.fftfreq(64), np.fft.fftfreq(48)))
    if abs(got["bright blob"] - no_mean[f > 0.25].sum() / no_mean.sum()) < 1e-6:
        return failed("remove the gray picture's mean first: otherwise the constant (DC) term dominates the power")
    worst = max(got, key=lambda k: abs(got[k] - _reference_share(tests[k].astype(np.uint8))))
    return failed(f"on the {worst} test picture the share should be "
                  f"{_reference_share(tests[worst].astype(np.uint8)):.4f}, yours is {got[worst]:.4f} "
                  "(gray = mean of the colours, mean removed, |fft2|^2, frequency = hypot(fx, fy))")
