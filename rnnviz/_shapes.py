"""Shape checks that name the array and the shape expected, in the notebook's names."""

from __future__ import annotations

import numpy as np


def as_float_array(name: str, value) -> np.ndarray:
    """value as a float64 array; ValueError naming `name` if it is not numeric or not finite."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a numeric array") from exc
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return array


def check_shape(name: str, array: np.ndarray, expected: tuple, names: str) -> None:
    """Raise ValueError like "x has shape (3, 10); expected (n_x, m, T_x) = (3, 10, 4)".

    `expected` may hold None for a free dimension; `names` is the notebook's spelling.
    """
    actual = np.shape(array)
    ok = len(actual) == len(expected) and all(
        e is None or a == e for a, e in zip(actual, expected, strict=True)
    )
    if not ok:
        shown = tuple("?" if e is None else e for e in expected)
        if all(e is None for e in expected):
            raise ValueError(f"{name} has shape {actual}; expected {names}")
        raise ValueError(
            f"{name} has shape {actual}; expected {names} = ({', '.join(map(str, shown))})"
        )


def check_sequence(x, n_x: int) -> np.ndarray:
    """x as float64 of shape (n_x, m, T_x) with m, T_x >= 1."""
    x = as_float_array("x", x)
    check_shape("x", x, (n_x, None, None), "(n_x, m, T_x)")
    if x.shape[1] < 1 or x.shape[2] < 1:
        raise ValueError(f"x has shape {x.shape}; m and T_x must be at least 1")
    return x


def check_state(name: str, value, n_a: int, m: int) -> np.ndarray:
    """An initial state (a0 or c0) of shape (n_a, m); None means zeros."""
    if value is None:
        return np.zeros((n_a, m))
    state = as_float_array(name, value)
    check_shape(name, state, (n_a, m), "(n_a, m)")
    return state
