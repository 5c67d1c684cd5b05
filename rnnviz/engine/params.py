"""Parameter containers and initialisation for the vanilla RNN and the LSTM.

Field names are the notebook's symbols. Shapes (n_x inputs, n_a hidden units, n_y outputs)::

    RNN:   Wax (n_a, n_x)  Waa (n_a, n_a)  ba (n_a, 1)  Wya (n_y, n_a)  by (n_y, 1)
    LSTM:  Wf, Wu, Wc, Wo (n_a, n_a + n_x)  bf, bu, bc, bo (n_a, 1)
           Wy (n_y, n_a)  by (n_y, 1)

The LSTM's gate matrices act on concat = [a<t-1>; x<t>], so their first n_a columns
multiply a<t-1> and the last n_x columns multiply x<t>.

Initialisation (all randomness from an explicit ``np.random.Generator``)::

    W ~ N(0, weight_scale^2 / fan_in)                       every weight matrix
    Waa <- Waa * spectral_radius / max|eig(Waa)|           when spectral_radius is given
    bf = forget_bias (LSTM), every other bias = 0
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

RNN_SHAPES = {
    "Wax": ("n_a", "n_x"), "Waa": ("n_a", "n_a"), "ba": ("n_a", 1),
    "Wya": ("n_y", "n_a"), "by": ("n_y", 1),
}
LSTM_SHAPES = {
    "Wf": ("n_a", "n_a + n_x"), "bf": ("n_a", 1),
    "Wu": ("n_a", "n_a + n_x"), "bu": ("n_a", 1),
    "Wc": ("n_a", "n_a + n_x"), "bc": ("n_a", 1),
    "Wo": ("n_a", "n_a + n_x"), "bo": ("n_a", 1),
    "Wy": ("n_y", "n_a"), "by": ("n_y", 1),
}


class _Params:
    """Mixin: iterate, map and copy a parameter container by its notebook names."""

    SHAPES: dict[str, tuple] = {}

    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(self))

    def items(self) -> Iterator[tuple[str, np.ndarray]]:
        for name in self.names():
            yield name, getattr(self, name)

    def as_dict(self) -> dict[str, np.ndarray]:
        """The notebook's string-keyed form: {"Wax": ..., ...}."""
        return dict(self.items())

    @classmethod
    def from_dict(cls, arrays: dict[str, np.ndarray]):
        """Build from a {name: array} dict; raises ValueError naming a missing key."""
        missing = [f.name for f in dataclasses.fields(cls) if f.name not in arrays]
        if missing:
            raise ValueError(f"parameters are missing {', '.join(missing)}")
        params = cls(**{f.name: np.asarray(arrays[f.name], dtype=np.float64)
                        for f in dataclasses.fields(cls)})
        params.validate()
        return params

    def map(self, fn: Callable[[np.ndarray], np.ndarray]):
        """A new container of the same kind with fn applied to every array."""
        return type(self)(**{name: fn(value) for name, value in self.items()})

    def copy(self):
        return self.map(np.array)

    def zeros_like(self):
        return self.map(np.zeros_like)

    def global_norm(self) -> float:
        """sqrt of the sum of squares of every entry of every array."""
        return float(np.sqrt(sum(float(np.vdot(v, v)) for _, v in self.items())))

    @property
    def sizes(self) -> dict[str, int]:
        raise NotImplementedError

    def validate(self) -> None:
        """Raise ValueError naming the first array whose shape does not fit the others."""
        sizes = self.sizes
        sizes = {**sizes, "n_a + n_x": sizes["n_a"] + sizes["n_x"], 1: 1}
        for name, dims in self.SHAPES.items():
            expected = (sizes[dims[0]], sizes[dims[1]])
            actual = np.shape(getattr(self, name))
            if actual != expected:
                raise ValueError(
                    f"{name} has shape {actual}; expected {_pretty(dims)} = {expected}"
                )


def _pretty(dims: tuple) -> str:
    return "(" + ", ".join(str(d) for d in dims) + ")"


@dataclass
class RNNParams(_Params):
    """Vanilla RNN parameters. Wax (n_a, n_x), Waa (n_a, n_a), ba (n_a, 1),
    Wya (n_y, n_a), by (n_y, 1)."""

    Wax: np.ndarray
    Waa: np.ndarray
    ba: np.ndarray
    Wya: np.ndarray
    by: np.ndarray

    SHAPES = RNN_SHAPES
    cell = "rnn"

    @property
    def sizes(self) -> dict[str, int]:
        n_a, n_x = np.shape(self.Wax)
        return {"n_x": n_x, "n_a": n_a, "n_y": np.shape(self.Wya)[0]}


@dataclass
class LSTMParams(_Params):
    """LSTM parameters. Wf, Wu, Wc, Wo (n_a, n_a + n_x) act on [a<t-1>; x<t>];
    bf, bu, bc, bo (n_a, 1); Wy (n_y, n_a); by (n_y, 1)."""

    Wf: np.ndarray
    bf: np.ndarray
    Wu: np.ndarray
    bu: np.ndarray
    Wc: np.ndarray
    bc: np.ndarray
    Wo: np.ndarray
    bo: np.ndarray
    Wy: np.ndarray
    by: np.ndarray

    SHAPES = LSTM_SHAPES
    cell = "lstm"

    @property
    def sizes(self) -> dict[str, int]:
        n_a, n_concat = np.shape(self.Wf)
        return {"n_x": n_concat - n_a, "n_a": n_a, "n_y": np.shape(self.Wy)[0]}

    # Gate order in the stacked matrices: sigmoid gates first, then the tanh candidate.
    GATES = ("f", "u", "o", "c")

    def stacked(self) -> tuple[np.ndarray, np.ndarray]:
        """The four gates as one product: W (4 n_a, n_a + n_x), b (4 n_a, 1), rows f, u, o, c."""
        W = np.concatenate([self.Wf, self.Wu, self.Wo, self.Wc], axis=0)
        b = np.concatenate([self.bf, self.bu, self.bo, self.bc], axis=0)
        return W, b


Params = RNNParams | LSTMParams


def _weights(rng: np.random.Generator, rows: int, cols: int, scale: float) -> np.ndarray:
    return rng.standard_normal((rows, cols)) * (scale / np.sqrt(max(cols, 1)))


def _set_spectral_radius(W: np.ndarray, radius: float) -> np.ndarray:
    current = float(np.max(np.abs(np.linalg.eigvals(W))))
    if current == 0.0:
        return W
    return W * (radius / current)


def _check_sizes(**sizes: int) -> None:
    for name, value in sizes.items():
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a positive integer; got {value!r}")


def init_rnn(n_x: int, n_a: int, n_y: int, rng: np.random.Generator,
             weight_scale: float = 1.0, spectral_radius: float | None = None) -> RNNParams:
    """Random RNN parameters.

    Args:
        n_x, n_a, n_y: input, hidden and output sizes.
        rng: the generator every random number comes from.
        weight_scale: multiplies every weight's standard deviation 1/sqrt(fan_in).
        spectral_radius: if given, Waa is rescaled so max|eig(Waa)| equals it.

    Returns:
        RNNParams with Wax (n_a, n_x), Waa (n_a, n_a), ba (n_a, 1), Wya (n_y, n_a), by (n_y, 1).
    """
    _check_sizes(n_x=n_x, n_a=n_a, n_y=n_y)
    Wax = _weights(rng, n_a, n_x, weight_scale)
    Waa = _weights(rng, n_a, n_a, weight_scale)
    Wya = _weights(rng, n_y, n_a, weight_scale)
    if spectral_radius is not None:
        Waa = _set_spectral_radius(Waa, spectral_radius)
    return RNNParams(Wax=Wax, Waa=Waa, ba=np.zeros((n_a, 1)), Wya=Wya, by=np.zeros((n_y, 1)))


def init_lstm(n_x: int, n_a: int, n_y: int, rng: np.random.Generator,
              weight_scale: float = 1.0, spectral_radius: float | None = None,
              forget_bias: float = 1.0) -> LSTMParams:
    """Random LSTM parameters.

    Args:
        n_x, n_a, n_y: input, hidden and output sizes.
        rng: the generator every random number comes from.
        weight_scale: multiplies every weight's standard deviation 1/sqrt(fan_in).
        spectral_radius: if given, each gate's recurrent block W[:, :n_a] is rescaled so
            its largest |eigenvalue| equals it.
        forget_bias: the value of every entry of bf; large values keep f near 1 (remember).

    Returns:
        LSTMParams: Wf, Wu, Wc, Wo (n_a, n_a + n_x), biases (n_a, 1), Wy (n_y, n_a), by (n_y, 1).
    """
    _check_sizes(n_x=n_x, n_a=n_a, n_y=n_y)
    gates = {}
    for name in ("Wf", "Wu", "Wc", "Wo"):
        W = _weights(rng, n_a, n_a + n_x, weight_scale)
        if spectral_radius is not None:
            W[:, :n_a] = _set_spectral_radius(W[:, :n_a], spectral_radius)
        gates[name] = W
    Wy = _weights(rng, n_y, n_a, weight_scale)
    zeros = np.zeros((n_a, 1))
    return LSTMParams(
        Wf=gates["Wf"], bf=np.full((n_a, 1), float(forget_bias)),
        Wu=gates["Wu"], bu=zeros.copy(), Wc=gates["Wc"], bc=zeros.copy(),
        Wo=gates["Wo"], bo=zeros.copy(), Wy=Wy, by=np.zeros((n_y, 1)),
    )

