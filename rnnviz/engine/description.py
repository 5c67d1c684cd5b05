"""What a recurrent cell is made of, as data: the description every layer above iterates over.

A cell is described once, in its own module (rnnviz.engine.rnn, rnnviz.engine.lstm), by a
`Cell`: its parameters, the affine maps it applies at each step (`Projection`), the states
it carries from step to step, and the arrays its trace holds. Pages, figures, training and
analysis ask the description ("which gates?", "which states?", "how many parameters?")
instead of testing the cell's name, so a new cell is its module and its description.

Every projection of a step has the form::

    z<t> = W_a a<t-1> + W_x x<t> + b        value<t> = activation(z<t>)

where W_a and W_x are either two matrices (the RNN's Waa, Wax) or the two column blocks of
one matrix acting on concat = [a<t-1>; x<t>] (the LSTM's Wf[:, :n_a] and Wf[:, n_a:]).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

ACTIVATIONS = ("sigmoid", "tanh")


@dataclass(frozen=True)
class Projection:
    """One affine map and activation of a step.

    Attributes:
        value: the trace's field holding activation(z) at every step, (n_a, m, T_x), in the
            notebook's name: "a" (the RNN's hidden state), "f", "u", "o", "c_tilde".
        activation: "sigmoid" (a gate, in [0, 1]) or "tanh" (in [-1, 1]).
        weights: parameter names: two, (W_a, W_x), acting on a<t-1> and x<t>; or one, acting
            on concat = [a<t-1>; x<t>].
        bias: the bias's parameter name, (n_a, 1).
    """

    value: str
    activation: str
    weights: tuple[str, ...]
    bias: str

    @property
    def is_gate(self) -> bool:
        """A sigmoid gate, whose values lie in [0, 1]."""
        return self.activation == "sigmoid"

    def blocks(self, params) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(W_a (n_a, n_a), W_x (n_a, n_x), b (n_a, 1)) of this projection in `params`."""
        if len(self.weights) == 2:
            W_a, W_x = (getattr(params, name) for name in self.weights)
        else:
            W = getattr(params, self.weights[0])
            n_a = W.shape[0]
            W_a, W_x = W[:, :n_a], W[:, n_a:]
        return W_a, W_x, getattr(params, self.bias)


@dataclass(frozen=True)
class Cell:
    """A recurrent cell, described for the layers above the engine.

    Attributes:
        name: the spelling in URLs, settings and model files: "rnn", "lstm".
        label: how it is written: "RNN", "LSTM".
        params: the parameter container class (fields in the notebook's names).
        projections: the step's affine maps, in the order the equations are written.
        states: the recurrent states, carried from step to step: ("a",) or ("a", "c"); their
            initial values are the arguments a0, c0 of forward.
        sequences: the trace's (n_a, m, T_x) arrays a view shows, in reading order.
        output_weight: the output layer's weight name, Wya (RNN) or Wy (LSTM); its bias is by.
        memory_bias: the bias whose large values keep the memory (the LSTM's bf), set by
            init_params' forget_bias; None when the cell has none.
        init: (n_x, n_a, n_y, rng, weight_scale, spectral_radius, memory_bias) -> params.
    """

    name: str
    label: str
    params: type
    projections: tuple[Projection, ...]
    states: tuple[str, ...]
    sequences: tuple[str, ...]
    output_weight: str
    memory_bias: str | None
    init: Callable

    @property
    def gates(self) -> tuple[Projection, ...]:
        """The sigmoid gates (empty for the vanilla RNN)."""
        return tuple(p for p in self.projections if p.is_gate)

    @property
    def state_size(self) -> int:
        """How many n_a-sized states a step carries: the Jacobian of a step is
        (state_size n_a) square."""
        return len(self.states)

    def shapes(self, n_x: int, n_a: int, n_y: int) -> dict[str, tuple[int, int]]:
        """{parameter name: shape} for these sizes, in the container's field order."""
        sizes = {"n_x": n_x, "n_a": n_a, "n_y": n_y, "n_a + n_x": n_a + n_x, 1: 1}
        return {name: (sizes[rows], sizes[cols])
                for name, (rows, cols) in self.params.SHAPES.items()}

    def parameter_count(self, n_x: int, n_a: int, n_y: int) -> int:
        """How many numbers the parameters hold."""
        return sum(rows * cols for rows, cols in self.shapes(n_x, n_a, n_y).values())

    def multiply_adds(self, n_x: int, n_a: int, n_y: int, m: int, T_x: int) -> int:
        """Multiply-adds of one forward pass over a batch: every weight matrix is applied once
        per example and step."""
        weights = [shape for name, shape in self.shapes(n_x, n_a, n_y).items()
                   if shape[1] != 1]
        return m * T_x * sum(rows * cols for rows, cols in weights)
