"""The LSTM: one step, a whole sequence, and back-propagation through time.

Forward, at every timestep t, on concat = [a<t-1>; x<t>] of shape (n_a + n_x, m)::

    f<t>  = sigmoid(Wf concat + bf)             forget gate       (n_a, m)
    u<t>  = sigmoid(Wu concat + bu)             update gate       (n_a, m)
    c~<t> = tanh(Wc concat + bc)                candidate         (n_a, m)
    c<t>  = f<t> * c<t-1> + u<t> * c~<t>        cell state        (n_a, m)
    o<t>  = sigmoid(Wo concat + bo)             output gate       (n_a, m)
    a<t>  = o<t> * tanh(c<t>)                   hidden state      (n_a, m)
    (the output layer, y_hat<t> = softmax(Wy a<t> + by), is in rnnviz.model)

Backward, given da<t> (from the output at t plus from a<t+1>) and dc<t+1->t> = dL/dc<t>
through c<t+1>::

    dc<t>  = dc<t+1->t> + da<t> * o<t> * (1 - tanh(c<t>)^2)      total dL/dc<t>
    dz_o   = da<t> * tanh(c<t>) * o<t> (1 - o<t>)
    dz_f   = dc<t> * c<t-1> * f<t> (1 - f<t>)
    dz_u   = dc<t> * c~<t> * u<t> (1 - u<t>)
    dz_c   = dc<t> * u<t> * (1 - c~<t>^2)
    dconcat = W^T dz  ->  da<t-1> += dconcat[:n_a],  dx<t> = dconcat[n_a:]
    dc<t-1> = dc<t> * f<t>
    dW = sum_t dz<t> concat<t>^T,   db = sum_t,m dz<t>

The four gates are fused: W = [Wf; Wu; Wo; Wc] (4 n_a, n_a + n_x) is applied in one product
per step on a<t-1>, all inputs x<1..T_x> are projected in one product before the loop, and
the weight gradients are accumulated in one product after it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz._shapes import as_float_array, check_sequence, check_shape, check_state
from rnnviz.activations import sigmoid
from rnnviz.params import LSTMParams


@dataclass(frozen=True)
class LSTMTrace:
    """Everything a view needs from one LSTM forward pass; arrays in the notebook's layout.

    Attributes:
        x: (n_x, m, T_x) inputs.
        a0, c0: (n_a, m) initial hidden and cell states.
        a, c: (n_a, m, T_x) hidden states a<t> and cell states c<t>.
        gates: (4 n_a, m, T_x) [f; u; o; c~] stacked; read them as the properties
            f, u, o (n_a, m, T_x) forget, update and output gates, in [0, 1], and
            c_tilde (n_a, m, T_x) candidate values, in [-1, 1].
        z_gates: (4 n_a, m, T_x) the gates' pre-activations; properties z_f, z_u, z_o, z_c.
        z_y: (n_y, m, T_x) output pre-activations Wy a<t> + by.
        y_hat: (n_y, m, T_x) softmax(z_y), or z_y when output is "linear".
        output: "softmax" or "linear".
    """

    x: np.ndarray
    a0: np.ndarray
    c0: np.ndarray
    a: np.ndarray
    c: np.ndarray
    gates: np.ndarray
    z_gates: np.ndarray
    z_y: np.ndarray
    y_hat: np.ndarray
    output: str
    cell = "lstm"

    def _gate(self, stacked: np.ndarray, k: int) -> np.ndarray:
        n_a = self.a.shape[0]
        return stacked[k * n_a: (k + 1) * n_a]

    @property
    def f(self) -> np.ndarray:
        return self._gate(self.gates, 0)

    @property
    def u(self) -> np.ndarray:
        return self._gate(self.gates, 1)

    @property
    def o(self) -> np.ndarray:
        return self._gate(self.gates, 2)

    @property
    def c_tilde(self) -> np.ndarray:
        return self._gate(self.gates, 3)

    @property
    def z_f(self) -> np.ndarray:
        return self._gate(self.z_gates, 0)

    @property
    def z_u(self) -> np.ndarray:
        return self._gate(self.z_gates, 1)

    @property
    def z_o(self) -> np.ndarray:
        return self._gate(self.z_gates, 2)

    @property
    def z_c(self) -> np.ndarray:
        return self._gate(self.z_gates, 3)

    @property
    def T_x(self) -> int:
        return self.x.shape[2]

    @property
    def a_prev(self) -> np.ndarray:
        """(n_a, m, T_x): a<t-1> at every t, starting from a0."""
        return np.concatenate([self.a0[:, :, None], self.a[:, :, :-1]], axis=2)

    @property
    def c_prev(self) -> np.ndarray:
        """(n_a, m, T_x): c<t-1> at every t, starting from c0."""
        return np.concatenate([self.c0[:, :, None], self.c[:, :, :-1]], axis=2)


# ----- one step: the unit the sequence functions loop over ---------------------------------

def lstm_step(zx_t: np.ndarray, a_prev: np.ndarray, c_prev: np.ndarray, Wa: np.ndarray):
    """One LSTM step, given the input's share of the four gates already projected.

    Args:
        zx_t: (4 n_a, m) W[:, n_a:] x<t> + b, rows ordered f, u, o, c~.
        a_prev: (n_a, m) a<t-1>.
        c_prev: (n_a, m) c<t-1>.
        Wa: (4 n_a, n_a) the gates' recurrent block W[:, :n_a].

    Returns:
        a_next (n_a, m), c_next (n_a, m), gates (4 n_a, m) = [f; u; o; c~], z (4 n_a, m).
    """
    n_a = a_prev.shape[0]
    z = Wa @ a_prev
    z += zx_t
    gates = np.empty_like(z)
    gates[: 3 * n_a] = sigmoid(z[: 3 * n_a])
    np.tanh(z[3 * n_a:], out=gates[3 * n_a:])
    f, u, o, c_tilde = gates[:n_a], gates[n_a: 2 * n_a], gates[2 * n_a: 3 * n_a], gates[3 * n_a:]
    c_next = f * c_prev + u * c_tilde
    a_next = o * np.tanh(c_next)
    return a_next, c_next, gates, z


def lstm_step_back(da: np.ndarray, dc_next: np.ndarray, gates: np.ndarray,
                   c_next: np.ndarray, c_prev: np.ndarray, Wa: np.ndarray):
    """Backward of `lstm_step`.

    Args:
        da: (n_a, m) dL/da<t>, all paths.
        dc_next: (n_a, m) dL/dc<t> through c<t+1> only.
        gates: (4 n_a, m) [f; u; o; c~] from the forward pass.
        c_next: (n_a, m) c<t>.
        c_prev: (n_a, m) c<t-1>.
        Wa: (4 n_a, n_a).

    Returns:
        dz (4 n_a, m) gradient of the gates' pre-activations, da_prev (n_a, m) through the
        gates, dc_prev (n_a, m) = dc * f, dc (n_a, m) the total dL/dc<t>.
    """
    n_a = da.shape[0]
    f, u, o, c_tilde = gates[:n_a], gates[n_a: 2 * n_a], gates[2 * n_a: 3 * n_a], gates[3 * n_a:]
    tanh_c = np.tanh(c_next)
    dc = dc_next + da * o * (1.0 - tanh_c * tanh_c)
    dz = np.empty_like(gates)
    dz[:n_a] = dc * c_prev
    dz[n_a: 2 * n_a] = dc * c_tilde
    dz[2 * n_a: 3 * n_a] = da * tanh_c
    sig = gates[: 3 * n_a]
    dz[: 3 * n_a] *= sig * (1.0 - sig)
    dz[3 * n_a:] = dc * u * (1.0 - c_tilde * c_tilde)
    return dz, Wa.T @ dz, dc * f, dc


def _split_concat_weights(params: LSTMParams):
    W, b = params.stacked()
    n_a = params.sizes["n_a"]
    return W[:, :n_a], W[:, n_a:], b  # Wa (4n_a, n_a), Wx (4n_a, n_x), b (4n_a, 1)


def lstm_step_forward(xt: np.ndarray, a_prev: np.ndarray, c_prev: np.ndarray,
                      params: LSTMParams):
    """One LSTM step from raw input.

    Args:
        xt: (n_x, m) x<t>.
        a_prev, c_prev: (n_a, m) a<t-1>, c<t-1>.
        params: LSTMParams.

    Returns:
        a_next (n_a, m), c_next (n_a, m), cache for `lstm_step_backward`.
    """
    sizes = params.sizes
    xt = as_float_array("xt", xt)
    check_shape("xt", xt, (sizes["n_x"], None), "(n_x, m)")
    m = xt.shape[1]
    a_prev = check_state("a_prev", a_prev, sizes["n_a"], m)
    c_prev = check_state("c_prev", c_prev, sizes["n_a"], m)
    Wa, Wx, b = _split_concat_weights(params)
    a_next, c_next, gates, _ = lstm_step(Wx @ xt + b, a_prev, c_prev, Wa)
    return a_next, c_next, (xt, a_prev, c_prev, c_next, gates, params)


def lstm_step_backward(da_next: np.ndarray, dc_next: np.ndarray, cache):
    """Backward of `lstm_step_forward`.

    Args:
        da_next: (n_a, m) dL/da<t>.
        dc_next: (n_a, m) dL/dc<t> through c<t+1> (zeros at the last step).
        cache: from `lstm_step_forward`.

    Returns:
        dxt (n_x, m), da_prev (n_a, m), dc_prev (n_a, m), and a dict of
        dWf, dWu, dWc, dWo (n_a, n_a + n_x), dbf, dbu, dbc, dbo (n_a, 1).
    """
    xt, a_prev, c_prev, c_next, gates, params = cache
    Wa, Wx, _ = _split_concat_weights(params)
    dz, da_prev, dc_prev, _ = lstm_step_back(da_next, dc_next, gates, c_next, c_prev, Wa)
    concat = np.concatenate([a_prev, xt], axis=0)
    return Wx.T @ dz, da_prev, dc_prev, _unstack_gate_grads(
        dz @ concat.T, dz.sum(axis=1, keepdims=True))


def _unstack_gate_grads(dW: np.ndarray, db: np.ndarray) -> dict[str, np.ndarray]:
    """Split stacked gradients (rows f, u, o, c~) into the notebook's names."""
    n_a = dW.shape[0] // 4
    out = {}
    for k, gate in enumerate(LSTMParams.GATES):
        out["dW" + gate] = dW[k * n_a: (k + 1) * n_a]
        out["db" + gate] = db[k * n_a: (k + 1) * n_a]
    return out


# ----- whole sequences ----------------------------------------------------------------------

def lstm_hidden_forward(params: LSTMParams, x: np.ndarray, a0: np.ndarray | None = None,
                        c0: np.ndarray | None = None):
    """Hidden and cell states and gates of a whole sequence (no output layer).

    Args:
        params: LSTMParams.
        x: (n_x, m, T_x).
        a0, c0: (n_a, m) or None for zeros.

    Returns:
        dict of x, a0, c0, a and c (n_a, m, T_x), gates and z_gates (4 n_a, m, T_x),
        all views of time-major buffers.
    """
    n_x, n_a = params.sizes["n_x"], params.sizes["n_a"]
    x = check_sequence(x, n_x)
    _, m, T_x = x.shape
    a0 = check_state("a0", a0, n_a, m)
    c0 = check_state("c0", c0, n_a, m)
    Wa, Wx, b = _split_concat_weights(params)
    x_tm = np.ascontiguousarray(x.transpose(0, 2, 1))  # (n_x, T_x, m)
    zx = (Wx @ x_tm.reshape(n_x, T_x * m)).reshape(4 * n_a, T_x, m)
    zx += b[:, :, None]
    A = np.empty((n_a, T_x, m))
    C = np.empty((n_a, T_x, m))
    G = np.empty((4 * n_a, T_x, m))  # gates, rows f, u, o, c~
    Z = np.empty((4 * n_a, T_x, m))
    a, c = a0, c0
    for t in range(T_x):
        a, c, G[:, t, :], Z[:, t, :] = lstm_step(zx[:, t, :], a, c, Wa)
        A[:, t, :] = a
        C[:, t, :] = c

    return {
        "x": x, "a0": a0, "c0": c0,
        "a": A.transpose(0, 2, 1), "c": C.transpose(0, 2, 1),
        "gates": G.transpose(0, 2, 1), "z_gates": Z.transpose(0, 2, 1),
    }


def lstm_hidden_backward(params: LSTMParams, trace: LSTMTrace, dA_out: np.ndarray):
    """BPTT through the LSTM, given the gradient arriving at each a<t> from outside.

    Args:
        params: LSTMParams.
        trace: LSTMTrace of the forward pass.
        dA_out: (n_a, m, T_x) dL/da<t> from the outputs only.

    Returns:
        dict with dWf, dbf, dWu, dbu, dWo, dbo, dWc, dbc, dx (n_x, m, T_x), da0, dc0 (n_a, m),
        dA and dC (n_a, m, T_x): the total dL/da<t> and dL/dc<t>, the gradient flow.
    """
    n_x, n_a = params.sizes["n_x"], params.sizes["n_a"]
    _, m, T_x = trace.x.shape
    check_shape("dA", dA_out, (n_a, m, T_x), "(n_a, m, T_x)")
    Wa, Wx, _ = _split_concat_weights(params)
    dA_out_tm = dA_out.transpose(0, 2, 1)
    G = trace.gates.transpose(0, 2, 1)  # (4 n_a, T_x, m)
    C = trace.c.transpose(0, 2, 1)
    C_prev = trace.c_prev.transpose(0, 2, 1)
    dZ = np.empty((4 * n_a, T_x, m))
    flow_a = np.empty((n_a, T_x, m))
    flow_c = np.empty((n_a, T_x, m))
    da_next = np.zeros((n_a, m))
    dc_next = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        da = dA_out_tm[:, t, :] + da_next
        flow_a[:, t, :] = da
        dZ[:, t, :], da_next, dc_next, flow_c[:, t, :] = lstm_step_back(
            da, dc_next, G[:, t, :], C[:, t, :], C_prev[:, t, :], Wa)
    dZ_flat = dZ.reshape(4 * n_a, T_x * m)
    x_flat = np.ascontiguousarray(trace.x.transpose(0, 2, 1)).reshape(n_x, T_x * m)
    a_prev_flat = np.ascontiguousarray(trace.a_prev.transpose(0, 2, 1)).reshape(n_a, T_x * m)
    dW = np.concatenate([dZ_flat @ a_prev_flat.T, dZ_flat @ x_flat.T], axis=1)
    grads = _unstack_gate_grads(dW, dZ_flat.sum(axis=1, keepdims=True))
    grads.update(
        dx=(Wx.T @ dZ_flat).reshape(n_x, T_x, m).transpose(0, 2, 1),
        da0=da_next, dc0=dc_next,
        dA=flow_a.transpose(0, 2, 1), dC=flow_c.transpose(0, 2, 1),
    )
    return grads
