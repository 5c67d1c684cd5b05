"""Figures of training runs: loss, accuracy and gradient-norm curves of several runs overlaid,
Adam's insides (m̂, v̂ and the step, per parameter) over training, and a network's next-value
predictions on a window of a student's sequence.

Every builder is pure: arrays in, ``go.Figure`` out. Curves are thinned to at most
`max_points` points each (every k-th point and always the last), so a 20,000-step run
redraws as fast as a short one while it grows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from rnnviz.figures import style
from rnnviz.figures._axes import log_axis

MAX_POINTS = 1500
# One colour per run kept (a session keeps 8): the first eight line colours, the cells' own
# first, so that a lone run of a cell keeps its cell's colour.
RUN_PALETTE = style.LINE_COLORS[:8]
# For per-parameter lines, ten distinct colours: the line colours, then black for the tenth
# (only the LSTM's tenth parameter takes it).
PARAM_PALETTE = (*style.LINE_COLORS, style.MARKER_COLOR)
STAT_TITLES = {
    "v_hat": ("Adam's m̂: mean |bias-corrected first moment|", "mean |m̂|"),
    "s_hat": ("Adam's v̂: mean bias-corrected second moment", "mean v̂"),
    "step": ("Effective step: mean |lr · m̂ / (√v̂ + ε)|", "mean |step|"),
    "grad": ("Gradient: mean |g|", "mean |g|"),
    "v": ("Momentum: mean |v|", "mean |v|"),
    "s": ("RMSProp: mean s", "mean s"),
}


@dataclass(frozen=True)
class Curve:
    """One run's values over training steps.

    Attributes:
        label: the legend entry, e.g. "LSTM · Adam lr=0.01 · clip 5".
        color: a CSS colour.
        steps: (k,) training steps.
        values: (k,) values; NaN for steps without one (e.g. no accuracy).
        marks: (k,) booleans, steps to mark (e.g. where the gradient was clipped), or None.
    """

    label: str
    color: str
    steps: np.ndarray
    values: np.ndarray
    marks: np.ndarray | None = None


def run_colors(cells: Sequence[str]) -> list[str]:
    """A colour per run: the first run of each cell gets the cell's colour, later runs the
    next unused palette colours (cycling once all are used)."""
    colors, used = [], set()
    spare = [c for c in RUN_PALETTE if c not in style.CELL_COLORS.values()]
    k = 0
    for cell in cells:
        own = style.CELL_COLORS.get(cell)
        if own is not None and own not in used:
            colors.append(own)
            used.add(own)
        else:
            colors.append(spare[k % len(spare)])
            k += 1
    return colors


def thin(steps: np.ndarray, values: np.ndarray, max_points: int = MAX_POINTS):
    """Every k-th point, and always the last, so at most about max_points remain.

    Args:
        steps, values: (n,) arrays.

    Returns:
        (steps, values) thinned, the same arrays when n <= max_points.
    """
    n = len(steps)
    if n <= max_points:
        return np.asarray(steps), np.asarray(values)
    stride = int(np.ceil(n / max_points))
    keep = np.arange(0, n, stride)
    if keep[-1] != n - 1:
        keep = np.append(keep, n - 1)
    return np.asarray(steps)[keep], np.asarray(values)[keep]


def run_curves(curves: Sequence[Curve], title: str, y_title: str, log_y: bool = False,
               threshold: float | None = None, max_points: int = MAX_POINTS,
               height: int = 400, legend: bool = True) -> go.Figure:
    """Several runs' curves overlaid, each labelled by its settings.

    Args:
        curves: the runs' Curves.
        title, y_title: figure and y-axis titles (the x axis is the training step).
        log_y: a log y axis (gradient norms, losses that fall by orders of magnitude).
        threshold: a horizontal dashed line (the clipping threshold), or None; a log y axis
            takes it in.
        max_points: thin each curve to about this many points.
        legend: show the legend (charts side by side can share one drawn elsewhere).

    Returns:
        go.Figure with one line per curve (plus one marker trace per curve with marks).
    """
    fig = go.Figure()
    for curve in curves:
        steps = np.asarray(curve.steps)
        values = np.asarray(curve.values, dtype=np.float64)
        shown_steps, shown = thin(steps, values, max_points)
        fig.add_trace(go.Scatter(
            x=shown_steps, y=shown, mode="lines", name=curve.label,
            line={"color": curve.color, "width": 3},
            hovertemplate=f"{curve.label}<br>step %{{x}}<br>%{{y:.4g}}<extra></extra>",
        ))
        if curve.marks is not None and np.any(curve.marks):
            marked = np.asarray(curve.marks, dtype=bool)
            mark_steps, mark_values = thin(steps[marked], values[marked], max_points // 3)
            fig.add_trace(go.Scatter(
                x=mark_steps, y=mark_values, mode="markers", showlegend=False,
                name=f"{curve.label}: clipped",
                marker={"color": curve.color, "symbol": "x", "size": 8},
                hovertemplate="clipped at step %{x}<extra></extra>",
            ))
    if threshold is not None:  # no annotation: on a log axis it would want log10 units
        fig.add_hline(y=float(threshold),
                      line={"color": style.MARKER_COLOR, "dash": "dash", "width": 2})
    style.apply_layout(fig, title, "training step", y_title, height=height)
    if log_y:  # the threshold in view too, however far below it the norms stay
        fig.update_yaxes(log_axis([*(c.values for c in curves),
                                   *([[threshold]] if threshold is not None else [])]))
    if legend:  # the labels are long: one row each
        fig.update_layout(style.legend_below(rows=len(curves)))
    # uirevision: keep the user's zoom while the curves grow
    fig.update_layout(showlegend=legend, uirevision="keep")
    return fig


def refresh_run_curves(fig: go.Figure, curves: Sequence[Curve],
                       max_points: int = MAX_POINTS) -> bool:
    """Put new values into a figure made by `run_curves` for the same runs, in place.

    Building a figure with the shared template costs tens of milliseconds; replacing the
    traces' data costs about one, which is what lets curves redraw several times a second
    while training.

    Returns:
        True if the figure was updated; False if its traces do not match `curves` (another
        set of runs, or a run's first clipped step), and the caller must rebuild it.
    """
    lines = [t for t in fig.data if t.mode == "lines"]
    markers = [t for t in fig.data if t.mode == "markers"]
    with_marks = [c for c in curves if c.marks is not None and np.any(c.marks)]
    if ([t.name for t in lines] != [c.label for c in curves]
            or [t.name for t in markers] != [f"{c.label}: clipped" for c in with_marks]):
        return False
    with fig.batch_update():
        for trace, curve in zip(lines, curves, strict=True):
            trace.x, trace.y = thin(np.asarray(curve.steps),
                                    np.asarray(curve.values, dtype=np.float64), max_points)
        for trace, curve in zip(markers, with_marks, strict=True):
            marked = np.asarray(curve.marks, dtype=bool)
            trace.x, trace.y = thin(np.asarray(curve.steps)[marked],
                                    np.asarray(curve.values, dtype=np.float64)[marked],
                                    max_points // 3)
    return True


def optimizer_stats(steps: np.ndarray, values_by_param: Mapping[str, np.ndarray], stat: str,
                    height: int = 420) -> go.Figure:
    """One optimizer statistic per parameter over training, on a log axis.

    Args:
        steps: (k,) the training steps the statistics were recorded at.
        values_by_param: {parameter name: (k,) values}, e.g. mean |m̂| of each array.
        stat: "v_hat" (m̂), "s_hat" (v̂), "step", "grad", "v" or "s": picks the titles.

    Returns:
        go.Figure, one line per parameter: weights solid, biases dotted.
    """
    if stat not in STAT_TITLES:
        raise ValueError(f"stat must be one of {tuple(STAT_TITLES)}; got {stat!r}")
    title, y_title = STAT_TITLES[stat]
    fig = go.Figure()
    for k, (name, values) in enumerate(values_by_param.items()):
        values = np.asarray(values, dtype=np.float64)
        positive = np.where(values > 0, values, np.nan)  # log axis: zeros become gaps
        fig.add_trace(go.Scatter(
            x=np.asarray(steps), y=positive, mode="lines", name=name,
            line={"color": PARAM_PALETTE[k % len(PARAM_PALETTE)], "width": 3,
                  "dash": "dot" if name.startswith("b") else "solid"},
            hovertemplate=f"{name}<br>step %{{x}}<br>%{{y:.3e}}<extra></extra>",
        ))
    style.apply_layout(fig, title, "training step", y_title + " (log scale)", height=height)
    fig.update_yaxes(log_axis(values_by_param.values()))
    return fig


def next_values(read: np.ndarray, following: float, predicted: np.ndarray, channel: str,
                color: str = style.PALETTE[0]) -> go.Figure:
    """One window of a series and a network's next-value predictions along it.

    Args:
        read: (T_x,) the values x<1> ... x<T_x> the network read.
        following: x<T_x + 1>, the value after the window.
        predicted: (T_x,) y_hat<t>, each step's prediction of x<t + 1>, drawn at t + 1 beside
            the value it predicts.
        channel: the channel's name, for the y axis.

    Returns:
        go.Figure: the series as a line (steps 1 ... T_x + 1) and the predictions as markers.
    """
    T_x = len(read)
    steps = np.arange(1, T_x + 2)
    fig = go.Figure([
        go.Scatter(x=steps, y=np.append(read, following), mode="lines+markers",
                   name="the series x⟨t⟩", line={"color": style.MUTED_INK, "width": 2},
                   marker={"size": 5}),
        go.Scatter(x=steps[1:], y=predicted, mode="markers", name="predicted at t − 1",
                   marker={"color": color, "size": 10, "symbol": "diamond"},
                   hovertemplate="ŷ⟨%{customdata}⟩ = %{y:.4g}<extra></extra>",
                   customdata=steps[:-1]),
    ])
    style.apply_layout(fig, "Next-value predictions on one window", "t", channel, height=360)
    fig.update_layout(style.legend_below())
    return fig
