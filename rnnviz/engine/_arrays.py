"""Shape checks that name the array and the shape expected, in the notebook's names;
and the engine's time-major buffers: their allocation and their copies."""

from __future__ import annotations

import functools
import math

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


def empty_buffers(*shapes: tuple[int, ...]) -> list[np.ndarray]:
    """Uninitialised float64 arrays of the given shapes, carved from one allocation, each
    starting on a 64-byte boundary (one block: fewer allocations, and views that the
    trace keeps share one lifetime)."""
    sizes = [math.prod(shape) for shape in shapes]
    starts, offset = [], 0
    for size in sizes:
        starts.append(offset)
        offset += -(-size // 8) * 8  # round up to 8 elements = 64 bytes
    block = np.empty(offset + 8)
    skip = (-block.ctypes.data % 64) // 8
    return [block[skip + start: skip + start + size].reshape(shape)
            for shape, start, size in zip(shapes, starts, sizes, strict=True)]


def time_major(x: np.ndarray) -> np.ndarray:
    """x (n, m, T_x) as a C-contiguous (T_x, m, n) array: x's own memory when it is laid out
    so already (a trace's arrays are), else a copy."""
    return np.ascontiguousarray(np.transpose(x, (2, 1, 0)), dtype=np.float64)


def time_major_after(first: np.ndarray, x: np.ndarray) -> np.ndarray:
    """A new C-contiguous (T_x + 1, m, n) buffer [first, x<1>, ..., x<T_x>] from first (n, m)
    and x (n, m, T_x): a state's initial value and its sequence."""
    n, m, T_x = x.shape
    out = empty_buffers((T_x + 1, m, n))[0]
    out[0] = first.T
    out[1:] = x.transpose(2, 1, 0)
    return out


def is_view_of(array: np.ndarray, buffer: np.ndarray) -> bool:
    """Whether `array` is a view into `buffer` (so the buffer still holds its values)."""
    return array.base is not None and np.may_share_memory(buffer, array)


@functools.cache  # once per process: what it changes lasts
def keep_freed_memory_for_reuse() -> None:
    """Make this process's malloc keep the engine's freed buffers for reuse. The app's entry
    point and the benchmarks call it at start-up; the engine works without it, slower.

    The engine allocates buffers of several MiB on every call and frees them at its end.
    glibc's malloc serves a block above its mmap threshold with fresh pages from the kernel,
    each costing a page fault when first touched, and unmaps it when freed; it raises the
    threshold (and the heap's trim threshold, twice as high) to the size of the largest such
    block freed so far, up to 32 MiB. Allocating and freeing one untouched 31 MiB block
    raises them once: later buffers come from the heap, whose freed pages stay mapped and
    are reused. The price is that a process keeps up to twice that much freed memory per
    malloc arena. `python benchmarks/bench_engine.py --malloc-rounds N` measures the gain.
    Other allocators are not affected.
    """
    np.empty((31 << 20) // 8)  # freed at once: only the thresholds it leaves matter
