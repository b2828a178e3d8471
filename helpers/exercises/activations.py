"""Checks for notebook 1 (intermediate activations). Each takes the notebook's data and the
learner's answer and returns a :class:`~._result.Result`; none raises on a wrong answer.

Example:
    >>> maps = {"stem_activation": np.zeros((4, 4, 3), np.float32)}
    >>> maps["stem_activation"][0, 0] = [1.0, 0.5, 0.0]      # channel 2 is dead, channel 1 the weakest live
    >>> print(weakest_live_channel(maps["stem_activation"], 1))
    ✓ correct: channel 1 has the smallest mean (0.031) of the 2 live channels, and peaks at 0.50
    >>> print(weakest_live_channel(maps["stem_activation"], 2))
    ✗ not quite: channel 2 is dead (zero everywhere on this image): the weakest *live* channel is non-zero somewhere
"""
from __future__ import annotations

import numpy as np

from ..layers import iter_layers, layer_names
from ._result import Result, as_int, failed, layer_name, passed, unanswered, unknown_name

__all__ = ["TIE", "WHISKER_RATIO", "first_mostly_dead", "quarter_layer", "weakest_live_channel", "whisker_ratio",
           "whiskers"]

WHISKER_RATIO = 3.0     # exercise 1: the whisker boxes must be this many times more active than the rest
TIE = 1e-6              # two channel means closer than this (relative) are a tie


def whisker_ratio(fmap: np.ndarray) -> float:
    """Mean activation on chelsea's whiskers (bottom-left and bottom-right boxes, drawn at 224 px)
    over the mean on the rest of the face, the image border ignored."""
    h, w = fmap.shape
    s, b = h / 224, max(1, round(h * 0.04))
    box = np.zeros((h, w), bool)
    box[int(172 * s):, :int(100 * s)] = True
    box[int(165 * s):, int(185 * s):] = True
    inner = np.zeros((h, w), bool)
    inner[b:-b, b:-b] = True
    return float(fmap[box & inner].mean() / (fmap[~box & inner].mean() + 1e-3))


def whiskers(maps: dict, layer, channel, image_name: str = "chelsea") -> Result:
    """Exercise 1: a channel of a block-2 layer that fires on the cat's whiskers >= 3x the rest."""
    if image_name != "chelsea":
        return unanswered("this exercise is about the cat photo: set IMAGE = 'chelsea' and re-run")
    if channel is None:
        return unanswered("move the channel slider and watch the bottom corners")
    layer = layer_name(layer)
    if layer not in maps:
        return unknown_name("a layer whose maps were computed", layer, [n for n in maps if n.startswith("block2")])
    if not layer.startswith("block2"):
        return failed(f"{layer!r} is not in block 2: pick a layer whose name starts with 'block2'")
    index = as_int(channel, "channel", maps[layer].shape[-1])
    if isinstance(index, Result):
        return index
    ratio = whisker_ratio(maps[layer][..., index])
    if ratio >= WHISKER_RATIO:
        return passed(f"channel {index} of {layer} is {ratio:.1f}x more active on the whiskers than elsewhere")
    return failed(f"channel {index} is only {ratio:.1f}x more active on the whiskers than on the rest of the face "
                  f"(need {WHISKER_RATIO:g}x): look for a map that is bright in the bottom corners only")


def first_mostly_dead(maps: dict, order: list[str], answer) -> Result:
    """Exercise 2: the first layer of ``order`` where more than half of the channels are dead."""
    dead = {n: float((maps[n].reshape(-1, maps[n].shape[-1]).max(0) <= 0).mean()) for n in order}
    truth = next((n for n in order if dead[n] > 0.5), None)
    if answer is None:
        return unanswered("use helpers.dead_channels(everything[name]).mean() on each layer, in order")
    answer = layer_name(answer)
    if truth is None:
        return failed("on this image no layer has more than half of its channels dead: use IMAGE = 'chelsea'")
    if answer not in dead:
        return unknown_name("one of activation_layers", answer, order)
    if answer == truth:
        return passed(f"{truth} is the first layer with more than half of its channels dead ({dead[truth]:.0%})")
    if dead[answer] <= 0.5:
        return failed(f"{answer!r} has {dead[answer]:.0%} dead channels: that is not more than half")
    return failed(f"{answer!r} has {dead[answer]:.0%} dead channels, but an earlier layer already has more "
                  "than half: go through activation_layers from the start")


def quarter_layer(model, answer) -> Result:
    """Exercise 3: the first convolution or pooling layer whose output is a quarter of the input width."""
    quarter = model.input_shape[1] // 4
    shapes = dict(layer_names(model, kinds=("conv", "pool"), with_shapes=True))
    truth = next(n for n, s in shapes.items() if s[0] == quarter)
    if answer is None:
        return unanswered("find where the size first becomes 56: the table of where the size changes")
    answer = layer_name(answer)
    if answer not in shapes:
        every = {ref.name: ref.layer for ref in iter_layers(model)}
        if answer in every:
            return failed(f"{answer!r} is a {type(every[answer]).__name__}, not a convolution or pooling layer: "
                          "the size changes in a layer before it")
        return unknown_name("a convolution or pooling layer", answer, shapes)
    size = shapes[answer][0]
    if answer == truth:
        layer = model.get_layer(truth)
        how = f"stride {layer.strides[0]}" if hasattr(layer, "strides") else "pooling"
        return passed(f"{truth} is a {type(layer).__name__} ({how}) that halves {2 * quarter} -> {quarter}")
    if size == quarter:
        return failed(f"{answer!r} outputs {size}x{size}, but an earlier layer already made it {quarter}: "
                      "find where the size changes")
    return failed(f"{answer!r} outputs {size}x{size}, not {quarter}x{quarter}")


def weakest_live_channel(acts: np.ndarray, answer) -> Result:
    """Exercise 4: the live channel (non-zero somewhere) with the smallest mean activation; ties all count."""
    flat = np.asarray(acts, np.float64).reshape(-1, acts.shape[-1])
    peaks, means = flat.max(0), flat.mean(0)
    live = np.flatnonzero(peaks > 0)
    if answer is None:
        return unanswered("switch the explorer to 'layer' normalisation, then confirm with numpy")
    index = as_int(answer, "channel", flat.shape[1])
    if isinstance(index, Result):
        return index
    if len(live) == 0:
        return failed("every channel is dead on this image: try another image")
    lowest = means[live].min()
    winners = [int(c) for c in live if means[c] <= lowest * (1 + TIE) + 1e-12]
    if index in winners:
        tie = f" (tied with {[c for c in winners if c != index]})" if len(winners) > 1 else ""
        return passed(f"channel {index} has the smallest mean ({means[index]:.3f}) of the {len(live)} live "
                      f"channels{tie}, and peaks at {peaks[index]:.2f}")
    if peaks[index] <= 0:
        return failed(f"channel {index} is dead (zero everywhere on this image): the weakest *live* channel "
                      "is non-zero somewhere")
    return failed(f"channel {index} has a mean of {means[index]:.3f} (peak {peaks[index]:.2f}); a live channel "
                  f"with a smaller mean exists: compare means, not how busy a map looks")
