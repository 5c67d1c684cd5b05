"""The RNN's fused sequence kernel: `rnn_step_forward` and `rnn_step_backward`
(rnnviz.engine.rnn, where the equations are) over every t, the same numbers computed
faster. The RNN's Cell calls `_rnn_forward` and `_rnn_bptt`; traces keep their
`_Buffers`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rnnviz.engine._arrays import (
    empty_buffers,
    is_view_of,
    time_major,
    time_major_after,
)
from rnnviz.engine.activations import (
    SCALES,
    activate,
    kernel_for,
    largest_preactivation,
)
from rnnviz.engine.description import Trace
from rnnviz.engine.params import Params


class _Buffers(NamedTuple):
    """A forward pass's time-major arrays, which BPTT reads. Row form: step t of an (n, m)
    array of the equations is the contiguous (m, n) block [t] of a (T_x, m, n) buffer.

    Attributes:
        x: (T_x, m, n_x) the inputs x<t>^T.
        h: (T_x + 1, m, n_a) [a0, a<1>, ..., a<T_x>]^T, so h[t] is a<t-1>^T for step t + 1.
    """

    x: np.ndarray
    h: np.ndarray

    @classmethod
    def from_arrays(cls, x: np.ndarray, a0: np.ndarray, a: np.ndarray) -> _Buffers:
        """From x (n_x, m, T_x), a0 (n_a, m), a (n_a, m, T_x); BPTT only reads them."""
        return cls(x=time_major(x), h=time_major_after(a0, a))

    def hold(self, trace: Trace) -> bool:
        """Whether the trace's x and a are still views of these buffers."""
        return is_view_of(trace.x, self.x) and is_view_of(trace.a, self.h)


def _rnn_forward(params: Params, x: np.ndarray, a0: np.ndarray, edits=None) -> dict:
    """The hidden states of a whole sequence: `rnn_step_forward` at t = 1..T_x, fused.

    How this and `_rnn_bptt` are fast: the inputs of all timesteps are projected by Wax in one
    product before the loop, the weight gradients are accumulated in one product after it,
    and each step inside the loops costs a product, a sum and the tanh, writing into
    preallocated buffers. The tanh is computed by the kernel measured fastest on this
    processor (rnnviz.engine.activations), its argument's scale folded into the weights.
    The buffers are time-major, (T_x, m, n), in row form (each (n, m) array of the
    equations held as its (m, n) transpose: z<t>^T = a<t-1>^T Waa^T + ...), so that every
    step is one contiguous block and all steps together are one (T_x m, n) matrix for the
    big products. The trace shows them in the notebook's (n, m, T_x) layout as views.

    Args:
        params: RNNParams.
        x: (n_x, m, T_x) float64.
        a0: (n_a, m) float64.
        edits: the interventions' Schedule (rnnviz.engine.interventions), writing a set
            a<t> after the tanh; None: none.

    Returns:
        the RNNTrace's fields x, a0, z, a (views of the buffers) and time_major.
    """
    n_a, n_x = params.Wax.shape
    _, m, T_x = x.shape
    a_bound = a0 if edits is None else edits.bound("a", a0)
    kernel = kernel_for(lambda: largest_preactivation(params.Waa, params.Wax, params.ba, x,
                                                       a_bound))
    scale = SCALES[kernel]["tanh"]  # folded into the weights (exact: a power of two, a sign)
    Wax, Waa, ba = ((W * scale if scale != 1.0 else W)
                    for W in (params.Wax, params.Waa, params.ba))
    X, H, Z, Waa_a = empty_buffers((T_x, m, n_x), (T_x + 1, m, n_a), (T_x, m, n_a), (m, n_a))
    X[...] = x.transpose(2, 1, 0)
    # Wax x<t> + ba for every t in one product: (T_x m, n_x) @ (n_x, n_a)
    np.matmul(X.reshape(T_x * m, n_x), Wax.T, out=Z.reshape(T_x * m, n_a))
    Z += ba[:, 0]
    H[0] = a0.T
    WaaT = Waa.T
    with np.errstate(under="ignore"):
        for t in range(T_x):
            np.matmul(H[t], WaaT, out=Waa_a)  # (Waa a<t-1>)^T, scaled
            np.add(Z[t], Waa_a, out=Z[t])  # z<t>^T, scaled
            activate(Z[t], H[t + 1], 0, kernel)  # a<t>^T
            if edits is not None:
                edits.set(t, a=H[t + 1])
    if scale != 1.0:
        Z *= 1.0 / scale  # z<t> itself
    return {"x": X.transpose(2, 1, 0), "a0": H[0].T, "z": Z.transpose(2, 1, 0),
            "a": H[1:].transpose(2, 1, 0), "time_major": _Buffers(x=X, h=H)}


def _rnn_bptt(params: Params, buffers: _Buffers, flow: np.ndarray, edits=None,
              weights: bool = True) -> dict:
    """BPTT through the hidden states: `rnn_step_backward` at t = T_x..1, fused (see
    `_rnn_forward` for how).

    Args:
        params: RNNParams.
        buffers: the forward pass's _Buffers.
        flow: (T_x, m, n_a) time-major: dL/da<t> from outside the recurrence (the outputs)
            on entry, the total dL/da<t> on exit.
        edits: the forward pass's interventions' Schedule: a set a<t> passes no gradient to
            z<t>; None: none.
        weights: False: only dx, the initial states' gradients and the flows (the weight
            gradients' products skipped, for a caller that reads dx alone).

    Returns:
        dict of dWax, dWaa, dba, dx (n_x, m, T_x), da0 (n_a, m), and dA (n_a, m, T_x), the
        total dL/da<t> (a view of flow): the gradient flow.
    """
    X, H = buffers
    T_x, m, n_a = flow.shape
    n_x = X.shape[2]
    dX, da_prev = empty_buffers((T_x, m, n_x), (m, n_a))  # kept by the result
    dZ = empty_buffers((T_x, m, n_a))[0]  # scratch, freed on return
    np.multiply(H[1:], H[1:], out=dZ)  # 1 - a<t>^2 for every t, then dz<t> in its place
    np.subtract(1.0, dZ, out=dZ)
    if edits is not None:
        edits.cut(0, a=(dZ,))
    Waa = np.ascontiguousarray(params.Waa.T).T  # a transposed view, as in the forward loop
    with np.errstate(under="ignore"):
        for t in range(T_x - 1, -1, -1):
            da = flow[t]
            if t < T_x - 1:
                np.add(da, da_prev, out=da)  # + the gradient through a<t+1>
            np.multiply(da, dZ[t], out=dZ[t])  # dz<t>^T
            np.matmul(dZ[t], Waa, out=da_prev)  # (Waa^T dz<t>)^T
        dZ_rows = dZ.reshape(T_x * m, n_a)
        np.matmul(dZ_rows, params.Wax, out=dX.reshape(T_x * m, n_x))
        grads = {"dx": dX.transpose(2, 1, 0), "da0": da_prev.T, "dA": flow.transpose(2, 1, 0)}
        if weights:
            grads.update(dWax=dZ_rows.T @ X.reshape(T_x * m, n_x),
                         dWaa=dZ_rows.T @ H[:T_x].reshape(T_x * m, n_a),
                         dba=dZ_rows.sum(axis=0)[:, None])
        return grads
