"""The LSTM: one step, a whole sequence, and back-propagation through time.

Forward, at every timestep t, on concat = [a<t-1>; x<t>] of shape (n_a + n_x, m)::

    f<t>  = sigmoid(Wf concat + bf)             forget gate       (n_a, m)
    u<t>  = sigmoid(Wu concat + bu)             update gate       (n_a, m)
    c~<t> = tanh(Wc concat + bc)                candidate         (n_a, m)
    c<t>  = f<t> * c<t-1> + u<t> * c~<t>        cell state        (n_a, m)
    o<t>  = sigmoid(Wo concat + bo)             output gate       (n_a, m)
    a<t>  = o<t> * tanh(c<t>)                   hidden state      (n_a, m)
    (the output layer, y_hat<t> = softmax(Wy a<t> + by), is in rnnviz.engine.model)

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
the weight gradients are accumulated in one product after it. Inside the loops every step
writes into preallocated time-major buffers (T_x, m, n) in row form (each (n, m) array of
the equations held as its (m, n) transpose, so a step is one contiguous block that stays in
cache while it is worked on, and all steps together are one (T_x m, n) matrix). The parts
of the backward equations that do not depend on the recurrence (f(1-f) c<t-1>, u (1-c~^2),
...) are computed for a chunk of steps at once, as many as stay in cache. The elementwise
gate work is done gate-major, (4, m, n_a), where each gate is one contiguous block (NumPy is
several times slower on column blocks of a row), and copied to the row form once per step.

The gates use sigmoid(z) = (1 + tanh(z / 2)) / 2, the same function computed with one tanh:
it never overflows, saturates exactly to 0 and 1, and is within 2.3e-16 (two units in the
last place below 1) of 1 / (1 + exp(-z)).
The halving is folded into the sigmoid gates' rows of W and b (exact: a power of two), so
the whole gate stack costs one tanh call per step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from rnnviz.engine._arrays import (
    as_float_array,
    check_sequence,
    check_shape,
    check_state,
    empty_buffers,
)
from rnnviz.engine.description import Cell, Projection
from rnnviz.engine.params import LSTMParams, init_lstm
from rnnviz.engine.rnn import _backs, time_major_copy


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
        time_major: the buffers these arrays are views of, reused by BPTT: "concat"
            (T_x, m, n_a + n_x), concat<t> = [a<t-1>, x<t>] in row form, with its views
            "x" (T_x, m, n_x) and "h" (T_x + 1, m, n_a) = [a0, a<1..T_x>] (the last row of h
            lies one step past concat), "c" (T_x + 1, m, n_a) = [c0, c<1..T_x>],
            "tanh_c" (T_x, m, n_a), "gates" (T_x, m, 4 n_a). None for a trace built by hand;
            then they are rebuilt from the arrays above when needed.
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
    time_major: dict | None = field(default=None, repr=False, compare=False)
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

    def __getstate__(self) -> dict:
        """Pickled (e.g. by a cache) without the time-major buffers: they would double the
        size, and BPTT rebuilds them from the arrays when it needs them."""
        return {**self.__dict__, "time_major": None}

    @property
    def a_prev(self) -> np.ndarray:
        """(n_a, m, T_x): a<t-1> at every t, starting from a0."""
        return _time_major(self)["h"][:-1].transpose(2, 1, 0)

    @property
    def c_prev(self) -> np.ndarray:
        """(n_a, m, T_x): c<t-1> at every t, starting from c0."""
        return _time_major(self)["c"][:-1].transpose(2, 1, 0)


def _time_major(trace: LSTMTrace) -> dict:
    """The trace's time-major buffers (see LSTMTrace.time_major), rebuilt when absent or no
    longer behind the arrays (say after dataclasses.replace)."""
    tm = trace.time_major
    if tm is not None and all(_backs(tm[key], getattr(trace, name)) for key, name in (
            ("h", "a"), ("x", "x"), ("c", "c"), ("gates", "gates"))):
        return tm
    n_a, m, T_x = trace.a.shape
    hx = _concat_buffer(n_a, trace.x.shape[0], m, T_x)
    hx[0, :, :n_a] = trace.a0.T
    hx[1:, :, :n_a] = trace.a.transpose(2, 1, 0)
    hx[:T_x, :, n_a:] = trace.x.transpose(2, 1, 0)
    tm = {"concat": hx[:T_x], "x": hx[:T_x, :, n_a:], "h": hx[:, :, :n_a],
          "c": time_major_copy(trace.c, first=trace.c0), "gates": time_major_copy(trace.gates)}
    tm["tanh_c"] = np.tanh(tm["c"][1:])
    return tm


def _concat_buffer(n_a: int, n_x: int, m: int, T_x: int) -> np.ndarray:
    """(T_x + 1, m, n_a + n_x): row t holds [a<t>, x<t+1>] (x of the last row unused, zero),
    so rows 0..T_x-1 are concat<1..T_x> = [a<t-1>, x<t>], the gates' inputs."""
    hx = empty_buffers((T_x + 1, m, n_a + n_x))[0]
    hx[T_x, :, n_a:] = 0.0
    return hx


# ----- one step: the unit the sequence functions loop over ---------------------------------
# In row form: every (n, m) array of the equations is held as its (m, n) transpose, so each
# step is a contiguous block of a (T_x, m, n) buffer; gate columns are ordered f, u, o, c~.

_FACTOR_CHUNK_BYTES = 1 << 20  # backward factors for this many bytes of steps at a time


def _halve_sigmoid_rows(stacked: np.ndarray) -> np.ndarray:
    """A copy of a gate stack (4 n_a, ...) with the f, u, o rows halved (exact)."""
    out = np.array(stacked, dtype=np.float64)
    out[: 3 * (out.shape[0] // 4)] *= 0.5
    return out


def _lstm_step_into(z, a_prev, c_prev, WaT_half, gates, c_next, tanh_c, a_next, work,
                    gate_major) -> None:
    """One step in place, row form, with the sigmoid gates' columns of WaT_half and z halved.

    z (m, 4 n_a) holds the input's share (x<t>^T Wx^T + b^T) on entry and the pre-activations
    on exit (f, u, o columns halved); a_prev, c_prev (m, n_a); WaT_half (n_a, 4 n_a);
    gates (m, 4 n_a) receive [f, u, o, c~]; c_next, tanh_c, a_next (m, n_a) receive c<t>,
    tanh(c<t>), a<t>; work (m, 4 n_a) and gate_major (4, m, n_a) are scratch. The gates are
    worked on gate-major, where each gate is one contiguous block, and copied out once.
    """
    m, n_a = a_prev.shape
    np.matmul(a_prev, WaT_half, out=work)
    np.add(z, work, out=z)
    g = gate_major  # [f, u, o, c~] as (4, m, n_a)
    np.tanh(z.reshape(m, 4, n_a).transpose(1, 0, 2), out=g)
    np.multiply(g[:3], 0.5, out=g[:3])  # tanh(z/2) -> sigmoid(z) = (1 + tanh(z/2)) / 2
    np.add(g[:3], 0.5, out=g[:3])
    np.multiply(g[0], c_prev, out=c_next)  # f * c<t-1>
    share = work[:, :n_a]
    np.multiply(g[1], g[3], out=share)  # u * c~
    np.add(c_next, share, out=c_next)
    np.tanh(c_next, out=tanh_c)
    np.multiply(g[2], tanh_c, out=a_next)  # o * tanh(c<t>)
    np.copyto(gates.reshape(m, 4, n_a), g.transpose(1, 0, 2))


def _lstm_backward_factors(gates, c_prev, tanh_c, R, P) -> None:
    """The parts of the backward equations that do not depend on the recurrence.

    Gate-major, any trailing shape ((m, n_a) for one step, (k, m, n_a) for k steps):
    gates (4, ...) [f, u, o, c~], c_prev and tanh_c (...) c<t-1> and tanh(c<t>). Writes
    R (4, ...) = [c<t-1> f(1-f), c~ u(1-u), tanh(c<t>) o(1-o), u (1 - c~^2)], so that
    dz = [dc, dc, da, dc] * R, and P (...) = o (1 - tanh(c<t>)^2), so that
    dc<t> = dc<t+1->t> + da<t> P.
    """
    np.subtract(1.0, gates[:3], out=R[:3])
    np.multiply(R[:3], gates[:3], out=R[:3])  # s (1 - s) for f, u, o
    np.multiply(R[0], c_prev, out=R[0])
    np.multiply(R[1], gates[3], out=R[1])
    np.multiply(R[2], tanh_c, out=R[2])
    np.multiply(gates[3], gates[3], out=R[3])
    np.subtract(1.0, R[3], out=R[3])
    np.multiply(R[3], gates[1], out=R[3])
    np.multiply(tanh_c, tanh_c, out=P)
    np.subtract(1.0, P, out=P)
    np.multiply(P, gates[2], out=P)


def _lstm_step_back_into(da, dc_next, R, P, forget, dz, dc, dc_prev) -> None:
    """Backward of one step in place (dc_prev may be the same buffer as dc_next).

    da (m, n_a) dL/da<t> all paths; dc_next (m, n_a) dL/dc<t> through c<t+1>; R (4, m, n_a)
    and P (m, n_a) from `_lstm_backward_factors`; forget (m, n_a) f<t>. Writes dz
    (4, m, n_a) gate-major, dc (m, n_a) the total dL/dc<t>, dc_prev (m, n_a) = dc * f.
    """
    np.multiply(da, P, out=dc)
    np.add(dc, dc_next, out=dc)
    np.multiply(R[:2], dc, out=dz[:2])  # the f and u gates both scale by dc
    np.multiply(R[2], da, out=dz[2])
    np.multiply(R[3], dc, out=dz[3])
    np.multiply(dc, forget, out=dc_prev)


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
    n_a, m = np.shape(a_prev)
    z = np.ascontiguousarray(_halve_sigmoid_rows(zx_t).T)  # row form (m, 4 n_a)
    gates, work = np.empty((m, 4 * n_a)), np.empty((m, 4 * n_a))
    c_next, tanh_c, a_next = np.empty((m, n_a)), np.empty((m, n_a)), np.empty((m, n_a))
    with np.errstate(under="ignore"):
        _lstm_step_into(z, np.transpose(a_prev), np.transpose(c_prev),
                        _halve_sigmoid_rows(Wa).T, gates, c_next, tanh_c, a_next, work,
                        np.empty((4, m, n_a)))
    z[:, : 3 * n_a] *= 2.0
    return a_next.T, c_next.T, gates.T, z.T


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
    n_a, m = np.shape(da)
    gate_major = np.reshape(gates, (4, n_a, m)).transpose(0, 2, 1)  # (4, m, n_a)
    R, dz = np.empty((4, m, n_a)), np.empty((4, m, n_a))
    P, dc, dc_prev = np.empty((m, n_a)), np.empty((m, n_a)), np.empty((m, n_a))
    with np.errstate(under="ignore"):
        _lstm_backward_factors(gate_major, np.transpose(c_prev), np.tanh(np.transpose(c_next)),
                               R, P)
        _lstm_step_back_into(np.transpose(da), np.transpose(dc_next), R, P, gate_major[0], dz,
                             dc, dc_prev)
        dz_rows = dz.transpose(1, 0, 2).reshape(m, 4 * n_a)
        return dz_rows.T, (dz_rows @ Wa).T, dc_prev.T, dc.T


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
    params.validate()
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
                        c0: np.ndarray | None = None, extra: tuple = ()):
    """Hidden and cell states and gates of a whole sequence (no output layer).

    Args:
        params: LSTMParams.
        x: (n_x, m, T_x).
        a0, c0: (n_a, m) or None for zeros.
        extra: shapes of more buffers to allocate in the same block (the output layer's);
            when given, the dict also holds "extra", the list of those buffers.

    Returns:
        dict of x, a0, c0, a and c (n_a, m, T_x), gates and z_gates (4 n_a, m, T_x),
        all views of time-major buffers, and time_major, those buffers (LSTMTrace.time_major).
    """
    n_x, n_a = params.sizes["n_x"], params.sizes["n_a"]
    x = check_sequence(x, n_x)
    _, m, T_x = x.shape
    a0 = check_state("a0", a0, n_a, m)
    c0 = check_state("c0", c0, n_a, m)
    W, b = params.stacked()
    WT, b = _halve_sigmoid_rows(W).T, _halve_sigmoid_rows(b)[:, 0]  # (n_a + n_x, 4 n_a)
    # the transposed view of a C-contiguous matrix: OpenBLAS's faster case for these shapes
    WaT_half = np.ascontiguousarray(WT[:n_a].T).T
    # Z: pre-activations, G: gates, columns f, u, o, c~; C = [c0, c<1..T_x>]
    Z, G, C, TC, work, gate_major, *more = empty_buffers(
        (T_x, m, 4 * n_a), (T_x, m, 4 * n_a), (T_x + 1, m, n_a), (T_x, m, n_a), (m, 4 * n_a),
        (4, m, n_a), *extra)
    HX = _concat_buffer(n_a, n_x, m, T_x)  # [a<t-1>, x<t>] rows
    H, x_tm = HX[:, :, :n_a], HX[:T_x, :, n_a:]  # [a0, a<1..T_x>] and the inputs
    x_tm[...] = x.transpose(2, 1, 0)
    np.matmul(x_tm.reshape(T_x * m, n_x), WT[n_a:], out=Z.reshape(T_x * m, 4 * n_a))
    Z += b
    H[0], C[0] = a0.T, c0.T
    with np.errstate(under="ignore"):
        for t in range(T_x):
            _lstm_step_into(Z[t], H[t], C[t], WaT_half, G[t], C[t + 1], TC[t], H[t + 1], work,
                            gate_major)
    Z[..., : 3 * n_a] *= 2.0  # undo the halving: the sigmoid gates' true pre-activations
    states = {
        "x": x_tm.transpose(2, 1, 0), "a0": H[0].T, "c0": C[0].T,
        "a": H[1:].transpose(2, 1, 0), "c": C[1:].transpose(2, 1, 0),
        "gates": G.transpose(2, 1, 0), "z_gates": Z.transpose(2, 1, 0),
        "time_major": {"concat": HX[:T_x], "x": x_tm, "h": H, "c": C, "tanh_c": TC,
                       "gates": G},
    }
    if extra:
        states["extra"] = more
    return states


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
    n_a = params.sizes["n_a"]
    _, m, T_x = trace.x.shape
    check_shape("dA", dA_out, (n_a, m, T_x), "(n_a, m, T_x)")
    return lstm_bptt(params, trace, time_major_copy(dA_out))


def lstm_bptt(params: LSTMParams, trace: LSTMTrace, flow_a: np.ndarray):
    """`lstm_hidden_backward` in place: flow_a (T_x, m, n_a), time-major, holds dL/da<t> from
    the outputs on entry and the total dL/da<t> on exit (returned as dA, a view of it)."""
    n_x, n_a = params.sizes["n_x"], params.sizes["n_a"]
    T_x, m, _ = flow_a.shape
    tm = _time_major(trace)
    Wa, Wx, _ = _split_concat_weights(params)
    Wa = np.ascontiguousarray(Wa.T).T  # a transposed view, as in the forward loop
    G = tm["gates"]
    # the recurrence-free factors R, P are computed for a chunk of steps at once: all of
    # them when small (fewer NumPy calls), one at a time when large (they stay in cache)
    chunk = max(1, min(T_x, _FACTOR_CHUNK_BYTES // (8 * m * 9 * n_a)))  # Gc, R, P per step
    flow_c, dZ, dx, Gc, R, P, dz, da_next, dc_next = empty_buffers(
        (T_x, m, n_a), (T_x, m, 4 * n_a), (T_x, m, n_x), (4, chunk, m, n_a),
        (4, chunk, m, n_a), (chunk, m, n_a), (4, m, n_a), (m, n_a), (m, n_a))
    dc_next[...] = 0.0
    C, TC = tm["c"], tm["tanh_c"]
    with np.errstate(under="ignore"):
        for end in range(T_x, 0, -chunk):
            start = max(0, end - chunk)
            k = end - start
            # the chunk's gates gate-major (4, k, m, n_a): each gate one contiguous block
            np.copyto(Gc[:, :k], G[start:end].reshape(k, m, 4, n_a).transpose(2, 0, 1, 3))
            _lstm_backward_factors(Gc[:, :k], C[start:end], TC[start:end], R[:, :k], P[:k])
            for t in range(end - 1, start - 1, -1):
                j = t - start
                da = flow_a[t]
                if t < T_x - 1:
                    np.add(da, da_next, out=da)
                _lstm_step_back_into(da, dc_next, R[:, j], P[j], Gc[0, j], dz, flow_c[t],
                                     dc_next)
                np.copyto(dZ[t].reshape(m, 4, n_a), dz.transpose(1, 0, 2))  # row form again
                np.matmul(dZ[t], Wa, out=da_next)  # (Wa^T dz)^T
        dZ_flat = dZ.reshape(T_x * m, 4 * n_a)
        dW = dZ_flat.T @ tm["concat"].reshape(T_x * m, n_a + n_x)  # sum_t dz<t> concat<t>^T
        np.matmul(dZ_flat, Wx, out=dx.reshape(T_x * m, n_x))
        grads = _unstack_gate_grads(dW, dZ_flat.sum(axis=0)[:, None])
        grads.update(
            dx=dx.transpose(2, 1, 0), da0=da_next.T, dc0=dc_next.T,
            dA=flow_a.transpose(2, 1, 0), dC=flow_c.transpose(2, 1, 0),
        )
    return grads


CELL = Cell(
    name="lstm", label="LSTM", params=LSTMParams,
    projections=(Projection("f", "sigmoid", ("Wf",), "bf"),
                 Projection("u", "sigmoid", ("Wu",), "bu"),
                 Projection("c_tilde", "tanh", ("Wc",), "bc"),
                 Projection("o", "sigmoid", ("Wo",), "bo")),
    states=("a", "c"), sequences=("f", "u", "o", "c_tilde", "c", "a"), output_weight="Wy",
    memory_bias="bf", init=init_lstm,
)
