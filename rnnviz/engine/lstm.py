"""The LSTM: one step forward and back, its parameters, and the fused sequence kernel.

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
    dz_f   = dc<t> * c<t-1> * f<t> (1 - f<t>)
    dz_u   = dc<t> * c~<t> * u<t> (1 - u<t>)
    dz_c   = dc<t> * u<t> * (1 - c~<t>^2)
    dz_o   = da<t> * tanh(c<t>) * o<t> (1 - o<t>)
    dconcat = Wf^T dz_f + Wu^T dz_u + Wc^T dz_c + Wo^T dz_o
    da<t-1> = dconcat[:n_a]  (to which the output at t-1 adds its own),   dx<t> = dconcat[n_a:]
    dc<t-1> = dc<t> * f<t>                                           through c<t-1>
    dW = sum_t dz<t> concat<t>^T,   db = sum_t,m dz<t>               for each gate

Forward mode, how [a<t>; c<t>] move when [a<t-1>; c<t-1>] move by (da<t-1>, dc<t-1>), x<t>
held fixed (W_a is a gate matrix's first n_a columns, the ones that multiply a<t-1>)::

    df = f (1 - f) * (Wf_a da<t-1>)       du = u (1 - u) * (Wu_a da<t-1>)
    dc~ = (1 - c~^2) * (Wc_a da<t-1>)     do = o (1 - o) * (Wo_a da<t-1>)
    dc<t> = df * c<t-1> + f * dc<t-1> + du * c~ + u * dc~
    da<t> = do * tanh(c<t>) + o * (1 - tanh(c<t>)^2) * dc<t>

and the same map as a matrix, the step Jacobian J<t> = d[a<t>; c<t>] / d[a<t-1>; c<t-1>]::

    dc/da_prev = diag(c<t-1> f (1 - f)) Wf_a + diag(c~ u (1 - u)) Wu_a + diag(u (1 - c~^2)) Wc_a
    dc/dc_prev = diag(f)
    da/da_prev = diag(tanh(c<t>) o (1 - o)) Wo_a + diag(o (1 - tanh(c<t>)^2)) dc/da_prev
    da/dc_prev = diag(o (1 - tanh(c<t>)^2) f)

    J<t> = [[da/da_prev, da/dc_prev],
            [dc/da_prev, dc/dc_prev]]                                     (2 n_a, 2 n_a)

`lstm_step_forward` and `lstm_step_backward` below are these equations for one step,
`lstm_step_jvp` the forward mode and `lstm_step_jacobian` its matrix. The engine runs
whole sequences through `_lstm_forward` and `_lstm_bptt` at the end of the module: the
same numbers, computed faster, and tested against looping the step pair over t. They
apply interventions (rnnviz.engine.interventions): a clamped f, u or o right after the
sigmoids, a set c<t> before tanh(c<t>), a set a<t> last; BPTT zeroes a clamped gate's dz, and
cuts the paths into a set c<t> (dz_f, dz_u, dz_c, dc<t-1>) or a<t> (dz_o, da<t>'s to dc<t>).
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
    tanh_into,
)
from rnnviz.engine.description import Cell, Projection, Trace, gate_view
from rnnviz.engine.params import Params, random_weights, stacked_gates, with_spectral_radius

# ----- one step: the equations as code --------------------------------------------------------


class LSTMCache(NamedTuple):
    """What `lstm_step_backward` needs from `lstm_step_forward`, in the notebook's names:
    xt (n_x, m); a_prev, c_prev (n_a, m); concat (n_a + n_x, m); the gates f, u, o and the
    candidate c_tilde (n_a, m); c_next, a_next (n_a, m); and the parameters."""

    xt: np.ndarray
    a_prev: np.ndarray
    c_prev: np.ndarray
    concat: np.ndarray
    f: np.ndarray
    u: np.ndarray
    c_tilde: np.ndarray
    o: np.ndarray
    c_next: np.ndarray
    a_next: np.ndarray
    params: LSTMParams


@refuses_overflow
def lstm_step_forward(xt: np.ndarray, a_prev: np.ndarray, c_prev: np.ndarray,
                      params: LSTMParams):
    """One step of the LSTM.

    Args:
        xt: (n_x, m) x<t>.
        a_prev: (n_a, m) a<t-1> (None: zeros).
        c_prev: (n_a, m) c<t-1> (None: zeros).
        params: LSTMParams: Wf, Wu, Wc, Wo (n_a, n_a + n_x), bf, bu, bc, bo (n_a, 1).

    Returns:
        a_next (n_a, m) a<t>, c_next (n_a, m) c<t>, and the LSTMCache for `lstm_step_backward`.
    """
    LSTMParams.check(params)
    xt, a_prev, c_prev = check_step(params.sizes, xt, a_prev=a_prev, c_prev=c_prev)
    concat = np.concatenate([a_prev, xt])  # (n_a + n_x, m)
    f = sigmoid(params.Wf @ concat + params.bf)  # forget gate
    u = sigmoid(params.Wu @ concat + params.bu)  # update gate
    c_tilde = np.tanh(params.Wc @ concat + params.bc)  # candidate
    c_next = f * c_prev + u * c_tilde
    o = sigmoid(params.Wo @ concat + params.bo)  # output gate
    a_next = o * np.tanh(c_next)
    cache = LSTMCache(xt, a_prev, c_prev, concat, f, u, c_tilde, o, c_next, a_next, params)
    return a_next, c_next, cache


@refuses_overflow
def lstm_step_backward(da_next: np.ndarray, dc_next: np.ndarray, cache: LSTMCache):
    """Backward of `lstm_step_forward`.

    Args:
        da_next: (n_a, m) dL/da<t>, every path (the output at t and a<t+1>); None: zeros.
        dc_next: (n_a, m) dL/dc<t> through c<t+1> only (zeros, or None, at the last step).
        cache: the LSTMCache of the step.

    Returns:
        dxt (n_x, m), da_prev (n_a, m) and dc_prev (n_a, m), the gradients through this step
        only, and grads, a dict of dWf, dWu, dWc, dWo (n_a, n_a + n_x), dbf, dbu, dbc, dbo
        (n_a, 1).
    """
    check_cache(cache, LSTMCache, "lstm_step_forward")
    xt, a_prev, c_prev, concat, f, u, c_tilde, o, c_next, a_next, params = cache
    da_next, dc_next = (check_state(name, value, *a_next.shape)
                        for name, value in (("da_next", da_next), ("dc_next", dc_next)))
    tanh_c = np.tanh(c_next)
    dc = dc_next + da_next * o * (1 - tanh_c ** 2)  # total dL/dc<t>
    dz_f = dc * c_prev * f * (1 - f)
    dz_u = dc * c_tilde * u * (1 - u)
    dz_c = dc * u * (1 - c_tilde ** 2)
    dz_o = da_next * tanh_c * o * (1 - o)
    dconcat = params.Wf.T @ dz_f + params.Wu.T @ dz_u + params.Wc.T @ dz_c + params.Wo.T @ dz_o
    n_a = a_prev.shape[0]
    da_prev, dxt = dconcat[:n_a], dconcat[n_a:]
    dc_prev = dc * f
    grads = {}
    for gate, dz in (("f", dz_f), ("u", dz_u), ("c", dz_c), ("o", dz_o)):
        grads["dW" + gate] = dz @ concat.T
        grads["db" + gate] = dz.sum(axis=1, keepdims=True)
    return dxt, da_prev, dc_prev, grads


def lstm_step_jvp(da_prev: np.ndarray, dc_prev: np.ndarray, cache: LSTMCache):
    """Forward mode of `lstm_step_forward`: J v for the step Jacobian J = d[a<t>; c<t>] /
    d[a<t-1>; c<t-1>].

    Args:
        da_prev, dc_prev: (n_a, m) changes of a<t-1> and c<t-1> (column i goes with example
            i of the cache).
        cache: the LSTMCache of the step.

    Returns:
        da_next, dc_next (n_a, m): the changes of a<t> and c<t> they cause, x<t> held fixed.
    """
    _, _, c_prev, _, f, u, c_tilde, o, c_next, _, params = cache
    n_a = c_prev.shape[0]
    tanh_c = np.tanh(c_next)
    df = f * (1 - f) * (params.Wf[:, :n_a] @ da_prev)
    du = u * (1 - u) * (params.Wu[:, :n_a] @ da_prev)
    dc_tilde = (1 - c_tilde ** 2) * (params.Wc[:, :n_a] @ da_prev)
    do = o * (1 - o) * (params.Wo[:, :n_a] @ da_prev)
    dc_next = df * c_prev + f * dc_prev + du * c_tilde + u * dc_tilde
    da_next = do * tanh_c + o * (1 - tanh_c ** 2) * dc_next
    return da_next, dc_next


def lstm_step_jacobian(cache: LSTMCache) -> np.ndarray:
    """The matrix of `lstm_step_jvp`, J<t> = d[a<t>; c<t>] / d[a<t-1>; c<t-1>], for every
    example of the step at once (its blocks are in the module's docstring).

    Args:
        cache: the LSTMCache of the step (m examples).

    Returns:
        (m, 2 n_a, 2 n_a): [i] is example i's J<t>, [i, :n_a, :n_a] its da<t>/da<t-1>.
    """
    _, _, c_prev, _, f, u, c_tilde, o, c_next, _, params = cache
    n_a, m = c_prev.shape
    tanh_c = np.tanh(c_next)

    def scaled_rows(scale, W):  # diag(scale) W_a for every example: (m, n_a, n_a)
        return scale.T[:, :, None] * W[:, :n_a]

    J = np.zeros((m, 2 * n_a, 2 * n_a))
    da_da, dc_da = J[:, :n_a, :n_a], J[:, n_a:, :n_a]  # views: the blocks written in place
    dc_da[:] = scaled_rows(c_prev * f * (1 - f), params.Wf)
    dc_da += scaled_rows(c_tilde * u * (1 - u), params.Wu)
    dc_da += scaled_rows(u * (1 - c_tilde ** 2), params.Wc)
    through_c = o * (1 - tanh_c ** 2)  # da<t>/dc<t>, (n_a, m)
    np.multiply(through_c.T[:, :, None], dc_da, out=da_da)
    da_da += scaled_rows(tanh_c * o * (1 - o), params.Wo)
    unit = np.arange(n_a)
    J[:, unit, n_a + unit] = (through_c * f).T
    J[:, n_a + unit, n_a + unit] = f.T
    return J


# ----- parameters -----------------------------------------------------------------------------

LSTM_SHAPES = {
    "Wf": ("n_a", "n_a + n_x"), "bf": ("n_a", 1),
    "Wu": ("n_a", "n_a + n_x"), "bu": ("n_a", 1),
    "Wc": ("n_a", "n_a + n_x"), "bc": ("n_a", 1),
    "Wo": ("n_a", "n_a + n_x"), "bo": ("n_a", 1),
    "Wy": ("n_y", "n_a"), "by": ("n_y", 1),
}


@dataclass
class LSTMParams(Params):
    """LSTM parameters. Wf, Wu, Wc, Wo (n_a, n_a + n_x) act on concat = [a<t-1>; x<t>]: their
    first n_a columns multiply a<t-1>, the last n_x multiply x<t>. bf, bu, bc, bo (n_a, 1);
    Wy (n_y, n_a); by (n_y, 1)."""

    Wf: np.ndarray
    bf: np.ndarray
    Wu: np.ndarray
    bu: np.ndarray
    Wc: np.ndarray
    bc: np.ndarray
    Wo: np.ndarray
    bo: np.ndarray
    Wy: np.ndarray
    by: np.ndarray

    SHAPES = LSTM_SHAPES
    cell = "lstm"


def init_lstm(n_x: int, n_a: int, n_y: int, rng: np.random.Generator,
              weight_scale: float = 1.0, spectral_radius: float | None = None,
              forget_bias: float = 1.0) -> LSTMParams:
    """Random LSTM parameters: every W ~ N(0, weight_scale^2 / fan_in), bf = forget_bias,
    every other bias 0. (Called through rnnviz.engine.init_params, which checks the
    arguments.)

    Args:
        n_x, n_a, n_y: input, hidden and output sizes.
        rng: the generator every random number comes from.
        weight_scale: multiplies every weight's standard deviation 1/sqrt(fan_in).
        spectral_radius: if given, each gate's recurrent block W[:, :n_a] is rescaled so
            its largest |eigenvalue| equals it.
        forget_bias: the value of every entry of bf; large values keep f near 1 (remember).

    Returns:
        LSTMParams: Wf, Wu, Wc, Wo (n_a, n_a + n_x), biases (n_a, 1), Wy (n_y, n_a), by (n_y, 1).
    """
    gates = {}
    for name in ("Wf", "Wu", "Wc", "Wo"):
        W = random_weights(rng, n_a, n_a + n_x, weight_scale)
        if spectral_radius is not None:
            W[:, :n_a] = with_spectral_radius(W[:, :n_a], spectral_radius)
        gates[name] = W
    Wy = random_weights(rng, n_y, n_a, weight_scale)
    zeros = np.zeros((n_a, 1))
    return LSTMParams(
        Wf=gates["Wf"], bf=np.full((n_a, 1), float(forget_bias)),
        Wu=gates["Wu"], bu=zeros.copy(), Wc=gates["Wc"], bc=zeros.copy(),
        Wo=gates["Wo"], bo=zeros.copy(), Wy=Wy, by=np.zeros((n_y, 1)),
    )


# ----- a whole sequence's record --------------------------------------------------------------

# The four gates are stacked into one matrix, sigmoid gates first: W = [Wf; Wu; Wo; Wc]; the
# trace stacks them, and their pre-activations, in the same order.
_GATE_ORDER = ("f", "u", "o", "c")


@dataclass(frozen=True)
class LSTMTrace(Trace):
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
        interventions: the rnnviz.engine.Interventions applied (empty: none).
        time_major: the buffers x, a0, a, c0, c and gates are views of, which BPTT reads
            (see `Trace`).
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
    interventions: tuple = ()
    time_major: _Buffers | None = field(default=None, repr=False, compare=False)
    cell = "lstm"

    f = gate_view("gates", _GATE_ORDER, "f", "(n_a, m, T_x) forget gate f<t>, in [0, 1].")
    u = gate_view("gates", _GATE_ORDER, "u", "(n_a, m, T_x) update gate u<t>, in [0, 1].")
    o = gate_view("gates", _GATE_ORDER, "o", "(n_a, m, T_x) output gate o<t>, in [0, 1].")
    c_tilde = gate_view("gates", _GATE_ORDER, "c", "(n_a, m, T_x) candidate c~<t>, in [-1, 1].")
    z_f = gate_view("z_gates", _GATE_ORDER, "f", "(n_a, m, T_x) the forget gate's pre-activation.")
    z_u = gate_view("z_gates", _GATE_ORDER, "u", "(n_a, m, T_x) the update gate's pre-activation.")
    z_o = gate_view("z_gates", _GATE_ORDER, "o", "(n_a, m, T_x) the output gate's pre-activation.")
    z_c = gate_view("z_gates", _GATE_ORDER, "c", "(n_a, m, T_x) the candidate's pre-activation.")

    @property
    def c_prev(self) -> np.ndarray:
        """(n_a, m, T_x): c<t-1> at every t, starting from c0."""
        return self.buffers().c[:-1].transpose(2, 1, 0)

    def _buffers_from_arrays(self) -> _Buffers:
        return _Buffers.from_arrays(x=self.x, a0=self.a0, c0=self.c0, a=self.a, c=self.c,
                                    gates=self.gates)


# ----- the fused sequence kernel: lstm_step_forward and lstm_step_backward over every t -------

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
                    c: np.ndarray, gates: np.ndarray) -> _Buffers:
        """From x (n_x, m, T_x), a0, c0 (n_a, m), a, c (n_a, m, T_x), gates (4 n_a, m, T_x);
        BPTT only reads them."""
        n_a, m, T_x = a.shape
        buffers = cls.empty(x.shape[0], n_a, m, T_x)._replace(gates=time_major(gates))
        buffers.h[0] = a0.T
        buffers.h[1:] = a.transpose(2, 1, 0)
        buffers.x[...] = x.transpose(2, 1, 0)
        buffers.c[0] = c0.T
        buffers.c[1:] = c.transpose(2, 1, 0)
        np.tanh(buffers.c[1:], out=buffers.tanh_c)
        return buffers

    def hold(self, trace: LSTMTrace) -> bool:
        """Whether the trace's x, a, c and gates are still views of these buffers."""
        return (is_view_of(trace.a, self.hx) and is_view_of(trace.x, self.hx)
                and is_view_of(trace.c, self.c) and is_view_of(trace.gates, self.gates))


def _lstm_forward(params: LSTMParams, x: np.ndarray, a0: np.ndarray, c0: np.ndarray,
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
    W, b = stacked_gates(params, _GATE_ORDER)
    # |c<t>| <= |c<t-1>| + 1, so tanh's arguments stay below max |c0| + T_x (or a set c)
    a_bound, c_bound = (a0, c0) if edits is None else (edits.bound("a", a0),
                                                       edits.bound("c", c0))
    kernel = kernel_for(max(largest_preactivation(W[:, :n_a], W[:, n_a:], b, x, a_bound),
                            float(np.max(np.abs(c_bound))) + T_x))
    scales = SCALES[kernel]
    W_scaled, b_scaled = stacked_gates(params, _GATE_ORDER, scales)
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
    with np.errstate(under="ignore"):
        for t in range(T_x):
            np.matmul(H[t], WaT, out=Wa_a)  # (W_a a<t-1>)^T, W_a = W[:, :n_a], scaled
            np.add(Z[t], Wa_a, out=Z[t])  # the gates' pre-activations, scaled
            activate(Z[t].reshape(m, 4, n_a).transpose(1, 0, 2), gate_major, 3, kernel)
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
            np.copyto(G[t].reshape(m, 4, n_a), gate_major.transpose(1, 0, 2))
    for rows, scale in ((slice(None, 3 * n_a), scales["sigmoid"]),
                        (slice(3 * n_a, None), scales["tanh"])):
        if scale != 1.0:  # the true pre-activations (exact: a power of two and a sign)
            Z[..., rows] *= 1.0 / scale
    return {
        "x": buffers.x.transpose(2, 1, 0), "a0": H[0].T, "c0": C[0].T,
        "a": H[1:].transpose(2, 1, 0), "c": C[1:].transpose(2, 1, 0),
        "gates": G.transpose(2, 1, 0), "z_gates": Z.transpose(2, 1, 0), "time_major": buffers,
    }


def _lstm_bptt(params: LSTMParams, buffers: _Buffers, flow: np.ndarray, edits=None) -> dict:
    """BPTT through the LSTM: `lstm_step_backward` at t = T_x..1, fused (see `_lstm_forward`
    for how).

    Args:
        params: LSTMParams.
        buffers: the forward pass's _Buffers.
        flow: (T_x, m, n_a) time-major: dL/da<t> from outside the recurrence (the outputs)
            on entry, the total dL/da<t> on exit.
        edits: the forward pass's interventions' Schedule, or None.

    Returns:
        dict of dWf, dbf, dWu, dbu, dWo, dbo, dWc, dbc, dx (n_x, m, T_x), da0, dc0 (n_a, m),
        and dA, dC (n_a, m, T_x), the total dL/da<t> and dL/dc<t>: the gradient flow.
    """
    T_x, m, n_a = flow.shape
    n_x = buffers.hx.shape[2] - n_a
    C, TC, G = buffers.c, buffers.tanh_c, buffers.gates
    W, _ = stacked_gates(params, _GATE_ORDER)
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
                dz_rows = dZ[t - low]
                np.copyto(dz_rows.reshape(m, 4, n_a), dz.transpose(1, 0, 2))  # row form again
                np.matmul(dz_rows, Wa, out=da_prev)  # (Wa^T dz)^T
                if t == low:  # the span is complete: its steps' share of the gradients
                    _add_span_gradients(dZ[: high - low], buffers.concat[low:high], W[:, n_a:],
                                        dW, db, dX[low:high])
                    high, low = low, max(0, low - span)
    grads = {}
    for i, gate in enumerate(_GATE_ORDER):
        grads["dW" + gate] = dW[i * n_a: (i + 1) * n_a]
        grads["db" + gate] = db[i * n_a: (i + 1) * n_a]
    return {**grads, "dx": dX.transpose(2, 1, 0), "da0": da_prev.T, "dc0": dc_prev.T,
            "dA": flow.transpose(2, 1, 0), "dC": flow_c.transpose(2, 1, 0)}


def _add_span_gradients(dZ: np.ndarray, concat: np.ndarray, W_x: np.ndarray, dW: np.ndarray,
                        db: np.ndarray, dX: np.ndarray) -> None:
    """Add a span of k steps' share to dW += sum_t dz<t> concat<t>^T (all four gates in one
    product) and db, and write their dx<t> = W_x^T dz<t>.

    Args:
        dZ: (k, m, 4 n_a) dz<t>^T; concat: (k, m, n_a + n_x) concat<t>^T; W_x: (4 n_a, n_x).
        dW: (4 n_a, n_a + n_x) and db (4 n_a, 1), added to; dX: (k, m, n_x), written.
    """
    k, m, rows = dZ.shape
    dZ_rows = dZ.reshape(k * m, rows)
    dW += dZ_rows.T @ concat.reshape(k * m, concat.shape[2])
    db += dZ_rows.sum(axis=0)[:, None]
    np.matmul(dZ_rows, W_x, out=dX.reshape(k * m, W_x.shape[1]))


CELL = Cell(
    name="lstm", label="LSTM", params=LSTMParams,
    projections=(Projection("f", "sigmoid", ("Wf",), "bf"),
                 Projection("u", "sigmoid", ("Wu",), "bu"),
                 Projection("c_tilde", "tanh", ("Wc",), "bc"),
                 Projection("o", "sigmoid", ("Wo",), "bo")),
    states=("a", "c"), sequences=("f", "u", "o", "c_tilde", "c", "a"), output_weight="Wy",
    memory_bias="bf", init=init_lstm,
    trace=LSTMTrace, step_forward=lstm_step_forward, step_backward=lstm_step_backward,
    step_jvp=lstm_step_jvp, forward=_lstm_forward, bptt=_lstm_bptt, buffers=_Buffers.from_arrays,
    step_jacobian=lstm_step_jacobian,
)
