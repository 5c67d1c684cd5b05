"""Fixed points and slow points of a recurrent network (Sussillo & Barak 2013).

With the input held at x (zero: no pulse, no character), one step is a map s -> F(s) of the
state s (a, or [a; c] for the LSTM). Where the network keeps a memory, its runs settle at
states that map to themselves: fixed points, F(s*) = s*. They are found by minimising the
speed

    q(s) = 1/2 ||F(s) - s||^2,      grad q = J(s)^T (F(s) - s) - (F(s) - s)

(J = dF/ds, the step Jacobian; J^T v is the step's backward pass) from many states the
network visits, with Adam, then polishing each end point with Newton's method on
F(s) - s = 0, s <- s - (J - I)^-1 (F(s) - s), which converges to round-off near a fixed
point. An end point whose F(s) - s is then below FIXED_TOLERANCE is a fixed point; one that
stays slow (q below `slow`) but not fixed is a slow point, where runs linger. Points closer
than MERGE_DISTANCE are one; slow points closer than SLOW_MERGE_DISTANCE are one (a network
that nearly conserves its state, an LSTM with f near 1, is slow almost everywhere), and only
the MAX_SLOW_POINTS slowest are kept. A fixed point is stable when every eigenvalue of J there lies
inside the unit circle: runs near it return to it.
"""

from __future__ import annotations

import contextlib
from typing import NamedTuple

import numpy as np

from rnnviz.engine._arrays import check_whole
from rnnviz.engine.analysis import _jacobians_by_jvp
from rnnviz.engine.cells import cell_of
from rnnviz.engine.params import Params

FIXED_TOLERANCE = 1e-10  # ||F(s) - s|| below this: a fixed point (to round-off)
MERGE_DISTANCE = 1e-5    # fixed points closer than this are the same point
SLOW_MERGE_DISTANCE = 0.05  # slow points closer than this: one (a slow region, not a point)
MAX_SLOW_POINTS = 12     # the slowest this many slow points are kept
NEWTON_STEPS = 30
POLISH_RADIUS = 0.5      # Newton's polish stays this close to where Adam stopped
MAX_STARTS = 512
SLOW = 1e-4              # q(s) below this: a slow point (||F(s) - s|| below sqrt(2 SLOW))


class StatePoint(NamedTuple):
    """A fixed or slow point.

    Attributes:
        state: (n_s,) the state s (a, or [a; c] for the LSTM).
        speed: ||F(s) - s||.
        eigenvalues: (n_s,) of the step Jacobian at s, largest |λ| first.
        fixed: F(s) = s to round-off (else a slow point).
    """

    state: np.ndarray
    speed: float
    eigenvalues: np.ndarray
    fixed: bool

    @property
    def stable(self) -> bool:
        """A fixed point whose every eigenvalue lies inside the unit circle."""
        return self.fixed and float(np.max(np.abs(self.eigenvalues))) < 1.0


def _step(params: Params, states: np.ndarray, x: np.ndarray):
    """F of every column of `states` (n_s, K): the next states (n_s, K) and the step's cache."""
    cell = cell_of(params)
    n_a = params.sizes["n_a"]
    parts = [states[i * n_a:(i + 1) * n_a] for i in range(len(cell.states))]
    *following, cache = cell.step_forward(x, *parts, params)
    return np.concatenate(following), cache


def _jacobians(params: Params, cache) -> np.ndarray:
    cell = cell_of(params)
    if cell.step_jacobian is not None:
        return cell.step_jacobian(cache)
    return _jacobians_by_jvp(params, cache)


def _newton_steps(jacobians: np.ndarray, residuals: np.ndarray) -> np.ndarray:
    """(J - I)^-1 (F(s) - s) for every column: `jacobians` (K, n_s, n_s) holds each J - I,
    `residuals` (n_s, K) each F(s) - s. A singular J - I gives a step of NaN (that point is
    not polished). No determinant decides which are solvable: at n_s = 128 it underflows for
    well-conditioned matrices (an LSTM's, with |det| near 1e-28 and a condition number
    near 1e5)."""
    try:
        return np.linalg.solve(jacobians, residuals.T[:, :, None])[:, :, 0].T
    except np.linalg.LinAlgError:  # one of them is singular: solve them one by one
        steps = np.full_like(residuals, np.nan)
        for k in range(residuals.shape[1]):
            with contextlib.suppress(np.linalg.LinAlgError):
                steps[:, k] = np.linalg.solve(jacobians[k], residuals[:, k])
        return steps


class Search(NamedTuple):
    """What a search found.

    Attributes:
        points: the distinct fixed and slow points (`find_state_points`).
        slowest: the smallest ||F(s) - s|| at any end point of the search (inf when none is
            finite): how near the search came to a point when it found none.
    """

    points: list[StatePoint]
    slowest: float


def find_state_points(params: Params, starts: np.ndarray, x: np.ndarray | None = None,
                      iterations: int = 1000, learning_rate: float = 0.01,
                      slow: float = SLOW) -> list[StatePoint]:
    """The fixed points (and slow points) reached from `starts`: `search_state_points`'s
    points."""
    return search_state_points(params, starts, x, iterations, learning_rate, slow).points


def search_state_points(params: Params, starts: np.ndarray, x: np.ndarray | None = None,
                        iterations: int = 1000, learning_rate: float = 0.01,
                        slow: float = SLOW) -> Search:
    """The fixed points (and slow points) reached from `starts`, and how slow the slowest
    end point was.

    Args:
        params: the network.
        starts: (n_s, K) states to start from (K at most MAX_STARTS), e.g. states a run
            visited: a for the RNN and GRU, [a; c] stacked for the LSTM.
        x: (n_x,) the input held during the search; None for zeros.
        iterations: Adam steps on q before Newton's polish.
        learning_rate: Adam's step size.
        slow: q below which an end point that is not fixed is kept as a slow point.

    Returns:
        Search: the distinct points, fixed points first, each group by increasing speed; and
        the slowest end point's speed.
    """
    params.validate()
    n_x, n_a = params.sizes["n_x"], params.sizes["n_a"]
    n_s = n_a * len(cell_of(params).states)
    starts = np.array(starts, dtype=np.float64)
    if starts.ndim != 2 or starts.shape[0] != n_s or not 1 <= starts.shape[1] <= MAX_STARTS:
        raise ValueError(f"starts must have shape ({n_s}, K) with 1 <= K <= {MAX_STARTS}; "
                         f"got {starts.shape}")
    if not np.all(np.isfinite(starts)):
        raise ValueError("starts must be finite")
    iterations = check_whole("iterations", iterations, 0, 100_000)
    K = starts.shape[1]
    held = np.zeros((n_x, K)) if x is None else np.repeat(
        np.asarray(x, dtype=np.float64).reshape(n_x, 1), K, axis=1)
    s, m, v = starts, np.zeros_like(starts), np.zeros_like(starts)
    state_map = cell_of(params).state_map(params, held)  # the step, checked once above
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        for i in range(1, iterations + 1):  # Adam on q(s)
            following, pullback = state_map(s)
            r = following - s
            grad = pullback(r) - r
            m = 0.9 * m + 0.1 * grad
            v = 0.999 * v + 0.001 * grad ** 2
            s = s - learning_rate * (m / (1 - 0.9 ** i)) / (np.sqrt(v / (1 - 0.999 ** i)) + 1e-12)
        following, _ = _step(params, s, held)
        slow_speed = np.linalg.norm(following - s, axis=0)
        # Newton from every end point, within POLISH_RADIUS of it: a polish, not a second
        # search, so that a slow region a network lingers in stays as slow points instead of
        # jumping to a fixed point far from it; a point that would leave the radius, or stops
        # converging, goes back to where Adam left it
        polishing = np.isfinite(slow_speed)
        polished, last = s.copy(), np.full_like(slow_speed, np.inf)
        for _ in range(NEWTON_STEPS):
            columns = np.flatnonzero(polishing)
            if columns.size == 0:
                break
            here = polished[:, columns]
            following, cache = _step(params, here, held[:, columns])
            r = following - here
            size = np.linalg.norm(r, axis=0)
            # a Newton step that did not shrink F(s) - s is far from converging: stop there
            going = np.isfinite(size) & (size >= FIXED_TOLERANCE) & (size < last[columns])
            last[columns] = size
            moved = here - _newton_steps(_jacobians(params, cache) - np.eye(n_s), r)
            kept = going & np.isfinite(moved).all(axis=0) & (
                np.linalg.norm(moved - s[:, columns], axis=0) < POLISH_RADIUS)
            polished[:, columns[kept]] = moved[:, kept]
            polishing[columns[~kept]] = False
            lost = columns[going & ~kept]
            polished[:, lost] = s[:, lost]
        following, cache = _step(params, polished, held)
        speed = np.linalg.norm(following - polished, axis=0)
        fixed = np.isfinite(speed) & (speed < FIXED_TOLERANCE)
        # where Newton did not land on a fixed point, keep Adam's end point if it is slow
        ends = np.where(fixed, polished, s)
        speeds = np.where(fixed, speed, slow_speed)
        keep = fixed | (0.5 * slow_speed ** 2 < slow)
        _, cache = _step(params, ends, held)
        jacobians = _jacobians(params, cache)
    chosen: list[int] = []  # the distinct end points kept, in the order they are listed
    for k in np.lexsort((speeds, ~fixed)):
        if not keep[k] or not np.all(np.isfinite(ends[:, k])):
            continue
        apart = MERGE_DISTANCE if fixed[k] else SLOW_MERGE_DISTANCE
        if any(np.linalg.norm(ends[:, j] - ends[:, k]) < apart for j in chosen):
            continue
        if not fixed[k] and sum(not fixed[j] for j in chosen) >= MAX_SLOW_POINTS:
            break
        chosen.append(int(k))
    # the eigenvalues of the kept points' Jacobians only: most end points merge into a few
    # points, and a nonsymmetric eigensolver is the search's costliest step at large sizes
    eigenvalues = np.linalg.eigvals(jacobians[chosen]) if chosen else []
    points = [StatePoint(ends[:, k].copy(), float(speeds[k]),
                         values[np.argsort(-np.abs(values), kind="stable")], bool(fixed[k]))
              for k, values in zip(chosen, eigenvalues, strict=True)]
    finite = speeds[np.isfinite(speeds) & np.all(np.isfinite(ends), axis=0)]
    return Search(points, float(finite.min()) if finite.size else np.inf)
