"""What every cell's parameters share: the container's behaviour and the initialisation helpers.

Each cell declares its own container in its module (rnnviz.engine.rnn.RNNParams,
rnnviz.engine.lstm.LSTMParams): a dataclass of arrays whose field names are the notebook's
symbols, with SHAPES naming each array's dimensions, e.g. {"Wax": ("n_a", "n_x"), ...}.

A container's arrays are checked by `validate` (rnnviz.engine.model.forward and the step
functions call it): each must be a finite real matrix, every size at least 1, and the shapes
must fit together.

Initialisation (all randomness from an explicit ``np.random.Generator``)::

    W ~ N(0, weight_scale^2 / fan_in)                       every weight matrix
    W_a <- W_a * spectral_radius / max|eig(W_a)|           each recurrent block, when given
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import hashlib
import math
import threading
from collections.abc import Callable, Iterator, Mapping

import numpy as np

from rnnviz.engine._arrays import check_real, check_shape, to_floats
from rnnviz.engine.optim import global_norm


class Params:
    """Base of the cells' parameter containers: iterate, map, copy and check them by their
    notebook names.

    Attributes (of each subclass):
        SHAPES: {name: (rows, cols)} in the names "n_x", "n_a", "n_y", "n_a + n_x" or 1.
        cell: the cell's name, the key of rnnviz.engine.CELLS.
    """

    SHAPES: dict[str, tuple] = {}
    cell = ""

    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(self))

    def items(self) -> Iterator[tuple[str, np.ndarray]]:
        for name in self.names():
            yield name, getattr(self, name)

    def as_dict(self) -> dict[str, np.ndarray]:
        """The notebook's string-keyed form: {"Wax": ..., ...}."""
        return dict(self.items())

    @classmethod
    def from_dict(cls, arrays: dict[str, np.ndarray], validate: bool = True):
        """Build from a {name: array} dict; TypeError or ValueError naming a missing key or
        an array that is not a finite real matrix of the shape the others imply.

        validate=False checks only that each is an array of real numbers, for a caller that
        hands the container straight to an engine function that validates it (forward,
        hidden_backward), so that it is validated once.
        """
        if not isinstance(arrays, Mapping):
            raise TypeError(f"parameters must be a dict {{name: array}}; got "
                            f"{type(arrays).__name__}")
        missing = [f.name for f in dataclasses.fields(cls) if f.name not in arrays]
        if missing:
            raise ValueError(f"parameters are missing {', '.join(missing)}")
        params = cls(**{f.name: to_floats(f.name, arrays[f.name])
                        for f in dataclasses.fields(cls)})
        if validate:
            params.validate()
        return params

    @classmethod
    def check(cls, params) -> None:
        """TypeError unless `params` is a container of this class; then `validate` it."""
        if not isinstance(params, cls):
            raise TypeError(f"params must be {cls.__name__}; got {type(params).__name__}")
        params.validate()

    def map(self, fn: Callable[[np.ndarray], np.ndarray]):
        """A new container of the same kind with fn applied to every array."""
        return type(self)(**{name: fn(value) for name, value in self.items()})

    def copy(self):
        return self.map(np.array)

    def zeros_like(self):
        return self.map(np.zeros_like)

    def global_norm(self) -> float:
        """sqrt of the sum of squares of every entry of every array (rnnviz.engine.optim)."""
        return global_norm(self)

    @classmethod
    @functools.cache
    def _size_sources(cls) -> dict[str, list[tuple[str, int]]]:
        """{dimension name: [(parameter, axis), ...]}: the arrays in SHAPES that show it."""
        sources = {}
        for name, dims in cls.SHAPES.items():
            for axis, dim in enumerate(dims):
                sources.setdefault(dim, []).append((name, axis))
        return sources

    def _read_sizes(self, read: Callable[[str], int]) -> dict[str, int]:
        """{"n_x", "n_a", "n_y"} from read(dimension name), n_x from n_a + n_x if need be."""
        n_a = read("n_a")
        n_x = read("n_x") if "n_x" in self._size_sources() else read("n_a + n_x") - n_a
        return {"n_x": n_x, "n_a": n_a, "n_y": read("n_y")}

    @property
    def sizes(self) -> dict[str, int]:
        """{"n_x": ..., "n_a": ..., "n_y": ...}, read from the first arrays that show each."""
        sources = self._size_sources()

        def first(dim: str) -> int:
            name, axis = sources[dim][0]
            return np.shape(getattr(self, name))[axis]

        return self._read_sizes(first)

    def _agreed_sizes(self) -> dict[str, int]:
        """`sizes` as most of the arrays that show each agree (the first of them on a tie),
        so that a message blames the array that does not fit rather than the others."""
        sources = self._size_sources()

        def agreed(dim: str) -> int:
            seen = [np.shape(getattr(self, name))[axis] for name, axis in sources[dim]]
            return max(seen, key=seen.count)

        return self._read_sizes(agreed)

    @staticmethod
    def _misfit(arrays: list, sizes: dict[str, int]) -> tuple | None:
        """(name, array, shape expected, its names) of the first of the (name, array, dims)
        whose shape is not the one `sizes` give, or None."""
        known = {**sizes, "n_a + n_x": sizes["n_a"] + sizes["n_x"], 1: 1}
        for name, value, (rows, cols) in arrays:
            if value.shape != (known[rows], known[cols]):
                return name, value, (known[rows], known[cols]), f"({rows}, {cols})"
        return None

    def validate(self) -> None:
        """Raise TypeError naming the first array that is not a NumPy array of floats, or
        ValueError naming the first that is not a matrix, does not fit the others' shape,
        makes a size below 1 or holds NaN or infinite values. (Called on every forward pass,
        so the arrays that pass cost one test each, and one sum of squares.)"""
        arrays = [(name, getattr(self, name), dims) for name, dims in self.SHAPES.items()]
        for name, value, (rows, cols) in arrays:
            if type(value) is not np.ndarray or value.dtype.kind != "f" or value.ndim != 2:
                check_real(name, value)  # names what it is, if not an array of reals
                if value.dtype.kind != "f":
                    raise TypeError(f"{name} must be an array of floats; got {value.dtype} "
                                    "(convert it with .astype(float))")
                check_shape(name, value, (None, None), f"({rows}, {cols})")
        sizes = self.sizes
        if self._misfit(arrays, sizes):  # blame by the sizes most arrays agree on
            name, value, expected, names = self._misfit(arrays, self._agreed_sizes())
            check_shape(name, value, expected, names)
        for dim, size in sizes.items():
            if size < 1:  # n_x, when no array has it alone, shows in n_a + n_x
                sources = self._size_sources()
                name, _ = (sources[dim] if dim in sources else sources["n_a + n_x"])[0]
                raise ValueError(f"{name} has shape {getattr(self, name).shape}; {dim} must "
                                 "be at least 1")
        squares = 0.0
        for _, value, _ in arrays:
            squares += np.vdot(value, value)
        if not math.isfinite(squares):  # a NaN or inf, or only entries too large to square
            for name, value, _ in arrays:
                check_real(name, value)


def random_weights(rng: np.random.Generator, rows: int, cols: int, scale: float) -> np.ndarray:
    """(rows, cols) draws from N(0, scale^2 / cols): cols is the fan-in."""
    return rng.standard_normal((rows, cols)) * (scale / np.sqrt(max(cols, 1)))


def with_spectral_radius(W: np.ndarray, radius: float) -> np.ndarray:
    """Square W rescaled so that its largest |eigenvalue| is `radius` (W itself if all are 0)."""
    current = spectral_radius(W)
    if current == 0.0:
        return W
    return W * (radius / current)


RADII_KEPT = 64  # matrices whose spectral radius is remembered (`spectral_radius`)
_radii: collections.OrderedDict[bytes, float] = collections.OrderedDict()
_radii_lock = threading.Lock()


def spectral_radius(W: np.ndarray) -> float:
    """max |eigenvalue| of square W.

    The last RADII_KEPT matrices' radii are remembered by their content (a digest of shape,
    type and bytes): a knob that sets the spectral radius rescales the same drawn matrices
    at every move, whose eigenvalues then need not be found again. A pure function of W, so
    what one session remembers gives another the same number.
    """
    W = np.ascontiguousarray(W)
    digest = hashlib.blake2b(f"{W.shape}{W.dtype}".encode(), digest_size=20)
    digest.update(W.data)
    key = digest.digest()
    with _radii_lock:
        if key in _radii:
            _radii.move_to_end(key)
            return _radii[key]
    radius = float(np.max(np.abs(np.linalg.eigvals(W))))
    with _radii_lock:
        _radii[key] = radius
        while len(_radii) > RADII_KEPT:
            _radii.popitem(last=False)
    return radius


def stacked_gates(params: Params, order: tuple[str, ...],
                  scales: dict[str, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A gated cell's matrices and biases stacked in `order`: W (k n_a, n_a + n_x) =
    [W<g>; ...] and b (k n_a,) = [b<g>; ...] for the k gates g, the last of them the
    candidate "c" (a tanh), the others sigmoid gates; with the sigmoid rows multiplied by
    scales["sigmoid"] and the candidate's by scales["tanh"] if given (exact: powers of two
    and signs, rnnviz.engine.activations.SCALES), the arguments the kernel's function takes.
    """
    W = np.concatenate([getattr(params, "W" + gate) for gate in order])
    b = np.concatenate([getattr(params, "b" + gate)[:, 0] for gate in order])
    if scales is not None:
        sigmoid_rows = (len(order) - 1) * (W.shape[0] // len(order))
        for rows, scale in ((slice(None, sigmoid_rows), scales["sigmoid"]),
                            (slice(sigmoid_rows, None), scales["tanh"])):
            W[rows] *= scale
            b[rows] *= scale
    return W, b
