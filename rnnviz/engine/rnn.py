"""The vanilla RNN: one step, a whole sequence, and back-propagation through time.

Forward, at every timestep t (notebook notation, shapes in brackets)::

    z<t>  = Wax x<t> + Waa a<t-1> + ba          (n_a, m)
    a<t>  = tanh(z<t>)                          (n_a, m)
    (the output layer, y_hat<t> = softmax(Wya a<t> + by) or linear, is in rnnviz.engine.model)

Backward, given da<t> = dL/da<t> (from the output at t plus from a<t+1>)::

    dz<t>    = da<t> * (1 - a<t>^2)
    da<t-1> += Waa^T dz<t>
    dWax = sum_t dz<t> x<t>^T     dWaa = sum_t dz<t> a<t-1>^T     dba = sum_t,m dz<t>
    dx<t> = Wax^T dz<t>

For speed the inputs of all timesteps are projected by Wax in one product before the loop,
the weight gradients are accumulated in one product after it, and each step inside the
loops costs three NumPy calls writing into preallocated buffers. Sequence arrays are stored
time-major inside, (T_x, m, n): every step is one contiguous (m, n) block (row form:
z<t>^T = a<t-1>^T Waa^T + ...), and all steps together are one (T_x m, n) matrix for the
big products. The trace exposes them in the notebook's (n, m, T_x) layout as views.
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
from rnnviz.engine.params import RNNParams, init_rnn


@dataclass(frozen=True)
class RNNTrace:
    """Everything a view needs from one RNN forward pass; arrays in the notebook's layout.

    Attributes:
        x: (n_x, m, T_x) inputs.
        a0: (n_a, m) initial hidden state a<0>.
        z: (n_a, m, T_x) pre-activations Wax x<t> + Waa a<t-1> + ba.
        a: (n_a, m, T_x) hidden states a<t>.
        z_y: (n_y, m, T_x) output pre-activations Wya a<t> + by.
        y_hat: (n_y, m, T_x) outputs: softmax(z_y) or z_y itself when output is "linear".
        output: "softmax" or "linear".
        time_major: the buffers these arrays are views of, reused by BPTT: "x" (T_x, m, n_x)
            and "h" (T_x + 1, m, n_a) = [a0, a<1>, ..., a<T_x>]. None for a trace built by
            hand; then they are rebuilt from the arrays above when needed.
    """

    x: np.ndarray
    a0: np.ndarray
    z: np.ndarray
    a: np.ndarray
    z_y: np.ndarray
    y_hat: np.ndarray
    output: str
    time_major: dict | None = field(default=None, repr=False, compare=False)
    cell = "rnn"

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


def _time_major(trace) -> dict:
    """The trace's time-major buffers "x" (T_x, m, n_x) and "h" (T_x + 1, m, n_a), rebuilt
    when absent or no longer behind the arrays (say after dataclasses.replace)."""
    tm = trace.time_major
    if tm is not None and _backs(tm["h"], trace.a) and _backs(tm["x"], trace.x):
        return tm
    return {"x": time_major_copy(trace.x), "h": time_major_copy(trace.a, first=trace.a0)}


def _backs(buffer: np.ndarray, array: np.ndarray) -> bool:
    """Whether array is a view into buffer."""
    return array.base is not None and np.may_share_memory(buffer, array)


def time_major_copy(x: np.ndarray, first: np.ndarray | None = None) -> np.ndarray:
    """x (n, m, T_x) copied to a C-contiguous (T_x, m, n) buffer, after first (n, m) if given."""
    n, m, T_x = x.shape
    if first is None:
        out = empty_buffers((T_x, m, n))[0]
        out[...] = x.transpose(2, 1, 0)
        return out
    out = empty_buffers((T_x + 1, m, n))[0]
    out[0] = first.T
    out[1:] = x.transpose(2, 1, 0)
    return out


# ----- one step: the unit the sequence functions loop over ---------------------------------
# In row form: every (n, m) array of the equations is held as its (m, n) transpose, so each
# step is a contiguous block of a (T_x, m, n) buffer; WaaT is Waa^T.

def _rnn_step_into(z: np.ndarray, a_prev: np.ndarray, WaaT: np.ndarray, a_next: np.ndarray,
                   work: np.ndarray) -> None:
    """rnn_step in place, row form: z (m, n_a) holds (Wax x<t> + ba)^T on entry and z<t>^T
    on exit; a_next (m, n_a) receives tanh(z<t>)^T; work (m, n_a) is scratch."""
    np.matmul(a_prev, WaaT, out=work)
    np.add(z, work, out=z)
    np.tanh(z, out=a_next)


def _rnn_step_back_into(da: np.ndarray, one_minus_a2: np.ndarray, dz: np.ndarray) -> None:
    """dz = da * (1 - a<t>^2), the factor precomputed for all steps at once (any layout)."""
    np.multiply(da, one_minus_a2, out=dz)


def rnn_step(zx_t: np.ndarray, a_prev: np.ndarray, Waa: np.ndarray):
    """Recurrence of one step, given the input's share already projected.

    Args:
        zx_t: (n_a, m) Wax x<t> + ba.
        a_prev: (n_a, m) a<t-1>.
        Waa: (n_a, n_a).

    Returns:
        a_next (n_a, m) = tanh(z), z (n_a, m) = zx_t + Waa a_prev.
    """
    z = np.array(np.transpose(zx_t), dtype=np.float64)  # row form (m, n_a)
    a_next = np.empty_like(z)
    _rnn_step_into(z, np.transpose(a_prev), np.transpose(Waa), a_next, np.empty_like(z))
    return a_next.T, z.T


def rnn_step_back(da: np.ndarray, a_next: np.ndarray, Waa: np.ndarray):
    """Backward of `rnn_step`.

    Args:
        da: (n_a, m) dL/da<t>, all paths.
        a_next: (n_a, m) a<t> from the forward pass.
        Waa: (n_a, n_a).

    Returns:
        dz (n_a, m) = da * (1 - a<t>^2), da_prev (n_a, m) = Waa^T dz.
    """
    dz = np.empty(np.broadcast_shapes(np.shape(da), np.shape(a_next)))
    _rnn_step_back_into(da, 1.0 - a_next * a_next, dz)
    return dz, Waa.T @ dz


def rnn_step_forward(xt: np.ndarray, a_prev: np.ndarray, params: RNNParams):
    """One RNN step from raw input.

    Args:
        xt: (n_x, m) x<t>.
        a_prev: (n_a, m) a<t-1>.
        params: RNNParams.

    Returns:
        a_next (n_a, m), cache (xt, a_prev, a_next, params) for `rnn_step_backward`.
    """
    params.validate()
    sizes = params.sizes
    xt = as_float_array("xt", xt)
    check_shape("xt", xt, (sizes["n_x"], None), "(n_x, m)")
    a_prev = check_state("a_prev", a_prev, sizes["n_a"], xt.shape[1])
    a_next, _ = rnn_step(params.Wax @ xt + params.ba, a_prev, params.Waa)
    return a_next, (xt, a_prev, a_next, params)


def rnn_step_backward(da_next: np.ndarray, cache):
    """Backward of `rnn_step_forward`.

    Args:
        da_next: (n_a, m) dL/da<t>.
        cache: from `rnn_step_forward`.

    Returns:
        dxt (n_x, m), da_prev (n_a, m), dWax (n_a, n_x), dWaa (n_a, n_a), dba (n_a, 1).
    """
    xt, a_prev, a_next, params = cache
    dz, da_prev = rnn_step_back(da_next, a_next, params.Waa)
    return (params.Wax.T @ dz, da_prev, dz @ xt.T, dz @ a_prev.T,
            dz.sum(axis=1, keepdims=True))


# ----- whole sequences ----------------------------------------------------------------------

def rnn_hidden_states(params: RNNParams, x: np.ndarray, a0: np.ndarray | None = None,
                      extra: tuple = ()):
    """Hidden states of a whole sequence, in the time-major buffers the trace keeps.

    Args:
        params: RNNParams.
        x: (n_x, m, T_x).
        a0: (n_a, m) or None for zeros.
        extra: shapes of more buffers to allocate in the same block (the output layer's).

    Returns:
        dict of "x" (T_x, m, n_x), "h" (T_x + 1, m, n_a) = [a0, a<1..T_x>], "z" (T_x, m, n_a),
        and "extra", the list of extra buffers.
    """
    n_x, n_a = params.sizes["n_x"], params.sizes["n_a"]
    x = check_sequence(x, n_x)
    _, m, T_x = x.shape
    a0 = check_state("a0", a0, n_a, m)
    x_tm, Z, H, work, *more = empty_buffers(
        (T_x, m, n_x), (T_x, m, n_a), (T_x + 1, m, n_a), (m, n_a), *extra)
    x_tm[...] = x.transpose(2, 1, 0)
    np.matmul(x_tm.reshape(T_x * m, n_x), params.Wax.T, out=Z.reshape(T_x * m, n_a))
    Z += params.ba[:, 0]
    H[0] = a0.T
    WaaT = params.Waa.T
    with np.errstate(under="ignore"):
        for t in range(T_x):
            _rnn_step_into(Z[t], H[t], WaaT, H[t + 1], work)
    return {"x": x_tm, "h": H, "z": Z, "extra": more}


def rnn_hidden_forward(params: RNNParams, x: np.ndarray, a0: np.ndarray | None = None):
    """Hidden states of a whole sequence (no output layer).

    Args:
        params: RNNParams.
        x: (n_x, m, T_x).
        a0: (n_a, m) or None for zeros.

    Returns:
        x (n_x, m, T_x) as float64, a0 (n_a, m), z and a: (n_a, m, T_x) views of
        time-major buffers.
    """
    tm = rnn_hidden_states(params, x, a0)
    return (tm["x"].transpose(2, 1, 0), tm["h"][0].T, tm["z"].transpose(2, 1, 0),
            tm["h"][1:].transpose(2, 1, 0))


def rnn_hidden_backward(params: RNNParams, trace: RNNTrace, dA_out: np.ndarray):
    """BPTT through the hidden states, given the gradient arriving at each a<t> from outside.

    Args:
        params: RNNParams.
        trace: RNNTrace of the forward pass.
        dA_out: (n_a, m, T_x) dL/da<t> from the outputs only (not through a<t+1>).

    Returns:
        dict with dWax, dWaa, dba (the recurrent parameters' gradients), dx (n_x, m, T_x),
        da0 (n_a, m), and dA (n_a, m, T_x): the total dL/da<t>, the gradient flow.
    """
    n_a = params.sizes["n_a"]
    _, m, T_x = trace.x.shape
    check_shape("dA", dA_out, (n_a, m, T_x), "(n_a, m, T_x)")
    return rnn_bptt(params, trace, time_major_copy(dA_out))


def rnn_bptt(params: RNNParams, trace: RNNTrace, flow: np.ndarray):
    """`rnn_hidden_backward` in place: flow (T_x, m, n_a), time-major, holds dL/da<t> from
    the outputs on entry and the total dL/da<t> on exit (returned as dA, a view of it)."""
    n_x, n_a = params.sizes["n_x"], params.sizes["n_a"]
    T_x, m, _ = flow.shape
    tm = _time_major(trace)
    H = tm["h"]
    dZ, dx, da_next = empty_buffers((T_x, m, n_a), (T_x, m, n_x), (m, n_a))
    np.multiply(H[1:], H[1:], out=dZ)  # 1 - a<t>^2 for all t, then dz<t> in place
    np.subtract(1.0, dZ, out=dZ)
    Waa = np.ascontiguousarray(params.Waa.T).T  # a transposed view, as in the forward loop
    with np.errstate(under="ignore"):
        for t in range(T_x - 1, -1, -1):
            da = flow[t]
            if t < T_x - 1:
                np.add(da, da_next, out=da)
            _rnn_step_back_into(da, dZ[t], dZ[t])
            np.matmul(dZ[t], Waa, out=da_next)  # (Waa^T dz)^T
        dZ_flat = dZ.reshape(T_x * m, n_a)
        np.matmul(dZ_flat, params.Wax, out=dx.reshape(T_x * m, n_x))
        return {
            "dWax": dZ_flat.T @ tm["x"].reshape(T_x * m, n_x),
            "dWaa": dZ_flat.T @ H[:T_x].reshape(T_x * m, n_a),
            "dba": dZ_flat.sum(axis=0)[:, None],
            "dx": dx.transpose(2, 1, 0),
            "da0": da_next.T,
            "dA": flow.transpose(2, 1, 0),
        }


CELL = Cell(
    name="rnn", label="RNN", params=RNNParams,
    projections=(Projection("a", "tanh", ("Waa", "Wax"), "ba"),),
    states=("a",), sequences=("a",), output_weight="Wya", memory_bias=None,
    init=lambda n_x, n_a, n_y, rng, weight_scale, spectral_radius, memory_bias: init_rnn(
        n_x, n_a, n_y, rng, weight_scale, spectral_radius),
)
