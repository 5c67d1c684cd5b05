"""The engine's checks of what it is given, each naming the argument and what was expected
(in the notebook's names); and its time-major buffers: their allocation and their copies.

Every public entry point (rnnviz.engine.model, init_params, the step pairs, the optimizers,
gradient_check, rnnviz.notebook) checks its arguments with these before any NumPy call can
fail on them, so a bad argument is a TypeError (the wrong kind of thing: None, complex
numbers, text) or a ValueError (the wrong shape or value: NaN, a negative size), never a
message from inside NumPy.
"""

from __future__ import annotations

import ctypes
import functools
import inspect
import math
import numbers
from collections.abc import Callable

import numpy as np

REAL_KINDS = "biuf"  # NumPy dtype kinds of real numbers: bool, int, unsigned, float
# numbers in one array the engine allocates from sizes it is given: 1 GiB of float64, so a
# mistyped size is refused instead of taking the memory of the machine the class shares
MAX_ENTRIES = 1 << 27


def all_finite(array: np.ndarray) -> bool:
    """Whether every entry of a float array is finite. The sum of squares is one BLAS call
    that never warns; only when it is not finite (a non-finite entry, or entries so large
    that their squares overflow) is every entry tested."""
    return math.isfinite(np.vdot(array, array)) or bool(np.isfinite(array).all())


def check_real(name: str, array: np.ndarray) -> None:
    """TypeError naming `name` unless `array` is a NumPy array of real numbers; ValueError if
    it holds NaN or infinite values."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array; got {type(array).__name__}")
    if array.dtype.kind not in REAL_KINDS:
        raise TypeError(f"{name} must hold real numbers; got {_kind_of(array)}")
    if array.dtype.kind == "f" and not all_finite(array):
        raise ValueError(f"{name} contains NaN or infinite values")


def _kind_of(array: np.ndarray) -> str:
    """How a message names what an array holds instead of real numbers."""
    kinds = {"c": "complex numbers (the imaginary part would be lost)", "U": "text",
             "S": "bytes", "O": "Python objects"}
    return kinds.get(array.dtype.kind, f"values of type {array.dtype}")


def as_float_array(name: str, value) -> np.ndarray:
    """value as a float64 array. TypeError naming `name` if it is None or does not hold real
    numbers (complex numbers, text); ValueError if it is ragged or not finite."""
    array = to_floats(name, value)
    if not all_finite(array):
        raise ValueError(f"{name} contains NaN or infinite values")
    return array


def to_floats(name: str, value) -> np.ndarray:
    """`as_float_array` but for the test of finiteness, which the caller makes later."""
    if value is None:
        raise TypeError(f"{name} must be an array of numbers; got None")
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:  # nested sequences of different lengths
        raise ValueError(f"{name} must be a numeric array of one shape; its rows differ "
                         "in length") from exc
    if array.dtype.kind == "O":  # Python numbers (or None) in a list: each converted
        try:
            array = array.astype(np.float64)
        except OverflowError as exc:  # a Python int past float64's range
            raise ValueError(f"{name} holds a number too large for float64 (1.8e308)") from exc
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be a numeric array; it holds "
                            f"{_kind_of(array)} that are not real numbers") from exc
    elif array.dtype.kind not in REAL_KINDS:
        raise TypeError(f"{name} must be a numeric array of real numbers; got "
                        f"{_kind_of(array)}")
    return array.astype(np.float64, copy=False)


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


def check_sequence(x, n_x: int, name: str = "x") -> np.ndarray:
    """x as float64 of shape (n_x, m, T_x) with m, T_x >= 1."""
    x = as_float_array(name, x)
    check_shape(name, x, (n_x, None, None), "(n_x, m, T_x)")
    if x.shape[1] < 1 or x.shape[2] < 1:
        raise ValueError(f"{name} has shape {x.shape}; m and T_x must be at least 1")
    return x


def check_state(name: str, value, n_a: int, m: int) -> np.ndarray:
    """An initial state (a0 or c0) of shape (n_a, m); None means zeros."""
    if value is None:
        return np.zeros((n_a, m))
    state = as_float_array(name, value)
    check_shape(name, state, (n_a, m), "(n_a, m)")
    return state


def check_step(sizes: dict[str, int], xt, **states) -> list[np.ndarray]:
    """One step's input xt (n_x, m) and previous states (each (n_a, m), None for zeros), by
    their names in the step's signature, as float64 arrays: [xt, *states]."""
    xt = as_float_array("xt", xt)
    check_shape("xt", xt, (sizes["n_x"], None), "(n_x, m)")
    if xt.shape[1] < 1:
        raise ValueError(f"xt has shape {xt.shape}; m must be at least 1")
    return [xt] + [check_state(name, value, sizes["n_a"], xt.shape[1])
                   for name, value in states.items()]


def check_cache(cache, kind: type, made_by: str) -> None:
    """TypeError unless `cache` is the step cache (a `kind`) that `made_by` returns."""
    if not isinstance(cache, kind):
        raise TypeError(f"cache must be the {kind.__name__} that {made_by} returns; got "
                        f"{type(cache).__name__}")


def shown(value) -> str:
    """repr(value) for a message, a number of more than 20 digits by its size alone."""
    if isinstance(value, numbers.Integral) and abs(value) >= 10 ** 20:
        return f"an integer of {len(str(abs(int(value))))} digits"
    return repr(value)


def check_whole(name: str, value, low: int = 1, high: int | None = None) -> int:
    """value as an int; TypeError naming `name` unless it is a number, ValueError unless it
    is a whole number in [low, high] (`high` None: no upper end)."""
    expected = (f"a whole number from {low} to {high}" if high is not None
                else "a positive integer" if low == 1 else f"a whole number >= {low}")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {expected}; got {shown(value)}")
    if not isinstance(value, numbers.Integral) and not (
            math.isfinite(value) and float(value).is_integer()):
        raise ValueError(f"{name} must be {expected}; got {value!r}")
    whole = int(value)
    if whole < low or (high is not None and whole > high):
        raise ValueError(f"{name} must be {expected}; got {shown(value)}")
    return whole


def check_number(name: str, value, low: float | None = None) -> float:
    """value as a float; TypeError naming `name` unless it is a real number, ValueError
    unless it is finite (and at least `low`, if given)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number; got {value!r}")
    if isinstance(value, numbers.Integral) and abs(int(value)) >= 2 ** 1024:
        number = math.inf  # an int past float64's range
    else:
        number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number; got {shown(value)}")
    if low is not None and number < low:
        raise ValueError(f"{name} must be at least {low:g}; got {value!r}")
    return number


def check_choice(name: str, value, choices) -> str:
    """value if it is one of the strings `choices`; ValueError naming `name` and them."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; "
                         f"got {value!r}")
    return value


def check_sizes(count: Callable[..., int], **sizes) -> dict[str, int]:
    """Each size as an int; TypeError or ValueError naming the first that is not a positive
    integer, or naming them all if the arrays they make would hold more than MAX_ENTRIES
    numbers: `count(**sizes)` is how many (all of them, which bounds the largest)."""
    checked = {name: check_whole(name, value) for name, value in sizes.items()}
    if count(**checked) > MAX_ENTRIES:
        named = ", ".join(f"{name} = {shown(value)}" for name, value in checked.items())
        raise ValueError(f"{named} are too large: the engine allocates at most "
                         f"{MAX_ENTRIES:,} numbers (1 GiB)")
    return checked


# ----- overflow: a message instead of a warning and an inf ----------------------------------

class refusing_overflow:  # lower case, as np.errstate: it reads as `with refusing_overflow(...)`
    """Run a computation whose overflow (or invalid result, inf - inf) is a ValueError with
    `message()`, which names the arguments too large for float64, instead of NumPy's
    RuntimeWarning and an inf or NaN result.

    A caller that has asked NumPy to ignore overflow (np.errstate(over="ignore")), because it
    checks the results itself, as the trainer does to stop a diverging run with its own
    message, still gets the inf. Underflow to 0 is never an error here.
    """

    def __init__(self, message: Callable[[], str]):
        self.message = message

    def __enter__(self) -> refusing_overflow:
        asked = np.geterr()
        self.errstate = np.errstate(
            under="ignore", over="ignore" if asked["over"] == "ignore" else "raise",
            invalid="ignore" if asked["invalid"] == "ignore" else "raise",
            divide="ignore" if asked["divide"] == "ignore" else "raise")
        self.errstate.__enter__()
        return self

    def __exit__(self, kind, error, traceback) -> None:
        self.errstate.__exit__(kind, error, traceback)
        if isinstance(error, FloatingPointError):
            raise ValueError(self.message()) from error


def flag_overflow(value: float) -> None:
    """Inside `refusing_overflow`: a non-finite result (of a BLAS call or a sum, which NumPy
    does not check) counts as an overflow, unless the caller ignores overflow."""
    if not math.isfinite(value) and np.geterr()["over"] == "raise":
        raise FloatingPointError("a result is not finite")


def refuses_overflow(function: Callable) -> Callable:
    """Decorator: `function` runs inside `refusing_overflow`, and the message names its
    arguments, with the largest entry of each array or parameter container among them."""
    signature = inspect.signature(function)

    @functools.wraps(function)
    def guarded(*args, **kwargs):
        def message() -> str:
            arguments = signature.bind(*args, **kwargs).arguments
            sizes = ", ".join(largest(name, value) for name, value in arguments.items()
                              if isinstance(value, np.ndarray) or hasattr(value, "items"))
            return (f"{function.__name__} overflows float64, whose numbers end at 1.8e308: "
                    f"one of {', '.join(arguments)} is too large ({sizes})")

        with refusing_overflow(message):
            return function(*args, **kwargs)

    return guarded


def largest(name: str, value) -> str:
    """'name up to 1.2e+308' for an overflow message: the largest |entry| of an array, or of
    a parameter container (or {name: array} dict), then named by the array that holds it."""
    if hasattr(value, "items"):
        name, value = max(value.items(), key=lambda item: _largest_entry(item[1]))
    return f"{name} up to {_largest_entry(value):.3g}"


def _largest_entry(value) -> float:
    array = np.asarray(value, dtype=np.float64)
    return float(np.max(np.abs(array))) if array.size else 0.0


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


def concat_row_views() -> tuple[property, property, property]:
    """The properties concat, h and x of a gated cell's time-major buffers, views of their
    field hx (T_x + 1, m, n_a + n_x) whose row t is [a<t>, x<t+1>] (the last row's x part
    unused); the buffers' class has a property n_a."""
    concat = property(lambda self: self.hx[:-1],
                      doc="(T_x, m, n_a + n_x) concat<t>^T = [a<t-1>, x<t>] at every t.")
    h = property(lambda self: self.hx[:, :, :self.n_a],
                 doc="(T_x + 1, m, n_a) [a0, a<1>, ..., a<T_x>].")
    x = property(lambda self: self.hx[:-1, :, self.n_a:], doc="(T_x, m, n_x) the inputs.")
    return concat, h, x


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


def give_back_freed_memory() -> None:
    """Return the freed memory that malloc keeps for reuse (see keep_freed_memory_for_reuse)
    to the system: for a process about to wait idle, such as a training worker between
    jobs. glibc only (malloc_trim); elsewhere nothing happens."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass   # not glibc: its allocator keeps what it keeps
