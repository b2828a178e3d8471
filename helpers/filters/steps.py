"""Step rules: how the parameters move along the gradient of the objective (uphill).

* :func:`normalized` -- ``x <- x + rate * g / ||g||`` (the textbook: DLwP 2nd ed., keras.io).
  Every step has the same length whatever the layer's scale, and an all-zero gradient stays
  zero (which is how a stuck filter is detected).
* :func:`adam` -- ``keras.optimizers.Adam`` on the negated objective (Lucid / lucent use Adam,
  learning rate 0.05, on the Fourier parameters).

A :class:`StepRule` is a recipe; :func:`helpers.filters.ascend` calls ``rule.build(variable)``
once per compiled ascent to get a :class:`Stepper`, whose ``reset(rate)`` and ``apply(grad)`` run
inside the compiled loop (the rate is a variable: changing it never retraces).

Example:
    >>> v = tf.Variable([0.0, 0.0])
    >>> stepper = normalized().build(v)
    >>> stepper.reset(2.0); stepper.apply(tf.constant([3.0, 4.0])); v.numpy()
    array([1.2, 1.6], dtype=float32)
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import tensorflow as tf

from ..validation import check_number, check_positive

__all__ = ["StepRule", "Stepper", "adam", "normalize_gradient", "normalized"]


def normalize_gradient(gradient, epsilon: float = 1e-12):
    """The gradient divided by its global L2 norm (``tf.math.l2_normalize``; DLwP 2nd ed. and
    keras.io); an all-zero gradient stays zero.

    Example:
        >>> normalize_gradient(np.array([3.0, 4.0])).numpy()
        array([0.6, 0.8])
    """
    g = tf.convert_to_tensor(gradient)
    return g * tf.math.rsqrt(tf.maximum(tf.reduce_sum(g * g), tf.cast(epsilon, g.dtype)))


class Stepper:
    """Moves one variable uphill; built by a :class:`StepRule` for that variable."""

    def __init__(self, variable: tf.Variable):
        self.variable = variable
        self.rate = tf.Variable(0.0, trainable=False, dtype=tf.float32)

    def reset(self, rate) -> None:
        """Forget any state (momentum) and set the step size / learning rate."""
        self.rate.assign(tf.cast(rate, tf.float32))

    def apply(self, grad) -> None:
        raise NotImplementedError


class _Normalized(Stepper):
    def apply(self, grad) -> None:
        self.variable.assign_add(self.rate * normalize_gradient(grad))


class _Adam(Stepper):
    def __init__(self, variable, beta_1, beta_2, epsilon):
        super().__init__(variable)
        self.optimizer = keras.optimizers.Adam(learning_rate=0.001, beta_1=beta_1, beta_2=beta_2,
                                               epsilon=epsilon)
        self.optimizer.build([variable])

    def reset(self, rate) -> None:
        for v in self.optimizer.variables:   # iteration count, moments (and the learning rate, set next)
            v.assign(tf.zeros(v.shape, v.dtype))
        self.optimizer.learning_rate = tf.cast(rate, tf.float32)   # assigns the optimizer's variable

    def apply(self, grad) -> None:
        self.optimizer.apply_gradients([(-grad, self.variable)])   # Adam minimises: ascend on -objective


@dataclass(frozen=True)
class StepRule:
    """A step rule: ``kind`` and its fixed settings (the structure, compiled once) and ``rate``
    (the step length or learning rate, a number that changes nothing compiled)."""

    kind: str
    rate: float
    settings: tuple = ()

    @property
    def key(self) -> tuple:
        return (self.kind,) + self.settings

    def build(self, variable: tf.Variable) -> Stepper:
        if self.kind == "normalized":
            return _Normalized(variable)
        beta_1, beta_2, epsilon = self.settings
        return _Adam(variable, beta_1, beta_2, epsilon)


def normalized(step: float = 1.0) -> StepRule:
    """Steps of length ``step`` along the L2-normalised gradient.

    Example:
        >>> normalized(10 * 127.5)
        StepRule(kind='normalized', rate=1275.0, settings=())
    """
    return StepRule("normalized", check_positive("step", step))


def adam(learning_rate: float = 0.05, beta_1: float = 0.9, beta_2: float = 0.999,
         epsilon: float = 1e-8) -> StepRule:
    """``keras.optimizers.Adam`` steps uphill (defaults: Lucid's learning rate 0.05, PyTorch's
    epsilon 1e-8 as lucent).

    Example:
        >>> adam(0.1).key
        ('adam', 0.9, 0.999, 1e-08)
    """
    return StepRule("adam", check_positive("learning_rate", learning_rate),
                    (check_number("beta_1", beta_1, 0.0, 1.0), check_number("beta_2", beta_2, 0.0, 1.0),
                     check_positive("epsilon", epsilon)))
