"""Central-difference gradient check for any model and loss, with a step chosen per entry.

BPTT's gradient g = dL/dθ is compared, entry by entry, with a difference of the loss. Each
entry gets its own step, and when no step that float64 allows resolves the gradient (it
explodes, it is below the loss's round-off, or the loss overflows) the check says so instead
of calling BPTT wrong.

Equations::

    For one entry θ_i, with L0 = L(θ) and L± = L(θ ± h e_i):

        D(h)    = (L+ - L-) / (2h)       = dL/dθ_i + h² L'''/6 + ...    central difference
        bend(h) = (L+ - 2 L0 + L-) / h   = h L'' + ...                  forward minus backward

    The loss's round-off, measured for each array: with L(θ ⊕ ulp) the loss after every entry
    of the array moves one unit in the last place, up or down at random (two draws),

        δL = ROUNDOFF_MARGIN max(|L(θ ⊕ ulp) - L0| over the draws, ε_mach |L0|)

    Where the gradient explodes, round-off is amplified as much as any perturbation, and δL
    grows with it. The error of D(h) is then at most about

        U(h) = T(h) + N(h),   T = bend² / |D|   truncation: h² L'''/6 ≈ (bend / D)² |D| / 6,
                                                with a margin of 6
                              N = δL / h        round-off

    Step search, per entry, PASSES_PER_STEP forward passes a step, at most MAX_STEPS steps:

        h_0     = eps max(|θ_i|, 1)
        h_(k+1) = h_k clip((N / 2T)^(1/3), SHRINK_MOST, SHRINK_LEAST)   (the h minimising T + N)

    D is significant when U <= SIGNIFICANT |D|. The search stops at the first step where
        a loss is not finite;
        D agrees with g (|D - g| <= U) and U <= GOOD |D| or T <= 4N (no smaller step lowers U);
        D agrees with the previous step's D, both significant (|D_k - D_(k-1)| <= U_k + U_(k-1):
            confirmed, whatever g says; then U_k = max(U_k, |D_k - D_(k-1)|));
        N > SIGNIFICANT |D| (a smaller step only adds round-off).
    The entry is measured when its last D is significant and agrees with g or is confirmed;
    else it is OVERFLOW (a loss not finite), TINY_GRADIENT (N > SIGNIFICANT max(|D|, |g|)) or
    STEEP (no step it tried resolved the gradient).

    Per array, over the checked entries, and over the measured ones S:

        e   = ||D - g|| / (||D|| + ||g||)                  the relative error
        e_S = ||D_S - g_S|| / (||D_S|| + ||g_S||),   r_S = ||U_S|| / (||D_S|| + ||g_S||)

    The verdict for a pass threshold τ:

        AGREE       e < τ
        DISAGREE    e_S >= τ and e_S > r_S   (a gap the differences' own error cannot explain)
        UNRESOLVED  otherwise: COARSE if e_S >= τ (or every entry is measured), else the most
                    common reason of the entries not measured

    An ordinary float64 network takes one step an entry, h_0, with e around 1e-10.

Cost, per array: ROUNDOFF_PASSES forward passes, then PASSES_PER_STEP a step (forward_passes).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from rnnviz.engine._arrays import check_number, check_whole
from rnnviz.engine.cells import cell_of
from rnnviz.engine.losses import Loss
from rnnviz.engine.model import loss_and_gradients, loss_value
from rnnviz.engine.params import Params

TINY = 1e-300  # norms below this count as zero
EPS = 1e-5  # the first step, relative to max(|θ_i|, 1)
MAX_STEPS = 3  # steps tried per entry at most
PASSES_PER_STEP = 2  # forward passes: L(θ + h e_i) and L(θ - h e_i)
ROUNDOFF_PASSES = 2  # forward passes that measure the loss's round-off, for each array
ROUNDOFF_MARGIN = 4.0
SHRINK_MOST, SHRINK_LEAST = 1e-3, 1e-1  # bounds on h_(k+1) / h_k
GOOD = 1e-7  # U below this fraction of |D|: no smaller step is worth its passes
SIGNIFICANT = 1e-2  # U below this fraction of |D|: D is a measurement

AGREE, DISAGREE, UNRESOLVED = "agree", "disagree", "unresolved"
# Why an array cannot be checked: a loss was not finite; the gradient is smaller than the
# differences' round-off; no step resolves it (the loss is too steep or too sensitive to
# round-off); every entry was resolved, but not finely enough to compare with the threshold.
OVERFLOW, TINY_GRADIENT, STEEP, COARSE = "overflow", "tiny", "steep", "coarse"
REASONS = (OVERFLOW, TINY_GRADIENT, STEEP, COARSE)


def relative_error(numerical: np.ndarray, analytic: np.ndarray) -> float:
    """||numerical - analytic|| / (||numerical|| + ||analytic||); 0 when both are zero."""
    return _share(numerical - analytic, numerical, analytic)


def _share(part: np.ndarray, numerical: np.ndarray, analytic: np.ndarray) -> float:
    """||part|| / (||numerical|| + ||analytic||); 0 when both are zero, NaN if any is not
    finite."""
    denominator = np.linalg.norm(numerical) + np.linalg.norm(analytic)
    if not np.isfinite(denominator):
        return np.nan
    if denominator < TINY:
        return 0.0
    return float(np.linalg.norm(part) / denominator)


class Verdict(NamedTuple):
    """AGREE, DISAGREE or UNRESOLVED, and for UNRESOLVED the reason (one of REASONS)."""

    outcome: str
    reason: str | None = None


@dataclass(frozen=True)
class ArrayCheck:
    """The check of one array.

    Attributes:
        shape: the array's shape.
        checked: entries compared (a random sample when the check samples).
        relative_error: e over the checked entries (the module's Equations).
        measured: checked entries whose difference is a measurement (S).
        measured_error: e_S (NaN when S is empty).
        resolution: r_S, the relative error the differences' own error could cause (NaN when
            S is empty).
        mean_abs_gradient: mean |g| over the whole array.
        smallest_step: the smallest step h any entry used.
        unmeasured: {reason: entries} for the checked entries that are not measured.
    """

    shape: tuple[int, ...]
    checked: int
    relative_error: float
    measured: int
    measured_error: float
    resolution: float
    mean_abs_gradient: float
    smallest_step: float
    unmeasured: dict[str, int]

    @property
    def size(self) -> int:
        """Entries in the array."""
        return int(np.prod(self.shape))

    def verdict(self, agree_below: float) -> Verdict:
        """AGREE, DISAGREE or UNRESOLVED (with its reason) for the pass threshold τ."""
        if self.relative_error < agree_below:
            return Verdict(AGREE)
        if self.measured and self.measured_error >= agree_below:
            if self.measured_error > self.resolution:
                return Verdict(DISAGREE)
            return Verdict(UNRESOLVED, COARSE)
        if not self.unmeasured:
            return Verdict(UNRESOLVED, COARSE)
        return Verdict(UNRESOLVED, Counter(self.unmeasured).most_common(1)[0][0])


class _Entry(NamedTuple):
    """One entry's last difference: D, its error bound U, the step h, why it is not a
    measurement (None when it is one), and whether its own rule ended the step search (not the
    passes running out)."""

    D: float
    U: float
    h: float
    unmeasured: str | None
    finished: bool = True


def _difference(loss_at, flat: np.ndarray, i: int, h: float, L0: float, roundoff: float):
    """(D, T, N) at step h, or None when a loss is not finite."""
    original = flat[i]
    flat[i] = original + h
    plus = loss_at()
    flat[i] = original - h
    minus = loss_at()
    flat[i] = original
    if not (np.isfinite(plus) and np.isfinite(minus)):
        return None
    D = (plus - minus) / (2 * h)
    bend = (plus - 2 * L0 + minus) / h
    return D, bend * bend / max(abs(D), TINY), roundoff / h


def _check_entry(loss_at, flat: np.ndarray, i: int, g: float, L0: float, roundoff: float,
                 eps: float, passes: int) -> tuple[_Entry, int]:
    """The step search for entry i (the module's Equations), spending at most `passes` forward
    passes (one step at least). Returns (the entry's last difference, passes spent)."""
    h = eps * max(abs(float(flat[i])), 1.0)
    previous = None
    for step in range(MAX_STEPS):
        difference = _difference(loss_at, flat, i, h, L0, roundoff)
        spent = (step + 1) * PASSES_PER_STEP
        if difference is None:
            return _Entry(np.nan, np.inf, h, OVERFLOW), spent
        D, T, N = difference
        U = T + N
        significant = U <= SIGNIFICANT * abs(D)
        agrees = abs(D - g) <= U
        confirmed = significant and previous is not None and abs(D - previous.D) <= U + previous.U
        if confirmed:
            U = max(U, abs(D - previous.D))
        if significant and (agrees or confirmed):
            why = None
        elif N > SIGNIFICANT * max(abs(D), abs(g)):
            why = TINY_GRADIENT
        else:
            why = STEEP
        entry = _Entry(D, U, h, why)
        if ((agrees and (U <= GOOD * abs(D) or T <= 4 * N)) or confirmed
                or N > SIGNIFICANT * abs(D) or step == MAX_STEPS - 1):
            return entry, spent
        if spent + PASSES_PER_STEP > passes:
            return entry._replace(finished=False), spent
        previous = entry if significant else None
        h *= float(np.clip(np.cbrt(N / max(2 * T, TINY)), SHRINK_MOST, SHRINK_LEAST))
    raise AssertionError("unreachable: the last step always returns")


def _roundoff(loss_at, array: np.ndarray, L0: float) -> float:
    """δL: how far the loss moves when every entry of `array` moves one unit in the last place,
    up or down at random (ROUNDOFF_PASSES draws, each a forward pass); `array` is restored."""
    original = array.copy()
    signs = np.random.default_rng(0)
    moves = []
    for _ in range(ROUNDOFF_PASSES):
        array[...] = np.nextafter(original, np.where(signs.random(array.shape) < 0.5, np.inf,
                                                     -np.inf))
        moves.append(abs(loss_at() - L0))
    array[...] = original
    if not np.isfinite(moves).all():
        return np.inf
    return ROUNDOFF_MARGIN * max(*moves, np.finfo(np.float64).eps * abs(L0))


def gradient_check(params: Params, x, targets, loss: Loss, a0=None, c0=None,
                   eps: float = EPS, max_entries: int | None = None,
                   rng: np.random.Generator | None = None,
                   include_inputs: bool = False, interventions=()) -> dict[str, ArrayCheck]:
    """Compare BPTT's gradients with central differences, parameter by parameter.

    Args:
        params: the parameters of one of the cells (not modified).
        x: (n_x, m, T_x).
        targets: as for rnnviz.engine.model.backward.
        loss: Loss.
        a0, c0: (n_a, m) initial states or None.
        eps: the first step, relative to max(|θ_i|, 1).
        max_entries: check at most this many entries of each array, chosen by `rng`, with
            the passes of one step for each of them (two steps at least, so that one entry
            can be confirmed): an entry that needs smaller steps spends passes another entry
            would have had, and an entry the passes ran out on is left out (unless it is the
            first). None: every entry, each with up to MAX_STEPS steps.
        rng: generator for choosing entries (default: seed 0).
        include_inputs: also check x and the initial states a0 (and c0 for the LSTM).
        interventions: rnnviz.engine.Interventions applied to every pass (the gradient of
            the intervened network is checked).

    Returns:
        {name: ArrayCheck} for every parameter (and "x", "a0", "c0" if asked), after one
        forward and backward pass and at most forward_passes(the arrays' sizes, max_entries)
        forward passes.
    """
    check_number("eps", eps, low=np.finfo(np.float64).tiny)
    if max_entries is not None:
        check_whole("max_entries", max_entries)
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a np.random.Generator or None; got {type(rng).__name__}")
    if not isinstance(include_inputs, (bool, np.bool_)):
        raise TypeError(f"include_inputs must be True or False; got {include_inputs!r}")
    rng = np.random.default_rng(0) if rng is None else rng
    trace, result = loss_and_gradients(params, x, targets, loss, a0, c0,
                                       interventions)  # checks the rest

    def c_copy(array):  # C order, so that reshape(-1) below is a view, never a copy
        return np.array(array, dtype=np.float64, order="C")

    work = params.map(c_copy)
    x = c_copy(trace.x)
    initial = {state + "0": c_copy(getattr(trace, state + "0"))
               for state in cell_of(params).states}  # a0 (and c0): perturbed in place

    def loss_now() -> float:
        with np.errstate(over="ignore", invalid="ignore"):
            return loss_value(work, x, targets, loss, **initial,
                              interventions=trace.interventions)

    arrays = dict(work.items())
    analytic = dict(result.grads.items())
    if include_inputs:
        arrays["x"], analytic["x"] = x, result.dx
        for name, array in initial.items():
            arrays[name], analytic[name] = array, getattr(result, "d" + name)
    return {name: _check_array(loss_now, array, np.asarray(analytic[name]), float(result.loss),
                               eps, max_entries, rng)
            for name, array in arrays.items()}


def forward_passes(sizes, max_entries: int | None) -> int:
    """The most forward passes gradient_check spends on arrays of these sizes (entries each),
    besides its one forward and backward pass, for this `max_entries`."""
    return sum(ROUNDOFF_PASSES + PASSES_PER_STEP * _steps(size, max_entries) for size in sizes)


def _steps(size: int, max_entries: int | None) -> int:
    """Steps an array of `size` entries may take: MAX_STEPS an entry when every entry is
    checked, else one an entry checked, and two at least (so one entry can be confirmed)."""
    if max_entries is None:
        return MAX_STEPS * size
    return max(min(size, max_entries), 2)


def _check_array(loss_at, array: np.ndarray, analytic: np.ndarray, L0: float, eps: float,
                 max_entries: int | None, rng: np.random.Generator) -> ArrayCheck:
    """ArrayCheck of one array (perturbed in place and restored) against its BPTT gradient."""
    flat = array.reshape(-1)  # a view: perturbing it perturbs the model
    indices = np.arange(flat.size)
    if max_entries is not None and flat.size > max_entries:
        indices = rng.choice(flat.size, size=max_entries, replace=False)
    budget = PASSES_PER_STEP * _steps(flat.size, max_entries)
    roundoff = _roundoff(loss_at, array, L0) if np.isfinite(L0) else np.inf
    entries, checked = [], []
    for i in indices:
        if not np.isfinite(roundoff):
            entry = _Entry(np.nan, np.inf, np.nan, OVERFLOW)
        elif budget < PASSES_PER_STEP:
            break
        else:
            entry, spent = _check_entry(loss_at, flat, i, float(analytic.flat[i]), L0, roundoff,
                                        eps, budget)
            budget -= spent
            if not entry.finished and entries:
                break  # the passes ran out before its search ended: leave it out
        entries.append(entry)
        checked.append(i)
    D = np.array([entry.D for entry in entries])
    U = np.array([entry.U for entry in entries])
    g = analytic.reshape(-1)[checked]
    S = np.array([entry.unmeasured is None for entry in entries], dtype=bool)
    steps = [entry.h for entry in entries if np.isfinite(entry.h)]
    return ArrayCheck(
        shape=array.shape, checked=len(entries),
        relative_error=_share(D - g, D, g),
        measured=int(S.sum()),
        measured_error=_share(D[S] - g[S], D[S], g[S]) if S.any() else np.nan,
        resolution=_share(U[S], D[S], g[S]) if S.any() else np.nan,
        mean_abs_gradient=float(np.mean(np.abs(analytic))),
        smallest_step=min(steps) if steps else np.nan,
        unmeasured=dict(Counter(entry.unmeasured for entry in entries
                                if entry.unmeasured is not None)))
