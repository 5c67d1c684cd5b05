"""What the Gradient flow page says under its charts, read off the gradients' numbers: which
steps' loss terms would clip on their own, how to read the step Jacobians against their
dashed bound, and how to read the gradient flow's log axis: whether a gradient that grows
going back explodes, or by how much the one that falls most falls."""

from __future__ import annotations

import numpy as np

from rnnviz.app.chart_readings import average_step, drawn, gridlines, series_words
from rnnviz.engine import CELLS


def truncation_reading(T_x: int, truncate: int, where: str) -> str:
    """What truncated BPTT with k = `truncate` (0 < k < T_x) does to the flow drawn, with the
    loss at the last step ("last": a gap before T_x - k + 1) or at every step ("all")."""
    cut = (f"Truncated BPTT, k = {truncate}: each step's loss sends its gradient back "
           f"{truncate} steps only, ")
    if where == "last":
        return cut + (f"so with the loss at the last step nothing reaches t ≤ {T_x - truncate} "
                      "(a gap on the log axis), however well the cell carries it.")
    return cut + (f"so a⟨t⟩ hears only the losses of steps t to t + {truncate - 1}, however far "
                  "the cell could carry the later ones.")


def steps_that_clip(per_step: dict[str, tuple], threshold: float, most: int = 12) -> str:
    """Which timesteps' loss terms would be clipped on their own, for each cell.

    Args:
        per_step: {cell name: (steps (k,), norms (k,) of each step's loss term alone)}.
        threshold: the clipping threshold τ.

    Returns:
        e.g. "RNN: the loss at t = 28, 29, 30 alone would clip · LSTM: no single step's loss
        would clip", naming at most `most` steps per cell.
    """
    parts = []
    for name, (steps, norms) in per_step.items():
        over = [int(t) for t, norm in zip(steps, norms, strict=True) if norm > threshold]
        listed = ", ".join(map(str, over[:most])) + (" …" if len(over) > most else "")
        parts.append(f"{CELLS[name].label}: " + (f"the loss at t = {listed} alone would clip"
                                                 if over else "no single step's loss would clip"))
    return " · ".join(parts)


def jacobian_reading(jacobians: dict[str, np.ndarray], products: dict[str, dict]) -> str:
    """How to read the step Jacobians' two charts, for a student, with the cell's numbers
    where they mislead most (the largest gap between the dashed bound and the product).

    Args:
        jacobians: {cell name: (T_x,) ‖J<t>‖}.
        products: {cell name: {"actual": (T_x + 1,), "bound": (T_x + 1,) log10 of the
            chained product and of the product of the norms, [0] over the whole sequence}}.
    """
    def gap(cell):
        actual, bound = products[cell]["actual"][0], products[cell]["bound"][0]
        return bound - actual if np.isfinite(actual) else -np.inf
    cell = max(jacobians, key=gap)
    norms = np.asarray(jacobians[cell], dtype=np.float64)
    actual, bound = products[cell]["actual"][0], products[cell]["bound"][0]
    label = CELLS[cell].label
    above = int(np.sum(norms > 1))
    whole = f"10^{actual:.1f}" if np.isfinite(actual) else "too small to compute"
    return (f"**How to read it.** The {label}'s ‖J⟨t⟩‖ runs from {norms.min():.3g} to "
            f"{norms.max():.3g}, above 1 at {above} of {norms.size} steps, yet the whole chain "
            f"is {whole}: each norm is the most one step can stretch a gradient, in the one "
            "direction it stretches most, and the steps do not stretch the same direction, so "
            f"their product shrinks. The dashed line multiplies the norms as if they did "
            f"(10^{bound:.1f}): a bound, not the gradient.")


def growth_reading(flows: dict[str, dict[str, np.ndarray]]) -> str | None:
    """A line for the gradient-flow chart where a gradient grows going back (the LSTM's
    ∂L/∂c⟨t⟩ in "LSTM remembers"), which a class reads as "explodes"; None when none grows.

    Args:
        flows: {cell name: {state: (T_x,) ‖∂L/∂s<t>‖}}.
    """
    flows = {cell: {state: np.asarray(norms, dtype=np.float64) for state, norms in by.items()}
             for cell, by in flows.items()}
    grown = [(float(norms[0] / norms[-1]), cell, state) for cell, by_state in flows.items()
             for state, norms in by_state.items()
             if norms.size > 2 and norms[-1] > 0 and norms[0] > norms[-1]]
    if not grown:
        return None
    factor, cell, state = max(grown)
    norms = flows[cell][state]
    steps = norms.size - 1
    geometric = factor ** (1 / steps)
    return (f"**It grows: does it explode?** The {CELLS[cell].label}'s ‖∂L/∂{state}⟨t⟩‖ is "
            f"{factor:.3g} times larger at t = 1 than at t = {norms.size}: {geometric:.3f} "
            "times a step on average. Kept by a forget gate near 1, the gradient of c⟨t⟩ "
            "gathers what reaches it through each a⟨t⟩ on the way back, and that sum grows. "
            "An explosion multiplies by the same factor above 1 at every step: a straight "
            f"line climbing the log axis; 1.5 a step over {steps} steps would be "
            f"10^{steps * np.log10(1.5):.1f}.")


def flow_reading(flows: dict[str, dict[str, np.ndarray]], decades: int) -> str:
    """The line under the gradient-flow chart: `growth_reading` where a gradient grows going
    back, else what a gridline of its log axis is worth and how the cell whose ‖∂L/∂a⟨t⟩‖
    falls most falls, from t = T_x back to t = 1.

    Args:
        flows: {cell name: {state: (T_x,) ‖∂L/∂s<t>‖}}.
        decades: powers of ten between two labels of the chart's y axis.
    """
    if grows := growth_reading(flows):
        return grows

    def fall(cell):  # decades lost from the last step drawn back to the first
        norms = np.asarray(flows[cell]["a"], dtype=np.float64)
        shown = np.flatnonzero(drawn(norms))
        return (np.log10(norms[shown[-1]]) - np.log10(norms[shown[0]]) if shown.size
                else -np.inf)
    cell = max(flows, key=fall)
    back = np.asarray(flows[cell]["a"], dtype=np.float64)[::-1]   # t = T_x, ..., 1
    steps = np.arange(back.size, 0, -1)
    what = f"the {CELLS[cell].label}'s ‖∂L/∂a⟨t⟩‖"
    return (f"{gridlines(decades)}: {series_words(what, steps, back, 't =')}"
            f"{average_step(back)}.")
