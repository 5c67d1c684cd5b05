"""The notebook's cells and sequences, forward and backward (softmax, sigmoid, rnn_*, lstm_*,
gru_*), over rnnviz.engine.model; see rnnviz.notebook for the notebook's conventions."""

from __future__ import annotations

import numpy as np

from rnnviz.engine import GRUParams, LSTMParams, RNNParams, activations
from rnnviz.engine._arrays import (
    as_float_array,
    check_sequence,
    check_shape,
    check_state,
    check_step,
    refuses_overflow,
)
from rnnviz.engine.model import forward, hidden_backward, run_forward, states_backward


def softmax(x: np.ndarray) -> np.ndarray:
    """Stable softmax over axis 0 (each column sums to 1). x: (n_y, m) or (n_y, m, T_x)."""
    x = as_float_array("x", x)
    if x.ndim == 0 or x.shape[0] == 0:
        raise ValueError(f"x has shape {x.shape}; expected (n_y, ...) with n_y >= 1 classes")
    return activations.softmax(x)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Stable elementwise sigmoid; exactly 0 or 1 at extreme inputs, never an overflow."""
    return activations.sigmoid(as_float_array("x", x))


def _owned(array: np.ndarray) -> np.ndarray:
    """A C-ordered copy, as the notebook's own np.zeros((n, m, T_x)) arrays were."""
    return np.array(array, order="C")


class _Caches(list):
    """The notebook's list of per-step caches, which also keeps the forward pass it was cut
    from (each cache's arrays are views of that pass's). The backward functions then hand
    BPTT the pass's own buffers instead of stacking the caches again; a list of caches built
    or changed by hand is stacked, as the notebook's caches always were.

    Attributes:
        trace: the forward pass.
        concat_bug: whether it fed the constant n_x in place of x (reproduce_concat_bug).
    """

    def __init__(self, steps: list, trace, concat_bug: bool = False):
        super().__init__(steps)
        self.trace = trace
        self.concat_bug = concat_bug
        self._made = tuple(steps)

    def made_by(self, steps) -> bool:
        """Whether `steps` is this very list, holding the very caches the forward made."""
        return steps is self and len(self) == len(self._made) and all(
            cache is made for cache, made in zip(self, self._made, strict=True))


def _forward_trace(steps):
    """The forward pass the caches were cut from, or None if they were built or changed."""
    return steps.trace if isinstance(steps, _Caches) and steps.made_by(steps) else None


def _steps(caches, size: int, made_by: str) -> tuple[list, object, object]:
    """(steps, x, the forward pass or None: see `_forward_trace`) of the notebook's caches;
    TypeError or ValueError naming `caches` unless they have its form: a pair of a non-empty
    list of per-step tuples of `size` items and x."""
    expected = (f"caches must be ([cache<1>, ..., cache<T_x>], x) as {made_by} returns, each "
                f"cache a tuple of {size} items")
    if not isinstance(caches, (tuple, list)) or len(caches) != 2:
        raise TypeError(f"{expected}; got {type(caches).__name__}")
    steps, x = caches
    trace = _forward_trace(steps)
    if trace is not None:  # the forward pass's own list, untouched
        return steps, x, trace
    if not isinstance(steps, (list, tuple)) or not steps:
        raise ValueError(f"{expected}; got no list of caches")
    for t, cache in enumerate(steps, start=1):
        if not isinstance(cache, tuple) or len(cache) != size:
            raise ValueError(f"{expected}; cache<{t}> is not")
    return steps, x, None


@refuses_overflow
def rnn_forward_block(xt, a_prev, parameters: dict):
    """One RNN step with a linear output.

    Args:
        xt: (n_x, m) x<t>.
        a_prev: (n_a, m) a<t-1>.
        parameters: dict with Wax (n_a, n_x), Waa (n_a, n_a), Wya (n_y, n_a), ba (n_a, 1),
            by (n_y, 1).

    Returns:
        y_hat (n_y, m), a_next (n_a, m), cache (a_next, a_prev, parameters, xt).
    """
    params = RNNParams.from_dict(parameters)
    xt, a_prev = check_step(params.sizes, xt, a_prev=a_prev)
    trace = run_forward(params, xt[:, :, None], {"a0": a_prev}, "linear")
    a_next = trace.a[:, :, 0]
    return trace.y_hat[:, :, 0], a_next, (a_next, trace.a0, parameters, trace.x[:, :, 0])


def rnn_forward(x, a0, parameters: dict):
    """A whole sequence through the RNN, linear outputs.

    Args:
        x: (n_x, m, T_x).
        a0: (n_a, m).
        parameters: as in `rnn_forward_block`.

    Returns:
        Y (n_y, m, T_x), A (n_a, m, T_x), caches ([cache<1>, ..., cache<T_x>], x).
    """
    trace = forward(RNNParams.from_dict(parameters, validate=False), x, a0, output="linear")
    by_step = [array.transpose(2, 0, 1) for array in (trace.a, trace.a_prev, trace.x)]
    caches = _Caches([(a_next, a_prev, parameters, xt)
                      for a_next, a_prev, xt in zip(*by_step, strict=True)], trace)
    return _owned(trace.y_hat), _owned(trace.a), (caches, trace.x)


@refuses_overflow
def lstm_cell_forward(xt, a_prev, c_prev, parameters: dict):
    """One LSTM step with a softmax output (the corrected cell: concat = [a<t-1>; x<t>]).

    Args:
        xt: (n_x, m).
        a_prev, c_prev: (n_a, m).
        parameters: dict with Wf, Wu, Wc, Wo (n_a, n_a + n_x), bf, bu, bc, bo (n_a, 1),
            Wy (n_y, n_a), by (n_y, 1).

    Returns:
        a_next (n_a, m), c_next (n_a, m), y_hat (n_y, m), cache (a_next, c_next, a_prev,
        c_prev, f, u, c_tilde, o, xt, parameters) as in the notebook.
    """
    params = LSTMParams.from_dict(parameters)
    xt, a_prev, c_prev = check_step(params.sizes, xt, a_prev=a_prev, c_prev=c_prev)
    trace = run_forward(params, xt[:, :, None], {"a0": a_prev, "c0": c_prev}, "softmax")
    return (trace.a[:, :, 0], trace.c[:, :, 0], trace.y_hat[:, :, 0],
            _lstm_step_caches(trace, parameters)[0])


def _lstm_step_caches(trace, parameters: dict) -> list[tuple]:
    """The notebook's cache of every step, (a_next, c_next, a_prev, c_prev, f, u, c_tilde, o,
    xt, parameters), each array a view of the trace's."""
    sequences = (trace.a, trace.c, trace.a_prev, trace.c_prev, trace.f, trace.u,
                 trace.c_tilde, trace.o, trace.x)
    by_step = [array.transpose(2, 0, 1) for array in sequences]  # (T_x, n, m) views
    return [(*arrays, parameters) for arrays in zip(*by_step, strict=True)]


def lstm_forward(x, a0, parameters: dict, reproduce_concat_bug: bool = False):
    """A whole sequence through the LSTM, softmax outputs, c<0> = 0.

    Args:
        x: (n_x, m, T_x).
        a0: (n_a, m).
        parameters: as in `lstm_cell_forward`.
        reproduce_concat_bug: feed the constant n_x in place of every x<t>, as the notebook's
            ``concat[na:, :] = nx`` did, to show the values it printed.

    Returns:
        A (n_a, m, T_x), Y (n_y, m, T_x), C (n_a, m, T_x), caches ([cache<t>...], x).
    """
    if not isinstance(reproduce_concat_bug, (bool, np.bool_)):
        raise TypeError(f"reproduce_concat_bug must be True or False; got "
                        f"{reproduce_concat_bug!r}")
    params = LSTMParams.from_dict(parameters, validate=bool(reproduce_concat_bug))
    if reproduce_concat_bug:
        x = check_sequence(x, params.sizes["n_x"])
        trace = forward(params, np.full_like(x, params.sizes["n_x"]), a0)
    else:
        trace = forward(params, x, a0)  # checks x
        x = trace.x
    caches = _Caches(_lstm_step_caches(trace, parameters), trace, bool(reproduce_concat_bug))
    return _owned(trace.a), _owned(trace.y_hat), _owned(trace.c), (caches, x)


@refuses_overflow
def gru_cell_forward(xt, a_prev, parameters: dict):
    """One GRU step with a softmax output (the course's form: the reset gate acts on a<t-1>
    before the product, a<t> = u * c~ + (1 - u) * a<t-1>).

    Args:
        xt: (n_x, m).
        a_prev: (n_a, m).
        parameters: dict with Wr, Wu, Wc (n_a, n_a + n_x), br, bu, bc (n_a, 1),
            Wy (n_y, n_a), by (n_y, 1).

    Returns:
        a_next (n_a, m), yt_pred (n_y, m), cache (a_next, a_prev, r, u, c_tilde, xt,
        parameters).
    """
    params = GRUParams.from_dict(parameters)
    xt, a_prev = check_step(params.sizes, xt, a_prev=a_prev)
    trace = run_forward(params, xt[:, :, None], {"a0": a_prev}, "softmax")
    return trace.a[:, :, 0], trace.y_hat[:, :, 0], _gru_step_caches(trace, parameters)[0]


def _gru_step_caches(trace, parameters: dict) -> list[tuple]:
    """The cache of every step, (a_next, a_prev, r, u, c_tilde, xt, parameters), each array a
    view of the trace's."""
    sequences = (trace.a, trace.a_prev, trace.r, trace.u, trace.c_tilde, trace.x)
    by_step = [array.transpose(2, 0, 1) for array in sequences]  # (T_x, n, m) views
    return [(*arrays, parameters) for arrays in zip(*by_step, strict=True)]


def gru_forward(x, a0, parameters: dict):
    """A whole sequence through the GRU, softmax outputs.

    Args:
        x: (n_x, m, T_x).
        a0: (n_a, m).
        parameters: as in `gru_cell_forward`.

    Returns:
        a (n_a, m, T_x), y (n_y, m, T_x), caches ([cache<1>, ..., cache<T_x>], x).
    """
    trace = forward(GRUParams.from_dict(parameters, validate=False), x, a0)
    caches = _Caches(_gru_step_caches(trace, parameters), trace)
    return _owned(trace.a), _owned(trace.y_hat), (caches, trace.x)


def _stacked(steps: list, sizes: dict[str, int], **fields: tuple[int, str]) -> np.ndarray:
    """Some fields of every step's cache, one over the other, as one (sum of the n, m, T_x)
    array; `fields` names each {name: (its index in a cache, the name of its height n)},
    `sizes` gives the heights and m, and a ValueError or TypeError names the first that is
    not a finite (n, m) array. The memory is time-major, the engine's own layout, so that
    this copy and the engine's copy of it run over contiguous blocks."""
    m = sizes["m"]
    out = np.empty((len(steps), m, sum(sizes[dim] for _, dim in fields.values())))  # (T_x, m, n)
    start = 0
    for name, (field, dim) in fields.items():
        n = sizes[dim]
        for t, cache in enumerate(steps):
            label = f"{name} in cache<{t + 1}>"
            value = as_float_array(label, cache[field])
            check_shape(label, value, (n, m), f"({dim}, m)")
            out[t, :, start:start + n] = value.T
        start += n
    return out.transpose(2, 1, 0)


def rnn_backward(dA, caches) -> dict:
    """BPTT through the RNN from an upstream gradient on every hidden state.

    Args:
        dA: (n_a, m, T_x) dL/da<t> arriving from outside the recurrence (e.g. the outputs).
        caches: from `rnn_forward`: per step (a_next, a_prev, parameters, xt), and x.

    Returns:
        dict with dx (n_x, m, T_x), da0 (n_a, m), dWax (n_a, n_x), dWaa (n_a, n_a),
        dba (n_a, 1).
    """
    steps, x, trace = _steps(caches, 4, "rnn_forward")
    params = RNNParams.from_dict(steps[0][2], validate=trace is None)  # else hidden_backward
    if trace is not None and x is trace.x:
        grads = hidden_backward(params, trace, dA)
    else:
        x = check_sequence(x, params.sizes["n_x"], "x in caches")
        sizes = {**params.sizes, "m": x.shape[1]}
        if len(steps) != x.shape[2]:
            raise ValueError(f"caches hold {len(steps)} steps; their x has T_x = {x.shape[2]}")
        a0 = check_state("a_prev in cache<1>", steps[0][1], sizes["n_a"], sizes["m"])
        grads = states_backward(params, dA, x=x, a0=a0, a=_stacked(steps, sizes, a_next=(0, "n_a")))
    return {key: grads[key] for key in ("dx", "da0", "dWax", "dWaa", "dba")}


def lstm_backward(dA, caches) -> dict:
    """BPTT through the LSTM from an upstream gradient on every hidden state.

    Args:
        dA: (n_a, m, T_x) dL/da<t> arriving from outside the recurrence.
        caches: from `lstm_forward`: per step (a_next, c_next, a_prev, c_prev, f, u, c_tilde,
            o, xt, parameters), and x.

    Returns:
        dict with dx (n_x, m, T_x), da0 (n_a, m), dWf, dWu, dWo, dWc (n_a, n_a + n_x),
        dbf, dbu, dbo, dbc (n_a, 1). dx is the gradient with respect to the inputs the cell
        saw, the steps' xt.
    """
    steps, _, trace = _steps(caches, 10, "lstm_forward")
    if isinstance(steps, _Caches) and steps.concat_bug:
        raise ValueError("these caches come from lstm_forward(..., reproduce_concat_bug=True), "
                         "whose cell ignores x (it sees the constant n_x): its gradients are "
                         "not the LSTM's. Run lstm_forward without reproduce_concat_bug to "
                         "back-propagate")
    params = LSTMParams.from_dict(steps[0][9], validate=trace is None)  # else hidden_backward
    if trace is not None:
        grads = hidden_backward(params, trace, dA)
    else:
        xt = as_float_array("xt in cache<1>", steps[0][8])  # its width is m
        check_shape("xt in cache<1>", xt, (params.sizes["n_x"], None), "(n_x, m)")
        sizes = {**params.sizes, "m": xt.shape[1]}
        a0, c0 = (check_state(f"{name} in cache<1>", steps[0][k], sizes["n_a"], sizes["m"])
                  for name, k in (("a_prev", 2), ("c_prev", 3)))
        grads = states_backward(
            params, dA, x=_stacked(steps, sizes, xt=(8, "n_x")), a0=a0, c0=c0,
            a=_stacked(steps, sizes, a_next=(0, "n_a")),
            c=_stacked(steps, sizes, c_next=(1, "n_a")),
            gates=_stacked(steps, sizes, f=(4, "n_a"), u=(5, "n_a"), o=(7, "n_a"),
                           c_tilde=(6, "n_a")))
    keys = ("dx", "da0") + tuple("d" + name for name in params.names()
                                 if name not in ("Wy", "by"))
    return {key: grads[key] for key in keys}


def gru_backward(dA, caches) -> dict:
    """BPTT through the GRU from an upstream gradient on every hidden state.

    Args:
        dA: (n_a, m, T_x) dL/da<t> arriving from outside the recurrence.
        caches: from `gru_forward`: per step (a_next, a_prev, r, u, c_tilde, xt,
            parameters), and x.

    Returns:
        dict with dx (n_x, m, T_x), da0 (n_a, m), dWr, dWu, dWc (n_a, n_a + n_x),
        dbr, dbu, dbc (n_a, 1).
    """
    steps, _, trace = _steps(caches, 7, "gru_forward")
    params = GRUParams.from_dict(steps[0][6], validate=trace is None)  # else hidden_backward
    if trace is not None:
        grads = hidden_backward(params, trace, dA)
    else:
        xt = as_float_array("xt in cache<1>", steps[0][5])  # its width is m
        check_shape("xt in cache<1>", xt, (params.sizes["n_x"], None), "(n_x, m)")
        sizes = {**params.sizes, "m": xt.shape[1]}
        a0 = check_state("a_prev in cache<1>", steps[0][1], sizes["n_a"], sizes["m"])
        grads = states_backward(
            params, dA, x=_stacked(steps, sizes, xt=(5, "n_x")), a0=a0,
            a=_stacked(steps, sizes, a_next=(0, "n_a")),
            gates=_stacked(steps, sizes, r=(2, "n_a"), u=(3, "n_a"), c_tilde=(4, "n_a")))
    keys = ("dx", "da0") + tuple("d" + name for name in params.names()
                                 if name not in ("Wy", "by"))
    return {key: grads[key] for key in keys}
