"""Figures of back-propagation through time: gradient norms over t, the step Jacobians'
norms and their product, and dL/da<t> as a unit x time heatmap.

Every builder is pure: arrays in, a Plotly figure out as a plain dict (see rnnviz.figures).
Timesteps are 1-based, t = 1..T_x.
Norms go on a log scale, where a gradient that shrinks by the same factor every step is a
straight falling line. Each cell keeps its colour (style.CELL_COLORS).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from rnnviz.engine import CELLS
from rnnviz.figures import style
from rnnviz.figures._axes import count_axis, log_axis
from rnnviz.figures.forward import heatmap

MARKERS_UP_TO = 30
BOUND_KEY = "∏‖J‖ bound"  # the reach-back chart's legend entry for its dashed lines
FLOOR = 1e-300  # a norm of exactly 0 has no place on a log axis; it is drawn as a gap


def _positive(values) -> list[float | None]:
    """Values for a log axis: zeros and non-finite values become gaps (None)."""
    return [float(v) if np.isfinite(v) and v > FLOOR else None
            for v in np.asarray(values, dtype=np.float64)]


def _mode(T_x: int) -> str:
    """Markers on each step while they can be told apart; a plain line for long sequences."""
    return "lines+markers" if T_x <= MARKERS_UP_TO else "lines"


def _steps_axis(traces: list[dict], first: int = 1) -> dict:
    """The integer t axis from `first` to the last step any of the traces reaches."""
    last = max((int(np.max(t["x"])) for t in traces if np.size(t["x"])), default=first)
    return count_axis(first, max(first, last))


def _check_cells(by_cell: Mapping) -> None:
    if not by_cell:
        raise ValueError("give at least one cell's values")
    unknown = [c for c in by_cell if c not in CELLS]
    if unknown:
        raise ValueError(f"cells must be among {tuple(CELLS)}; got {unknown}")


def gradient_flow(flows: Mapping[str, Mapping[str, np.ndarray]], loss_at: str = "every step",
                  height: int = 460) -> dict:
    """||dL/ds<t>|| over t for each state s of each cell on a log scale.

    Args:
        flows: {cell name: {state: (T_x,) norms}}: "a", and "c" for the LSTM
            (Backprop.flow_norms() gives exactly this per cell).
        loss_at: where the loss sits, in words, for the title: "every step", "the last step
            only".

    Returns:
        a figure: per cell, a solid line for a<t> and a dashed one for each other state
        (the LSTM's c<t>), in the cell's colour, y on a log axis.
    """
    _check_cells(flows)
    traces = []
    for cell, norms in flows.items():
        name = CELLS[cell].label
        for k, (state, values) in enumerate(norms.items()):
            dash = "solid" if k == 0 else "dash"
            values = np.asarray(values, dtype=np.float64)
            symbol = f"‖∂L/∂{state}⟨t⟩‖"
            traces.append({
                "type": "scatter", "x": np.arange(1, values.size + 1), "y": _positive(values),
                "mode": _mode(values.size), "name": f"{name} {symbol}",
                "line": {"color": style.CELL_COLORS[cell], "width": 4, "dash": dash},
                "marker": {"size": 7},
                "hovertemplate": f"{name}<br>t=%{{x}}<br>{symbol}=%{{y:.3e}}<extra></extra>"})
    layout = style.merged(
        style.layout(f"Gradient flowing back through time (loss at {loss_at})", "t",
                     "gradient norm (log scale)", height=height),
        {"yaxis": log_axis(arr for norms in flows.values() for arr in norms.values()),
         "xaxis": _steps_axis(traces)},
        style.legend_below(rows=math.ceil(len(traces) / 3)))  # three a row across the page
    return {"data": traces, "layout": layout}


def jacobian_norms(step_norms: Mapping[str, np.ndarray], height: int = 500) -> dict:
    """||J<t>||_2 of each step for each cell, with the line ||J|| = 1.

    Args:
        step_norms: {cell: (T_x,) spectral norms of the step Jacobians, [t-1] for J<t>}.

    Returns:
        a figure, log y axis; above the dashed line a step amplifies gradients, below it
        shrinks them.
    """
    _check_cells(step_norms)
    traces = []
    for cell, norms in step_norms.items():
        values = np.asarray(norms, dtype=np.float64)
        name = CELLS[cell].label
        traces.append({
            "type": "scatter", "x": np.arange(1, values.size + 1), "y": _positive(values),
            "mode": _mode(values.size), "name": name,
            "line": {"color": style.CELL_COLORS[cell], "width": 4}, "marker": {"size": 7},
            "hovertemplate": f"{name}<br>t=%{{x}}<br>‖J⟨t⟩‖=%{{y:.4g}}<extra></extra>"})
    layout = style.merged(
        style.layout("Stretch of one step: ‖J⟨t⟩‖", "t", "‖J⟨t⟩‖ (log scale)", height=height),
        {"yaxis": log_axis([*step_norms.values(), [1.0]]), "xaxis": _steps_axis(traces),
         "shapes": [style.hline(1.0)]})
    return {"data": traces, "layout": layout}


def norm_product(products: Mapping[str, Mapping[str, np.ndarray]],
                 height: int = 500) -> dict:
    """How far back a gradient from step T_x reaches, drawn from log10 values, per cell.

    Args:
        products: {cell: {"actual": (T_x + 1,) log10 ||J<T_x> ... J<t+1>||_2 (NaN where not
            computed), "bound": (T_x + 1,) log10 prod_{k=t+1}^{T_x} ||J<k>||}}, entry t for
            t = 0..T_x (rnnviz.engine.analysis.log10_product_norms and log10_norm_product).

    Returns:
        a figure: the norm of the product solid, the product of the norms (its upper bound)
        dashed, in each cell's colour; the legend names each cell once and has one key for
        the dashed lines (an empty last trace); y holds the logs, ticks read as powers of
        ten, so even 10^-300 is placed correctly.
    """
    _check_cells(products)
    traces, finite = [], []
    for cell, logs_by_kind in products.items():
        name = CELLS[cell].label
        for kind, dash, what in (("actual", "solid", "‖∏J‖"), ("bound", "dash", "∏‖J‖ bound")):
            logs = np.asarray(logs_by_kind[kind], dtype=np.float64)
            finite.append(logs[np.isfinite(logs)])
            traces.append({
                "type": "scatter", "x": np.arange(logs.size),
                "y": [float(v) if np.isfinite(v) else None for v in logs], "mode": "lines",
                # the legend names each cell once (its solid line); the key below says dashed
                "name": name if kind == "actual" else f"{name} {what}",
                "showlegend": kind == "actual", "legendgroup": cell,
                "line": {"color": style.CELL_COLORS[cell], "width": 4, "dash": dash},
                "hovertemplate": f"{name} {what}<br>t=%{{x}}<br>10^%{{y:.2f}}<extra></extra>"})
    # the legend's key to the dashed lines: an empty trace, drawn only in the legend
    traces.append({"type": "scatter", "x": [None], "y": [None], "mode": "lines",
                   "name": BOUND_KEY, "hoverinfo": "skip",
                   "line": {"color": style.MUTED_INK, "width": 4, "dash": "dash"}})
    values = np.concatenate(finite) if finite else np.zeros(1)
    ticks = _power_ticks(float(values.min()), float(values.max()))
    layout = style.merged(
        style.layout("Reach back from step T_x", "t", "factor (log scale)", height=height),
        {"yaxis": {"tickvals": ticks, "ticktext": [f"10<sup>{v}</sup>" for v in ticks]},
         "xaxis": _steps_axis(traces[:-1], first=0)},
        # in half the page's width: two cells a row, and a row for the key
        style.legend_below(rows=math.ceil(len(products) / 2) + 1))
    return {"data": traces, "layout": layout}


def _power_ticks(low: float, high: float, most: int = 7) -> list[int]:
    """Whole exponents spanning [low, high], at most `most` of them."""
    first, last = int(np.floor(low)), int(np.ceil(high))
    if last == first:
        last = first + 1
    stride = max(1, int(np.ceil((last - first) / (most - 1))))
    return list(range(first, last + 1, stride))


def gradient_heatmap(dA: np.ndarray, cell: str, example: int | None,
                     height: int = 420) -> dict:
    """dL/da<t> for one example (or the batch mean) as a unit x time heatmap.

    Args:
        dA: (n_a, T_x) gradient at every hidden state.
        cell: the cell's name, for the title.
        example: the batch example shown, or None for the mean over the batch.

    Returns:
        a figure: diverging scale centred at 0 (blue negative, red positive), symmetric
        about 0; hover gives t, the unit and the value in scientific notation.
    """
    _check_cells({cell: None})
    which = "batch mean" if example is None else f"example {example}"
    fig = heatmap(dA, "state", f"{CELLS[cell].label}: ∂L/∂a⟨t⟩ ({which})",
                  height=height)
    fig["data"][0]["hovertemplate"] = "t=%{x}<br>unit=%{y}<br>∂L/∂a=%{z:.3e}<extra></extra>"
    return fig


def step_gradient_norms(per_step: Mapping[str, tuple[np.ndarray, np.ndarray]],
                        threshold: float | None = None, height: int = 420) -> dict:
    """The gradient norm of each timestep's loss term alone, ||dL<t>/dtheta||, per cell.

    Args:
        per_step: {cell: (steps (k,) timesteps t, norms (k,))}.
        threshold: the clipping threshold, drawn as a dashed line, or None.

    Returns:
        a figure, log y axis; points above the line are steps whose loss alone would be
        clipped.
    """
    _check_cells(per_step)
    traces = []
    for cell, (steps, norms) in per_step.items():
        norms = np.asarray(norms, dtype=np.float64)
        name = CELLS[cell].label
        traces.append({
            "type": "scatter", "x": np.asarray(steps), "y": _positive(norms),
            "mode": _mode(len(norms)), "name": name,
            "line": {"color": style.CELL_COLORS[cell], "width": 4}, "marker": {"size": 8},
            "hovertemplate": (f"{name}<br>loss at t=%{{x}}<br>‖∂L⟨t⟩/∂θ‖=%{{y:.3e}}"
                              "<extra></extra>")})
    layout = style.merged(
        style.layout("Gradient of each step's loss alone", "t (where the loss term is)",
                     "‖∂L⟨t⟩/∂θ‖ (log scale)", height=height),
        {"yaxis": log_axis(norms for _, norms in per_step.values()),
         "xaxis": _steps_axis(traces),
         "shapes": [style.hline(float(threshold))] if threshold is not None else []})
    return {"data": traces, "layout": layout}
