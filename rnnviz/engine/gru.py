"""The GRU: one step forward and back, its parameters, and the fused sequence kernel.

The gated recurrent unit in the course's form (Cho et al. 2014, the reset gate acting on
a<t-1> before the product), on concat = [a<t-1>; x<t>] of shape (n_a + n_x, m)::

    r<t>  = sigmoid(Wr concat + br)                     reset gate        (n_a, m)
    u<t>  = sigmoid(Wu concat + bu)                     update gate       (n_a, m)
    c~<t> = tanh(Wc [r<t> * a<t-1>; x<t>] + bc)         candidate         (n_a, m)
    a<t>  = u<t> * c~<t> + (1 - u<t>) * a<t-1>          hidden state      (n_a, m)
    (the output layer, y_hat<t> = softmax(Wy a<t> + by), is in rnnviz.engine.model)

u<t> near 0 keeps a<t-1> (the memory); near 1 replaces it by the candidate. PyTorch's
nn.GRU differs in two ways a student comparing them should know: it applies the reset gate
after the product, n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), and its update gate z
plays the role of 1 - u here, h' = (1 - z) * n + z * h.

Backward, given da<t> = dL/da<t> (from the output at t plus from a<t+1>), with Wc_a and
Wc_x the first n_a and the last n_x columns of Wc::

    dz_c   = da<t> * u<t> * (1 - c~<t>^2)
    dz_u   = da<t> * (c~<t> - a<t-1>) * u<t> (1 - u<t>)
    d(r a) = Wc_a^T dz_c                                   dL/d(r<t> * a<t-1>)
    dz_r   = d(r a) * a<t-1> * r<t> (1 - r<t>)
    dconcat = Wr^T dz_r + Wu^T dz_u
    da<t-1> = da<t> * (1 - u<t>) + d(r a) * r<t> + dconcat[:n_a]   (the output at t-1 adds its own)
    dx<t>   = Wc_x^T dz_c + dconcat[n_a:]
    dWr = sum_t dz_r concat^T    dWu = sum_t dz_u concat^T    dWc = sum_t dz_c [r a<t-1>; x<t>]^T
    db = sum_t,m dz                                         for each of r, u, c

Forward mode, how a<t> moves when a<t-1> moves by da<t-1>, x<t> held fixed (W_a is a
matrix's first n_a columns, the ones that multiply a<t-1>)::

    dr  = r (1 - r) * (Wr_a da<t-1>)          du = u (1 - u) * (Wu_a da<t-1>)
    dc~ = (1 - c~^2) * (Wc_a (dr * a<t-1> + r * da<t-1>))
    da<t> = du * (c~ - a<t-1>) + u * dc~ + (1 - u) * da<t-1>

and the same map as a matrix, the step Jacobian::

    J<t> = diag((c~ - a<t-1>) u (1 - u)) Wu_a + diag(1 - u)
           + diag(u (1 - c~^2)) Wc_a (diag(a<t-1> r (1 - r)) Wr_a + diag(r))    (n_a, n_a)

`gru_step_forward` and `gru_step_backward` below are these equations for one step,
`gru_step_jvp` the forward mode and `gru_step_jacobian` its matrix. The engine runs whole
sequences through `_gru_forward` and `_gru_bptt` at the end of the module: the same numbers,
computed faster, and tested against looping the step pair over t. They apply interventions
(rnnviz.engine.interventions) at these points of a step: a clamped r or u right after the
sigmoids (the candidate reads the clamped r), a set a<t> last; and BPTT zeroes dz of a
clamped gate, and cuts the paths into a set a<t> (dz_u, dz_c and the term da<t> (1 - u<t>)).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from rnnviz.engine._arrays import (
    check_cache,
    check_state,
    check_step,
    concat_row_views,
    empty_buffers,
    is_view_of,
    refuses_overflow,
    time_major,
)
from rnnviz.engine.activations import (
    SCALES,
    activate,
    kernel_for,
    largest_preactivation,
    sigmoid,
)
from rnnviz.engine.description import Cell, Projection, Trace, gate_view
from rnnviz.engine.params import Params, random_weights, stacked_gates, with_spectral_radius

# ----- one step: the equations as code --------------------------------------------------------


class GRUCache(NamedTuple):
    """What `gru_step_backward` needs from `gru_step_forward`, in the notebook's names:
    xt (n_x, m); a_prev (n_a, m); concat (n_a + n_x, m); the gates r, u and the candidate
    c_tilde (n_a, m); a_next (n_a, m); and the parameters."""

    xt: np.ndarray
    a_prev: np.ndarray
    concat: np.ndarray
    r: np.ndarray
    u: np.ndarray
    c_tilde: np.ndarray
    a_next: np.ndarray
    params: GRUParams


@refuses_overflow
def gru_step_forward(xt: np.ndarray, a_prev: np.ndarray, params: GRUParams):
    """One step of the GRU.

    Args:
        xt: (n_x, m) x<t>.
        a_prev: (n_a, m) a<t-1> (None: zeros).
        params: GRUParams: Wr, Wu, Wc (n_a, n_a + n_x), br, bu, bc (n_a, 1).

    Returns:
        a_next (n_a, m) a<t>, and the GRUCache for `gru_step_backward`.
    """
    GRUParams.check(params)
    xt, a_prev = check_step(params.sizes, xt, a_prev=a_prev)
    concat = np.concatenate([a_prev, xt])  # (n_a + n_x, m)
    r = sigmoid(params.Wr @ concat + params.br)  # reset gate
    u = sigmoid(params.Wu @ concat + params.bu)  # update gate
    c_tilde = np.tanh(params.Wc @ np.concatenate([r * a_prev, xt]) + params.bc)  # candidate
    a_next = u * c_tilde + (1 - u) * a_prev
    return a_next, GRUCache(xt, a_prev, concat, r, u, c_tilde, a_next, params)


@refuses_overflow
def gru_step_backward(da_next: np.ndarray, cache: GRUCache):
    """Backward of `gru_step_forward`.

    Args:
        da_next: (n_a, m) dL/da<t>, every path (the output at t and a<t+1>); None: zeros.
        cache: the GRUCache of the step.

    Returns:
        dxt (n_x, m), da_prev (n_a, m), the gradients through this step only, and grads, a
        dict of dWr, dWu, dWc (n_a, n_a + n_x), dbr, dbu, dbc (n_a, 1).
    """
    check_cache(cache, GRUCache, "gru_step_forward")
    xt, a_prev, concat, r, u, c_tilde, a_next, params = cache
    da_next = check_state("da_next", da_next, *a_next.shape)
    n_a = a_prev.shape[0]
    dz_c = da_next * u * (1 - c_tilde ** 2)
    dz_u = da_next * (c_tilde - a_prev) * u * (1 - u)
    d_candidate_input = params.Wc.T @ dz_c  # dL/d[r * a<t-1>; x<t>] through the candidate
    d_ra = d_candidate_input[:n_a]
    dz_r = d_ra * a_prev * r * (1 - r)
    dconcat = params.Wr.T @ dz_r + params.Wu.T @ dz_u
    da_prev = da_next * (1 - u) + d_ra * r + dconcat[:n_a]
    dxt = d_candidate_input[n_a:] + dconcat[n_a:]
    grads = {"dWr": dz_r @ concat.T, "dbr": dz_r.sum(axis=1, keepdims=True),
             "dWu": dz_u @ concat.T, "dbu": dz_u.sum(axis=1, keepdims=True),
             "dWc": dz_c @ np.concatenate([r * a_prev, xt]).T,
             "dbc": dz_c.sum(axis=1, keepdims=True)}
    return dxt, da_prev, grads


def gru_step_jvp(da_prev: np.ndarray, cache: GRUCache) -> np.ndarray:
    """Forward mode of `gru_step_forward`: J v for the step Jacobian J = da<t>/da<t-1>.

    Args:
        da_prev: (n_a, m) a change of a<t-1> (column i goes with example i of the cache).
        cache: the GRUCache of the step.

    Returns:
        da_next (n_a, m), the change of a<t> it causes, x<t> held fixed.
    """
    _, a_prev, _, r, u, c_tilde, _, params = cache
    n_a = a_prev.shape[0]
    dr = r * (1 - r) * (params.Wr[:, :n_a] @ da_prev)
    du = u * (1 - u) * (params.Wu[:, :n_a] @ da_prev)
    dc_tilde = (1 - c_tilde ** 2) * (params.Wc[:, :n_a] @ (dr * a_prev + r * da_prev))
    return du * (c_tilde - a_prev) + u * dc_tilde + (1 - u) * da_prev


def gru_step_jacobian(cache: GRUCache) -> np.ndarray:
    """The matrix of `gru_step_jvp`, J<t> = da<t>/da<t-1>, for every example of the step at
    once (the module's docstring has it).

    Args:
        cache: the GRUCache of the step (m examples).

    Returns:
        (m, n_a, n_a): [i] is example i's J<t>.
    """
    _, a_prev, _, r, u, c_tilde, _, params = cache
    n_a = a_prev.shape[0]
    unit = np.arange(n_a)
    reset = (a_prev * r * (1 - r)).T[:, :, None] * params.Wr[:, :n_a]  # d(r a<t-1>)/da<t-1>
    reset[:, unit, unit] += r.T
    J = (u * (1 - c_tilde ** 2)).T[:, :, None] * (params.Wc[:, :n_a] @ reset)
    J += ((c_tilde - a_prev) * u * (1 - u)).T[:, :, None] * params.Wu[:, :n_a]
    J[:, unit, unit] += (1 - u).T
    return J


# ----- parameters -----------------------------------------------------------------------------

GRU_SHAPES = {
    "Wr": ("n_a", "n_a + n_x"), "br": ("n_a", 1),
    "Wu": ("n_a", "n_a + n_x"), "bu": ("n_a", 1),
    "Wc": ("n_a", "n_a + n_x"), "bc": ("n_a", 1),
    "Wy": ("n_y", "n_a"), "by": ("n_y", 1),
}


@dataclass
class GRUParams(Params):
    """GRU parameters. Wr, Wu (n_a, n_a + n_x) act on concat = [a<t-1>; x<t>], Wc on
    [r<t> * a<t-1>; x<t>]: their first n_a columns multiply the hidden part, the last n_x
    x<t>. br, bu, bc (n_a, 1); Wy (n_y, n_a); by (n_y, 1)."""

    Wr: np.ndarray
    br: np.ndarray
    Wu: np.ndarray
    bu: np.ndarray
    Wc: np.ndarray
    bc: np.ndarray
    Wy: np.ndarray
    by: np.ndarray

    SHAPES = GRU_SHAPES
    cell = "gru"


def init_gru(n_x: int, n_a: int, n_y: int, rng: np.random.Generator,
             weight_scale: float = 1.0, spectral_radius: float | None = None,
             memory_bias: float = 1.0) -> GRUParams:
    """Random GRU parameters: every W ~ N(0, weight_scale^2 / fan_in), bu = -memory_bias,
    the other biases 0. (Called through rnnviz.engine.init_params, which checks the
    arguments.)

    Args:
        n_x, n_a, n_y: input, hidden and output sizes.
        rng: the generator every random number comes from.
        weight_scale: multiplies every weight's standard deviation 1/sqrt(fan_in).
        spectral_radius: if given, each matrix's recurrent block W[:, :n_a] is rescaled so
            its largest |eigenvalue| equals it.
        memory_bias: how strongly the cell keeps its memory at the start, the role the
            LSTM's forget bias plays: every entry of bu is -memory_bias, so large values keep
            u near 0, and a<t> near a<t-1>.

    Returns:
        GRUParams: Wr, Wu, Wc (n_a, n_a + n_x), biases (n_a, 1), Wy (n_y, n_a), by (n_y, 1).
    """
    weights = {}
    for name in ("Wr", "Wu", "Wc"):
        W = random_weights(rng, n_a, n_a + n_x, weight_scale)
        if spectral_radius is not None:
            W[:, :n_a] = with_spectral_radius(W[:, :n_a], spectral_radius)
        weights[name] = W
    Wy = random_weights(rng, n_y, n_a, weight_scale)
    return GRUParams(
        Wr=weights["Wr"], br=np.zeros((n_a, 1)),
        Wu=weights["Wu"], bu=np.full((n_a, 1), -float(memory_bias)),
        Wc=weights["Wc"], bc=np.zeros((n_a, 1)), Wy=Wy, by=np.zeros((n_y, 1)),
    )


# ----- a whole sequence's record --------------------------------------------------------------

# The trace stacks the gates and the candidate in this order: [r; u; c~].
_GATE_ORDER = ("r", "u", "c")
_FACTOR_CHUNK_BYTES = 1 << 20  # BPTT's recurrence-free factors, this many bytes of steps at once


@dataclass(frozen=True)
class GRUTrace(Trace):
    """Everything a view needs from one GRU forward pass; arrays in the notebook's layout.

    Attributes:
        x: (n_x, m, T_x) inputs.
        a0: (n_a, m) initial hidden state.
        a: (n_a, m, T_x) hidden states a<t>.
        gates: (3 n_a, m, T_x) [r; u; c~] stacked; read them as the properties r, u
            (n_a, m, T_x) reset and update gates, in [0, 1], and c_tilde (n_a, m, T_x)
            candidate values, in [-1, 1].
        z_gates: (3 n_a, m, T_x) their pre-activations; properties z_r, z_u, z_c.
        z_y: (n_y, m, T_x) output pre-activations Wy a<t> + by.
        y_hat: (n_y, m, T_x) softmax(z_y), or z_y when output is "linear".
        output: "softmax" or "linear".
        interventions: the rnnviz.engine.Interventions applied (empty: none).
        time_major: the buffers x, a0, a and gates are views of, which BPTT reads (see
            `Trace`).
    """

    x: np.ndarray
    a0: np.ndarray
    a: np.ndarray
    gates: np.ndarray
    z_gates: np.ndarray
    z_y: np.ndarray
    y_hat: np.ndarray
    output: str
    interventions: tuple = ()
    time_major: _Buffers | None = field(default=None, repr=False, compare=False)
    cell = "gru"

    r = gate_view("gates", _GATE_ORDER, "r", "(n_a, m, T_x) reset gate r<t>, in [0, 1].")
    u = gate_view("gates", _GATE_ORDER, "u", "(n_a, m, T_x) update gate u<t>, in [0, 1].")
    c_tilde = gate_view("gates", _GATE_ORDER, "c", "(n_a, m, T_x) candidate c~<t>, in [-1, 1].")
    z_r = gate_view("z_gates", _GATE_ORDER, "r", "(n_a, m, T_x) the reset gate's pre-activation.")
    z_u = gate_view("z_gates", _GATE_ORDER, "u", "(n_a, m, T_x) the update gate's pre-activation.")
    z_c = gate_view("z_gates", _GATE_ORDER, "c", "(n_a, m, T_x) the candidate's pre-activation.")

    def _buffers_from_arrays(self) -> _Buffers:
        return _Buffers.from_arrays(x=self.x, a0=self.a0, a=self.a, gates=self.gates)


# ----- the fused sequence kernel: gru_step_forward and gru_step_backward over every t ---------


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

    def hold(self, trace: GRUTrace) -> bool:
        """Whether the trace's x, a and gates are still views of these buffers."""
        return (is_view_of(trace.a, self.hx) and is_view_of(trace.x, self.hx)
                and is_view_of(trace.gates, self.gates))


def _gru_forward(params: GRUParams, x: np.ndarray, a0: np.ndarray, edits=None) -> dict:
    """Hidden states and gates of a whole sequence: `gru_step_forward` at t = 1..T_x, fused.

    How this and `_gru_bptt` are fast:

    - All inputs x<1..T_x> are projected for the three matrices in one product before the
      loop, and the weight gradients are accumulated in a few products after it.
    - The reset and update gates are one product per step, [Wr_a; Wu_a] a<t-1>, and one
      call of the transcendental function measured fastest on this processor
      (rnnviz.engine.activations), the scale of its argument folded into their rows of W
      and b, as in rnnviz.engine.lstm. The candidate needs r<t> first, so it is a second
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
    W, b = stacked_gates(params, _GATE_ORDER)
    a_bound = a0 if edits is None else edits.bound("a", a0)  # a set a<t> may exceed it
    kernel = kernel_for(largest_preactivation(W[:, :n_a], W[:, n_a:], b, x, a_bound))
    scales = SCALES[kernel]
    W, b = stacked_gates(params, _GATE_ORDER, scales)
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


def _gru_bptt(params: GRUParams, buffers: _Buffers, flow: np.ndarray, edits=None) -> dict:
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

    Returns:
        dict of dWr, dbr, dWu, dbu, dWc, dbc, dx (n_x, m, T_x), da0 (n_a, m), and dA
        (n_a, m, T_x), the total dL/da<t>: the gradient flow.
    """
    T_x, m, n_a = flow.shape
    n_x = buffers.hx.shape[2] - n_a
    H, G = buffers.h, buffers.gates
    W, _ = stacked_gates(params, _GATE_ORDER)
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
        concat_rows = buffers.concat.reshape(T_x * m, n_a + n_x)
        dW_ru = dZ_rows[:, : 2 * n_a].T @ concat_rows  # sum_t dz<t> concat<t>^T, r and u
        dZc_rows = dZ_rows[:, 2 * n_a:]
        dWc = np.concatenate([dZc_rows.T @ buffers.ra.reshape(T_x * m, n_a),
                              dZc_rows.T @ concat_rows[:, n_a:]], axis=1)
        db = dZ_rows.sum(axis=0)[:, None]
        np.matmul(dZ_rows, W[:, n_a:], out=dX.reshape(T_x * m, n_x))
    return {"dWr": dW_ru[:n_a], "dbr": db[:n_a], "dWu": dW_ru[n_a:], "dbu": db[n_a: 2 * n_a],
            "dWc": dWc, "dbc": db[2 * n_a:], "dx": dX.transpose(2, 1, 0), "da0": da_prev.T,
            "dA": flow.transpose(2, 1, 0)}


CELL = Cell(
    name="gru", label="GRU", params=GRUParams,
    projections=(Projection("r", "sigmoid", ("Wr",), "br"),
                 Projection("u", "sigmoid", ("Wu",), "bu"),
                 Projection("c_tilde", "tanh", ("Wc",), "bc", reset="r")),
    states=("a",), sequences=("r", "u", "c_tilde", "a"), output_weight="Wy",
    memory_bias="bu", init=init_gru,
    trace=GRUTrace, step_forward=gru_step_forward, step_backward=gru_step_backward,
    step_jvp=gru_step_jvp, forward=_gru_forward, bptt=_gru_bptt, buffers=_Buffers.from_arrays,
    step_jacobian=gru_step_jacobian,
)
