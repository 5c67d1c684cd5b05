"""Why gradients vanish or explode: step Jacobians, their norms, clipping, per-parameter norms.

Back-propagation through time multiplies, once per step, by the transpose of the step
Jacobian: the derivative of the recurrent state at t with respect to the state at t-1.

RNN, state a<t> (n_a)::

    J<t> = da<t>/da<t-1> = diag(1 - a<t>^2) Waa                         (n_a, n_a)

LSTM, state s<t> = [a<t>; c<t>] (2 n_a): the gradient flows back through a<t-1> *and*
c<t-1>, so the Jacobian that BPTT multiplies by is the joint one. With Wf_a, Wu_a, Wo_a, Wc_a
the first n_a columns of each gate matrix (the part that multiplies a<t-1>)::

    dc/dc_prev = diag(f)
    dc/da_prev = diag(c<t-1> f(1-f)) Wf_a + diag(c~ u(1-u)) Wu_a + diag(u(1-c~^2)) Wc_a
    da/dc_prev = diag(o (1-tanh(c<t>)^2)) diag(f)
    da/da_prev = diag(tanh(c<t>) o(1-o)) Wo_a + diag(o (1-tanh(c<t>)^2)) dc/da_prev

    J<t> = [[da/da_prev, da/dc_prev],
            [dc/da_prev, dc/dc_prev]]                                     (2 n_a, 2 n_a)

(da/da_prev alone, with c<t-1> held fixed, is the top-left block.) Then, for a loss on the
last step only, dL/ds<t> = J<t+1>^T ... J<T_x>^T dL/ds<T_x>, hence the readout::

    ||dL/ds<t>|| <= ||dL/ds<T_x>|| * ||J<T_x> ... J<t+1>||_2
                 <= ||dL/ds<T_x>|| * prod_{k=t+1}^{T_x} ||J<k>||_2

The norm of the product is what the gradient actually meets; the product of the norms is
an upper bound that can be loose (a non-normal Waa stretches some direction by more than 1
at every step while the product still shrinks). A product below 1 shrinks geometrically:
on a log scale that is a straight falling line, the vanishing gradient.

J v is the cell's forward-mode step (rnn_step_jvp, lstm_step_jvp), J^T w is its step
backward itself (rnn_step_backward, lstm_step_backward), and the explicit J is J applied to
the identity, so each formula lives once, in the cell's module.

Global-norm clipping at a threshold tau::

    g_norm = sqrt(sum over every parameter of ||dW||^2)
    dW <- dW * min(1, tau / g_norm)        for every parameter, so the direction is kept
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from rnnviz.engine._arrays import as_float_array, check_number, check_sequence, check_whole
from rnnviz.engine.cells import cell_of
from rnnviz.engine.description import Trace
from rnnviz.engine.gradcheck import TINY
from rnnviz.engine.losses import Loss, check_targets, counted_positions
from rnnviz.engine.model import check_loss, check_trace, loss_and_gradients
from rnnviz.engine.optim import clip_by_global_norm, global_norm
from rnnviz.engine.params import Params

EXACT_MAX_STATE = 64      # state sizes up to this get exact norms (SVD); above, power iteration
POWER_ITERATIONS = 300
POWER_BLOCK = 4
PRODUCT_MAX_STATE = 128   # the norm of the product of Jacobians is computed up to this
POWER_TOLERANCE = 1e-8


# ----- one step: J v and J^T w, from the cell's own step functions --------------------------

def state_size(params: Params) -> int:
    """Size of the recurrent state: n_a for the RNN, 2 n_a for the LSTM's [a; c]."""
    return cell_of(params).state_size * params.sizes["n_a"]


def _check_examples(trace: Trace, examples) -> np.ndarray:
    m = trace.a.shape[1]
    try:
        chosen = np.arange(m) if examples is None else np.atleast_1d(np.asarray(examples))
    except ValueError:  # a ragged list
        chosen = np.zeros(0)
    if (chosen.size == 0 or chosen.ndim != 1 or not np.issubdtype(chosen.dtype, np.integer)
            or chosen.min() < 0 or chosen.max() >= m):
        raise ValueError(f"examples must be indices in [0, m) = [0, {m}); got {examples!r}")
    return chosen


class StepOperators:
    """J<t> v and J<t>^T w for many (example, step) pairs of one trace at once.

    Column k of every vector belongs to example `examples[k]` at step `steps[k] + 1`
    (steps count from 0 here, as array indices do). A vector stacks the cell's states,
    [a; c] for the LSTM. The step's cache comes from the cell's step forward on those
    columns' inputs and previous states, so J v is its step_jvp and J^T w its step_backward.
    """

    def __init__(self, params: Params, trace: Trace, examples: np.ndarray, steps: np.ndarray):
        self.cell = cell_of(params)
        previous = [getattr(trace, state + "_prev")[:, examples, steps]
                    for state in self.cell.states]  # a<t-1> (and c<t-1>), (n_a, K) each
        *_, self.cache = self.cell.step_forward(trace.x[:, examples, steps], *previous, params)

    def columns(self, keep: np.ndarray) -> StepOperators:
        """The operators of the columns where the (K,) mask `keep` is True."""
        picked = copy.copy(self)
        picked.cache = type(self.cache)(*(value[:, keep] if isinstance(value, np.ndarray)
                                          else value for value in self.cache))
        return picked

    def _split(self, vectors: np.ndarray) -> list[np.ndarray]:
        """(n_s, K) -> one (n_a, K) block per state."""
        return np.split(vectors, self.cell.state_size)

    def jvp(self, v: np.ndarray) -> np.ndarray:
        """(n_s, K) -> (n_s, K): J v, column by column."""
        moved = self.cell.step_jvp(*self._split(v), self.cache)  # one state's, or a tuple
        return np.concatenate(moved) if isinstance(moved, tuple) else moved

    def vjp(self, w: np.ndarray) -> np.ndarray:
        """(n_s, K) -> (n_s, K): J^T w, column by column: the step backward's gradients of
        the previous states, given w as the next states' (for the LSTM w = [da<t>; dc<t>],
        dc<t> the gradient through c<t+1> only, a<t>'s path counted separately)."""
        _, *previous, _ = self.cell.step_backward(*self._split(w), self.cache)
        return np.concatenate(previous)


def step_jacobians(params: Params, trace: Trace, example: int = 0) -> np.ndarray:
    """The step Jacobians of one example at every step, as explicit matrices.

    Args:
        params: the parameters of `trace`.
        trace: the forward trace.
        example: which batch example (0 <= example < m).

    Returns:
        (T_x, n_s, n_s): entry [t-1] is J<t> = ds<t>/ds<t-1>, with s = a (n_s = n_a) for the
        RNN and s = [a; c] (n_s = 2 n_a) for the LSTM; [t-1, :n_a, :n_a] is da<t>/da<t-1>.
    """
    check_trace(params, trace)
    return _step_jacobians(params, trace, example)


def _step_jacobians(params: Params, trace: Trace, example) -> np.ndarray:
    """`step_jacobians` once the parameters and the trace are checked."""
    example = int(_check_examples(trace, example)[0])
    n_s, T_x = state_size(params), trace.a.shape[2]
    steps = np.repeat(np.arange(T_x), n_s)  # column t * n_s + j: basis vector e_j at step t
    ops = StepOperators(params, trace, np.full(steps.size, example), steps)
    basis = np.tile(np.eye(n_s), (1, T_x))  # (n_s, T_x * n_s)
    return ops.jvp(basis).reshape(n_s, T_x, n_s).transpose(1, 0, 2)


def spectral_norms(params: Params, trace: Trace, examples: np.ndarray, steps: np.ndarray,
                   rng: np.random.Generator | None = None,
                   iterations: int = POWER_ITERATIONS, block: int = POWER_BLOCK) -> np.ndarray:
    """Largest singular value of J for every (example, step) pair, by block power iteration.

    Subspace iteration on J^T J with `block` vectors per pair and a Rayleigh-Ritz estimate:
    the error shrinks like (sigma_{block+1} / sigma_1)^(2 k) after k rounds, so close top
    singular values do not stall it the way a single vector does.

    Args:
        params, trace: as for `step_jacobians`.
        examples, steps: (K,) indices: pair k is example examples[k] at step steps[k] + 1.
        rng: generator for the starting vectors (default: seed 0).
        iterations: at most this many rounds; a pair stops once its estimate has settled
            (relative change below POWER_TOLERANCE).
        block: vectors per pair.

    Returns:
        (K,) estimates of ||J||_2, from below.
    """
    check_trace(params, trace)
    rng = np.random.default_rng(0) if rng is None else rng
    n_s, count = state_size(params), examples.size
    block = max(1, min(block, n_s))
    V = np.linalg.qr(rng.standard_normal((count, n_s, block)))[0]  # (K, n_s, block)
    sigma = np.zeros(count)
    active = np.arange(count)

    def as_columns(M):  # (k, n_s, block) -> (n_s, k * block), column i * block + j
        return M.transpose(1, 0, 2).reshape(n_s, -1)

    def as_blocks(M):  # inverse of as_columns
        return M.reshape(n_s, -1, block).transpose(1, 0, 2)

    ops = StepOperators(params, trace, np.repeat(examples, block), np.repeat(steps, block))
    for _ in range(iterations):
        JV = as_blocks(ops.jvp(as_columns(V)))
        new_sigma = np.linalg.svd(JV, compute_uv=False)[:, 0]
        moving = np.abs(new_sigma - sigma[active]) > POWER_TOLERANCE * np.maximum(new_sigma, TINY)
        sigma[active] = new_sigma
        keep = moving & (new_sigma > TINY)
        if not keep.any():
            break
        ops = ops.columns(np.repeat(keep, block))
        active, V = active[keep], np.linalg.qr(as_blocks(ops.vjp(as_columns(JV[keep]))))[0]
    return sigma


def jacobian_norms(params: Params, trace: Trace, examples=None) -> np.ndarray:
    """||J<t>||_2 (the spectral norm) of every step of the chosen examples.

    Exact (singular values of the explicit matrices) for state sizes up to EXACT_MAX_STATE,
    power iteration on the implicit J above that, so n_a = 256 costs no (512, 512) SVDs.

    Args:
        params, trace: as for `step_jacobians`.
        examples: an index or a list of indices in [0, m); None for every example.

    Returns:
        (E, T_x) norms, E the number of examples chosen; [e, t-1] belongs to J<t>.
    """
    check_trace(params, trace)
    chosen = _check_examples(trace, examples)
    T_x = trace.a.shape[2]
    if state_size(params) <= EXACT_MAX_STATE:
        return np.stack([np.linalg.norm(_step_jacobians(params, trace, int(e)), ord=2,
                                        axis=(1, 2)) for e in chosen])
    steps = np.tile(np.arange(T_x), chosen.size)
    return spectral_norms(params, trace, np.repeat(chosen, T_x), steps).reshape(
        chosen.size, T_x)


def log10_norm_product(norms: np.ndarray) -> np.ndarray:
    """The readout: log10 of prod_{k=t+1}^{T_x} ||J<k>||, the bound on how far back a gradient
    arriving at step T_x reaches state t.

    Args:
        norms: (..., T_x) step Jacobian norms, [..., t-1] for J<t>.

    Returns:
        (..., T_x + 1): entry [..., t] for t = 0 .. T_x; entry T_x is 0 (the empty product),
        entry 0 bounds the reach back to the initial state. Logs, so no product over- or
        underflows; a zero norm counts as 1e-300.
    """
    norms = as_float_array("norms", norms)
    if norms.ndim == 0 or np.any(norms < 0):
        raise ValueError(f"norms must be an array (..., T_x) of norms, all >= 0; got shape "
                         f"{norms.shape}")
    logs = np.log10(np.maximum(norms, TINY))
    tail = np.cumsum(logs[..., ::-1], axis=-1)[..., ::-1]  # [t-1] = sum_{k >= t} log ||J<k>||
    zeros = np.zeros(logs.shape[:-1] + (1,))
    return np.concatenate([tail, zeros], axis=-1)


def log10_product_norms(params: Params, trace: Trace, example: int = 0) -> np.ndarray:
    """log10 ||J<T_x> J<T_x - 1> ... J<t+1>||_2: the norm of the product itself, how much a
    change in state t can actually move state T_x (the product of the norms only bounds it).

    The product is built from the last step back, rescaled after every factor so it
    neither over- nor underflows, and its spectral norm taken by SVD at every t. That costs
    about T_x n_s^3, so above n_s = PRODUCT_MAX_STATE nothing is computed.

    Args:
        params, trace: as for `step_jacobians`.
        example: the batch example.

    Returns:
        (T_x + 1,) entry t for t = 0..T_x; entry T_x is 0 (the empty product is I); all
        NaN but entry T_x when the state is larger than PRODUCT_MAX_STATE.
    """
    check_trace(params, trace)
    T_x, n_s = trace.a.shape[2], state_size(params)
    out = np.full(T_x + 1, np.nan)
    out[T_x] = 0.0
    if n_s > PRODUCT_MAX_STATE:
        return out
    J = _step_jacobians(params, trace, example)  # (T_x, n_s, n_s)
    product, log_scale = np.eye(n_s), 0.0
    for t in range(T_x - 1, -1, -1):
        product = product @ J[t]  # J<T_x> ... J<t+1>, J[t] being J<t+1>
        scale = float(np.max(np.abs(product)))
        if scale == 0.0:
            out[: t + 1] = np.log10(TINY)
            break
        product /= scale
        log_scale += np.log10(scale)
        out[t] = log_scale + np.log10(np.linalg.norm(product, ord=2))
    return out


# ----- parameters' gradients: norms and clipping --------------------------------------------

def per_step_gradients(params: Params, x, targets, loss: Loss, a0=None, c0=None,
                       steps=None) -> list[Params]:
    """The gradient of each timestep's term of the loss, dL<t>/dtheta, so that they sum to
    dL/dtheta.

    With the loss at every step, L = sum_t (|P_t| / |P|) L<t>, where L<t> is the loss at
    step t alone over its |P_t| counted positions. L<t> depends on steps 1..t only, so its
    gradient is BPTT on the first t steps with the loss at the last one::

        dL<t>/dtheta (as a term of L) = (|P_t| / |P|) * grad of Loss(kind, "last") on x<1..t>

    A term whose gradient alone exceeds a clipping threshold would be clipped by itself: in
    the exploding regime those are the late steps, whose gradients travel furthest back.

    Args:
        params: the parameters of one of the cells.
        x: (n_x, m, T_x).
        targets: as for rnnviz.engine.model.backward ((m, T_x) labels or (n_y, m, T_x) values).
        loss: the Loss; with where="last" only step T_x has a term.
        a0, c0: (n_a, m) initial states or None.
        steps: timesteps t (1..T_x) to compute, or None for every one.

    Returns:
        one gradient container per step in `steps`, same type as params.
    """
    check_loss(loss)
    params.validate()
    x = check_sequence(x, params.sizes["n_x"])
    _, m, T_x = x.shape
    n_y = params.sizes["n_y"]
    checked = check_targets(loss, targets, n_y, m, T_x)
    labels = checked if loss.kind == "cross_entropy" else None
    counted = counted_positions(loss, m, T_x, labels)  # (m, T_x)
    total = int(counted.sum())
    steps = [check_whole("steps", t, 1, T_x)
             for t in (range(1, T_x + 1) if steps is None else steps)]
    last = Loss(loss.kind, "last")
    out = {}
    # the longest first, while few results are kept: the peak is one BPTT over T_x steps
    for t in sorted(set(steps), reverse=True):
        share = counted[:, t - 1].sum() / total if total else 0.0
        if share == 0:
            out[t] = params.zeros_like()
            continue
        # the trace is dropped at once, the flows once the gradients are scaled, so that one
        # step's working memory is freed before the next step's is taken
        back = loss_and_gradients(params, x[:, :, :t], checked[..., :t], last, a0, c0)[1]
        out[t] = back.grads.map(lambda g, share=share: g * share)
        del back
    return [out[t] for t in steps]



def gradient_norms(grads: Params) -> dict[str, float]:
    """{name: ||dL/dW||} (Frobenius) for every parameter array."""
    return {name: float(np.linalg.norm(g)) for name, g in grads.items()}


@dataclass(frozen=True)
class ClipReport:
    """What global-norm clipping at `threshold` does to one set of gradients.

    Attributes:
        threshold: tau.
        raw_norm: the global norm before clipping.
        clipped_norm: after clipping: min(raw_norm, tau).
        scale: min(1, tau / raw_norm), the factor every gradient is multiplied by.
        clipped: whether the gradients were scaled down.
        grads: the clipped gradients (same container type).
        raw_norms, clipped_norms: {name: norm} per parameter, before and after.
    """

    threshold: float
    raw_norm: float
    clipped_norm: float
    scale: float
    clipped: bool
    grads: Params
    raw_norms: dict[str, float]
    clipped_norms: dict[str, float]


def clip_report(grads: Params, threshold: float) -> ClipReport:
    """Clip by global norm at `threshold` (> 0, rnnviz.engine.optim); report the norms around it."""
    if not check_number("the clipping threshold", threshold) > 0:
        raise ValueError(f"the clipping threshold must be a positive number; got {threshold}")
    threshold = float(threshold)
    clipped_grads, raw_norm, clipped = clip_by_global_norm(grads, threshold)
    return ClipReport(
        threshold=threshold, raw_norm=raw_norm, clipped_norm=global_norm(clipped_grads),
        scale=threshold / raw_norm if clipped else 1.0, clipped=clipped, grads=clipped_grads,
        raw_norms=gradient_norms(grads), clipped_norms=gradient_norms(clipped_grads),
    )
