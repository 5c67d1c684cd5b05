"""The vanilla RNN: one step, a whole sequence, and back-propagation through time.

Forward, at every timestep t (notebook notation, shapes in brackets)::

    z<t>  = Wax x<t> + Waa a<t-1> + ba          (n_a, m)
    a<t>  = tanh(z<t>)                          (n_a, m)
    (the output layer, y_hat<t> = softmax(Wya a<t> + by) or linear, is in rnnviz.model)

Backward, given da<t> = dL/da<t> (from the output at t plus from a<t+1>)::

    dz<t>    = da<t> * (1 - a<t>^2)
    da<t-1> += Waa^T dz<t>
    dWax = sum_t dz<t> x<t>^T     dWaa = sum_t dz<t> a<t-1>^T     dba = sum_t,m dz<t>
    dx<t> = Wax^T dz<t>

For speed the inputs of all timesteps are projected by Wax in one product before the loop,
and the weight gradients are accumulated in one product after it. Sequence arrays are
stored time-major inside, (n, T_x, m), and exposed in the notebook's (n, m, T_x) layout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz._shapes import as_float_array, check_sequence, check_shape, check_state
from rnnviz.params import RNNParams


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
    """

    x: np.ndarray
    a0: np.ndarray
    z: np.ndarray
    a: np.ndarray
    z_y: np.ndarray
    y_hat: np.ndarray
    output: str
    cell = "rnn"

    @property
    def T_x(self) -> int:
        return self.x.shape[2]

    @property
    def a_prev(self) -> np.ndarray:
        """(n_a, m, T_x): a<t-1> at every t, starting from a0."""
        return np.concatenate([self.a0[:, :, None], self.a[:, :, :-1]], axis=2)


# ----- one step: the unit the sequence functions loop over ---------------------------------

def rnn_step(zx_t: np.ndarray, a_prev: np.ndarray, Waa: np.ndarray):
    """Recurrence of one step, given the input's share already projected.

    Args:
        zx_t: (n_a, m) Wax x<t> + ba.
        a_prev: (n_a, m) a<t-1>.
        Waa: (n_a, n_a).

    Returns:
        a_next (n_a, m) = tanh(z), z (n_a, m) = zx_t + Waa a_prev.
    """
    z = Waa @ a_prev
    z += zx_t
    return np.tanh(z), z


def rnn_step_back(da: np.ndarray, a_next: np.ndarray, Waa: np.ndarray):
    """Backward of `rnn_step`.

    Args:
        da: (n_a, m) dL/da<t>, all paths.
        a_next: (n_a, m) a<t> from the forward pass.
        Waa: (n_a, n_a).

    Returns:
        dz (n_a, m) = da * (1 - a<t>^2), da_prev (n_a, m) = Waa^T dz.
    """
    dz = da * (1.0 - a_next * a_next)
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
    n_x, n_a = params.sizes["n_x"], params.sizes["n_a"]
    x = check_sequence(x, n_x)
    _, m, T_x = x.shape
    a0 = check_state("a0", a0, n_a, m)
    x_tm = np.ascontiguousarray(x.transpose(0, 2, 1))  # (n_x, T_x, m)
    zx = (params.Wax @ x_tm.reshape(n_x, T_x * m)).reshape(n_a, T_x, m)
    zx += params.ba[:, :, None]
    A = np.empty((n_a, T_x, m))
    Z = np.empty((n_a, T_x, m))
    a = a0
    for t in range(T_x):
        a, Z[:, t, :] = rnn_step(zx[:, t, :], a, params.Waa)
        A[:, t, :] = a
    return x, a0, Z.transpose(0, 2, 1), A.transpose(0, 2, 1)


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
    n_x, n_a = params.sizes["n_x"], params.sizes["n_a"]
    _, m, T_x = trace.x.shape
    check_shape("dA", dA_out, (n_a, m, T_x), "(n_a, m, T_x)")
    dA_out_tm = dA_out.transpose(0, 2, 1)
    A = trace.a.transpose(0, 2, 1)  # (n_a, T_x, m)
    dZ = np.empty((n_a, T_x, m))
    flow = np.empty((n_a, T_x, m))
    da_next = np.zeros((n_a, m))
    for t in reversed(range(T_x)):
        da = dA_out_tm[:, t, :] + da_next
        flow[:, t, :] = da
        dZ[:, t, :], da_next = rnn_step_back(da, A[:, t, :], params.Waa)
    dZ_flat = dZ.reshape(n_a, T_x * m)
    x_flat = np.ascontiguousarray(trace.x.transpose(0, 2, 1)).reshape(n_x, T_x * m)
    a_prev_flat = np.ascontiguousarray(trace.a_prev.transpose(0, 2, 1)).reshape(n_a, T_x * m)
    return {
        "dWax": dZ_flat @ x_flat.T,
        "dWaa": dZ_flat @ a_prev_flat.T,
        "dba": dZ_flat.sum(axis=1, keepdims=True),
        "dx": (params.Wax.T @ dZ_flat).reshape(n_x, T_x, m).transpose(0, 2, 1),
        "da0": da_next,
        "dA": flow.transpose(0, 2, 1),
    }
