"""The GRU's fused sequence kernel: `gru_step_forward` and `gru_step_backward`
(rnnviz.engine.gru, where the equations are) over every t, the same numbers computed
faster. The GRU's Cell calls `_gru_forward` and `_gru_bptt`; traces keep their
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
)
from rnnviz.engine.description import Trace
from rnnviz.engine.params import Params, stacked_gates

# The trace stacks the gates and the candidate in this order: [r; u; c~].
GATE_ORDER = ("r", "u", "c")

_FACTOR_CHUNK_BYTES = 1 << 20  # BPTT's recurrence-free factors, this many bytes of steps at once


class _Buffers(NamedTuple):
    """A forward pass's time-major arrays, which BPTT reads. Row form: step t of an (n, m)
    array of the equations is the contiguous (m, n) block [t] of a (T_x, m, n) buffer.

    Attributes:
        hx: (T_x + 1, m, n_a + n_x): row t is [a<t>, x<t+1>] (the last row's x part unused),
            so hx[:T_x] is concat<1..T_x> = [a<t-1>, x<t>], the gates' inputs, in one matrix.
        ra: (T_x, m, n_a) r<t> * a<t-1>, the hidden part of the candidate's input.
        gates: (T_x, m, 3 n_a) [r, u, c~] at every t.
    """

    hx: np.ndarray
    ra: np.ndarray
    gates: np.ndarray

    @property
    def n_a(self) -> int:
        return self.ra.shape[2]

    concat, h, x = concat_row_views()

    @classmethod
    def empty(cls, n_x: int, n_a: int, m: int, T_x: int) -> _Buffers:
        hx, ra, gates = empty_buffers((T_x + 1, m, n_a + n_x), (T_x, m, n_a), (T_x, m, 3 * n_a))
        return cls(hx=hx, ra=ra, gates=gates)

    @classmethod
    def from_arrays(cls, x: np.ndarray, a0: np.ndarray, a: np.ndarray,
                    gates: np.ndarray) -> _Buffers:
        """From x (n_x, m, T_x), a0 (n_a, m), a (n_a, m, T_x), gates (3 n_a, m, T_x); BPTT
        only reads them."""
        n_a, m, T_x = a.shape
        buffers = cls.empty(x.shape[0], n_a, m, T_x)._replace(gates=time_major(gates))
        buffers.h[0] = a0.T
        buffers.h[1:] = a.transpose(2, 1, 0)
        buffers.x[...] = x.transpose(2, 1, 0)
        np.multiply(buffers.gates[:, :, :n_a], buffers.h[:-1], out=buffers.ra)
        return buffers

    def hold(self, trace: Trace) -> bool:
        """Whether the trace's x, a and gates are still views of these buffers."""
        return (is_view_of(trace.a, self.hx) and is_view_of(trace.x, self.hx)
                and is_view_of(trace.gates, self.gates))


def _gru_forward(params: Params, x: np.ndarray, a0: np.ndarray, edits=None) -> dict:
    """Hidden states and gates of a whole sequence: `gru_step_forward` at t = 1..T_x, fused.

    How this and `_gru_bptt` are fast:

    - All inputs x<1..T_x> are projected for the three matrices in one product before the
      loop, and the weight gradients are accumulated in a few products after it.
    - The reset and update gates are one product per step, [Wr_a; Wu_a] a<t-1>, and one
      call of the transcendental function measured fastest on this processor
      (rnnviz.engine.activations), the scale of its argument folded into their rows of W
      and b, as in rnnviz.engine._lstm_kernel. The candidate needs r<t> first, so it is a second
      product, Wc_a (r<t> * a<t-1>), and a second call.
    - Every step writes into preallocated time-major buffers (T_x, m, n) in row form, so a
      step is one contiguous block and all steps together are one (T_x m, n) matrix for the
      big products.
    - In BPTT the parts of the backward equations that do not depend on the recurrence
      are computed for a chunk of steps at once, as many as stay in cache
      (_FACTOR_CHUNK_BYTES), just before the loop reaches them.

    Args:
        params: GRUParams.
        x: (n_x, m, T_x) float64.
        a0: (n_a, m) float64.
        edits: the interventions' Schedule (rnnviz.engine.interventions), or None.

    Returns:
        the GRUTrace's fields x, a0, a, gates, z_gates (views of the buffers) and time_major.
    """
    n_x, _, T_x = x.shape
    n_a, m = a0.shape
    buffers = _Buffers.empty(n_x, n_a, m, T_x)
    H, RA, G = buffers.h, buffers.ra, buffers.gates
    # |a<t>| <= max(|a0|, 1): a<t> mixes a<t-1> and c~ in [-1, 1], and |r a<t-1>| <= |a<t-1>|
    W, b = stacked_gates(params, GATE_ORDER)
    a_bound = a0 if edits is None else edits.bound("a", a0)  # a set a<t> may exceed it
    kernel = kernel_for(lambda: largest_preactivation(W[:, :n_a], W[:, n_a:], b, x, a_bound))
    scales = SCALES[kernel]
    W, b = stacked_gates(params, GATE_ORDER, scales)
    # transposed views of C-contiguous matrices: OpenBLAS's faster case for these shapes
    W_ru_aT = np.ascontiguousarray(W[: 2 * n_a, :n_a]).T  # (n_a, 2 n_a)
    Wc_aT = np.ascontiguousarray(W[2 * n_a:, :n_a]).T  # (n_a, n_a)
    Z, W_a, step = empty_buffers((T_x, m, 3 * n_a), (m, 2 * n_a), (m, n_a))
    buffers.x[...] = x.transpose(2, 1, 0)
    # the input's share of every gate at every t in one product: (T_x m, n_x) @ (n_x, 3 n_a)
    np.matmul(buffers.x.reshape(T_x * m, n_x), W[:, n_a:].T, out=Z.reshape(T_x * m, 3 * n_a))
    Z += b
    H[0] = a0.T
    with np.errstate(under="ignore"):
        for t in range(T_x):
            z_ru, z_c = Z[t, :, : 2 * n_a], Z[t, :, 2 * n_a:]
            ru, c_tilde = G[t, :, : 2 * n_a], G[t, :, 2 * n_a:]
            r, u = ru[:, :n_a], ru[:, n_a:]
            np.matmul(H[t], W_ru_aT, out=W_a)  # ([Wr_a; Wu_a] a<t-1>)^T, scaled
            np.add(z_ru, W_a, out=z_ru)
            activate(z_ru, ru, m, kernel)  # r<t>, u<t>: every row a sigmoid
            if edits is not None:
                edits.set(t, r=r, u=u)
            np.multiply(r, H[t], out=RA[t])  # r<t> * a<t-1>
            np.matmul(RA[t], Wc_aT, out=step)  # (Wc_a (r * a<t-1>))^T, scaled
            np.add(z_c, step, out=z_c)
            activate(z_c, c_tilde, 0, kernel)  # c~<t> = tanh
            np.subtract(c_tilde, H[t], out=step)  # a<t> = a<t-1> + u (c~ - a<t-1>)
            np.multiply(u, step, out=step)
            np.add(H[t], step, out=H[t + 1])
            if edits is not None:
                edits.set(t, a=H[t + 1])
    for rows, scale in ((slice(None, 2 * n_a), scales["sigmoid"]),
                        (slice(2 * n_a, None), scales["tanh"])):
        if scale != 1.0:  # the true pre-activations (exact: a power of two and a sign)
            Z[..., rows] *= 1.0 / scale
    return {
        "x": buffers.x.transpose(2, 1, 0), "a0": H[0].T, "a": H[1:].transpose(2, 1, 0),
        "gates": G.transpose(2, 1, 0), "z_gates": Z.transpose(2, 1, 0), "time_major": buffers,
    }


def _gru_bptt(params: Params, buffers: _Buffers, flow: np.ndarray, edits=None,
              weights: bool = True) -> dict:
    """BPTT through the GRU: `gru_step_backward` at t = T_x..1, fused (see `_gru_forward`
    for how).

    The factors of the backward equations that do not depend on the recurrence are computed
    a chunk of steps at a time, in place of dZ, which then becomes dz<t> step by step:
    q_c = u (1 - c~^2), q_u = (c~ - a<t-1>) u (1 - u), q_r = a<t-1> r (1 - r).

    Args:
        params: GRUParams.
        buffers: the forward pass's _Buffers.
        flow: (T_x, m, n_a) time-major: dL/da<t> from outside the recurrence (the outputs)
            on entry, the total dL/da<t> on exit.
        edits: the forward pass's interventions' Schedule, or None.
        weights: False: only dx, the initial states' gradients and the flows (the weight
            gradients' products skipped, for a caller that reads dx alone).

    Returns:
        dict of dWr, dbr, dWu, dbu, dWc, dbc, dx (n_x, m, T_x), da0 (n_a, m), and dA
        (n_a, m, T_x), the total dL/da<t>: the gradient flow.
    """
    T_x, m, n_a = flow.shape
    n_x = buffers.hx.shape[2] - n_a
    H, G = buffers.h, buffers.gates
    W, _ = stacked_gates(params, GATE_ORDER)
    # transposed views, as in the forward loop: rows of dz times the recurrent blocks
    W_ru_a = np.ascontiguousarray(W[: 2 * n_a, :n_a].T).T  # (2 n_a, n_a)
    Wc_a = np.ascontiguousarray(W[2 * n_a:, :n_a].T).T  # (n_a, n_a)
    dZ, dX, one_minus_u, d_ra, da_prev = empty_buffers(
        (T_x, m, 3 * n_a), (T_x, m, n_x), (T_x, m, n_a), (m, n_a), (m, n_a))
    r, u, c_tilde = G[..., :n_a], G[..., n_a: 2 * n_a], G[..., 2 * n_a:]
    q_r, q_u, q_c = dZ[..., :n_a], dZ[..., n_a: 2 * n_a], dZ[..., 2 * n_a:]
    # all steps at once when small (fewer NumPy calls), a few at a time when large (in cache)
    chunk = max(1, min(T_x, _FACTOR_CHUNK_BYTES // (8 * m * 7 * n_a)))  # 7 n_a m per step
    with np.errstate(under="ignore"):
        for end in range(T_x, 0, -chunk):
            steps = slice(max(0, end - chunk), end)
            a_prev, u_k, r_k, c_k = H[steps], u[steps], r[steps], c_tilde[steps]
            np.subtract(1.0, u_k, out=one_minus_u[steps])
            np.multiply(c_k, c_k, out=q_c[steps])
            np.subtract(1.0, q_c[steps], out=q_c[steps])
            np.multiply(q_c[steps], u_k, out=q_c[steps])  # u (1 - c~^2)
            np.subtract(c_k, a_prev, out=q_u[steps])
            np.multiply(q_u[steps], u_k, out=q_u[steps])
            np.multiply(q_u[steps], one_minus_u[steps], out=q_u[steps])  # (c~ - a) u (1 - u)
            np.subtract(1.0, r_k, out=q_r[steps])
            np.multiply(q_r[steps], r_k, out=q_r[steps])
            np.multiply(q_r[steps], a_prev, out=q_r[steps])  # a<t-1> r (1 - r)
            if edits is not None:
                edits.cut(steps.start, r=(q_r[steps],), u=(q_u[steps],),
                          a=(q_u[steps], q_c[steps], one_minus_u[steps]))
            for t in range(end - 1, steps.start - 1, -1):
                da = flow[t]
                if t < T_x - 1:
                    np.add(da, da_prev, out=da)  # + the gradient through a<t+1>
                np.multiply(q_u[t], da, out=q_u[t])  # dz_u
                np.multiply(q_c[t], da, out=q_c[t])  # dz_c
                np.matmul(q_c[t], Wc_a, out=d_ra)  # (Wc_a^T dz_c)^T = dL/d(r a<t-1>)
                np.multiply(q_r[t], d_ra, out=q_r[t])  # dz_r
                np.multiply(d_ra, r[t], out=d_ra)  # the path through r * a<t-1>
                np.matmul(dZ[t, :, : 2 * n_a], W_ru_a, out=da_prev)  # ([Wr_a; Wu_a]^T dz)^T
                np.add(da_prev, d_ra, out=da_prev)
                np.multiply(da, one_minus_u[t], out=d_ra)  # the path through (1 - u) a<t-1>
                np.add(da_prev, d_ra, out=da_prev)
        dZ_rows = dZ.reshape(T_x * m, 3 * n_a)
        np.matmul(dZ_rows, W[:, n_a:], out=dX.reshape(T_x * m, n_x))
        grads = {"dx": dX.transpose(2, 1, 0), "da0": da_prev.T, "dA": flow.transpose(2, 1, 0)}
        if not weights:
            return grads
        concat_rows = buffers.concat.reshape(T_x * m, n_a + n_x)
        dW_ru = dZ_rows[:, : 2 * n_a].T @ concat_rows  # sum_t dz<t> concat<t>^T, r and u
        dZc_rows = dZ_rows[:, 2 * n_a:]
        dWc = np.concatenate([dZc_rows.T @ buffers.ra.reshape(T_x * m, n_a),
                              dZc_rows.T @ concat_rows[:, n_a:]], axis=1)
        db = dZ_rows.sum(axis=0)[:, None]
    return {"dWr": dW_ru[:n_a], "dbr": db[:n_a], "dWu": dW_ru[n_a:], "dbu": db[n_a: 2 * n_a],
            "dWc": dWc, "dbc": db[2 * n_a:], **grads}
