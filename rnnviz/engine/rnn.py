"""The vanilla RNN: one step forward and back, its parameters, and the fused sequence kernel.

Forward, at every timestep t (notebook notation, shapes in brackets)::

    z<t>  = Wax x<t> + Waa a<t-1> + ba          (n_a, m)
    a<t>  = tanh(z<t>)                          (n_a, m)
    (the output layer, y_hat<t> = softmax(Wya a<t> + by) or linear, is in rnnviz.engine.model)

Backward, given da<t> = dL/da<t> (from the output at t plus from a<t+1>)::

    dz<t>   = da<t> * (1 - a<t>^2)
    da<t-1> = Waa^T dz<t>          (to which the output at t-1 adds its own)
    dx<t>   = Wax^T dz<t>
    dWax = sum_t dz<t> x<t>^T     dWaa = sum_t dz<t> a<t-1>^T     dba = sum_t,m dz<t>

Forward mode, how a<t> moves when a<t-1> moves by da<t-1> (x<t> held fixed)::

    da<t> = (1 - a<t>^2) * (Waa da<t-1>)          that is J<t> da<t-1>, J<t> = da<t>/da<t-1>

and the step Jacobian itself, that map written as a matrix::

    J<t> = diag(1 - a<t>^2) Waa                                          (n_a, n_a)

`rnn_step_forward` and `rnn_step_backward` below are these equations for one step,
`rnn_step_jvp` the forward mode and `rnn_step_jacobian` its matrix. The engine runs
whole sequences through `_rnn_forward` and `_rnn_bptt` in rnnviz.engine._rnn_kernel: the
same numbers, computed faster, and tested against looping the step pair over t.
An intervention (rnnviz.engine.interventions) setting a<t>_j is written after the tanh,
and BPTT holds it constant: dz<t>_j = 0.
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
from rnnviz.engine._rnn_kernel import _Buffers, _rnn_bptt, _rnn_forward
from rnnviz.engine.description import Cell, Projection, Trace
from rnnviz.engine.params import Params, random_weights, with_spectral_radius

# ----- one step: the equations as code --------------------------------------------------------


class RNNCache(NamedTuple):
    """What `rnn_step_backward` needs from `rnn_step_forward`: xt (n_x, m), a_prev and
    a_next (n_a, m), and the parameters."""

    xt: np.ndarray
    a_prev: np.ndarray
    a_next: np.ndarray
    params: RNNParams


@refuses_overflow
def rnn_step_forward(xt: np.ndarray, a_prev: np.ndarray, params: RNNParams):
    """One step of the RNN.

    Args:
        xt: (n_x, m) x<t>.
        a_prev: (n_a, m) a<t-1> (None: zeros).
        params: RNNParams: Wax (n_a, n_x), Waa (n_a, n_a), ba (n_a, 1).

    Returns:
        a_next (n_a, m) a<t>, and the RNNCache for `rnn_step_backward`.
    """
    RNNParams.check(params)
    xt, a_prev = check_step(params.sizes, xt, a_prev=a_prev)
    z = params.Wax @ xt + params.Waa @ a_prev + params.ba
    a_next = np.tanh(z)
    return a_next, RNNCache(xt, a_prev, a_next, params)


@refuses_overflow
def rnn_step_backward(da_next: np.ndarray, cache: RNNCache):
    """Backward of `rnn_step_forward`.

    Args:
        da_next: (n_a, m) dL/da<t>, every path (the output at t and a<t+1>); None: zeros.
        cache: the RNNCache of the step.

    Returns:
        dxt (n_x, m), da_prev (n_a, m) the gradient through this step only, and grads, a dict
        of dWax (n_a, n_x), dWaa (n_a, n_a), dba (n_a, 1).
    """
    check_cache(cache, RNNCache, "rnn_step_forward")
    xt, a_prev, a_next, params = cache
    da_next = check_state("da_next", da_next, *a_next.shape)
    dz = da_next * (1 - a_next ** 2)
    dxt = params.Wax.T @ dz
    da_prev = params.Waa.T @ dz
    grads = {"dWax": dz @ xt.T, "dWaa": dz @ a_prev.T, "dba": dz.sum(axis=1, keepdims=True)}
    return dxt, da_prev, grads


def rnn_step_jvp(da_prev: np.ndarray, cache: RNNCache) -> np.ndarray:
    """Forward mode of `rnn_step_forward`: J v for the step Jacobian J = da<t>/da<t-1>.

    Args:
        da_prev: (n_a, m) a change of a<t-1> (column i goes with example i of the cache).
        cache: the RNNCache of the step.

    Returns:
        da_next (n_a, m), the change of a<t> it causes, x<t> held fixed.
    """
    _, _, a_next, params = cache
    return (1 - a_next ** 2) * (params.Waa @ da_prev)


def rnn_state_map(params: RNNParams, x: np.ndarray):
    """The RNN's Cell.state_map (rnnviz.engine.description), for the fixed-point search: a
    step from a<t-1>, x held, and its pullback Waa^T (v (1 - a<t>^2)), as `rnn_step_forward`
    and `rnn_step_backward` compute them (to round-off) without their checks and parameter
    gradients."""
    held = params.Wax @ x + params.ba
    Waa, WaaT = params.Waa, np.ascontiguousarray(params.Waa.T)

    def step(states: np.ndarray):
        a_next = np.tanh(Waa @ states + held)
        return a_next, lambda v: WaaT @ (v * (1 - a_next ** 2))

    return step


def rnn_step_jacobian(cache: RNNCache) -> np.ndarray:
    """The matrix of `rnn_step_jvp`, J<t> = da<t>/da<t-1> = diag(1 - a<t>^2) Waa, for every
    example of the step at once.

    Args:
        cache: the RNNCache of the step (m examples).

    Returns:
        (m, n_a, n_a): [i] is example i's J<t>.
    """
    _, _, a_next, params = cache
    return (1 - a_next.T ** 2)[:, :, None] * params.Waa  # row j of Waa scaled by 1 - a_j^2


# ----- parameters -----------------------------------------------------------------------------

RNN_SHAPES = {
    "Wax": ("n_a", "n_x"), "Waa": ("n_a", "n_a"), "ba": ("n_a", 1),
    "Wya": ("n_y", "n_a"), "by": ("n_y", 1),
}


@dataclass
class RNNParams(Params):
    """Vanilla RNN parameters. Wax (n_a, n_x), Waa (n_a, n_a), ba (n_a, 1),
    Wya (n_y, n_a), by (n_y, 1)."""

    Wax: np.ndarray
    Waa: np.ndarray
    ba: np.ndarray
    Wya: np.ndarray
    by: np.ndarray

    SHAPES = RNN_SHAPES
    cell = "rnn"


def init_rnn(n_x: int, n_a: int, n_y: int, rng: np.random.Generator,
             weight_scale: float = 1.0, spectral_radius: float | None = None) -> RNNParams:
    """Random RNN parameters: every W ~ N(0, weight_scale^2 / fan_in), biases 0. (Called
    through rnnviz.engine.init_params, which checks the arguments.)

    Args:
        n_x, n_a, n_y: input, hidden and output sizes.
        rng: the generator every random number comes from.
        weight_scale: multiplies every weight's standard deviation 1/sqrt(fan_in).
        spectral_radius: if given, Waa is rescaled so max|eig(Waa)| equals it.

    Returns:
        RNNParams with Wax (n_a, n_x), Waa (n_a, n_a), ba (n_a, 1), Wya (n_y, n_a), by (n_y, 1).
    """
    Wax = random_weights(rng, n_a, n_x, weight_scale)
    Waa = random_weights(rng, n_a, n_a, weight_scale)
    Wya = random_weights(rng, n_y, n_a, weight_scale)
    if spectral_radius is not None:
        Waa = with_spectral_radius(Waa, spectral_radius)
    return RNNParams(Wax=Wax, Waa=Waa, ba=np.zeros((n_a, 1)), Wya=Wya, by=np.zeros((n_y, 1)))


# ----- a whole sequence's record --------------------------------------------------------------

@dataclass(frozen=True)
class RNNTrace(Trace):
    """Everything a view needs from one RNN forward pass; arrays in the notebook's layout.

    Attributes:
        x: (n_x, m, T_x) inputs.
        a0: (n_a, m) initial hidden state a<0>.
        z: (n_a, m, T_x) pre-activations Wax x<t> + Waa a<t-1> + ba.
        a: (n_a, m, T_x) hidden states a<t>.
        z_y: (n_y, m, T_x) output pre-activations Wya a<t> + by.
        y_hat: (n_y, m, T_x) outputs: softmax(z_y) or z_y itself when output is "linear".
        output: "softmax" or "linear".
        interventions: the rnnviz.engine.Interventions applied (a set a<t>; empty: none).
        time_major: the buffers x, a0 and a are views of, which BPTT reads (see `Trace`).
    """

    x: np.ndarray
    a0: np.ndarray
    z: np.ndarray
    a: np.ndarray
    z_y: np.ndarray
    y_hat: np.ndarray
    output: str
    interventions: tuple = ()
    time_major: _Buffers | None = field(default=None, repr=False, compare=False)
    cell = "rnn"

    def _buffers_from_arrays(self) -> _Buffers:
        return _Buffers.from_arrays(x=self.x, a0=self.a0, a=self.a)


CELL = Cell(
    name="rnn", label="RNN", params=RNNParams,
    projections=(Projection("a", "tanh", ("Waa", "Wax"), "ba"),),
    states=("a",), sequences=("a",), output_weight="Wya", memory_bias=None,
    init=lambda n_x, n_a, n_y, rng, weight_scale, spectral_radius, memory_bias: init_rnn(
        n_x, n_a, n_y, rng, weight_scale, spectral_radius),
    trace=RNNTrace, step_forward=rnn_step_forward, step_backward=rnn_step_backward,
    step_jvp=rnn_step_jvp, forward=_rnn_forward, bptt=_rnn_bptt, buffers=_Buffers.from_arrays,
    state_map=rnn_state_map, step_jacobian=rnn_step_jacobian,
)
