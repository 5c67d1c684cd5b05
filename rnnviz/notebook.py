"""The course notebook's functions, with its names and signatures, over the engine's core.

A student's notebook maps onto the engine one to one. Parameters are the notebook's
string-keyed dicts ({"Wax": ..., "Waa": ..., ...}); caches keep the notebook's outer form
``(list of per-step caches, x)``, so its printed checks (``len(caches)``,
``caches[1][1][3]``) still hold. Every function here calls rnnviz.engine.model; nothing is
computed a second time: the backward functions take the states and gates the forward pass
left in the caches.

RNN (linear output, as in the notebook)::

    a<t> = tanh(Wax x<t> + Waa a<t-1> + ba),   y_hat<t> = Wya a<t> + by

LSTM (softmax output; c<0> = 0): see rnnviz.engine.lstm for the gate equations.

Backward (``rnn_backward``, ``lstm_backward``), from dA = dL/da<t> arriving from outside the
recurrence at every t, BPTT as derived in rnnviz.engine.rnn and rnnviz.engine.lstm::

    da<t> (total) = dA<t> + (gradient through a<t+1>)
    RNN:  dz<t> = da<t> (1 - a<t>^2),  da<t-1> += Waa^T dz<t>,  dx<t> = Wax^T dz<t>
    dW = sum_t dz<t> (input of that product at t)^T,  db = sum_t,m dz<t>

The notebook's LSTM cell has a bug: ``concat[na:, :] = nx`` stores the integer n_x where
x<t> belongs, so every input it sees is the constant n_x and the LSTM values it printed are
wrong. ``lstm_forward(..., reproduce_concat_bug=True)`` reproduces them for comparison.
"""

from __future__ import annotations

import numpy as np

from rnnviz.engine import LSTMParams, RNNParams, activations, get_cell
from rnnviz.engine.model import forward, hidden_backward, states_backward
from rnnviz.engine.optim import adam_update


def softmax(x: np.ndarray) -> np.ndarray:
    """Stable softmax over axis 0 (each column sums to 1). x: (n_y, m) or (n_y, m, T_x)."""
    return activations.softmax(x)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Stable elementwise sigmoid; exactly 0 or 1 at extreme inputs, never an overflow."""
    return activations.sigmoid(x)


def _owned(array: np.ndarray) -> np.ndarray:
    """A C-ordered copy, as the notebook's own np.zeros((n, m, T_x)) arrays were."""
    return np.array(array, order="C")


class _Caches(list):
    """The notebook's list of per-step caches, which also keeps the forward pass it was cut
    from (each cache's arrays are views of that pass's). The backward functions then hand
    BPTT the pass's own buffers instead of stacking the caches again; a list of caches built
    or changed by hand is stacked, as the notebook's caches always were."""

    def __init__(self, steps: list, trace):
        super().__init__(steps)
        self.trace = trace
        self._made = tuple(steps)

    def made_by(self, steps) -> bool:
        """Whether `steps` is this very list, holding the very caches the forward made."""
        return steps is self and len(self) == len(self._made) and all(
            cache is made for cache, made in zip(self, self._made, strict=True))


def _forward_trace(steps):
    """The forward pass the caches were cut from, or None if they were built or changed."""
    return steps.trace if isinstance(steps, _Caches) and steps.made_by(steps) else None


def _as_column(xt) -> np.ndarray:
    """xt (n_x, m) as a one-step sequence (n_x, m, 1)."""
    xt = np.asarray(xt, dtype=np.float64)
    if xt.ndim != 2:
        raise ValueError(f"xt has shape {xt.shape}; expected (n_x, m)")
    return xt[:, :, None]


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
    trace = forward(RNNParams.from_dict(parameters), _as_column(xt), a_prev, output="linear")
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
    trace = forward(RNNParams.from_dict(parameters), x, a0, output="linear")
    by_step = [array.transpose(2, 0, 1) for array in (trace.a, trace.a_prev, trace.x)]
    caches = _Caches([(a_next, a_prev, parameters, xt)
                      for a_next, a_prev, xt in zip(*by_step, strict=True)], trace)
    return _owned(trace.y_hat), _owned(trace.a), (caches, trace.x)


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
    trace = forward(LSTMParams.from_dict(parameters), _as_column(xt), a_prev, c_prev)
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
    params = LSTMParams.from_dict(parameters)
    x = np.asarray(x, dtype=np.float64)
    fed = np.full_like(x, params.sizes["n_x"]) if reproduce_concat_bug else x
    trace = forward(params, fed, a0)
    caches = _Caches(_lstm_step_caches(trace, parameters), trace)
    return _owned(trace.a), _owned(trace.y_hat), _owned(trace.c), (caches, x)


def _stacked(steps: list, *fields: int) -> np.ndarray:
    """The given fields of every step's cache (each (n, m)), one over the other, as one
    (sum of the n, m, T_x) array. Its memory is time-major, the engine's own layout, so
    that this copy and the engine's copy of it run over contiguous blocks."""
    heights = [steps[0][field].shape[0] for field in fields]
    out = np.empty((len(steps), steps[0][fields[0]].shape[1], sum(heights)))  # (T_x, m, n)
    start = 0
    for field, n in zip(fields, heights, strict=True):
        out[:, :, start:start + n] = [cache[field].T for cache in steps]
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
    steps, x = caches
    a0, parameters = steps[0][1], steps[0][2]
    params, trace = RNNParams.from_dict(parameters), _forward_trace(steps)
    if trace is not None and x is trace.x:
        grads = hidden_backward(params, trace, dA)
    else:
        grads = states_backward(params, dA, x=np.asarray(x, dtype=np.float64), a0=a0,
                                a=_stacked(steps, 0))
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
    steps, _ = caches
    a0, c0, parameters = steps[0][2], steps[0][3], steps[0][9]
    params, trace = LSTMParams.from_dict(parameters), _forward_trace(steps)
    if trace is not None:
        grads = hidden_backward(params, trace, dA)
    else:
        grads = states_backward(params, dA, x=_stacked(steps, 8), a0=a0, c0=c0,
                                a=_stacked(steps, 0), c=_stacked(steps, 1),
                                gates=_stacked(steps, 4, 5, 7, 6))  # f; u; o; c~
    keys = ("dx", "da0") + tuple("d" + name for name in params.names()
                                 if name not in ("Wy", "by"))
    return {key: grads[key] for key in keys}


def initialize_adam(parameters: dict):
    """Zero first and second moments for every parameter.

    Args:
        parameters: dict {name: array}.

    Returns:
        v, s: dicts {"d" + name: zeros of that array's shape}.
    """
    v = {"d" + name: np.zeros(np.shape(value)) for name, value in parameters.items()}
    s = {"d" + name: np.zeros(np.shape(value)) for name, value in parameters.items()}
    return v, s


def update_parameters_with_adam(parameters: dict, grads: dict, v: dict, s: dict, t: int,
                                learning_rate: float = 0.01, beta1: float = 0.9,
                                beta2: float = 0.999, epsilon: float = 1e-8,
                                eps_inside_sqrt: bool = False):
    """One bias-corrected Adam step on every parameter (epsilon after the square root,
    as in Kingma & Ba; eps_inside_sqrt=True gives the notebook's sqrt(s_hat + epsilon)).

    Args:
        parameters: dict {name: array}.
        grads: dict {"d" + name: gradient of that array's shape}.
        v, s: moments from `initialize_adam` or a previous call.
        t: step number, from 1.

    Returns:
        parameters, v, s: new dicts (the arguments are not modified).
    """
    new_params, new_v, new_s = {}, {}, {}
    for name, theta in parameters.items():
        key = "d" + name
        if key not in grads:
            raise ValueError(f"grads has no {key!r} for parameter {name!r}")
        new_params[name], new_v[key], new_s[key], *_ = adam_update(
            np.asarray(theta, dtype=np.float64), np.asarray(grads[key], dtype=np.float64),
            v[key], s[key], t, learning_rate, beta1, beta2, epsilon, eps_inside_sqrt)
    return new_params, new_v, new_s


# The notebook's examples: their sizes, seed and T_x, and the order in which it draws each
# cell's parameters with randn after x and a0 (so the same seed gives the notebook's arrays).
NOTEBOOK_SIZES = {"n_x": 3, "n_a": 5, "n_y": 2, "m": 10}
NOTEBOOK_SEED = 1
NOTEBOOK_T_X = {"rnn": 4, "lstm": 7}
DRAW_ORDER = {"rnn": ("Waa", "Wax", "Wya", "ba", "by"),
              "lstm": ("Wf", "bf", "Wu", "bu", "Wo", "bo", "Wc", "bc", "Wy", "by")}


def notebook_example(cell: str, n_x: int = NOTEBOOK_SIZES["n_x"],
                     n_a: int = NOTEBOOK_SIZES["n_a"], n_y: int = NOTEBOOK_SIZES["n_y"],
                     m: int = NOTEBOOK_SIZES["m"], T_x: int | None = None,
                     seed: int = NOTEBOOK_SEED):
    """The notebook's example draws: ``np.random.seed(seed)`` then randn in its order.

    With the defaults (NOTEBOOK_SIZES, NOTEBOOK_T_X, NOTEBOOK_SEED) these are exactly the
    notebook's arrays. A private RandomState is used, so no global state is touched.

    Args:
        cell: a cell the notebook has an example of, a key of DRAW_ORDER.
        n_x, n_a, n_y, m, T_x: sizes; seed: the notebook's seed.

    Returns:
        params (the cell's parameter container), x (n_x, m, T_x), a0 (n_a, m).
    """
    if cell not in DRAW_ORDER:
        raise ValueError(f"the notebook has examples of {' and '.join(DRAW_ORDER)}; "
                         f"got {cell!r}")
    draw = np.random.RandomState(seed).randn
    x = draw(n_x, m, NOTEBOOK_T_X[cell] if T_x is None else T_x)
    a0 = draw(n_a, m)
    shapes = get_cell(cell).shapes(n_x, n_a, n_y)
    drawn = {name: draw(*shapes[name]) for name in DRAW_ORDER[cell]}  # in the notebook's order
    return get_cell(cell).params(**drawn), x, a0
