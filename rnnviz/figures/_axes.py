"""Log-axis tick spacing shared by the gradient and training figures."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

MOST_LABELS = 8


def log_dtick(arrays: Iterable) -> int | None:
    """Tick step, in decades, for a log axis over the positive finite values of `arrays`:
    None (Plotly's own 1-2-5 ticks) below two decades, else whole decades, at most about
    MOST_LABELS labels, so every label is a power of ten readable from the back."""
    values = np.concatenate([np.ravel(np.asarray(a, dtype=np.float64)) for a in arrays] or
                            [np.zeros(0)])
    values = values[np.isfinite(values) & (values > 0)]
    if values.size == 0:
        return None
    span = float(np.log10(values.max()) - np.log10(values.min()))
    if span < 2:
        return None
    return max(1, int(np.ceil(span / MOST_LABELS)))
