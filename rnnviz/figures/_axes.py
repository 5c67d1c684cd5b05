"""Axis helpers shared by the figures, so every chart reads the same on a projector.

- Axes that count (t, T, a unit, a step) carry integer labels only, spaced by the axis's
  length in the browser so that they never overlap or turn sideways (`count_axis`).
- Log axes are labelled by powers of ten only, never by Plotly's lone minor digits "2", "5"
  (`log_axis`).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

MOST_LABELS = 8        # labels on a log axis at most
# Plotly's own ticks keep 80 px apart on x and 40 px on y, but put at least five on an axis:
# up to this many whole numbers, one label each; above it, Plotly's spacing (a step >= 1)
FEW_COUNTS = 6


def count_axis(first: int, last: int) -> dict:
    """Axis properties over the whole numbers first..last (t, T, a unit), half a step either
    side: integer labels only, as many as fit the axis's length (Plotly's automatic ticks,
    which chose t = 1.5, 2.5 over a few steps, are used only where they fall on integers)."""
    axis = {"range": [first - 0.5, last + 0.5], "tickformat": "d"}
    if last - first + 1 <= FEW_COUNTS:
        return {**axis, "tickmode": "linear", "tick0": first, "dtick": 1}
    return {**axis, "tickmode": "auto"}


def _positive(arrays: Iterable) -> np.ndarray:
    values = np.concatenate([np.ravel(np.asarray(a, dtype=np.float64)) for a in arrays] or
                            [np.zeros(0)])
    return values[np.isfinite(values) & (values > 0)]


def log_dtick(arrays: Iterable) -> int | None:
    """Tick step in decades for a log axis over the positive finite values of `arrays`:
    whole decades only, at most about MOST_LABELS labels; None when there is nothing to show."""
    values = _positive(arrays)
    if values.size == 0:
        return None
    span = float(np.log10(values.max()) - np.log10(values.min()))
    return max(1, int(np.ceil(span / MOST_LABELS)))


def decades(low: float, high: float) -> tuple[float, float]:
    """A log10 range [low, high] widened to whole decades if it holds fewer than two powers
    of ten, so the axis always shows at least two labels."""
    if np.floor(high) - np.ceil(low) >= 1:
        return low, high
    return min(low, float(np.floor(low))), max(high, float(np.ceil(high)))


def log_axis(arrays: Iterable) -> dict:
    """Properties of a log axis over the positive finite values of `arrays`: labelled by
    powers of ten only ("10⁻³"), autoranged to take in at least two of them."""
    values = _positive(arrays)
    axis = {"type": "log", "exponentformat": "power"}
    if values.size == 0:
        return {**axis, "dtick": 1}
    low, high = decades(float(np.log10(values.min())), float(np.log10(values.max())))
    return {**axis, "dtick": log_dtick([values]),
            "autorangeoptions": {"include": [10.0 ** low, 10.0 ** high]}}
