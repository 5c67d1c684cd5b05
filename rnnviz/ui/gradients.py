"""Streamlit helpers for the gradient-flow and gradient-check pages: cached engine calls,
the page's own knobs, and tables.

The knobs on the gradient-flow page (spectral radius, weight scale, forget-gate bias, T_x)
change the one shared Config, exactly as the sidebar does, so the URL and every other page
follow. They are drawn with their own widget keys (the sidebar's keys are taken) and write
the Config in an ``on_change`` callback, which runs before the script.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from rnnviz import ui
from rnnviz.app.config import FIELD_BY_NAME, Config
from rnnviz.engine import analysis
from rnnviz.engine.gradcheck import gradient_check
from rnnviz.engine.losses import Loss
from rnnviz.figures import style

KNOB_PREFIX = "rnnviz_gf_"
KNOBS = ("spectral_radius", "weight_scale", "forget_bias", "T_x")
# A correct float64 backward pass gives ~1e-9; tiny gradient entries (|g| ~ 1e-5) lose
# digits to round-off in L(θ+ε) - L(θ-ε) and reach ~1e-6 while still right.
PASS_BELOW = 1e-5
CHECK_BUDGET_FLOPS = 2e9       # about a second or two of forward passes on one core
PER_STEP_POINTS = 40           # timesteps whose loss term is back-propagated alone


# ----- the shared Config, changed from this page --------------------------------------------

def _on_knob(name: str) -> None:
    value = st.session_state[KNOB_PREFIX + name]
    config = ui.current_config()
    changes = {name: value}
    notice = None
    if name != "T_x" and config.input == "notebook":
        # The notebook's randn weights ignore the knobs; switch to weights the knobs shape.
        changes["input"] = "gaussian"
        notice = ("The input is now random Gaussian: the notebook's own weights ignore the "
                  "initialisation knobs.")
    if not ui.update_config(**changes):
        return
    if notice:
        st.session_state[ui.NOTICE_KEY] = notice


def knob(name: str, config: Config, help: str) -> None:
    """A slider for one Config field that changes the shared Config; not drawn when a lesson
    link hides it (by its name, or all four with "knobs")."""
    if ui.hidden(name) or ui.hidden("knobs"):
        return
    f = FIELD_BY_NAME[name]
    st.session_state[KNOB_PREFIX + name] = getattr(config, name)
    if f.kind == "int":
        st.slider(f.label, int(f.low), int(f.high), key=KNOB_PREFIX + name,
                  on_change=_on_knob, args=(name,), help=help)
    else:
        step = 0.5 if name == "forget_bias" else 0.05
        st.slider(f.label, float(f.low), float(f.high), step=step, key=KNOB_PREFIX + name,
                  on_change=_on_knob, args=(name,), help=help)


# ----- cached engine calls ------------------------------------------------------------------

@st.cache_data(max_entries=16, show_spinner="Back-propagating through time…")
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
        {"flow": {"a": (T_x,), "c": (T_x,) for the LSTM}, "dA": (n_a, T_x) for the example,
        "grads": the parameters' gradients, "loss": float, "jacobian": (T_x,) ||J<t>||,
        "product": {"actual": (T_x + 1,) log10 of the norm of the product of the later
        steps' Jacobians (NaN when too large to compute), "bound": (T_x + 1,) log10 of the
        product of their norms}}.
    """
    weights = ui.cached_setup(config, params).params
    trace = ui.cached_trace(config, params)
    back = ui.cached_backprop(config, where, params)
    norms = analysis.jacobian_norms(weights, trace, example)[0]
    return {"flow": back.flow_norms(), "dA": back.dA[:, example, :], "grads": back.grads,
            "loss": back.loss, "jacobian": norms,
            "product": {"bound": analysis.log10_norm_product(norms),
                        "actual": analysis.log10_product_norms(weights, trace, example)}}


@st.cache_data(max_entries=16, show_spinner="Back-propagating each step's loss alone…")
def per_step_report(config: Config, where: str,
                    params: dict[str, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(steps, norms): ||dL<t>/dtheta|| of each timestep's loss term alone
    (rnnviz.engine.analysis.per_step_gradients) at every t, or at PER_STEP_POINTS evenly spaced t
    (always including T_x) for long sequences, since step t costs a BPTT over t steps."""
    setup = ui.cached_setup(config, params)
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
            rows.append({"cell": cell.upper(), "parameter": name,
                         "shape": " × ".join(map(str, g.shape)),
                         "‖∂L/∂W‖": report.raw_norms[name],
                         "after clipping": report.clipped_norms[name]})
    return pd.DataFrame(rows), reports


# ----- the gradient check -------------------------------------------------------------------

def check_plan(config: Config) -> int | None:
    """How many entries per parameter array to check: None (all) when a full check fits the
    budget, else the most that fit (at least 2).

    Each entry costs two forward passes of about T_x m (4 n_a (n_a + n_x) + n_y n_a)
    multiply-adds for the LSTM (n_a (n_a + n_x) for the RNN).
    """
    gates = 4 if config.cell == "lstm" else 1
    per_forward = 2 * config.T_x * config.m * (gates * config.n_a * (config.n_a + config.n_x)
                                               + config.n_y * config.n_a)
    entries = gates * config.n_a * (config.n_a + config.n_x + 1) + config.n_y * (config.n_a + 1)
    if 2 * entries * per_forward <= CHECK_BUDGET_FLOPS:
        return None
    arrays = 10 if config.cell == "lstm" else 5
    return max(2, int(CHECK_BUDGET_FLOPS / (2 * per_forward * arrays)))


@st.cache_data(max_entries=8, show_spinner="Comparing BPTT with central differences…")
def cached_gradient_check(config: Config, max_entries: int | None,
                          include_inputs: bool) -> pd.DataFrame:
    """rnnviz.engine.gradcheck.gradient_check on the configuration's network, inputs and loss.

    Returns:
        one row per array: name, shape, entries checked, mean |gradient|, relative error,
        result ("pass" below PASS_BELOW, else "FAIL").
    """
    setup = ui.cached_setup(config)
    errors = gradient_check(setup.params, setup.x, setup.targets, setup.loss, setup.a0,
                            max_entries=max_entries, rng=np.random.default_rng(config.seed),
                            include_inputs=include_inputs)
    shapes = {**{name: v.shape for name, v in setup.params.items()},
              "x": setup.x.shape, "a0": setup.a0.shape, "c0": setup.a0.shape}
    back = ui.cached_backprop(config, setup.loss.where)
    grads = {**back.grads.as_dict(), "x": back.dx, "a0": back.da0, "c0": back.dc0}
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
