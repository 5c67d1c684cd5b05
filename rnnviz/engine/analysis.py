"""Why gradients vanish or explode: step Jacobians, their norms, clipping, per-parameter norms.

Back-propagation through time multiplies, once per step, by the transpose of the step
Jacobian J<t> = ds<t>/ds<t-1>, the derivative of the recurrent state at t with respect to the
state at t-1: s = a (n_s = n_a) for the RNN, J<t> = diag(1 - a<t>^2) Waa, and for the GRU;
s = [a; c] (n_s = 2 n_a) for the LSTM, whose gradient flows back through a<t-1> *and* c<t-1>.
Each cell's module writes its J<t> out (rnn_step_jacobian, lstm_step_jacobian,
gru_step_jacobian, the equations in the module's docstring) beside its forward mode J v (the
step_jvp it is tested against). Then, for a loss on the last step only,
dL/ds<t> = J<t+1>^T ... J<T_x>^T dL/ds<T_x>, hence the readout::

    ||dL/ds<t>|| <= ||dL/ds<T_x>|| * ||J<T_x> ... J<t+1>||_2
                 <= ||dL/ds<T_x>|| * prod_{k=t+1}^{T_x} ||J<k>||_2

The norm of the product is what the gradient actually meets; the product of the norms is
an upper bound that can be loose (a non-normal Waa stretches some direction by more than 1
at every step while the product still shrinks). A product below 1 shrinks geometrically:
on a log scale that is a straight falling line, the vanishing gradient.

Spectral norms are taken on stacks of explicit matrices (rnnviz.engine.spectral): exact
for single steps, whose largest singular values lie close together, and by
Golub-Kahan-Lanczos for the longer products, whose largest stands apart. Where a cell's later
states reach the next step unit by unit (Cell.unit_by_unit: the LSTM's c<t-1>), J<t>'s
columns for them are diagonal blocks, and J^T J and the products are taken from the n_a dense
columns and those diagonals (rnnviz.engine.spectral.gram and times): the same sums, without
the zeros.

Global-norm clipping at a threshold tau::

    g_norm = sqrt(sum over every parameter of ||dW||^2)
    dW <- dW * min(1, tau / g_norm)        for every parameter, so the direction is kept
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.engine._arrays import as_float_array, check_number, check_sequence, check_whole
from rnnviz.engine.cells import cell_of
from rnnviz.engine.description import Trace
from rnnviz.engine.gradcheck import TINY
from rnnviz.engine.losses import Loss, check_targets, counted_positions
from rnnviz.engine.model import backward, check_loss, check_trace, forward
from rnnviz.engine.optim import clip_by_global_norm, global_norm
from rnnviz.engine.params import Params
from rnnviz.engine.spectral import lanczos_spectral_norms, spectral_norms, times

PRODUCT_MAX_STATE = 128   # the norm of the product of Jacobians is computed up to this
LANCZOS_MIN_SIZE = 32     # products up to this size get exact norms, Lanczos pays only above
JACOBIAN_CHUNK_BYTES = 32 * 2 ** 20  # explicit step Jacobians held at once


# ----- one step's Jacobian, from the cell's own step functions ------------------------------

def state_size(params: Params) -> int:
    """Size of the recurrent state: n_a for the RNN, 2 n_a for the LSTM's [a; c]."""
    return cell_of(params).state_size * params.sizes["n_a"]


def dense_columns(params: Params) -> int | None:
    """n_a when the cell's later states reach the next step unit by unit (its step Jacobian
    is n_a dense columns, then blocks that are diagonal: rnnviz.engine.spectral.gram), else
    None."""
    return params.sizes["n_a"] if cell_of(params).unit_by_unit else None


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


def _step_cache(params: Params, trace: Trace, examples: np.ndarray, steps: np.ndarray):
    """The cell's step cache with one column per pair: column k is example examples[k] at
    step steps[k] + 1 (steps count from 0 here, as array indices do), from the cell's step
    forward on that column's input and previous states; ValueError for a trace with
    interventions, whose steps the step forward does not repeat."""
    if trace.interventions:
        raise ValueError("the step Jacobians are computed for the network as it is: run the "
                         "forward pass without interventions for them")
    cell = cell_of(params)
    previous = [getattr(trace, state + "_prev")[:, examples, steps]
                for state in cell.states]  # a<t-1> (and c<t-1>), (n_a, K) each
    return cell.step_forward(trace.x[:, examples, steps], *previous, params)[-1]


def jacobians_of_pairs(params: Params, trace: Trace, examples: np.ndarray,
                       steps: np.ndarray) -> np.ndarray:
    """The step Jacobians of many (example, step) pairs, as explicit matrices.

    Args:
        params, trace: as for `step_jacobians`.
        examples, steps: (K,) indices: pair k is example examples[k] at step steps[k] + 1.

    Returns:
        (K, n_s, n_s): [k] is pair k's J = ds<t>/ds<t-1>, from the cell's step_jacobian.
    """
    cell = cell_of(params)
    cache = _step_cache(params, trace, examples, steps)
    if cell.step_jacobian is not None:
        return cell.step_jacobian(cache)
    return _jacobians_by_jvp(params, cache)


def _jacobians_by_jvp(params: Params, cache) -> np.ndarray:
    """The same matrices as the cell's step_jacobian, from its step_jvp applied to every basis
    vector: a cell that writes no step_jacobian gets its Jacobians this way.

    Args:
        params: the parameters the cache was computed with.
        cache: the cell's step cache of K columns.

    Returns:
        (K, n_s, n_s): [k] is column k's J.
    """
    cell = cell_of(params)
    n_s, K = state_size(params), cache.xt.shape[1]
    repeated = type(cache)(*(value.repeat(n_s, axis=1) if isinstance(value, np.ndarray)
                             else value for value in cache))  # column k * n_s + j: e_j of k
    basis = np.tile(np.eye(n_s), (1, K))  # (n_s, K n_s)
    moved = cell.step_jvp(*np.split(basis, cell.state_size), repeated)
    moved = np.concatenate(moved) if isinstance(moved, tuple) else moved  # (n_s, K n_s)
    return moved.reshape(n_s, K, n_s).transpose(1, 0, 2)


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
    example = int(_check_examples(trace, example)[0])
    T_x = trace.a.shape[2]
    return jacobians_of_pairs(params, trace, np.full(T_x, example), np.arange(T_x))


# ----- the readouts -------------------------------------------------------------------------

def jacobian_norms(params: Params, trace: Trace, examples=None) -> np.ndarray:
    """||J<t>||_2 (the spectral norm) of every step of the chosen examples.

    The explicit Jacobians are built a chunk of (example, step) pairs at a time, at most
    JACOBIAN_CHUNK_BYTES, and their norms taken exactly (`spectral_norms`).

    Args:
        params, trace: as for `step_jacobians`.
        examples: an index or a list of indices in [0, m); None for every example.

    Returns:
        (E, T_x) norms, E the number of examples chosen; [e, t-1] belongs to J<t>.
    """
    check_trace(params, trace)
    chosen = _check_examples(trace, examples)
    T_x, n_s = trace.a.shape[2], state_size(params)
    examples, steps = np.repeat(chosen, T_x), np.tile(np.arange(T_x), chosen.size)
    chunk = max(1, JACOBIAN_CHUNK_BYTES // (8 * n_s * n_s))
    norms = np.concatenate([
        spectral_norms(jacobians_of_pairs(params, trace, examples[k: k + chunk],
                                          steps[k: k + chunk]), dense_columns(params))
        for k in range(0, examples.size, chunk)])
    return norms.reshape(chosen.size, T_x)


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
    neither over- nor underflows, and the norms of all T_x rescaled products are taken
    together (by Lanczos above LANCZOS_MIN_SIZE: a product's largest singular value stands
    apart). Building them costs about T_x n_s^3, so above n_s = PRODUCT_MAX_STATE nothing is
    computed.

    Args:
        params, trace: as for `step_jacobians`.
        example: the batch example.

    Returns:
        (T_x + 1,) entry t for t = 0..T_x; entry T_x is 0 (the empty product is I); all
        NaN but entry T_x when the state is larger than PRODUCT_MAX_STATE.
    """
    check_trace(params, trace)
    T_x = trace.a.shape[2]
    if state_size(params) > PRODUCT_MAX_STATE:
        return np.concatenate([np.full(T_x, np.nan), [0.0]])
    return _log10_product_norms(step_jacobians(params, trace, example), dense_columns(params))


def jacobian_readouts(params: Params, trace: Trace,
                      example: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Both readouts of one example, `jacobian_norms` and `log10_product_norms`, from one
    stack of its step Jacobians where the products are computed (else as the two do).

    Args:
        params, trace: as for `step_jacobians`.
        example: the batch example.

    Returns:
        ((T_x,) ||J<t>||_2, (T_x + 1,) log10 of the norms of the products).
    """
    check_trace(params, trace)
    if state_size(params) > PRODUCT_MAX_STATE:
        return (jacobian_norms(params, trace, example)[0],
                log10_product_norms(params, trace, example))
    J, dense = step_jacobians(params, trace, example), dense_columns(params)
    return spectral_norms(J, dense), _log10_product_norms(J, dense)


def _log10_product_norms(J: np.ndarray, dense: int | None = None) -> np.ndarray:
    """`log10_product_norms` from the example's step Jacobians J (T_x, n_s, n_s), of
    rnnviz.engine.spectral.gram's form when `dense` is given."""
    T_x, n_s = J.shape[0], J.shape[-1]
    out = np.zeros(T_x + 1)
    products = np.empty_like(J)  # [t]: J<T_x> ... J<t+1> / 10^log_scales[t]
    log_scales = np.zeros(T_x)
    product, log_scale, first = np.eye(n_s), 0.0, 0
    for t in range(T_x - 1, -1, -1):
        product = times(product, J[t], dense, out=products[t])  # J[t] being J<t+1>
        scale = float(np.max(np.abs(product)))
        if scale == 0.0:  # and so is every longer product
            first = t + 1
            out[:first] = np.log10(TINY)
            break
        product /= scale
        log_scale += np.log10(scale)
        log_scales[t] = log_scale
    norms = lanczos_spectral_norms if n_s > LANCZOS_MIN_SIZE else spectral_norms
    out[first:T_x] = log_scales[first:] + np.log10(norms(products[first:]))
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
    # one forward pass: its first t steps are the forward pass over x<1..t> (Trace.first)
    trace = forward(params, x, a0, c0, output=loss.output)
    # the longest first, while few results are kept: the peak is one BPTT over T_x steps
    for t in sorted(set(steps), reverse=True):
        share = counted[:, t - 1].sum() / total if total else 0.0
        if share == 0:
            out[t] = params.zeros_like()
            continue
        # the flows are dropped once the gradients are scaled, so that one step's working
        # memory is freed before the next step's is taken
        back = backward(params, trace.first(t), checked[..., :t], last)
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
