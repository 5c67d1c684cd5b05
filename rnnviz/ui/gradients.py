"""The gradient pages' analyses: the flow of the gradient back through time, each step's
loss alone, gradient clipping and the gradient check, as cached engine calls and tables.

The knobs on the Gradient flow page are the Config's own controls (rnnviz.ui.sidebar.knobs).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from rnnviz.app.config import Config
from rnnviz.engine import CELLS, analysis
from rnnviz.engine.gradcheck import gradient_check
from rnnviz.engine.losses import Loss
from rnnviz.figures import style
from rnnviz.ui import cache

# A correct float64 backward pass gives ~1e-9; tiny gradient entries (|g| ~ 1e-5) lose
# digits to round-off in L(θ+ε) - L(θ-ε) and reach ~1e-6 while still right.
PASS_BELOW = 1e-5
CHECK_BUDGET_FLOPS = 2e9       # multiply-adds a check may spend before it samples entries
PER_STEP_POINTS = 40           # timesteps whose loss term is back-propagated alone


# ----- cached engine calls ------------------------------------------------------------------

@st.cache_data(max_entries=16, ttl=cache.CACHE_TTL, show_spinner="Back-propagating through time…")
def flow_report(config: Config, where: str, example: int,
                params: dict[str, np.ndarray] | None = None) -> dict:
    """BPTT and the step-Jacobian readout for one cell's configuration.

    Args:
        config: the configuration (its cell decides the network).
        where: "all" or "last": where the loss sits.
        example: the batch example for the heatmap and the Jacobians.
        params: {name: array} to use instead of the configuration's own initial weights
            (a training snapshot), or None.

    Returns:
        {"flow": {state: (T_x,) ||dL/ds<t>||} for each of the cell's states,
        "dA": (n_a, T_x) for the example, "grads": the parameters' gradients,
        "loss": float, "jacobian": (T_x,) ||J<t>||,
        "product": {"actual": (T_x + 1,) log10 of the norm of the product of the later
        steps' Jacobians (NaN when too large to compute), "bound": (T_x + 1,) log10 of the
        product of their norms}}.
    """
    weights = cache.setup(config, params).params
    trace = cache.trace(config, params)
    back = cache.backprop(config, where, params)
    norms = analysis.jacobian_norms(weights, trace, example)[0]
    return {"flow": back.flow_norms(), "dA": back.dA[:, example, :], "grads": back.grads,
            "loss": back.loss, "jacobian": norms,
            "product": {"bound": analysis.log10_norm_product(norms),
                        "actual": analysis.log10_product_norms(weights, trace, example)}}


@st.cache_data(max_entries=16, ttl=cache.CACHE_TTL,
               show_spinner="Back-propagating each step's loss alone…")
def per_step_report(config: Config, where: str,
                    params: dict[str, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(steps, norms): ||dL<t>/dtheta|| of each timestep's loss term alone
    (rnnviz.engine.analysis.per_step_gradients) at every t, or at PER_STEP_POINTS evenly spaced t
    (always including T_x) for long sequences, since step t costs a BPTT over t steps."""
    setup = cache.setup(config, params)
    T_x = config.T_x
    steps = np.unique(np.linspace(1, T_x, min(T_x, PER_STEP_POINTS)).round().astype(int))
    grads = analysis.per_step_gradients(setup.params, setup.x, setup.targets,
                                        Loss(setup.loss.kind, where), setup.a0, steps=steps)
    return steps, np.array([g.global_norm() for g in grads])


def clipping_table(grads_by_cell: dict, threshold: float) -> tuple[pd.DataFrame, dict]:
    """Per-parameter gradient norms before and after clipping at `threshold`.

    Returns:
        (table with one row per cell and parameter, {cell: analysis.ClipReport}).
    """
    rows, reports = [], {}
    for cell, grads in grads_by_cell.items():
        report = analysis.clip_report(grads, threshold)
        reports[cell] = report
        for name, g in grads.items():
            rows.append({"cell": CELLS[cell].label, "parameter": name,
                         "shape": " × ".join(map(str, g.shape)),
                         "‖∂L/∂W‖": report.raw_norms[name],
                         "after clipping": report.clipped_norms[name]})
    return pd.DataFrame(rows), reports


# ----- the gradient check -------------------------------------------------------------------

def check_plan(config: Config) -> int | None:
    """How many entries per parameter array to check: None (all) when a full check fits the
    budget, else the most that fit (at least 2).

    Each checked entry costs two forward passes, each of Cell.multiply_adds multiply-adds
    (two flops apiece).
    """
    cell, sizes = CELLS[config.cell], (config.n_x, config.n_a, config.n_y)
    per_forward = 2 * cell.multiply_adds(*sizes, config.m, config.T_x)
    if 2 * cell.parameter_count(*sizes) * per_forward <= CHECK_BUDGET_FLOPS:
        return None
    arrays = len(cell.shapes(*sizes))
    return max(2, int(CHECK_BUDGET_FLOPS / (2 * per_forward * arrays)))


@st.cache_data(max_entries=8, ttl=cache.CACHE_TTL,
               show_spinner="Comparing BPTT with central differences…")
def check_table(config: Config, max_entries: int | None, include_inputs: bool) -> pd.DataFrame:
    """rnnviz.engine.gradcheck.gradient_check on the configuration's network, inputs and loss.

    Returns:
        one row per array: name, shape, entries checked, mean |gradient|, relative error,
        result ("pass" below PASS_BELOW, else "FAIL").
    """
    setup = cache.setup(config)
    errors = gradient_check(setup.params, setup.x, setup.targets, setup.loss, setup.a0,
                            max_entries=max_entries, rng=np.random.default_rng(config.seed),
                            include_inputs=include_inputs)
    back = cache.backprop(config, setup.loss.where)
    initial = [state + "0" for state in CELLS[config.cell].states]  # a0 (and c0)
    shapes = {**{name: v.shape for name, v in setup.params.items()}, "x": setup.x.shape,
              **{name: setup.a0.shape for name in initial}}
    grads = {**back.grads.as_dict(), "x": back.dx,
             **{name: getattr(back, "d" + name) for name in initial}}
    rows = []
    for name, error in errors.items():
        size = int(np.prod(shapes[name]))
        checked = size if max_entries is None else min(size, max_entries)
        rows.append({"array": name, "shape": " × ".join(map(str, shapes[name])),
                     "entries checked": f"{checked} of {size}",
                     "mean |∂L/∂θ|": float(np.mean(np.abs(grads[name]))),
                     "relative error": error,
                     "result": "pass" if error < PASS_BELOW else "FAIL"})
    return pd.DataFrame(rows)


def styled_check(table: pd.DataFrame):
    """The check table with pass rows light blue and failures light orange (colour-blind
    safe; the word says it too)."""
    def colour(row):
        ok = row["result"] == "pass"
        shade = f"background-color: {style.PASS_FILL if ok else style.FAIL_FILL}"
        return [shade] * len(row)

    return table.style.apply(colour, axis=1).format({"relative error": "{:.2e}",
                                                     "mean |∂L/∂θ|": "{:.2e}"})
