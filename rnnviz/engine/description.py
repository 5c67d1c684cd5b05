"""What a recurrent cell is made of, as data: the description every layer above iterates over.

A cell is described once, in its own module (rnnviz.engine.rnn, lstm, gru), by a
`Cell`: its parameters, the affine maps it applies at each step (`Projection`), the states
it carries from step to step, and the arrays its trace holds. Pages, figures, training and
analysis ask the description ("which gates?", "which states?", "how many parameters?")
instead of testing the cell's name, so a new cell is its module and its description.

Every projection of a step has the form::

    z<t> = W_a a<t-1> + W_x x<t> + b        value<t> = activation(z<t>)

where W_a and W_x are either two matrices (the RNN's Waa, Wax) or the two column blocks of
one matrix acting on concat = [a<t-1>; x<t>] (the LSTM's Wf[:, :n_a] and Wf[:, n_a:]); in
the GRU's candidate W_a acts on r<t> * a<t-1> instead (`Projection.reset`).

The description also hands the engine the cell's functions: its readable step pair and
forward-mode step, and the fused sequence kernel that computes the same numbers for a whole
sequence. rnnviz.engine.model, gradcheck and analysis call them through it, so they work for
any cell without asking which one it is.
"""

from __future__ import annotations

import dataclasses
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
        reset: the gate whose values multiply a<t-1> before W_a does (the GRU's candidate,
            W_a (r<t> * a<t-1>), with reset "r"); None: W_a acts on a<t-1> itself.
    """

    value: str
    activation: str
    weights: tuple[str, ...]
    bias: str
    reset: str | None = None

    def __post_init__(self):
        if self.activation not in ACTIVATIONS or len(self.weights) not in (1, 2):
            raise ValueError(f"projection {self.value}: an activation of {ACTIVATIONS} and "
                             "one or two weights")

    @property
    def is_gate(self) -> bool:
        """A sigmoid gate, whose values lie in [0, 1]."""
        return self.activation == "sigmoid"

    def hidden_input(self, a_prev: np.ndarray, values) -> np.ndarray:
        """What W_a multiplies: a_prev, or the reset gate's values times it. `values` holds
        the gate's values as an attribute of its name (a trace, or a step's cache), of
        a_prev's shape."""
        return a_prev if self.reset is None else getattr(values, self.reset) * a_prev

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
        name: the spelling in URLs, settings and model files: "rnn", "lstm", "gru".
        label: how it is written: "RNN", "LSTM", "GRU".
        params: the parameter container class (fields in the notebook's names).
        projections: the step's affine maps, in the order the equations are written.
        states: the recurrent states, carried from step to step: ("a",) or ("a", "c"); their
            initial values are the arguments a0, c0 of forward.
        sequences: the trace's (n_a, m, T_x) arrays a view shows, in reading order.
        output_weight: the output layer's weight name, Wya (RNN) or Wy (LSTM); its bias is by.
        memory_bias: the bias that sets how much of its memory the cell keeps, set by
            init_params' forget_bias: the LSTM's bf = forget_bias (f near 1 keeps c), the
            GRU's bu = -forget_bias (u near 0 keeps a); None when the cell has none.
        init: (n_x, n_a, n_y, rng, weight_scale, spectral_radius, memory_bias) -> params.
        trace: the class of a forward pass's record (a `Trace`), fields in the notebook's names.
        step_forward: the readable step, (xt, *previous states, params) -> (*next states,
            cache): rnn_step_forward(xt, a_prev, params) -> (a_next, cache).
        step_backward: its backward, (*gradients of the next states, cache) -> (dxt,
            *gradients of the previous states, grads), grads a dict keyed "d" + parameter.
        step_jvp: forward mode, (*changes of the previous states, cache) -> the changes of the
            next states (one array, or a tuple of them for a cell with several states): J v.
        forward: the fused sequence forward, (params, x, *initial states, edits=None) ->
            the trace's fields but the output layer's, "time_major" among them; x and the
            states are checked by rnnviz.engine.model.forward; edits, the interventions'
            rnnviz.engine.interventions.Schedule, or None for none.
        bptt: the fused BPTT, (params, buffers, flow, edits=None, weights=True) -> {"d" +
            parameter: gradient, "dx", "d" + state + "0" and the flows "dA" (and "dC"):
            (n_a, m, T_x)}; flow is (T_x, m, n_a), dL/da<t> from outside the recurrence, and
            becomes dA; edits, the Schedule of the forward pass's interventions, or None;
            weights=False leaves the parameters' gradients out (not computed).
        buffers: the time-major buffers `bptt` reads, built from the arrays of a trace
            (keyword arguments named as its fields: x, a0, a, ...); a forward pass keeps its
            own in trace.time_major. Every cell's buffers have h, (T_x + 1, m, n_a) =
            [a0, a<1>, ..., a<T_x>] in row form, and hold(trace), whether the trace's arrays
            are still views of them.
        state_map: the step as a map of the stacked states alone, the input held, for a
            search that takes it many times: (params, x (n_x, K)) -> step, step(s (n_s, K))
            -> (F(s), pullback) with pullback(v) = J^T v; no checks, no parameter gradients.
        step_jacobian: the matrix of step_jvp for every example of a step, cache -> (m, n_s,
            n_s) with n_s = state_size n_a and the states stacked in `states`' order; None
            for a cell that gives none (rnnviz.engine.analysis then applies step_jvp to the
            basis vectors).
        unit_by_unit: whether every state after the first reaches the next step unit by
            unit, so that step_jacobian's columns of those states are, in every (n_a, n_a)
            block, diagonal (the LSTM's c<t-1>: dc<t>/dc<t-1> = diag(f)); the analyses then
            take J^T J and products of Jacobians from the dense columns and those diagonals.
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
    trace: type
    step_forward: Callable
    step_backward: Callable
    step_jvp: Callable
    forward: Callable
    bptt: Callable
    buffers: Callable
    state_map: Callable
    step_jacobian: Callable | None = None
    unit_by_unit: bool = False

    @property
    def gates(self) -> tuple[Projection, ...]:
        """The sigmoid gates (empty for the vanilla RNN)."""
        return tuple(p for p in self.projections if p.is_gate)

    @property
    def targets(self) -> tuple[str, ...]:
        """What an rnnviz.engine.Intervention can hold on this cell: the gates' values, in
        [0, 1] ("f", "u", "o"; "r", "u"), then the states ("a"; "c")."""
        return tuple(gate.value for gate in self.gates) + self.states

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
        shapes = self.shapes(n_x, n_a, n_y)
        weights = [shapes[name] for name, (_, cols) in self.params.SHAPES.items() if cols != 1]
        return m * T_x * sum(rows * cols for rows, cols in weights)


def gate_view(stacked: str, order: tuple[str, ...], gate: str, doc: str) -> property:
    """A trace's property reading one gate's n_a rows of a stacked (len(order) n_a, m, T_x)
    field, the gates stacked in `order` ("f", "u", "o", "c" for the LSTM's [f; u; o; c~])."""
    k = order.index(gate)

    def rows(trace) -> np.ndarray:
        n_a = trace.a.shape[0]
        return getattr(trace, stacked)[k * n_a: (k + 1) * n_a]
    return property(rows, doc=doc)


class Trace:
    """What every cell's trace (a frozen dataclass of one forward pass) shares.

    A trace holds its arrays in the notebook's (n, m, T_x) layout as views of the time-major
    buffers the fused forward wrote, kept in its field `time_major` (None in a trace built
    from arrays, a pickled one, say); `buffers()` hands BPTT those buffers. Its field
    `interventions` holds the rnnviz.engine.Interventions the forward pass applied (empty:
    none), which BPTT holds constant too.
    """

    cell = ""
    RECORDS = ("output", "interventions", "kernel", "time_major")  # the fields not arrays

    @classmethod
    def arrays(cls) -> tuple[str, ...]:
        """The names of the trace's array fields, in order."""
        return tuple(f.name for f in dataclasses.fields(cls) if f.name not in cls.RECORDS)

    @property
    def T_x(self) -> int:
        return self.x.shape[2]

    @property
    def a_prev(self) -> np.ndarray:
        """(n_a, m, T_x): a<t-1> at every t, starting from a0."""
        return self.buffers().h[:-1].transpose(2, 1, 0)

    def first(self, t: int):
        """The trace of the first t steps alone: what a forward pass over x<1..t> from the
        same initial states gives, without running it again. Its arrays and time-major
        buffers are views of this trace's (each buffer's first t steps, and t + 1 rows of
        those that start with the initial state), so BPTT reads them as they are."""
        T_x = self.T_x
        kept = self.time_major
        if kept is not None and kept.hold(self):
            kept = type(kept)(*[b[:t + 1] if b.shape[0] == T_x + 1 else b[:t] for b in kept])
        else:
            kept = None   # rebuilt from the arrays when BPTT asks
        return dataclasses.replace(self, time_major=kept, **{
            name: value[..., :t] for name in self.arrays()
            if (value := getattr(self, name)).ndim == 3})

    def buffers(self):
        """The time-major buffers BPTT reads: the forward pass's own, or, when they are absent
        or no longer behind the arrays (after dataclasses.replace), rebuilt from the arrays."""
        kept = self.time_major
        if kept is not None and kept.hold(self):
            return kept
        return self._buffers_from_arrays()

    def _buffers_from_arrays(self):
        raise NotImplementedError

    def __getstate__(self) -> dict:
        """Pickled (e.g. by a cache) without the time-major buffers: they would double the
        size, and `buffers()` rebuilds them from the arrays when they are needed."""
        return {**self.__dict__, "time_major": None}
