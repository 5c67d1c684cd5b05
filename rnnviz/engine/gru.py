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
sequences through `_gru_forward` and `_gru_bptt` in rnnviz.engine._gru_kernel: the same numbers,
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
    refuses_overflow,
)
from rnnviz.engine._gru_kernel import GATE_ORDER, _Buffers, _gru_bptt, _gru_forward
from rnnviz.engine.activations import (
    sigmoid,
)
from rnnviz.engine.description import Cell, Projection, Trace, gate_view
from rnnviz.engine.params import Params, random_weights, with_spectral_radius

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


def gru_state_map(params: GRUParams, x: np.ndarray):
    """The GRU's Cell.state_map (rnnviz.engine.description), for the fixed-point search: r<t>
    and u<t> from one stacked product, then `gru_step_backward`'s path to a<t-1> alone, with
    `gru_step_forward`'s numbers (to round-off), no checks and no parameter gradients."""
    n_a = params.Wr.shape[0]
    W_ru = np.concatenate([params.Wr, params.Wu])  # (2 n_a, n_a + n_x)
    W_ru_a, Wc_a = np.ascontiguousarray(W_ru[:, :n_a]), np.ascontiguousarray(params.Wc[:, :n_a])
    W_ru_aT, Wc_aT = np.ascontiguousarray(W_ru_a.T), np.ascontiguousarray(Wc_a.T)
    held_ru = W_ru[:, n_a:] @ x + np.concatenate([params.br, params.bu])
    held_c = params.Wc[:, n_a:] @ x + params.bc

    def step(a_prev: np.ndarray):
        ru = sigmoid(W_ru_a @ a_prev + held_ru)
        r, u = ru[:n_a], ru[n_a:]
        c_tilde = np.tanh(Wc_a @ (r * a_prev) + held_c)

        def pullback(v: np.ndarray) -> np.ndarray:
            dz_c = v * u * (1 - c_tilde ** 2)  # as in gru_step_backward
            dz_u = v * (c_tilde - a_prev) * u * (1 - u)
            d_ra = Wc_aT @ dz_c
            dz_r = d_ra * a_prev * r * (1 - r)
            return v * (1 - u) + d_ra * r + W_ru_aT @ np.concatenate([dz_r, dz_u])

        return u * c_tilde + (1 - u) * a_prev, pullback

    return step


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

    r = gate_view("gates", GATE_ORDER, "r", "(n_a, m, T_x) reset gate r<t>, in [0, 1].")
    u = gate_view("gates", GATE_ORDER, "u", "(n_a, m, T_x) update gate u<t>, in [0, 1].")
    c_tilde = gate_view("gates", GATE_ORDER, "c", "(n_a, m, T_x) candidate c~<t>, in [-1, 1].")
    z_r = gate_view("z_gates", GATE_ORDER, "r", "(n_a, m, T_x) the reset gate's pre-activation.")
    z_u = gate_view("z_gates", GATE_ORDER, "u", "(n_a, m, T_x) the update gate's pre-activation.")
    z_c = gate_view("z_gates", GATE_ORDER, "c", "(n_a, m, T_x) the candidate's pre-activation.")

    def _buffers_from_arrays(self) -> _Buffers:
        return _Buffers.from_arrays(x=self.x, a0=self.a0, a=self.a, gates=self.gates)


CELL = Cell(
    name="gru", label="GRU", params=GRUParams,
    projections=(Projection("r", "sigmoid", ("Wr",), "br"),
                 Projection("u", "sigmoid", ("Wu",), "bu"),
                 Projection("c_tilde", "tanh", ("Wc",), "bc", reset="r")),
    states=("a",), sequences=("r", "u", "c_tilde", "a"), output_weight="Wy",
    memory_bias="bu", init=init_gru,
    trace=GRUTrace, step_forward=gru_step_forward, step_backward=gru_step_backward,
    step_jvp=gru_step_jvp, forward=_gru_forward, bptt=_gru_bptt, buffers=_Buffers.from_arrays,
    state_map=gru_state_map, step_jacobian=gru_step_jacobian,
)
