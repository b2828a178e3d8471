"""The contract's own exception types, and OpenCV / TensorFlow errors turned into contract errors."""

from __future__ import annotations

import cv2
import tensorflow as tf

__all__ = ["FOREIGN_ERRORS", "ArgumentTypeError", "IndexTypeError", "LayerTypeError", "contract_error"]


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong type (also a ValueError, which callers may already catch)."""


class IndexTypeError(TypeError, IndexError):
    """An index of the wrong type (also an IndexError, like an index out of range)."""


class LayerTypeError(ArgumentTypeError, KeyError):
    """A layer given as neither a name nor a layer (also a KeyError, like an unknown name)."""

    __str__ = Exception.__str__  # the message, not KeyError's repr of it


FOREIGN_ERRORS = (cv2.error, tf.errors.OpError)  # turned into a ValueError by contract_error


def contract_error(err: Exception, what: str) -> Exception:
    """A contract ValueError for an OpenCV / TensorFlow error raised while doing ``what``
    (raise it ``from None``); memory exhaustion says so."""
    first = str(err).strip().splitlines()[0][:300] if str(err).strip() else type(err).__name__
    if isinstance(err, tf.errors.ResourceExhaustedError):
        return ValueError(f"{what}: out of memory ({first}); use a smaller image, size or batch")
    return ValueError(f"{what} failed: {first}")
