"""What the Memory map page says: how far back each cell's last output still hears its
inputs, and what one unit's weight does to the gradient, in sentences with the numbers of
the current view."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from rnnviz.engine import CELLS
from rnnviz.limits import MEMORY_MAP_WORK

HEARD = 0.01  # an input still heard: at least this fraction of the output's strongest one


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
