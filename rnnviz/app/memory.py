"""What the Memory map page says: how far back each cell's last output still hears its
inputs, and what one unit's weight does to the gradient, in sentences with the numbers of
the current view."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from rnnviz.engine import CELLS
from rnnviz.engine.description import Projection
from rnnviz.engine.fixed_points import SLOW
from rnnviz.limits import MEMORY_MAP_WORK, SCRUB_SPECTRA_WORK, STEP_SPECTRA_WORK

HEARD = 0.01  # an input still heard: at least this fraction of the output's strongest one
# how many principal components the states can be drawn on, and how the choice is written
PRINCIPAL_COMPONENTS = {2: "2 (a plane)", 3: "3 (in space)"}
SEARCH_STARTS = 128       # states a run visited, where the fixed-point search starts
FULL_SEARCH_STATE = 64    # above this state size, fewer starts (search_starts)
SEARCH_ITERATIONS = 500   # its Adam steps before Newton's polish
SEARCH_MAX_STATE = 128    # the search runs up to this state size (the LSTM at n_a = 64)
FEWEST_SCRUBBED = 11  # the radius line keeps at least this many snapshots, however large


def too_large(n_a: int, n_y: int, T_x: int) -> str | None:
    """Why the memory maps of these sizes are not drawn (they would hold the server too
    long), or None when they are."""
    if min(n_y, n_a) * T_x ** 2 * n_a ** 2 <= MEMORY_MAP_WORK:
        return None
    return (f"The memory maps are drawn up to about n_a = 128 and T_x = 100 (here n_a = {n_a}, "
            f"T_x = {T_x}): each one back-propagates from every output step, and at these "
            "sizes they would take the server a minute. Make the network or the sequence "
            "smaller to see them; one unit by hand is below.")


def reach(S: np.ndarray, fraction: float = HEARD) -> int:
    """The earliest input step s (1-based) that the last output still depends on at least
    `fraction` of its strongest dependence: max over s of S[T_x, s]."""
    last = np.asarray(S, dtype=np.float64)[-1]
    top = float(last.max())
    if top <= 0:
        return len(last)
    return int(np.flatnonzero(last >= fraction * top)[0]) + 1


def memory_sentence(maps: Mapping[str, np.ndarray]) -> str:
    """One sentence comparing the cells' reach back from the last output step."""
    T_x = next(iter(maps.values())).shape[0]
    parts = []
    for cell, S in maps.items():
        s = reach(S)
        last = np.asarray(S)[-1]
        oldest = f"{last[0] / last.max():.0e}" if last.max() > 0 else "0"
        parts.append(f"the {CELLS[cell].label} back to s = {s} ({T_x - s} steps back; input "
                     f"1 weighs {oldest} of the strongest)")
    return (f"**Reading the last row (t = {T_x}).** Its output still hears its inputs, at "
            f"{HEARD:.0%} of the strongest or more: " + "; ".join(parts) + ".")


def one_unit_sentence(w: float, fixed: Sequence, gain: np.ndarray) -> str:
    """What w does here: the gain after len(gain) steps and where the run settles."""
    T = len(gain)
    stable = [p for p in fixed if p.stable]
    settle = (", ".join(f"a∗ = {p.a:.3f} (slope w(1 − a∗²) = {p.slope:.3f})" for p in stable)
              or "no stable fixed point: the run keeps moving")
    if abs(w) < 1:
        why = (f"|w| = {abs(w):g} < 1, so every step multiplies the gradient by at most "
               f"{abs(w):g}: after {T} steps at most {abs(w) ** (T - 1):.1e}.")
    else:
        why = (f"|w| = {abs(w):g} ≥ 1, yet the run settles where tanh is flat, so the factor "
               "per step, w(1 − a⟨t⟩²), falls below 1 in size there.")
    return (f"**∂a⟨{T}⟩/∂a⟨1⟩ = {gain[-1]:.2e}.** {why} Stable fixed points: {settle}.")


def block_labels(cell: str) -> dict[str, str]:
    """{projection's value: `block_label`} for every recurrent block of the cell."""
    return {p.value: block_label(p) for p in CELLS[cell].projections}


def block_label(projection: Projection) -> str:
    """The recurrent block's name as the notebook writes it: "Waa", or "Wf[:, :n_a]" (the
    columns of a concat weight that multiply a<t-1>)."""
    weight = projection.weights[0]
    return weight if len(projection.weights) == 2 else f"{weight}[:, :n_a]"


def search_starts(n_s: int) -> int:
    """How many visited states the fixed-point search starts from, for a state of n_s
    numbers: SEARCH_STARTS up to FULL_SEARCH_STATE, then fewer as a step's Jacobians grow
    with n_s squared (32 for the LSTM at n_a = 64, whose search took 1.3 s from 128)."""
    if n_s <= FULL_SEARCH_STATE:
        return SEARCH_STARTS
    return max(8, round(SEARCH_STARTS * (FULL_SEARCH_STATE / n_s) ** 2))


def step_spectra_fit(n_s: int, T_x: int) -> bool:
    """Whether the step Jacobians' eigenvalues along a run are computed at these sizes."""
    return T_x * n_s ** 3 <= STEP_SPECTRA_WORK


def spectrum_sentence(blocks: Mapping[str, np.ndarray], steps: np.ndarray | None) -> str:
    """The blocks' spectral radii and, along the run, the step Jacobians' largest |λ|."""
    radii = ", ".join(f"{label} {np.max(np.abs(values)):.2f}" for label, values in blocks.items())
    text = f"**Spectral radii (largest |λ|):** {radii}."
    if steps is not None:
        largest = np.max(np.abs(steps), axis=1)
        text += (f" Along the run the step Jacobian's largest |λ| goes from {largest.min():.2f}"
                 f" to {largest.max():.2f} (t = {int(np.argmax(largest)) + 1}): "
                 + ("inside the unit circle at every step, so every direction shrinks on the "
                    "way back." if largest.max() < 1 else
                    "outside the unit circle at some steps, where a direction can grow."))
    return text


def scrubbed_steps(steps: Sequence[int], blocks: int, n_a: int) -> list[int]:
    """The snapshots (training steps, in order) whose spectra the spectral radius over
    training is drawn from: every one while blocks x snapshots x n_a^3 stays within
    SCRUB_SPECTRA_WORK, else that many (at least FEWEST_SCRUBBED) evenly spaced, the first and
    the last among them."""
    steps = sorted(steps)
    fit = max(FEWEST_SCRUBBED, SCRUB_SPECTRA_WORK // (blocks * n_a ** 3))
    if len(steps) <= fit:
        return steps
    return [steps[i] for i in np.unique(np.linspace(0, len(steps) - 1, fit).round().astype(int))]


def radius_sentence(steps: Sequence[int], radii: Mapping[str, np.ndarray], step: int,
                    kept: int) -> str:
    """How each block's spectral radius moved from the first snapshot to `step`, and whether
    it ends under the chart's dashed line, the unit circle's radius 1; says when the line
    skips snapshots (`kept` in all)."""
    at = list(steps).index(step)
    moves = ", ".join(f"{label} {values[0]:.2f} → {values[at]:.2f}"
                      for label, values in radii.items())
    largest = max(values[at] for values in radii.values())
    text = (f"**Spectral radius from step {steps[0]:,} to step {step:,}:** {moves}. "
            + ("Every block is under the dashed line, |λ| = 1 (the unit circle's radius): "
               "left alone, the recurrence forgets." if largest < 1 else
               "A block is on or above the dashed line, |λ| = 1 (the unit circle's radius): "
               "some direction of the state is kept or grows from step to step."))
    if len(steps) < kept:
        text += (f" The line is drawn from {len(steps)} of the {kept} snapshots, evenly "
                 "spaced: at this size each one's eigenvalues take a while.")
    return text


def principal_components(states: np.ndarray, count: int = 3
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The first `count` principal components of a batch's states.

    Args:
        states: (n_a, m, T_x) a<t> of every example and step.

    Returns:
        mean (n_a,), components (count, n_a) (orthonormal rows; zero rows where the states
        span fewer than `count` directions), and the share of the variance each explains
        (count,).
    """
    flat = states.reshape(states.shape[0], -1).T  # (m T_x, n_a)
    mean = flat.mean(axis=0)
    _, values, rows = np.linalg.svd(flat - mean, full_matrices=False)
    kept = min(count, len(rows))
    components = np.zeros((count, states.shape[0]))
    components[:kept] = rows[:count]
    variance = values ** 2
    share = np.zeros(count)
    if variance.sum() > 0:
        share[:kept] = variance[:count] / variance.sum()
    return mean, components, share


def project(points: np.ndarray, mean: np.ndarray, components: np.ndarray) -> np.ndarray:
    """(n_a, ...) states onto the components (k, n_a): (k, ...)."""
    return np.tensordot(components, points - mean.reshape((-1,) + (1,) * (points.ndim - 1)),
                        axes=1)


def variance_sentence(share: np.ndarray) -> str:
    """How much of the states' variance the components drawn hold, each and together."""
    each = ", ".join(f"PC{k + 1} {s:.0%}" for k, s in enumerate(share))
    return (f"The first {len(share)} principal components hold {share.sum():.0%} of the "
            f"states' variance ({each}).")


def points_sentence(points: Sequence, share: np.ndarray, slowest: float | None = None) -> str:
    """The variance drawn, and how many fixed points (stable, unstable) and slow points the
    search found; when it found none, how fast its slowest end point still moved (`slowest`,
    ||F(s) - s||, when given)."""
    fixed = [p for p in points if p.fixed]
    stable = sum(p.stable for p in fixed)
    slow = len(points) - len(fixed)
    if not points:
        moving = ("the state was still moving when the search ended"
                  + (f", the slowest by {slowest:.2g} a step (‖F(s) − s‖; a slow point moves "
                     f"by less than {np.sqrt(2 * SLOW):.2g})"
                     if slowest is not None and np.isfinite(slowest) else ""))
        return (f"{variance_sentence(share)} With the input at 0 the search found **no fixed "
                f"or slow point**: from every state the batch visited that it started at, "
                f"{moving}. Whatever this network remembers, it keeps in a moving state, not "
                "at a point (or at one the search did not reach). A network that has learned "
                "the 3-bit flip-flop keeps 8 stable ones, one for each setting of the three "
                "bits.")
    return (f"{variance_sentence(share)} With the input at 0 the search found **{len(fixed)} fixed "
            f"point{'s' if len(fixed) != 1 else ''}**, {stable} stable (filled: runs near "
            f"them return) and {len(fixed) - stable} unstable (hollow)"
            + (f", and {slow} slow point{'s' if slow != 1 else ''} (×)" if slow else "")
            + ". A network that has learned the 3-bit flip-flop keeps 8 stable ones, one "
              "for each setting of the three bits.")
