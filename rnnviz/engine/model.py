"""One entry point for either cell: forward trace with its output layer, loss and full BPTT.

Output layer, at every t (RNN names Wya; the LSTM's Wy)::

    z_y<t>   = Wya a<t> + by                         (n_y, m)
    y_hat<t> = softmax(z_y<t>)   or   z_y<t> (linear)

Backward through it, from dz_y<t> = dL/dz_y<t> (rnnviz.engine.losses)::

    dWya = sum_t dz_y<t> a<t>^T    dby = sum_t,m dz_y<t>    da<t> (from output) = Wya^T dz_y<t>

then the cell's own BPTT (rnnviz.engine.rnn, rnnviz.engine.lstm) carries da<t> back through time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.engine._arrays import empty_buffers
from rnnviz.engine.activations import softmax
from rnnviz.engine.losses import Loss, loss_and_output_gradient
from rnnviz.engine.lstm import LSTMTrace, lstm_bptt, lstm_hidden_backward, lstm_hidden_forward
from rnnviz.engine.params import LSTMParams, Params, RNNParams
from rnnviz.engine.rnn import RNNTrace, rnn_bptt, rnn_hidden_backward, rnn_hidden_states

Trace = RNNTrace | LSTMTrace
OUTPUTS = ("softmax", "linear")


def output_names(params: Params) -> tuple[str, str]:
    """The output layer's parameter names: ("Wya", "by") for the RNN, ("Wy", "by") for the LSTM."""
    return ("Wya", "by") if isinstance(params, RNNParams) else ("Wy", "by")


def _output_layer(params: Params, A: np.ndarray, output: str, z_y_tm=None, y_hat_tm=None):
    """z_y (n_y, m, T_x) and y_hat from hidden states A (n_a, m, T_x), in one product.

    z_y_tm, y_hat_tm: optional time-major (T_x, m, n_y) buffers to write into.
    """
    W = getattr(params, output_names(params)[0])
    n_a, m, T_x = A.shape
    n_y = W.shape[0]
    A_rows = A.transpose(2, 1, 0).reshape(T_x * m, n_a)  # a view of a trace's buffer
    if z_y_tm is None:
        z_y_tm = np.empty((T_x, m, n_y))
    np.matmul(A_rows, W.T, out=z_y_tm.reshape(T_x * m, n_y))
    z_y_tm += params.by[:, 0]
    z_y = z_y_tm.transpose(2, 1, 0)
    if output == "linear":
        return z_y, z_y
    if y_hat_tm is None:
        y_hat_tm = np.empty((T_x, m, n_y))
    softmax(z_y, out=y_hat_tm.transpose(2, 1, 0))
    return z_y, y_hat_tm.transpose(2, 1, 0)


def forward(params: Params, x, a0=None, c0=None, output: str = "softmax") -> Trace:
    """Run a whole sequence through the network.

    Args:
        params: RNNParams or LSTMParams.
        x: (n_x, m, T_x) inputs.
        a0: (n_a, m) initial hidden state, or None for zeros.
        c0: (n_a, m) initial cell state (LSTM only), or None for zeros.
        output: "softmax" or "linear".

    Returns:
        RNNTrace or LSTMTrace, every array in the notebook's (n, m, T_x) layout.
    """
    if output not in OUTPUTS:
        raise ValueError(f"output must be one of {OUTPUTS}; got {output!r}")
    if not isinstance(params, RNNParams | LSTMParams):
        raise TypeError(f"params must be RNNParams or LSTMParams; got {type(params).__name__}")
    params.validate()
    n_y = params.sizes["n_y"]
    m, T_x = np.shape(x)[1:] if np.ndim(x) == 3 else (1, 1)  # a bad x is reported below
    outputs = ((T_x, m, n_y),) * (2 if output == "softmax" else 1)
    if isinstance(params, RNNParams):
        if c0 is not None:
            raise ValueError("c0 is for the LSTM; the vanilla RNN has no cell state")
        tm = rnn_hidden_states(params, x, a0, extra=outputs)
        H = tm["h"]
        a = H[1:].transpose(2, 1, 0)
        z_y, y_hat = _output_layer(params, a, output, *tm["extra"])
        return RNNTrace(x=tm["x"].transpose(2, 1, 0), a0=H[0].T,
                        z=tm["z"].transpose(2, 1, 0), a=a, z_y=z_y, y_hat=y_hat,
                        output=output, time_major={"x": tm["x"], "h": H})
    states = lstm_hidden_forward(params, x, a0, c0, extra=outputs)
    z_y, y_hat = _output_layer(params, states["a"], output, *states.pop("extra"))
    return LSTMTrace(**states, z_y=z_y, y_hat=y_hat, output=output)


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
        params: RNNParams or LSTMParams.
        trace: the forward trace.
        dA_out: (n_a, m, T_x) dL/da<t> from outside the recurrence.

    Returns:
        dict of the recurrent parameters' gradients ("dWax", ... or "dWf", ...), dx, da0,
        dA (and dc0, dC for the LSTM).
    """
    dA_out = np.asarray(dA_out, dtype=np.float64)
    if isinstance(params, RNNParams):
        return rnn_hidden_backward(params, trace, dA_out)
    return lstm_hidden_backward(params, trace, dA_out)


def backward(params: Params, trace: Trace, targets, loss: Loss) -> Backprop:
    """Full BPTT: from the loss on the outputs back to every parameter, input and state.

    Args:
        params: the parameters `trace` was computed with.
        trace: forward trace (its output must match loss.output).
        targets: cross-entropy: (m, T_x) class indices (-1 skips a position);
            squared error: (n_y, m, T_x).
        loss: Loss.

    Returns:
        Backprop.
    """
    if trace.output != loss.output:
        raise ValueError(f"a {loss.kind} loss needs a {loss.output} output; "
                         f"the trace has a {trace.output} output")
    y_hat = trace.y_hat if trace.output == "softmax" else None
    value, dz_y = loss_and_output_gradient(loss, trace.z_y, targets, y_hat)
    W_name, b_name = output_names(params)
    W = getattr(params, W_name)
    n_y, m, T_x = dz_y.shape
    n_a = trace.a.shape[0]
    dz_rows = np.ascontiguousarray(dz_y.transpose(2, 1, 0)).reshape(T_x * m, n_y)
    a_rows = trace.a.transpose(2, 1, 0).reshape(T_x * m, n_a)
    flow = empty_buffers((T_x, m, n_a))[0]  # dL/da<t> from the outputs, then the total
    np.matmul(dz_rows, W, out=flow.reshape(T_x * m, n_a))
    if isinstance(params, RNNParams):
        hidden = rnn_bptt(params, trace, flow)
    else:
        hidden = lstm_bptt(params, trace, flow)
    named = {name: hidden["d" + name] for name in params.names() if "d" + name in hidden}
    named[W_name] = dz_rows.T @ a_rows
    named[b_name] = dz_rows.sum(axis=0)[:, None]
    return Backprop(
        loss=value, grads=type(params)(**named), dx=hidden["dx"], da0=hidden["da0"],
        dc0=hidden.get("dc0"), dA=hidden["dA"], dC=hidden.get("dC"), dz_y=dz_y,
    )


def loss_and_gradients(params: Params, x, targets, loss: Loss, a0=None, c0=None):
    """Forward and full BPTT in one call.

    Args:
        params: RNNParams or LSTMParams.
        x: (n_x, m, T_x).
        targets: see `backward`.
        loss: Loss.
        a0, c0: (n_a, m) initial states or None.

    Returns:
        (trace, Backprop).
    """
    trace = forward(params, x, a0, c0, output=loss.output)
    return trace, backward(params, trace, targets, loss)


def loss_value(params: Params, x, targets, loss: Loss, a0=None, c0=None) -> float:
    """The loss alone (forward pass only).

    Args:
        params: RNNParams or LSTMParams.
        x: (n_x, m, T_x).
        targets: cross-entropy: (m, T_x) class indices; squared error: (n_y, m, T_x).
        loss: Loss.
        a0, c0: (n_a, m) initial states or None.
    """
    trace = forward(params, x, a0, c0, output=loss.output)
    y_hat = trace.y_hat if trace.output == "softmax" else None
    return loss_and_output_gradient(loss, trace.z_y, targets, y_hat)[0]
