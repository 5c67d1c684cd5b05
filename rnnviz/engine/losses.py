"""Losses on the outputs of every timestep, or of the last timestep only.

With P the set of (example, timestep) positions the loss counts (every t, or t = T_x only;
a class label of -1 also drops its position) and |P| their number::

    cross-entropy:  L = -(1/|P|) sum_{(i,t) in P} log softmax(z_y<t>)[y<t>_i, i]
                    dL/dz_y<t> = (softmax(z_y<t>) - onehot(y<t>)) / |P|     on P, else 0
    squared error:  L = (1/(2|P|)) sum_{(i,t) in P} ||z_y<t>_i - y<t>_i||^2   (linear output)
                    dL/dz_y<t> = (z_y<t> - y<t>) / |P|                         on P, else 0

Cross-entropy goes with a softmax output, squared error with a linear output.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.engine._arrays import as_float_array, check_shape
from rnnviz.engine.activations import log_softmax, softmax

KINDS = ("cross_entropy", "squared_error")
_TINY = 1e-250  # below this a softmax probability may have lost digits to underflow
WHERE = ("last", "all")


@dataclass(frozen=True)
class Loss:
    """Which loss, and where in time it sits.

    Attributes:
        kind: "cross_entropy" (targets are class indices) or "squared_error" (targets are
            real vectors).
        where: "all" (every timestep) or "last" (only t = T_x).
    """

    kind: str = "cross_entropy"
    where: str = "all"

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"loss kind must be one of {KINDS}; got {self.kind!r}")
        if self.where not in WHERE:
            raise ValueError(f"loss position must be one of {WHERE}; got {self.where!r}")

    @property
    def output(self) -> str:
        """The output activation this loss goes with: "softmax" or "linear"."""
        return "softmax" if self.kind == "cross_entropy" else "linear"


def check_targets(loss: Loss, targets, n_y: int, m: int, T_x: int) -> np.ndarray:
    """Targets validated for `loss`; TypeError or ValueError naming them otherwise.

    Args:
        targets: cross-entropy: integer class indices (m, T_x) in [0, n_y), -1 to skip
            (whole-valued floats are accepted); squared error: (n_y, m, T_x) real values.

    Returns:
        int64 (m, T_x) or float64 (n_y, m, T_x).
    """
    if loss.kind == "squared_error":
        values = as_float_array("targets", targets)
        check_shape("targets", values, (n_y, m, T_x), "(n_y, m, T_x)")
        return values
    expected = "targets must be integer class indices for cross-entropy"
    if isinstance(targets, np.ndarray) and targets.dtype.kind in "iu":
        labels = targets
    else:
        labels = as_float_array("targets", targets)
        if np.any(labels != np.round(labels)):
            raise ValueError(expected)
    check_shape("targets", labels, (m, T_x), "(m, T_x)")
    if np.any((labels < -1) | (labels >= n_y)):
        raise ValueError(f"targets must be class indices in [0, n_y) = [0, {n_y}) or -1")
    return labels.astype(np.int64)


def counted_positions(loss: Loss, m: int, T_x: int, labels: np.ndarray | None = None):
    """(m, T_x) boolean mask of the positions the loss counts."""
    mask = np.zeros((m, T_x), dtype=bool)
    if loss.where == "all":
        mask[:] = True
    else:
        mask[:, -1] = True
    if labels is not None:
        mask &= labels >= 0
    return mask


def loss_and_output_gradient(loss: Loss, z_y: np.ndarray, targets,
                             y_hat: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """The loss value and its gradient with respect to the output pre-activations.

    Args:
        loss: Loss.
        z_y: (n_y, m, T_x) output pre-activations (logits, or the linear outputs).
        targets: see `check_targets`.
        y_hat: (n_y, m, T_x) softmax(z_y) if already computed (cross-entropy only), so it is
            not computed again.

    Returns:
        L (float), dz_y (n_y, m, T_x) (a view of a time-major (T_x, m, n_y) array).
    """
    n_y, m, T_x = z_y.shape
    targets = check_targets(loss, targets, n_y, m, T_x)
    labels = targets if loss.kind == "cross_entropy" else None
    mask = counted_positions(loss, m, T_x, labels)
    count = int(mask.sum())
    dz = np.zeros((T_x, m, n_y))  # time-major, as the engine's buffers
    if count == 0:
        return 0.0, dz.transpose(2, 1, 0)
    scale = 1.0 / count
    z_tm = z_y.transpose(2, 1, 0)
    steps, examples = np.nonzero(mask.T)  # the counted positions (t, i)
    with np.errstate(under="ignore"):
        if loss.kind == "cross_entropy":
            classes = targets[examples, steps]
            p = softmax(z_y) if y_hat is None else y_hat
            np.multiply(p.transpose(2, 1, 0), scale, out=dz)
            picked = dz[steps, examples, classes] / scale  # p of the right class
            log_p = np.log(np.maximum(picked, _TINY))
            tiny = picked < _TINY  # log(p) of a rounded p would be wrong: take log_softmax
            if tiny.any():
                columns = z_tm[steps[tiny], examples[tiny]]  # (k, n_y)
                log_p[tiny] = log_softmax(columns.T)[classes[tiny], np.arange(columns.shape[0])]
            value = -float(log_p.sum()) * scale
            if count < m * T_x:
                dz[~mask.T] = 0.0
            dz[steps, examples, classes] -= scale
        else:
            np.subtract(z_tm, targets.transpose(2, 1, 0), out=dz)
            if count < m * T_x:
                dz[~mask.T] = 0.0  # not multiplied by the mask: inf * 0 would be nan
            value = 0.5 * float(np.vdot(dz, dz)) * scale
            dz *= scale
    return value, dz.transpose(2, 1, 0)


def step_losses(loss: Loss, z_y: np.ndarray, targets) -> np.ndarray:
    """The loss of each timestep alone: L<t>, the `loss` of the positions at t only, averaged
    over the examples it counts there (its `where` is not used).

    With every position counted, the loss at every step is the mean of the L<t> and the loss
    at the last step only is L<T_x>.

    Args:
        loss: Loss (its kind).
        z_y: (n_y, m, T_x) output pre-activations.
        targets: see `check_targets`.

    Returns:
        (T_x,) float64; NaN at a step where no position counts (every label there is -1).
    """
    n_y, m, T_x = z_y.shape
    targets = check_targets(loss, targets, n_y, m, T_x)
    each = Loss(loss.kind, "all")
    values = np.full(T_x, np.nan)
    for k in range(T_x):
        target = targets[..., k:k + 1]  # (m, 1) labels or (n_y, m, 1) values
        labels = target if loss.kind == "cross_entropy" else None
        if counted_positions(each, m, 1, labels).any():
            values[k] = loss_and_output_gradient(each, z_y[..., k:k + 1], target)[0]
    return values
