"""Log-axis tick spacing shared by the gradient and training figures."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

MOST_LABELS = 8


def log_dtick(arrays: Iterable) -> int | str | None:
    """Tick step for a log axis over the positive finite values of `arrays`: "D2" (labels at
    1, 2 and 5 times each power of ten) below two decades, else whole decades, at most about
    MOST_LABELS labels, so the axis is never crowded with small digit labels; None when there
    is nothing to show."""
    values = np.concatenate([np.ravel(np.asarray(a, dtype=np.float64)) for a in arrays] or
                            [np.zeros(0)])
    values = values[np.isfinite(values) & (values > 0)]
    if values.size == 0:
        return None
    span = float(np.log10(values.max()) - np.log10(values.min()))
    if span < 2:
        return "D2"
    return max(1, int(np.ceil(span / MOST_LABELS)))
