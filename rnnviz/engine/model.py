"""One entry point for any cell: forward trace with its output layer, loss and full BPTT.

Output layer, at every t (the RNN names its weight Wya; the LSTM Wy)::

    z_y<t>   = Wya a<t> + by                         (n_y, m)
    y_hat<t> = softmax(z_y<t>)   or   z_y<t> (linear)

Backward through it, from dz_y<t> = dL/dz_y<t> (rnnviz.engine.losses)::

    dWya = sum_t dz_y<t> a<t>^T    dby = sum_t,m dz_y<t>    da<t> (from output) = Wya^T dz_y<t>

then the cell's own BPTT (its module: rnnviz.engine.rnn, rnnviz.engine.lstm) carries da<t>
back through time. The cell is found from the parameters' description (rnnviz.engine.cells).
Interventions (rnnviz.engine.interventions: a gate clamped, a state set) are applied by the
cell's kernels forward, recorded in the trace, and held constant by its BPTT.

Every function here checks its arguments first (rnnviz.engine._arrays) and raises a
TypeError or ValueError naming the one that is wrong; a computation that overflows float64
is a ValueError naming the arguments too large, unless the caller ignores overflow
(`refusing_overflow`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rnnviz.engine._arrays import (
    as_float_array,
    check_choice,
    check_real,
    check_sequence,
    check_shape,
    check_state,
    check_whole,
    empty_buffers,
    flag_overflow,
    largest,
    refusing_overflow,
)
from rnnviz.engine.activations import softmax
from rnnviz.engine.cells import CELLS, cell_of
from rnnviz.engine.description import Trace
from rnnviz.engine.interventions import check_interventions, schedule_of
from rnnviz.engine.losses import Loss, loss_and_output_gradient
from rnnviz.engine.params import Params
from rnnviz.engine.truncation import truncated_bptt

OUTPUTS = ("softmax", "linear")


def output_names(params: Params) -> tuple[str, str]:
    """The output layer's parameter names: ("Wya", "by") for the RNN, ("Wy", "by") for the LSTM."""
    return cell_of(params).output_weight, "by"


def _output_layer(params: Params, A: np.ndarray, output: str):
    """z_y and y_hat (n_y, m, T_x) from hidden states A (n_a, m, T_x), in one product."""
    W = getattr(params, output_names(params)[0])
    n_a, m, T_x = A.shape
    n_y = W.shape[0]
    A_rows = A.transpose(2, 1, 0).reshape(T_x * m, n_a)  # a view of a trace's buffer
    z_y_rows = empty_buffers((T_x * m, n_y))[0]
    np.matmul(A_rows, W.T, out=z_y_rows)
    z_y_rows += params.by[:, 0]
    z_y = z_y_rows.reshape(T_x, m, n_y).transpose(2, 1, 0)
    if output == "linear":
        return z_y, z_y
    y_hat = empty_buffers((T_x, m, n_y))[0].transpose(2, 1, 0)
    return z_y, softmax(z_y, out=y_hat)


def forward(params: Params, x, a0=None, c0=None, output: str = "softmax",
            interventions=()) -> Trace:
    """Run a whole sequence through the network.

    Args:
        params: the parameters of one of the cells (RNNParams, LSTMParams, ...).
        x: (n_x, m, T_x) inputs.
        a0: (n_a, m) initial hidden state, or None for zeros.
        c0: (n_a, m) initial cell state (for a cell with one, the LSTM), or None for zeros.
        output: "softmax" or "linear".
        interventions: rnnviz.engine.Interventions to apply, in order (a gate clamped or a
            state set on chosen units at chosen steps); empty: the network as it is.

    Returns:
        the cell's trace (RNNTrace, LSTMTrace, ...), every array in the notebook's
        (n, m, T_x) layout, the interventions in trace.interventions.
    """
    check_choice("output", output, OUTPUTS)
    x, initial, interventions = _check_inputs(params, x, a0, c0, interventions)
    with refusing_overflow(_too_large("the forward pass", params, x=x, **initial)):
        return run_forward(params, x, initial, output, interventions)


def _check_inputs(params: Params, x, a0, c0, interventions=()):
    """The parameters validated, x as float64 (n_x, m, T_x), the cell's initial states
    {"a0": (n_a, m), ...} (zeros for None) and the interventions as a checked tuple;
    TypeError or ValueError naming a bad one."""
    cell = cell_of(params)
    params.validate()
    n_x, n_a = params.sizes["n_x"], params.sizes["n_a"]
    x = check_sequence(x, n_x)
    given = {"a": a0, "c": c0}
    for state, value in given.items():
        if value is not None and state not in cell.states:
            owners = " and the ".join(c.label for c in CELLS.values() if state in c.states)
            raise ValueError(f"{state}0 is for the {owners}; the {cell.label} has no state "
                             f"{state}")
    initial = {state + "0": check_state(state + "0", given[state], n_a, x.shape[1])
               for state in cell.states}
    return x, initial, check_interventions(cell, interventions, n_a, x.shape[2])


def run_forward(params: Params, x: np.ndarray, initial: dict, output: str,
                interventions: tuple = ()) -> Trace:
    """`forward` without its checks, for a caller that has made them (rnnviz.notebook's
    one-step functions, whose messages name their own arguments): params validated, x
    float64 (n_x, m, T_x), initial {"a0": (n_a, m), ...} for each of the cell's states,
    interventions checked (rnnviz.engine.interventions.check_interventions), and an
    overflow guarded (rnnviz.engine._arrays.refusing_overflow)."""
    cell = cell_of(params)
    hidden = cell.forward(params, x, *initial.values(),
                          edits=schedule_of(interventions, x.shape[2]))
    z_y, y_hat = _output_layer(params, hidden["a"], output)
    return cell.trace(**hidden, z_y=z_y, y_hat=y_hat, output=output,
                      interventions=interventions)


def _too_large(what: str, params: Params, **arrays) -> Callable[[], str]:
    """The message of an overflow in `what`: the largest |entry| of each array named and of
    the parameters, the arguments one of which is too large."""
    def message() -> str:
        sizes = ", ".join(largest(*item) for item in (*arrays.items(), ("params", params)))
        return (f"{what} overflows float64, whose numbers end at 1.8e308: one of "
                f"{', '.join(arrays)} or the parameters is too large ({sizes})")
    return message


def check_trace(params: Params, trace: Trace) -> None:
    """Validate the parameters; TypeError or ValueError naming `trace` unless it is a forward
    pass of their cell and sizes (a trace of other parameters would fail inside NumPy).

    Every array of the trace must have its shape: (n_x, m, T_x) x, (n_a, m) each initial
    state, (n_a, m, T_x) each state, (n_y, m, T_x) z_y and y_hat, and (k n_a, m, T_x) the
    values or pre-activations of the cell's k projections stacked. The outputs must be
    finite, and so must the rest when the trace's arrays are no longer views of the buffers
    its forward pass wrote (a trace built or changed by hand, or unpickled).
    """
    params.validate()
    cell = cell_of(trace, "trace")
    if cell is not cell_of(params) or not isinstance(trace, cell.trace):
        raise TypeError(f"trace must be a forward pass of the {cell_of(params).label} these "
                        f"parameters are; got a {type(trace).__name__}")
    sizes, steps = params.sizes, np.shape(trace.a)[1:]  # (m, T_x)
    if not isinstance(trace.interventions, tuple):
        raise TypeError(f"trace.interventions must be a tuple of Intervention; got "
                        f"{type(trace.interventions).__name__}")
    stacked = len(cell.projections)
    rows = {"x": "n_x", "z_y": "n_y", "y_hat": "n_y", **{state: "n_a" for state in cell.states},
            **{state + "0": "n_a" for state in cell.states}}
    own = trace.time_major is not None and trace.time_major.hold(trace)
    for name in trace.arrays():
        array = getattr(trace, name)
        dim = rows.get(name, f"{stacked} n_a")
        height = sizes[dim] if dim in sizes else stacked * sizes["n_a"]
        if name[:-1] in cell.states:  # an initial state, (n_a, m)
            expected, names = (height, *steps[:1]), f"({dim}, m) of these parameters"
        else:
            expected, names = (height, *steps), f"({dim}, m, T_x) of these parameters"
        if np.shape(array) != expected:
            check_shape(f"trace.{name}", array, expected, names)
        if not own or name in ("z_y", "y_hat"):
            check_real(f"trace.{name}", array)
    check_interventions(cell, trace.interventions, sizes["n_a"], steps[1])


@dataclass(frozen=True)
class Backprop:
    """Result of BPTT: the loss, every gradient, and the gradient flow through time.

    Attributes:
        loss: the loss value.
        grads: same container type as the parameters, holding dL/d(each parameter).
        dx: (n_x, m, T_x) dL/dx.
        da0: (n_a, m) dL/da<0>.
        dc0: (n_a, m) dL/dc<0> (LSTM), else None.
        dA: (n_a, m, T_x) dL/da<t>: total gradient at every hidden state.
        dC: (n_a, m, T_x) dL/dc<t> (LSTM), else None.
        dz_y: (n_y, m, T_x) dL/dz_y<t>.
    """

    loss: float
    grads: Params
    dx: np.ndarray
    da0: np.ndarray
    dc0: np.ndarray | None
    dA: np.ndarray
    dC: np.ndarray | None
    dz_y: np.ndarray

    def flow_norms(self) -> dict[str, np.ndarray]:
        """(T_x,) norms ||dL/da<t>|| (and ||dL/dc<t>||), over units and the batch."""
        out = {"a": np.sqrt(np.einsum("imt,imt->t", self.dA, self.dA))}
        if self.dC is not None:
            out["c"] = np.sqrt(np.einsum("imt,imt->t", self.dC, self.dC))
        return out


def hidden_backward(params: Params, trace: Trace, dA_out) -> dict[str, np.ndarray]:
    """BPTT from an upstream gradient on every hidden state, without the output layer.

    Args:
        params: the parameters `trace` was computed with.
        trace: the forward trace.
        dA_out: (n_a, m, T_x) dL/da<t> from outside the recurrence.

    Returns:
        dict of the recurrent parameters' gradients ("dWax", ... or "dWf", ...), dx, da0,
        dA (and dc0, dC for the LSTM).
    """
    check_trace(params, trace)
    return _bptt_from_outside(params, trace.buffers(), dA_out, "trace", trace.interventions)


def states_backward(params: Params, dA_out, **arrays) -> dict[str, np.ndarray]:
    """`hidden_backward` for a forward pass of which only the arrays BPTT reads are at hand
    (rnnviz.notebook's caches, which checks them), not its trace.

    Args:
        params: the parameters the arrays were computed with.
        dA_out: (n_a, m, T_x) dL/da<t> from outside the recurrence.
        arrays: the trace's arrays BPTT reads, by their names in the trace: x, a0, a; and
            c0, c, gates for the LSTM (the arguments of the cell's `buffers`).
    """
    return _bptt_from_outside(params, cell_of(params).buffers(**arrays), dA_out, "caches")


def _bptt_from_outside(params: Params, buffers, dA_out, source: str,
                       interventions: tuple = ()) -> dict[str, np.ndarray]:
    """BPTT from dA_out (checked here) through the buffers of a forward pass from `source`
    (which an overflow's message names) and its checked interventions."""
    T_x, m, n_a = buffers.h[1:].shape
    dA_out = as_float_array("dA", dA_out)
    check_shape("dA", dA_out, (n_a, m, T_x), "(n_a, m, T_x)")
    flow = empty_buffers((T_x, m, n_a))[0]
    flow[...] = dA_out.transpose(2, 1, 0)
    with refusing_overflow(_too_large("back-propagation", params, dA=dA_out,
                                      **{f"x of the {source}": buffers.x,
                                         f"a of the {source}": buffers.h})):
        return cell_of(params).bptt(params, buffers, flow,
                                    edits=schedule_of(interventions, T_x))


def backward(params: Params, trace: Trace, targets, loss: Loss,
             truncate: int | None = None) -> Backprop:
    """Full BPTT: from the loss on the outputs back to every parameter, input and state.

    Args:
        params: the parameters `trace` was computed with.
        trace: forward trace (its output must match loss.output).
        targets: cross-entropy: (m, T_x) class indices (-1 skips a position);
            squared error: (n_y, m, T_x).
        loss: Loss.
        truncate: None for full BPTT; k (at least 1) to let each loss term's gradient reach
            back k steps only (rnnviz.engine.truncation), the state before held constant.

    Returns:
        Backprop.
    """
    check_loss(loss)
    check_trace(params, trace)
    truncate = check_truncate(truncate, trace.interventions)
    with refusing_overflow(_too_large("the loss or back-propagation", params, targets=targets,
                                      **{f"trace.{name}": getattr(trace, name)
                                         for name in ("x", "a", "z_y")})):
        return _backward(params, trace, targets, loss, truncate)


def check_truncate(truncate, interventions: tuple = ()) -> int | None:
    """None, or the truncation length as an int of at least 1; TypeError or ValueError
    naming it otherwise, or with interventions (not combined)."""
    if truncate is None:
        return None
    truncate = check_whole("truncate", truncate, 1)
    if interventions:
        raise ValueError("truncate: truncated BPTT through interventions is not supported; "
                         "use full BPTT (truncate=None) with interventions")
    return truncate


def check_loss(loss) -> None:
    """TypeError unless `loss` is a Loss."""
    if not isinstance(loss, Loss):
        raise TypeError(f"loss must be a Loss (rnnviz.engine.Loss(kind, where)); got "
                        f"{type(loss).__name__}")


def _loss(trace: Trace, targets, loss: Loss) -> tuple[float, np.ndarray]:
    """The loss and dL/dz_y of a trace, whose output must be the loss's."""
    if trace.output != loss.output:
        raise ValueError(f"a {loss.kind} loss needs a {loss.output} output; "
                         f"the trace has a {trace.output} output")
    y_hat = trace.y_hat if trace.output == "softmax" else None
    value, dz_y = loss_and_output_gradient(loss, trace.z_y, targets, y_hat)
    flag_overflow(value)
    return value, dz_y


def _backward(params: Params, trace: Trace, targets, loss: Loss,
              truncate: int | None = None) -> Backprop:
    """`backward` once its arguments are checked."""
    value, dz_y = _loss(trace, targets, loss)
    W_name, b_name = output_names(params)
    W = getattr(params, W_name)
    n_y, m, T_x = dz_y.shape
    n_a = trace.a.shape[0]
    dz_rows = np.ascontiguousarray(dz_y.transpose(2, 1, 0)).reshape(T_x * m, n_y)
    a_rows = trace.a.transpose(2, 1, 0).reshape(T_x * m, n_a)
    flow = empty_buffers((T_x, m, n_a))[0]  # dL/da<t> from the outputs, then the total
    np.matmul(dz_rows, W, out=flow.reshape(T_x * m, n_a))
    if truncate is not None and truncate < T_x:
        hidden = truncated_bptt(params, trace.buffers(), flow, truncate)
    else:
        hidden = cell_of(params).bptt(params, trace.buffers(), flow,
                                      edits=schedule_of(trace.interventions, T_x))
    named = {name: hidden["d" + name] for name in params.names() if "d" + name in hidden}
    named[W_name] = dz_rows.T @ a_rows
    named[b_name] = dz_rows.sum(axis=0)[:, None]
    return Backprop(
        loss=value, grads=type(params)(**named), dx=hidden["dx"], da0=hidden["da0"],
        dc0=hidden.get("dc0"), dA=hidden["dA"], dC=hidden.get("dC"), dz_y=dz_y,
    )


def loss_and_gradients(params: Params, x, targets, loss: Loss, a0=None, c0=None,
                       interventions=(), truncate: int | None = None):
    """Forward and full BPTT in one call.

    Args:
        params: the parameters of one of the cells.
        x: (n_x, m, T_x).
        targets: see `backward`.
        loss: Loss.
        a0, c0: (n_a, m) initial states or None.
        interventions: as for `forward`.
        truncate: as for `backward`.

    Returns:
        (trace, Backprop).
    """
    check_loss(loss)
    x, initial, interventions = _check_inputs(params, x, a0, c0, interventions)
    truncate = check_truncate(truncate, interventions)
    with refusing_overflow(_too_large("the forward pass, the loss or back-propagation",
                                      params, x=x, **initial, targets=targets)):
        trace = run_forward(params, x, initial, loss.output, interventions)
        return trace, _backward(params, trace, targets, loss, truncate)


def loss_value(params: Params, x, targets, loss: Loss, a0=None, c0=None,
               interventions=()) -> float:
    """The loss alone (forward pass only).

    Args:
        params: the parameters of one of the cells.
        x: (n_x, m, T_x).
        targets: cross-entropy: (m, T_x) class indices; squared error: (n_y, m, T_x).
        loss: Loss.
        a0, c0: (n_a, m) initial states or None.
        interventions: as for `forward`.
    """
    check_loss(loss)
    x, initial, interventions = _check_inputs(params, x, a0, c0, interventions)
    with refusing_overflow(_too_large("the forward pass or the loss", params, x=x, **initial,
                                      targets=targets)):
        trace = run_forward(params, x, initial, loss.output, interventions)
        return _loss(trace, targets, loss)[0]
