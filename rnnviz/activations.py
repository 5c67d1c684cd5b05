"""Numerically stable activations, in the notebook's conventions.

Equations::

    sigmoid(z) = 1 / (1 + exp(-z))          computed from exp(-|z|), so it never overflows
    softmax(z)_i = exp(z_i - max z) / sum_j exp(z_j - max z)   over axis 0 (each column)

Both saturate exactly: sigmoid(1e4) == 1.0, sigmoid(-1e4) == 0.0, and no overflow
warning is raised for any finite input.
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
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def softmax(z: np.ndarray) -> np.ndarray:
    """Softmax over axis 0, so each column (one example at one timestep) sums to 1.

    Args:
        z: (n_y, ...) logits, e.g. (n_y, m) or (n_y, m, T_x).

    Returns:
        array of z's shape; every slice along axis 0 sums to 1.
    """
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(under="ignore"):
        e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


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
