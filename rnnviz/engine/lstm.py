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
whole sequences through `_lstm_forward` and `_lstm_bptt` in rnnviz.engine._lstm_kernel: the
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
    refuses_overflow,
)
from rnnviz.engine._lstm_kernel import GATE_ORDER, _Buffers, _lstm_bptt, _lstm_forward
from rnnviz.engine.activations import (
    sigmoid,
)
from rnnviz.engine.description import Cell, Projection, Trace, gate_view
from rnnviz.engine.params import Params, random_weights, with_spectral_radius

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


def lstm_state_map(params: LSTMParams, x: np.ndarray):
    """The LSTM's Cell.state_map (rnnviz.engine.description), for the fixed-point search: the
    state s = [a<t-1>; c<t-1>], the four gates from one stacked product, and
    `lstm_step_backward`'s paths to a<t-1> and c<t-1> alone, with `lstm_step_forward`'s
    numbers (to round-off), no checks and no parameter gradients."""
    n_a = params.Wf.shape[0]
    W = np.concatenate([params.Wf, params.Wu, params.Wc, params.Wo])  # (4 n_a, n_a + n_x)
    W_a, W_aT = np.ascontiguousarray(W[:, :n_a]), np.ascontiguousarray(W[:, :n_a].T)
    held = W[:, n_a:] @ x + np.concatenate([params.bf, params.bu, params.bc, params.bo])

    def step(states: np.ndarray):
        a_prev, c_prev = states[:n_a], states[n_a:]
        z = W_a @ a_prev + held
        f, u, c_tilde, o = (sigmoid(z[:n_a]), sigmoid(z[n_a: 2 * n_a]),
                            np.tanh(z[2 * n_a: 3 * n_a]), sigmoid(z[3 * n_a:]))
        c_next = f * c_prev + u * c_tilde
        tanh_c = np.tanh(c_next)

        def pullback(v: np.ndarray) -> np.ndarray:
            da_next, dc_next = v[:n_a], v[n_a:]
            dc = dc_next + da_next * o * (1 - tanh_c ** 2)  # as in lstm_step_backward
            dz = np.concatenate([dc * c_prev * f * (1 - f), dc * c_tilde * u * (1 - u),
                                 dc * u * (1 - c_tilde ** 2), da_next * tanh_c * o * (1 - o)])
            return np.concatenate([W_aT @ dz, dc * f])

        return np.concatenate([o * tanh_c, c_next]), pullback

    return step


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
        kernel: the rnnviz.engine.activations kernel the forward pass computed tanh(c) with
            (None: unknown), with which BPTT computes it again for a trace without its
            buffers, to the same bits.
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
    kernel: str | None = field(default=None, repr=False, compare=False)
    time_major: _Buffers | None = field(default=None, repr=False, compare=False)
    cell = "lstm"

    f = gate_view("gates", GATE_ORDER, "f", "(n_a, m, T_x) forget gate f<t>, in [0, 1].")
    u = gate_view("gates", GATE_ORDER, "u", "(n_a, m, T_x) update gate u<t>, in [0, 1].")
    o = gate_view("gates", GATE_ORDER, "o", "(n_a, m, T_x) output gate o<t>, in [0, 1].")
    c_tilde = gate_view("gates", GATE_ORDER, "c", "(n_a, m, T_x) candidate c~<t>, in [-1, 1].")
    z_f = gate_view("z_gates", GATE_ORDER, "f", "(n_a, m, T_x) the forget gate's pre-activation.")
    z_u = gate_view("z_gates", GATE_ORDER, "u", "(n_a, m, T_x) the update gate's pre-activation.")
    z_o = gate_view("z_gates", GATE_ORDER, "o", "(n_a, m, T_x) the output gate's pre-activation.")
    z_c = gate_view("z_gates", GATE_ORDER, "c", "(n_a, m, T_x) the candidate's pre-activation.")

    @property
    def c_prev(self) -> np.ndarray:
        """(n_a, m, T_x): c<t-1> at every t, starting from c0."""
        return self.buffers().c[:-1].transpose(2, 1, 0)

    def _buffers_from_arrays(self) -> _Buffers:
        return _Buffers.from_arrays(x=self.x, a0=self.a0, c0=self.c0, a=self.a, c=self.c,
                                    gates=self.gates, kernel=self.kernel)


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
    state_map=lstm_state_map, step_jacobian=lstm_step_jacobian, unit_by_unit=True,
)
