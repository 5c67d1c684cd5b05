"""Input saliency, the memory map: how much each output step depends on each input step.

For one example, with y_hat<t> the output at step t and x<s> the input at step s::

    S[t, s] = || d y_hat<t> / d x<s> ||_F        (Frobenius norm over the n_y x n_x entries)

zero for s > t (an output never depends on a later input). Row t - 1 of the (T_x, T_x)
result is output step t, column s - 1 input step s.

How it is computed, exactly and in as few backward passes as the maths allows: with
J<t> = d y_hat<t> / d a<t> = D<t> W_y (D<t> = diag(y_hat<t>) - y_hat<t> y_hat<t>^T for a
softmax output, the identity for a linear one), row t of S is the Frobenius norm of
J<t> (d a<t> / d x<s>) for every s <= t, and || J M ||_F = || R M ||_F for any R with
R^T R = J^T J. R = J itself when n_y <= n_a, else the triangle of J's QR factorisation (n_a
rows). So each output step t needs r = min(n_y, n_a) backward passes from a<t>, one per row
of R, and they are one batched BPTT: r copies of the example, copy k seeded with dL/da<t> =
R[k], run back over the steps 1..t only. T_x such passes of r copies in all, reading one
forward pass: its time-major buffers, repeated r times once and sliced in time, so no
forward is run again.
"""

from __future__ import annotations

import numpy as np

from rnnviz.engine._arrays import check_whole, empty_buffers
from rnnviz.engine.cells import cell_of
from rnnviz.engine.model import _check_inputs, run_forward
from rnnviz.engine.params import Params


def input_saliency(params: Params, x, a0=None, c0=None, example: int = 0,
                   output: str = "softmax") -> np.ndarray:
    """The memory map S[t, s] = ||d y_hat<t> / d x<s>||_F of one example (module docstring).

    Args:
        params: the parameters of one of the cells.
        x: (n_x, m, T_x) inputs; only column `example` is used.
        a0, c0: (n_a, m) initial states (c0 for the LSTM), or None for zeros.
        example: which of the m examples, from 0.
        output: "softmax" or "linear", the output layer y_hat<t> is taken through.

    Returns:
        (T_x, T_x) float64: [t - 1, s - 1] is S[t, s], zeros above the diagonal.
    """
    x, initial, _ = _check_inputs(params, x, a0, c0)
    n_x, m, T_x = x.shape
    example = check_whole("example", example, 0, m - 1)
    column = slice(example, example + 1)
    trace = run_forward(params, np.ascontiguousarray(x[:, column]),
                        {name: np.ascontiguousarray(state[:, column])
                         for name, state in initial.items()}, output)
    cell = cell_of(params)
    W_y = getattr(params, cell.output_weight)  # (n_y, n_a)
    n_y, n_a = W_y.shape
    seeds = _seed_rows(trace.y_hat[:, 0, :], W_y, output)  # (T_x, r, n_a)
    r = seeds.shape[1]
    single = trace.buffers()
    # r copies of the example's forward pass, once; each output step reads its first t steps
    copies = type(single)(*(np.repeat(field, r, axis=1) for field in single))
    S = np.zeros((T_x, T_x))
    with np.errstate(under="ignore"):
        for t in range(1, T_x + 1):
            first_t = type(copies)(*(field[: t + field.shape[0] - T_x] for field in copies))
            flow = empty_buffers((t, r, n_a))[0]
            flow[:-1] = 0.0
            flow[-1] = seeds[t - 1]
            dx = cell.bptt(params, first_t, flow, weights=False)["dx"]  # (n_x, r, t)
            S[t - 1, :t] = np.sqrt(np.einsum("irs,irs->s", dx, dx))
    return S


def _seed_rows(y_hat: np.ndarray, W_y: np.ndarray, output: str) -> np.ndarray:
    """R<t> for every t (module docstring): (T_x, r, n_a) with R<t>^T R<t> = J<t>^T J<t>,
    J<t> = d y_hat<t> / d a<t>, and r = min(n_y, n_a).

    Args:
        y_hat: (n_y, T_x) the example's outputs; W_y: (n_y, n_a); output: "softmax" or
            "linear".
    """
    n_y, n_a = W_y.shape
    if output == "softmax":  # D<t> W_y with D<t> = diag(y) - y y^T
        J = y_hat.T[:, :, None] * W_y - y_hat.T[:, :, None] * (y_hat.T @ W_y)[:, None, :]
    else:
        J = np.broadcast_to(W_y, (y_hat.shape[1], n_y, n_a))
    if n_y <= n_a:
        return np.ascontiguousarray(J)
    return np.linalg.qr(J, mode="r")  # (T_x, n_a, n_a): same J^T J, fewer rows
