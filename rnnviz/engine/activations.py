"""Numerically stable activations, in the notebook's conventions.

Forward::

    sigmoid(z) = 1 / (1 + exp(-z))          computed from exp(-|z|), so it never overflows
    softmax(z)_i = exp(z_i - max z) / sum_j exp(z_j - max z)   over axis 0 (each column)
    log_softmax(z)_i = z_i - max z - log sum_j exp(z_j - max z)

Backward (used by rnnviz.engine.lstm and rnnviz.engine.losses)::

    d sigmoid(z) / dz = sigmoid(z) (1 - sigmoid(z))       d tanh(z) / dz = 1 - tanh(z)^2
    softmax + cross-entropy with class y:  dL/dz = softmax(z) - onehot(y)

Both saturate exactly: sigmoid(1e4) == 1.0, sigmoid(-1e4) == 0.0, softmax of a column with
one logit 1e4 above the rest is exactly one-hot, and no overflow, underflow or invalid-value
warning is raised for any finite input (underflow to 0 is the exact saturation, so it is
silenced inside).
"""

from __future__ import annotations

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    """Logistic sigmoid, elementwise and stable for any finite z.

    Args:
        z: array of any shape.

    Returns:
        array of z's shape with values in [0, 1].
    """
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(under="ignore"):  # exp(-|z|) rounding to 0 is the exact saturation
        e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
        inverse = 1.0 / (1.0 + e)
        return np.where(z >= 0, inverse, e * inverse)


def softmax(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Softmax over axis 0, so each column (one example at one timestep) sums to 1.

    Args:
        z: (n_y, ...) logits, e.g. (n_y, m) or (n_y, m, T_x).
        out: optional array of z's shape to write the result into (may be z itself).

    Returns:
        array of z's shape; every slice along axis 0 sums to 1.
    """
    z = np.asarray(z, dtype=np.float64)
    # exp of a very negative shift rounds to 0, and a shift past -1.8e308 (logits further
    # apart than float64 reaches) to -inf, whose exp is 0 too: both exact
    with np.errstate(under="ignore", over="ignore"):
        e = np.subtract(z, z.max(axis=0, keepdims=True), out=out)
        np.exp(e, out=e)
        e /= e.sum(axis=0, keepdims=True)
    return e


def log_softmax(z: np.ndarray) -> np.ndarray:
    """log(softmax(z)) over axis 0, computed without taking the log of a rounded zero.

    Args:
        z: (n_y, ...) logits.

    Returns:
        array of z's shape, all values <= 0.
    """
    z = np.asarray(z, dtype=np.float64)
    shifted = z - z.max(axis=0, keepdims=True)
    with np.errstate(under="ignore"):
        return shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))
