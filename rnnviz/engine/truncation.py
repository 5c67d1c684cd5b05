"""Truncated back-propagation through time: the gradient of the loss at step t reaches back
to steps t - k + 1 ... t only.

For each loss term L<t> the state before its window, s<t-k> (a, and c for the LSTM), is
held constant, so with truncation length k::

    dL/dtheta = sum_t dL<t>/dtheta   through steps max(1, t - k + 1) ... t only

a<0> gets the terms whose window starts before it (t < k). k >= T_x is full BPTT. Each term
is one run of the cell's fused BPTT over its window, on the forward pass's buffers sliced in
time (nothing is run forward again), so truncation costs about k / T_x ... k times full BPTT
(k for a loss at every step, one window for a loss at the last step only).
"""

from __future__ import annotations

import numpy as np

from rnnviz.engine._arrays import empty_buffers
from rnnviz.engine.cells import cell_of
from rnnviz.engine.params import Params


def truncated_steps(T_x: int, k: int, every_step: bool = True) -> int:
    """How many cell steps BPTT truncated to k back-propagates through: one window of
    min(t, k) steps per loss term, for every t = 1 ... T_x or for t = T_x only; k >= T_x is
    full BPTT, T_x steps."""
    if k >= T_x:
        return T_x
    return k * T_x - k * (k - 1) // 2 if every_step else k


def truncated_bptt(params: Params, buffers, flow_out: np.ndarray, k: int) -> dict:
    """The cell's BPTT with every loss term's gradient truncated to k steps back.

    Args:
        params: the parameters.
        buffers: the forward pass's time-major buffers (the trace's `buffers()`).
        flow_out: (T_x, m, n_a) time-major dL<t>/da<t> from the outputs, step t in row t - 1.
        k: the truncation length, at least 1.

    Returns:
        the dict the cell's bptt returns: "d" + each recurrent parameter, dx (n_x, m, T_x),
        da0 (and dc0) (n_a, m), and the flows dA (and dC) (n_a, m, T_x), each the sum over
        the loss terms that reach it.
    """
    cell = cell_of(params)
    T_x, m, n_a = flow_out.shape
    total: dict[str, np.ndarray] = {}
    for t in range(1, T_x + 1):
        if not flow_out[t - 1].any():
            continue  # no loss at step t: nothing to send back
        start = max(0, t - k)  # steps start + 1 ... t, from the state after step `start`
        window = type(buffers)(*(field[start: t + field.shape[0] - T_x] for field in buffers))
        flow = empty_buffers((t - start, m, n_a))[0]
        flow[:-1] = 0.0
        flow[-1] = flow_out[t - 1]
        term = cell.bptt(params, window, flow)
        for name, value in term.items():
            if name in ("dx", "dA", "dC"):  # (n, m, steps) of the window: placed in time
                whole = total.setdefault(name, np.zeros(value.shape[:2] + (T_x,)))
                whole[:, :, start:t] += value
            elif name in ("da0", "dc0"):  # the state before the window: a<0> only if reached
                held = total.setdefault(name, np.zeros_like(value))
                if t < k:
                    held += value
            else:
                total[name] = total[name] + value if name in total else value.copy()
    if not total:  # no loss anywhere: zero gradients, in the full pass's shapes
        flow = np.zeros((T_x, m, n_a))
        return {name: np.zeros_like(value) for name, value in
                cell.bptt(params, buffers, flow).items()}
    return total
