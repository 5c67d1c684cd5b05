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


# numpy asks the kernel for transparent huge pages for blocks from 4 MiB on (madvise)
_HUGE_PAGE_BLOCK = (1 << 22) // 8 + 1024
_SMALL_BLOCK = (1 << 18) // 8


def empty_buffers(*shapes: tuple[int, ...]) -> list[np.ndarray]:
    """Uninitialised float64 arrays of the given shapes, carved from one allocation.

    Why one block: fresh memory costs a page fault per 4 kB page on first touch, which for
    the engine's large buffers cost more than the arithmetic; one block of at least 4 MiB
    gets huge pages instead. Each array starts on a 64-byte boundary.
    """
    sizes = [int(np.prod(shape)) for shape in shapes]
    starts, offset = [], 0
    for size in sizes:
        starts.append(offset)
        offset += -(-size // 8) * 8  # round up to 8 elements = 64 bytes
    total = offset + 8
    if total > _SMALL_BLOCK:
        total = max(total, _HUGE_PAGE_BLOCK)
    block = np.empty(total)
    skip = (-block.ctypes.data % 64) // 8
    return [block[skip + start: skip + start + size].reshape(shape)
            for shape, start, size in zip(shapes, starts, sizes, strict=True)]
