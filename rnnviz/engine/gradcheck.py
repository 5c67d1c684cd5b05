"""Central-difference gradient check for any model and loss.

For each parameter entry theta_i::

    g_num_i = (L(theta + eps e_i) - L(theta - eps e_i)) / (2 eps)

and per parameter array the relative error::

    rel = ||g_num - g_bptt|| / max(||g_num|| + ||g_bptt||, tiny)

In float64 with eps = EPS a correct backward pass gives rel well below 1e-7.
"""

from __future__ import annotations

import numpy as np

from rnnviz.engine._arrays import check_number, check_whole
from rnnviz.engine.cells import cell_of
from rnnviz.engine.losses import Loss
from rnnviz.engine.model import loss_and_gradients, loss_value
from rnnviz.engine.params import Params

TINY = 1e-300  # norms below this count as zero
EPS = 1e-5  # the finite-difference step


def relative_error(numerical: np.ndarray, analytic: np.ndarray) -> float:
    """||numerical - analytic|| / (||numerical|| + ||analytic||); 0 when both are zero."""
    denominator = np.linalg.norm(numerical) + np.linalg.norm(analytic)
    if denominator < TINY:
        return 0.0
    return float(np.linalg.norm(numerical - analytic) / denominator)


def gradient_check(params: Params, x, targets, loss: Loss, a0=None, c0=None,
                   eps: float = EPS, max_entries: int | None = None,
                   rng: np.random.Generator | None = None,
                   include_inputs: bool = False) -> dict[str, float]:
    """Compare BPTT's gradients with central differences, parameter by parameter.

    Args:
        params: the parameters of one of the cells (not modified).
        x: (n_x, m, T_x).
        targets: as for rnnviz.engine.model.backward.
        loss: Loss.
        a0, c0: (n_a, m) initial states or None.
        eps: the finite-difference step.
        max_entries: check at most this many entries of each array, chosen by `rng`
            (None: every entry).
        rng: generator for choosing entries (default: seed 0).
        include_inputs: also check x and the initial states a0 (and c0 for the LSTM).

    Returns:
        {name: relative error} for every parameter (and "x", "a0", "c0" if asked).
    """
    check_number("eps", eps, low=np.finfo(np.float64).tiny)
    if max_entries is not None:
        check_whole("max_entries", max_entries)
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a np.random.Generator or None; got {type(rng).__name__}")
    if not isinstance(include_inputs, (bool, np.bool_)):
        raise TypeError(f"include_inputs must be True or False; got {include_inputs!r}")
    rng = np.random.default_rng(0) if rng is None else rng
    trace, result = loss_and_gradients(params, x, targets, loss, a0, c0)  # checks the rest

    def c_copy(array):  # C order, so that reshape(-1) below is a view, never a copy
        return np.array(array, dtype=np.float64, order="C")

    work = params.map(c_copy)
    x = c_copy(trace.x)
    initial = {state + "0": c_copy(getattr(trace, state + "0"))
               for state in cell_of(params).states}  # a0 (and c0): perturbed in place

    def loss_now() -> float:
        return loss_value(work, x, targets, loss, **initial)

    arrays = dict(work.items())
    analytic = dict(result.grads.items())
    if include_inputs:
        arrays["x"], analytic["x"] = x, result.dx
        for name, array in initial.items():
            arrays[name], analytic[name] = array, getattr(result, "d" + name)

    errors = {}
    for name, array in arrays.items():
        flat = array.reshape(-1)  # a view: perturbing it perturbs the model
        indices = np.arange(flat.size)
        if max_entries is not None and flat.size > max_entries:
            indices = rng.choice(flat.size, size=max_entries, replace=False)
        numerical = np.empty(indices.size)
        for k, i in enumerate(indices):
            original = flat[i]
            flat[i] = original + eps
            plus = loss_now()
            flat[i] = original - eps
            minus = loss_now()
            flat[i] = original
            numerical[k] = (plus - minus) / (2 * eps)
        errors[name] = relative_error(numerical, np.asarray(analytic[name]).reshape(-1)[indices])
    return errors
