"""The LSTM's fused sequence kernel: `lstm_step_forward` and `lstm_step_backward`
(rnnviz.engine.lstm, where the equations are) over every t, the same numbers computed
faster. The LSTM's Cell calls `_lstm_forward` and `_lstm_bptt`; traces keep their
`_Buffers`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rnnviz.engine._arrays import (
    concat_row_views,
    empty_buffers,
    is_view_of,
    time_major,
)
from rnnviz.engine.activations import (
    SCALES,
    activate,
    kernel_for,
    largest_preactivation,
    tanh_into,
)
from rnnviz.engine.description import Trace
from rnnviz.engine.params import Params, stacked_gates

# The four gates are stacked into one matrix, sigmoid gates first: W = [Wf; Wu; Wo; Wc]; the
# trace stacks them, and their pre-activations, in the same order.
GATE_ORDER = ("f", "u", "o", "c")

_FACTOR_CHUNK_BYTES = 1 << 20  # BPTT's recurrence-free factors, this many bytes of steps at once
_GRADIENT_SPAN_BYTES = 16 << 20  # BPTT's dz<t>, this many bytes of steps before their products


class _Buffers(NamedTuple):
    """A forward pass's time-major arrays, which BPTT reads. Row form: step t of an (n, m)
    array of the equations is the contiguous (m, n) block [t] of a (T_x, m, n) buffer.

    Attributes:
        hx: (T_x + 1, m, n_a + n_x): row t is [a<t>, x<t+1>] (the last row's x part unused),
            so hx[:T_x] is concat<1..T_x> = [a<t-1>, x<t>], the gates' inputs, in one matrix.
        c: (T_x + 1, m, n_a) [c0, c<1>, ..., c<T_x>].
        tanh_c: (T_x, m, n_a) tanh(c<t>).
        gates: (T_x, m, 4 n_a) [f, u, o, c~] at every t.
    """

    hx: np.ndarray
    c: np.ndarray
    tanh_c: np.ndarray
    gates: np.ndarray

    @property
    def n_a(self) -> int:
        return self.c.shape[2]

    concat, h, x = concat_row_views()

    @classmethod
    def empty(cls, n_x: int, n_a: int, m: int, T_x: int) -> _Buffers:
        hx, c, tanh_c, gates = empty_buffers((T_x + 1, m, n_a + n_x), (T_x + 1, m, n_a),
                                             (T_x, m, n_a), (T_x, m, 4 * n_a))
        return cls(hx=hx, c=c, tanh_c=tanh_c, gates=gates)

    @classmethod
    def from_arrays(cls, x: np.ndarray, a0: np.ndarray, c0: np.ndarray, a: np.ndarray,
                    c: np.ndarray, gates: np.ndarray, kernel: str | None = None) -> _Buffers:
        """From x (n_x, m, T_x), a0, c0 (n_a, m), a, c (n_a, m, T_x), gates (4 n_a, m, T_x)
        and the kernel the forward pass computed with (None if unknown); BPTT only reads
        them."""
        n_a, m, T_x = a.shape
        buffers = cls.empty(x.shape[0], n_a, m, T_x)._replace(gates=time_major(gates))
        buffers.h[0] = a0.T
        buffers.h[1:] = a.transpose(2, 1, 0)
        buffers.x[...] = x.transpose(2, 1, 0)
        buffers.c[0] = c0.T
        buffers.c[1:] = c.transpose(2, 1, 0)
        # tanh(c<t>) as the forward pass computed it, so that a trace rebuilt from its arrays
        # is differentiated to the same bits on every processor. "tanh" is safe for any c and
        # is kept; otherwise (kernel unknown, or "exp", whose range c replaced after the pass
        # may leave) KERNEL wherever it is safe for these c, as the forward pass chose it
        if kernel != "tanh":
            kernel = kernel_for(lambda: float(np.max(np.abs(c), initial=0.0)))
        tanh_into(buffers.c[1:], buffers.tanh_c, kernel)
        return buffers

    def hold(self, trace: Trace) -> bool:
        """Whether the trace's x, a, c and gates are still views of these buffers."""
        return (is_view_of(trace.a, self.hx) and is_view_of(trace.x, self.hx)
                and is_view_of(trace.c, self.c) and is_view_of(trace.gates, self.gates))


def _lstm_forward(params: Params, x: np.ndarray, a0: np.ndarray, c0: np.ndarray,
                  edits=None) -> dict:
    """States and gates of a whole sequence: `lstm_step_forward` at t = 1..T_x, fused.

    How this and `_lstm_bptt` are fast:

    - The four gates are one product: W = [Wf; Wu; Wo; Wc] (4 n_a, n_a + n_x) is applied to
      a<t-1> once per step, all inputs x<1..T_x> are projected in one product before the
      loop, and the weight gradients are accumulated in one product after it.
    - Every step writes into preallocated time-major buffers (T_x, m, n) in row form (each
      (n, m) array of the equations held as its (m, n) transpose), so a step is one
      contiguous block that stays in cache while it is worked on, and all steps together are
      one (T_x m, n) matrix for the big products.
    - The elementwise gate work is done gate-major, (4, m, n_a), where each gate is one
      contiguous block (NumPy is several times slower on column blocks of a row), and copied
      to the row form once per step.
    - Each function's argument scale (rnnviz.engine.activations.SCALES: the sigmoid gates'
      z / 2 for the "tanh" kernel, -z and the candidate's -2 z for "exp") is folded into
      the gates' rows of W and b (exact: powers of two and signs), so the whole gate stack
      costs one transcendental call per step, on the kernel measured fastest on this
      processor; the pre-activations are scaled back once, after the loop.
    - In BPTT the parts of the backward equations that do not depend on the recurrence
      (f (1 - f) c<t-1>, u (1 - c~^2), ...) are computed for a chunk of steps at once, as many
      as stay in cache (_FACTOR_CHUNK_BYTES).
    - BPTT keeps dz<t> for a span of steps (_GRADIENT_SPAN_BYTES: the whole sequence at
      moderate sizes, a few tens of steps at the limits), then adds their share of the
      weight gradients and dx in one product each, so that its working memory stays bounded.

    Args:
        params: LSTMParams.
        x: (n_x, m, T_x) float64.
        a0, c0: (n_a, m) float64.
        edits: the interventions' Schedule (rnnviz.engine.interventions), or None.

    Returns:
        the LSTMTrace's fields x, a0, c0, a, c, gates, z_gates (views of the buffers) and
        time_major.
    """
    n_x, _, T_x = x.shape
    n_a, m = a0.shape
    buffers = _Buffers.empty(n_x, n_a, m, T_x)
    H, C, TC, G = buffers.h, buffers.c, buffers.tanh_c, buffers.gates
    W, b = stacked_gates(params, GATE_ORDER)
    # |c<t>| <= |c<t-1>| + 1, so tanh's arguments stay below max |c0| + T_x (or a set c)
    a_bound, c_bound = (a0, c0) if edits is None else (edits.bound("a", a0),
                                                       edits.bound("c", c0))
    kernel = kernel_for(lambda: max(largest_preactivation(W[:, :n_a], W[:, n_a:], b, x, a_bound),
                                    float(np.max(np.abs(c_bound))) + T_x))
    scales = SCALES[kernel]
    W_scaled, b_scaled = stacked_gates(params, GATE_ORDER, scales)
    WT = W_scaled.T  # (n_a + n_x, 4 n_a)
    # the transposed view of a C-contiguous matrix: OpenBLAS's faster case for these shapes
    WaT = np.ascontiguousarray(W_scaled[:, :n_a]).T
    Z, Wa_a, gate_major = empty_buffers((T_x, m, 4 * n_a), (m, 4 * n_a), (4, m, n_a))
    buffers.x[...] = x.transpose(2, 1, 0)
    # the input's share of every gate at every t in one product: (T_x m, n_x) @ (n_x, 4 n_a)
    np.matmul(buffers.x.reshape(T_x * m, n_x), WT[n_a:], out=Z.reshape(T_x * m, 4 * n_a))
    Z += b_scaled
    H[0], C[0] = a0.T, c0.T
    f, u, o, c_tilde = gate_major
    u_c_tilde = Wa_a[:, :n_a]  # scratch, free once the gates are computed
    # the per-step views, made once: step t's pre-activations gate-major, its gates' row form
    Z_gates = Z.reshape(T_x, m, 4, n_a).transpose(0, 2, 1, 3)
    G_rows, gates_by_row = G.reshape(T_x, m, 4, n_a), gate_major.transpose(1, 0, 2)
    with np.errstate(under="ignore"):
        for t in range(T_x):
            np.matmul(H[t], WaT, out=Wa_a)  # (W_a a<t-1>)^T, W_a = W[:, :n_a], scaled
            np.add(Z[t], Wa_a, out=Z[t])  # the gates' pre-activations, scaled
            activate(Z_gates[t], gate_major, 3, kernel)
            if edits is not None:
                edits.set(t, f=f, u=u, o=o)
            np.multiply(f, C[t], out=C[t + 1])  # c<t> = f c<t-1> + u c~
            np.multiply(u, c_tilde, out=u_c_tilde)
            np.add(C[t + 1], u_c_tilde, out=C[t + 1])
            if edits is not None:
                edits.set(t, c=C[t + 1])
            tanh_into(C[t + 1], TC[t], kernel)
            np.multiply(o, TC[t], out=H[t + 1])  # a<t> = o tanh(c<t>)
            if edits is not None:
                edits.set(t, a=H[t + 1])
            np.copyto(G_rows[t], gates_by_row)
    for rows, scale in ((slice(None, 3 * n_a), scales["sigmoid"]),
                        (slice(3 * n_a, None), scales["tanh"])):
        if scale != 1.0:  # the true pre-activations (exact: a power of two and a sign)
            Z[..., rows] *= 1.0 / scale
    return {
        "x": buffers.x.transpose(2, 1, 0), "a0": H[0].T, "c0": C[0].T,
        "a": H[1:].transpose(2, 1, 0), "c": C[1:].transpose(2, 1, 0),
        "gates": G.transpose(2, 1, 0), "z_gates": Z.transpose(2, 1, 0), "time_major": buffers,
        "kernel": kernel,
    }


def _lstm_bptt(params: Params, buffers: _Buffers, flow: np.ndarray, edits=None,
               weights: bool = True) -> dict:
    """BPTT through the LSTM: `lstm_step_backward` at t = T_x..1, fused (see `_lstm_forward`
    for how).

    Args:
        params: LSTMParams.
        buffers: the forward pass's _Buffers.
        flow: (T_x, m, n_a) time-major: dL/da<t> from outside the recurrence (the outputs)
            on entry, the total dL/da<t> on exit.
        edits: the forward pass's interventions' Schedule, or None.
        weights: False: only dx, the initial states' gradients and the flows (the weight
            gradients' products skipped, for a caller that reads dx alone).

    Returns:
        dict of dWf, dbf, dWu, dbu, dWo, dbo, dWc, dbc, dx (n_x, m, T_x), da0, dc0 (n_a, m),
        and dA, dC (n_a, m, T_x), the total dL/da<t> and dL/dc<t>: the gradient flow.
    """
    T_x, m, n_a = flow.shape
    n_x = buffers.hx.shape[2] - n_a
    C, TC, G = buffers.c, buffers.tanh_c, buffers.gates
    W, _ = stacked_gates(params, GATE_ORDER)
    Wa = np.ascontiguousarray(W[:, :n_a].T).T  # a transposed view, as in the forward loop
    # the recurrence-free factors are computed for a chunk of steps at once: all of them
    # when small (fewer NumPy calls), a few at a time when large (they stay in cache)
    chunk = max(1, min(T_x, _FACTOR_CHUNK_BYTES // (8 * m * 9 * n_a)))  # 9 n_a m per step
    # what the result keeps apart from the scratch, which is freed on return
    flow_c, dX, da_prev, dc_prev = empty_buffers((T_x, m, n_a), (T_x, m, n_x), (m, n_a),
                                                 (m, n_a))
    span = max(1, min(T_x, _GRADIENT_SPAN_BYTES // (8 * m * 4 * n_a)))  # steps of dZ
    dZ, chunk_gates, R, P, dz = empty_buffers((span, m, 4 * n_a), (4, chunk, m, n_a),
                                              (4, chunk, m, n_a), (chunk, m, n_a), (4, m, n_a))
    dZ_rows, dz_by_row = dZ.reshape(span, m, 4, n_a), dz.transpose(1, 0, 2)
    dW, db = np.zeros((4 * n_a, n_a + n_x)), np.zeros((4 * n_a, 1))
    dc_prev[...] = 0.0
    high = T_x  # dZ[t - low] holds dz<t> for the steps low <= t < high
    low = max(0, high - span)
    with np.errstate(under="ignore"):
        for end in range(T_x, 0, -chunk):
            start = max(0, end - chunk)
            k = end - start
            # the chunk's gates gate-major, g (4, k, m, n_a): each gate one contiguous block
            g, r, p = chunk_gates[:, :k], R[:, :k], P[:k]
            np.copyto(g, G[start:end].reshape(k, m, 4, n_a).transpose(2, 0, 1, 3))
            # r = [c<t-1> f (1-f), c~ u (1-u), tanh(c<t>) o (1-o), u (1-c~^2)], so that
            # dz = [dc, dc, da, dc] * r; and p = o (1 - tanh(c<t>)^2), so that
            # dc<t> = dc<t+1->t> + da<t> p
            np.subtract(1.0, g[:3], out=r[:3])
            np.multiply(r[:3], g[:3], out=r[:3])  # s (1 - s) for f, u, o
            np.multiply(r[0], C[start:end], out=r[0])
            np.multiply(r[1], g[3], out=r[1])
            np.multiply(r[2], TC[start:end], out=r[2])
            np.multiply(g[3], g[3], out=r[3])
            np.subtract(1.0, r[3], out=r[3])
            np.multiply(r[3], g[1], out=r[3])
            np.multiply(TC[start:end], TC[start:end], out=p)
            np.subtract(1.0, p, out=p)
            np.multiply(p, g[2], out=p)
            if edits is not None:  # g[0], f as the factor of dc<t-1> = dc f, is a copy
                edits.cut(start, f=(r[0],), u=(r[1],), o=(r[2],), c=(r[0], r[1], r[3], g[0]),
                          a=(r[2], p))
            for t in range(end - 1, start - 1, -1):
                j = t - start
                da, dc = flow[t], flow_c[t]
                if t < T_x - 1:
                    np.add(da, da_prev, out=da)  # + the gradient through a<t+1>
                np.multiply(da, p[j], out=dc)
                np.add(dc, dc_prev, out=dc)  # total dL/dc<t>
                np.multiply(r[:2, j], dc, out=dz[:2])  # dz_f, dz_u
                np.multiply(r[2, j], da, out=dz[2])  # dz_o
                np.multiply(r[3, j], dc, out=dz[3])  # dz_c
                np.multiply(dc, g[0, j], out=dc_prev)  # dc<t-1> = dc f
                np.copyto(dZ_rows[t - low], dz_by_row)  # row form again
                np.matmul(dZ[t - low], Wa, out=da_prev)  # (Wa^T dz)^T
                if t == low:  # the span is complete: its steps' share of the gradients
                    _add_span_gradients(dZ[: high - low], buffers.concat[low:high], W[:, n_a:],
                                        dW, db, dX[low:high], weights)
                    high, low = low, max(0, low - span)
    grads = {}
    for i, gate in enumerate(GATE_ORDER if weights else ()):
        grads["dW" + gate] = dW[i * n_a: (i + 1) * n_a]
        grads["db" + gate] = db[i * n_a: (i + 1) * n_a]
    return {**grads, "dx": dX.transpose(2, 1, 0), "da0": da_prev.T, "dc0": dc_prev.T,
            "dA": flow.transpose(2, 1, 0), "dC": flow_c.transpose(2, 1, 0)}


def _add_span_gradients(dZ: np.ndarray, concat: np.ndarray, W_x: np.ndarray, dW: np.ndarray,
                        db: np.ndarray, dX: np.ndarray, weights: bool = True) -> None:
    """Add a span of k steps' share to dW += sum_t dz<t> concat<t>^T (all four gates in one
    product) and db, and write their dx<t> = W_x^T dz<t>.

    Args:
        dZ: (k, m, 4 n_a) dz<t>^T; concat: (k, m, n_a + n_x) concat<t>^T; W_x: (4 n_a, n_x).
        dW: (4 n_a, n_a + n_x) and db (4 n_a, 1), added to; dX: (k, m, n_x), written.
        weights: False: dX only.
    """
    k, m, rows = dZ.shape
    dZ_rows = dZ.reshape(k * m, rows)
    if weights:
        dW += dZ_rows.T @ concat.reshape(k * m, concat.shape[2])
        db += dZ_rows.sum(axis=0)[:, None]
    np.matmul(dZ_rows, W_x, out=dX.reshape(k * m, W_x.shape[1]))
