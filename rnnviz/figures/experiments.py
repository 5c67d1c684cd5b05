"""Figures of experiments on a trained network: the recall before and after a change, and the
ablation curve (the recall with the k most important units silenced, against k random ones).

Pure builders: numbers in, a figure dict out (Plotly's own property names, as
rnnviz.figures.forward writes them). Accuracies are shares, 0-1, drawn as percentages on a
fixed axis from 0%, chance as a dashed line.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rnnviz.figures import style
from rnnviz.figures._axes import count_axis

PERCENT_AXIS = {"range": [0, 105], "ticksuffix": "%", "dtick": 25}
TOP_COLOR, RANDOM_COLOR = style.COLORWAY[1], style.MUTED_INK


def _chance_line(chance: float, vertical: bool = False) -> dict:
    """A dashed line at chance across the plot: horizontal, or vertical (bars lying down)."""
    line = style.hline(100 * chance)
    if vertical:
        line = {**line, "xref": "x", "x0": 100 * chance, "x1": 100 * chance,
                "yref": "y domain", "y0": 0, "y1": 1}
    return {**line, "line": {**line["line"], "color": style.MUTED_INK}}


def _chance_label(chance: float, vertical: bool = False) -> dict:
    """"chance 12.5%" beside its line: above a vertical one, at the left end of another."""
    where = ({"x": 100 * chance, "xref": "x", "xanchor": "left", "y": 1, "yref": "paper",
              "yanchor": "bottom"} if vertical else
             {"x": 0.01, "xref": "paper", "xanchor": "left", "y": 100 * chance,
              "yref": "y", "yanchor": "top"})
    return {**where, "text": f"chance {100 * chance:.1f}%", "showarrow": False,
            "font": {"size": style.FONT_SIZE, "color": style.MUTED_INK}}


def recall_bars(labels: Sequence[str], accuracies: Sequence[float], chance: float,
                title: str, height: int = 360) -> dict:
    """One bar lying down per state of the network (as trained, then changed), the first on
    top, its accuracy written beside it.

    Args:
        labels: what each bar is, e.g. ["as trained", "f = 0 at t = 2…20"].
        accuracies: the share recalled for each, in [0, 1].
        chance: the share guessing recalls, drawn as a dashed line.
        title: the figure's title.
    """
    percent = [100 * float(a) for a in accuracies]
    trace = {"type": "bar", "orientation": "h", "y": list(labels), "x": percent,
             "marker": {"color": [style.COLORWAY[k % len(style.COLORWAY)]
                                  for k in range(len(percent))]},
             "text": [f"{p:.1f}%" for p in percent], "textposition": "outside",
             "textfont": {"size": style.FONT_SIZE}, "cliponaxis": False,
             "hovertemplate": "%{y}<br>%{x:.1f}% recalled<extra></extra>"}
    layout = style.layout(title, "recalled", "", height=height)
    layout["xaxis"] = {**layout["xaxis"], **PERCENT_AXIS, "range": [0, 118]}
    layout["yaxis"] = {**layout["yaxis"], "autorange": "reversed", "automargin": True}
    layout["shapes"] = [_chance_line(chance, vertical=True)]
    layout["annotations"] = [_chance_label(chance, vertical=True)]
    layout["showlegend"] = False
    return {"data": [trace], "layout": layout}


def ablation_curve(k: Sequence[int], top: Sequence[float], random: np.ndarray, chance: float,
                   title: str, height: int = 420) -> dict:
    """The accuracy against how many units are silenced: the most important first (a line),
    and units drawn at random (their mean, a line, and the range of the draws, a band).

    Args:
        k: (g,) how many units silenced.
        top: (g,) the accuracy with the k most important silenced.
        random: (g, draws) the accuracy with k random units silenced, a column a draw.
        chance: the share guessing recalls, drawn as a dashed line.
        title: the figure's title.
    """
    k = [int(v) for v in k]
    random = 100 * np.asarray(random, dtype=np.float64).reshape(len(k), -1)
    draws = random.shape[1]
    band = {"type": "scatter", "x": k + k[::-1],
            "y": list(random.max(axis=1)) + list(random.min(axis=1)[::-1]),
            "fill": "toself", "fillcolor": "rgba(51, 51, 51, 0.12)", "line": {"width": 0},
            "hoverinfo": "skip", "name": f"random: lowest to highest of {draws} draws"}
    mean = {"type": "scatter", "x": k, "y": list(random.mean(axis=1)), "mode": "lines+markers",
            "name": f"k random units (mean of {draws} draws)",
            "line": {"color": RANDOM_COLOR, "width": 3, "dash": "dot"},
            "marker": {"symbol": "square", "size": 8},
            "hovertemplate": "k = %{x} random<br>%{y:.1f}% recalled<extra></extra>"}
    most = {"type": "scatter", "x": k, "y": [100 * float(v) for v in top],
            "mode": "lines+markers", "name": "the k most important units",
            "line": {"color": TOP_COLOR, "width": 3}, "marker": {"size": 9},
            "hovertemplate": "k = %{x} most important<br>%{y:.1f}% recalled<extra></extra>"}
    layout = style.merged(style.layout(title, "k, units silenced", "recalled", height=height),
                          style.legend_below(2))
    layout["yaxis"] = {**layout["yaxis"], **PERCENT_AXIS}
    layout["xaxis"] = {**layout["xaxis"], **count_axis(0, max(k))}
    layout["shapes"] = [_chance_line(chance)]
    layout["annotations"] = [_chance_label(chance)]
    return {"data": [band, mean, most], "layout": layout}
