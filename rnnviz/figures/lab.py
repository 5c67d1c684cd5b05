"""Figures of the Gate lab: two runs of one network drawn alike, side by side.

`side_by_side` takes the same figure built from each run (by the builders of
rnnviz.figures.forward and gradients) and puts both on the same axes and colour scale, the
union of the two, so a difference between the pictures is a difference between the runs.
The intervened one has the steps each intervention holds marked: shaded behind lines, a
dashed frame on a heatmap. Pure: figure dicts in, new figure dicts out.
"""

from __future__ import annotations

import math

import numpy as np

from rnnviz.figures import style
from rnnviz.figures._axes import decades, log_dtick

PAD = 0.05  # of the values' span, above and below a linear axis
LEGEND_ROW = 4  # legend entries a row below a chart half a page wide


def _values(figures, kind: str, key: str) -> np.ndarray:
    """Every finite number under `key` ("y", "z") of the traces of type `kind`."""
    arrays = [np.ravel(np.asarray(trace[key], dtype=np.float64)) for fig in figures
              for trace in fig["data"] if trace.get("type") == kind and key in trace]
    values = np.concatenate(arrays) if arrays else np.zeros(0)
    return values[np.isfinite(values)]


def _y_range(figures) -> dict:
    """The y axis holding both figures' lines: log where theirs is (its range in decades)."""
    values = _values(figures, "scatter", "y")
    if figures[0]["layout"].get("yaxis", {}).get("type") == "log":
        values = values[values > 0]
        if not values.size:
            return {}
        low, high = decades(math.log10(values.min()) - 0.2, math.log10(values.max()) + 0.2)
        return {"range": [low, high], "dtick": log_dtick([values])}
    if not values.size:
        return {}
    low, high = float(values.min()), float(values.max())
    pad = PAD * (high - low) if high > low else max(PAD * abs(high), PAD)
    return {"range": [low - pad, high + pad]}


def side_by_side(original: dict, intervened: dict,
                 spans: list[tuple[int, int]]) -> tuple[dict, dict]:
    """The two figures on the same scales, the intervened one with its steps held marked.

    Args:
        original, intervened: the same kind of figure of each run: lines over t, or one
            heatmap over t (rnnviz.figures.forward.heatmap).
        spans: (first, last) t of each intervention.

    Returns:
        (original, intervened), new figures: lines share the y range (the builder's own when
        it fixed one, such as probabilities' 0-1) and have their legend below, a diverging
        heatmap shares its ±range.
    """
    pair = [{"data": [dict(trace) for trace in fig["data"]], "layout": dict(fig["layout"])}
            for fig in (original, intervened)]
    heat = [trace for fig in pair for trace in fig["data"] if trace.get("type") == "heatmap"]
    if heat and all("zmid" in trace for trace in heat):  # diverging: one ±half for both
        half = max(max(abs(trace["zmin"]), abs(trace["zmax"])) for trace in heat)
        for trace in heat:
            trace.update(zmin=-half, zmax=half)
    elif not heat and "range" not in pair[0]["layout"].get("yaxis", {}):
        shared = _y_range(pair)
        for fig in pair:
            fig["layout"] = style.merged(fig["layout"], {"yaxis": shared})
    lines = max(len(fig["data"]) for fig in pair)
    if not heat and lines > 1:  # a legend beside the plot would take a third of half a page
        for fig in pair:
            fig["layout"] = style.merged(fig["layout"],
                                         style.legend_below(math.ceil(lines / LEGEND_ROW)))
    marks = [_held(first, last, heatmap=bool(heat)) for first, last in spans]
    right = pair[1]["layout"]
    right["shapes"] = [*right.get("shapes", []), *marks]
    return pair[0], pair[1]


def _held(first: int, last: int, heatmap: bool) -> dict:
    """The steps first … last: a dashed frame over a heatmap, a shaded band behind lines."""
    box = {"type": "rect", "xref": "x", "yref": "paper", "x0": first - 0.5, "x1": last + 0.5,
           "y0": 0, "y1": 1}
    if heatmap:
        return {**box, "line": {"color": style.MARKER_COLOR, "width": 3, "dash": "dash"},
                "fillcolor": "rgba(0,0,0,0)"}
    return {**box, "line": {"width": 0}, "fillcolor": style.HELD_FILL, "layer": "below"}


def titled(fig: dict, title: str) -> dict:
    """`fig` with another title (a builder's own, such as gradient_flow's, named for a run)."""
    return {**fig, "layout": style.merged(fig["layout"], {"title": {"text": title}})}
