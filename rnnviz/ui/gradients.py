"""The gradient pages' analyses: the flow of the gradient back through time, each step's
loss alone, gradient clipping and the gradient check, as cached engine calls and tables.

The knobs on the Gradient flow page are the Config's own controls (rnnviz.ui.sidebar.knobs).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from rnnviz.app import check_words, flow_readings, lesson
from rnnviz.app.config import Config
from rnnviz.app.contents import FLOW
from rnnviz.engine import CELLS, analysis, gradcheck
from rnnviz.figures import style
from rnnviz.ui import cache

# The pass threshold on the relative error: a correct float64 backward pass gives ~1e-9 where
# the loss is smooth and ~1e-6 where it bends so sharply that the steps must shrink.
PASS_BELOW = 1e-5
CHECK_BUDGET_FLOPS = 2e9       # multiply-adds a check may spend before it samples entries
PER_STEP_POINTS = 40           # timesteps whose loss term is back-propagated alone


# ----- cached engine calls ------------------------------------------------------------------

@cache.data(max_entries=16, ttl=cache.CACHE_TTL, show_spinner="Back-propagating through time…")
def flow_report(config: Config, where: str, example: int,
                params: dict[str, np.ndarray] | None = None, truncate: int = 0) -> dict:
    """BPTT and the step-Jacobian readout for one cell's configuration.

    Args:
        config: the configuration (its cell decides the network).
        where: "all" or "last": where the loss sits.
        example: the batch example for the heatmap and the Jacobians.
        params: {name: array} to use instead of the configuration's own initial weights
            (a training snapshot), or None.
        truncate: truncated BPTT's k (each loss term's gradient reaches k steps back); 0 for
            full BPTT.

    Returns:
        {"flow": {state: (T_x,) ||dL/ds<t>||} for each of the cell's states,
        "dA": (n_a, T_x) for the example, "grads": the parameters' gradients,
        "loss": float, "jacobian": (T_x,) ||J<t>||,
        "product": {"actual": (T_x + 1,) log10 of the norm of the product of the later
        steps' Jacobians (NaN when too large to compute), "bound": (T_x + 1,) log10 of the
        product of their norms}}.
    """
    built = cache.setup(config, params)
    # the trace and BPTT's arrays are not cached on their own: only what the page draws is pickled
    trace = built.forward()
    back = built.backward(trace, where, truncate or None)
    return {"flow": back.flow_norms(), "dA": back.dA[:, example, :], "grads": back.grads,
            "loss": back.loss, **chain_report(config, example, params, _trace=trace)}


@cache.data(max_entries=16, ttl=cache.CACHE_TTL, show_spinner="Chaining the step Jacobians…")
def chain_report(config: Config, example: int, params: dict[str, np.ndarray] | None = None,
                 _trace=None) -> dict:
    """The step Jacobians' readouts of one example, cached apart from `flow_report`: they do
    not depend on where the loss sits or on truncation, and they are most of a click's cost
    at larger sizes (the products' norms), so moving those two controls does not compute
    them again.

    Args:
        config, example, params: as for `flow_report`.
        _trace: the configuration's forward trace when the caller has it (not part of the
            cache key: it follows from the other arguments), else None for a forward pass.

    Returns:
        {"jacobian": (T_x,) ||J<t>||, "product": {"actual": (T_x + 1,) log10 of the norm of
        the product of the later steps' Jacobians (NaN when too large to compute), "bound":
        (T_x + 1,) log10 of the product of their norms}}.
    """
    built = cache.setup(config, params)
    trace = built.forward() if _trace is None else _trace
    norms, actual = analysis.jacobian_readouts(built.params, trace, example)
    return {"jacobian": norms,
            "product": {"bound": analysis.log10_norm_product(norms), "actual": actual}}


@cache.data(max_entries=16, ttl=cache.CACHE_TTL,
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
                                        setup.loss_at(where), setup.a0, steps=steps)
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

def check_shapes(config: Config, include_inputs: bool) -> dict[str, tuple[int, ...]]:
    """{name: shape} of the arrays the check compares, in its order: the parameters, then x
    and the initial states when the inputs are checked too."""
    cell = CELLS[config.cell]
    shapes = dict(cell.shapes(config.n_x, config.n_a, config.n_y))
    if include_inputs:
        shapes["x"] = (config.n_x, config.m, config.T_x)
        shapes |= {state + "0": (config.n_a, config.m) for state in cell.states}
    return shapes


def check_plan(config: Config, include_inputs: bool = False) -> int | None:
    """How many entries per array to check: None (all) when checking every entry, at the
    most steps the engine may take for each, fits CHECK_BUDGET_FLOPS; else the most that fit
    (at least 1).

    A forward pass costs Cell.multiply_adds multiply-adds (two flops apiece); how many passes
    a check spends at most is rnnviz.engine.gradcheck.forward_passes.
    """
    cell = CELLS[config.cell]
    per_forward = 2 * cell.multiply_adds(config.n_x, config.n_a, config.n_y, config.m, config.T_x)
    affordable = CHECK_BUDGET_FLOPS / per_forward  # forward passes
    sizes = [int(np.prod(shape)) for shape in check_shapes(config, include_inputs).values()]
    if gradcheck.forward_passes(sizes, None) <= affordable:
        return None
    low, high = 1, max(sizes)  # bisect for the most entries that fit: passes grow with them
    while low < high:
        middle = (low + high + 1) // 2
        if gradcheck.forward_passes(sizes, middle) <= affordable:
            low = middle
        else:
            high = middle - 1
    return low


@cache.data(max_entries=8, ttl=cache.CACHE_TTL,
            show_spinner="Comparing BPTT with central differences…")
def check_results(config: Config, max_entries: int | None,
                  include_inputs: bool) -> dict[str, gradcheck.ArrayCheck]:
    """rnnviz.engine.gradcheck.gradient_check on the configuration's network, inputs and loss,
    entries sampled with the configuration's seed."""
    setup = cache.setup(config)
    return gradcheck.gradient_check(setup.params, setup.x, setup.targets, setup.loss, setup.a0,
                                    max_entries=max_entries,
                                    rng=np.random.default_rng(config.seed),
                                    include_inputs=include_inputs)


def check_table(results: dict[str, gradcheck.ArrayCheck]) -> pd.DataFrame:
    """One row per array, every number written out: name, shape, entries checked, the
    smallest step, mean |gradient|, relative error, and the result in words
    (rnnviz.app.check_words.CHECK_RESULTS for the verdict at PASS_BELOW)."""
    return pd.DataFrame([
        {"array": name, "shape": " × ".join(map(str, check.shape)),
         "entries checked": f"{check.checked} of {check.size}",
         "smallest step h": check_words.scientific(check.smallest_step),
         "mean |∂L/∂θ|": check_words.scientific(check.mean_abs_gradient),
         "relative error": check_words.scientific(check.relative_error),
         "result": check_words.CHECK_RESULTS[check.verdict(PASS_BELOW).outcome]}
        for name, check in results.items()])


def styled_check(table: pd.DataFrame):
    """The check table with pass rows light blue and failures light orange (colour-blind
    safe; the word says it too); rows that cannot be checked stay plain."""
    fills = {check_words.CHECK_RESULTS[gradcheck.AGREE]: style.PASS_FILL,
             check_words.CHECK_RESULTS[gradcheck.DISAGREE]: style.FAIL_FILL}

    def colour(row):
        fill = fills.get(row["result"])
        return [f"background-color: {fill}" if fill else ""] * len(row)

    return table.style.apply(colour, axis=1)


def show_verdicts(config: Config, results: dict[str, gradcheck.ArrayCheck]) -> None:
    """What the check found, in sentences: agreement, the arrays that fail, and why the others
    cannot be checked, with a link to the Gradient flow page on the same configuration."""
    verdicts = {name: check.verdict(PASS_BELOW) for name, check in results.items()}
    failing = [name for name, v in verdicts.items() if v.outcome == gradcheck.DISAGREE]
    unresolved = {reason: [name for name, v in verdicts.items()
                           if v.outcome == gradcheck.UNRESOLVED and v.reason == reason]
                  for reason in gradcheck.REASONS}
    unresolved = {reason: names for reason, names in unresolved.items() if names}
    if not failing and not unresolved:
        st.success(check_words.check_agreement(PASS_BELOW), icon=":material/check_circle:")
    if failing:
        st.error(check_words.check_failures(failing, PASS_BELOW), icon=":material/error:")
    if not unresolved:
        return
    sentences = [check_words.cannot_check(reason, {name: results[name] for name in names},
                                       PASS_BELOW) for reason, names in unresolved.items()]
    st.warning(" ".join(sentence for sentence, _ in sentences), icon=":material/help:")
    # this page's address (the configuration and any hidden controls), with the loss placed
    # where the check put it
    where = lesson.view_to_query(FLOW, {"where": cache.setup(config).loss.where})
    st.page_link(FLOW.script, label=sentences[0][1],
                 query_params={**st.query_params.to_dict(), **where},
                 icon=":material/trending_up:")


def chain_metrics(config: Config, reports: dict, trained: bool) -> None:
    """‖∂s<T_x>/∂s<0>‖ of each cell's whole chain of step Jacobians, side by side."""
    st.caption(flow_readings.jacobian_reading({c: r["jacobian"] for c, r in reports.items()},
                                         {c: r["product"] for c, r in reports.items()}))
    weights = "trained" if trained else "as initialised"
    st.markdown(f"The whole chain, ‖∂s⟨T_x⟩/∂s⟨0⟩‖ over {config.T_x} steps, weights {weights}:")
    for col, (cell, report) in zip(st.columns(len(reports)), reports.items(), strict=True):
        actual, bound = report["product"]["actual"][0], report["product"]["bound"][0]
        col.metric(f"{CELLS[cell].label}: ‖∂s⟨T_x⟩/∂s⟨0⟩‖",
                   f"10^{actual:.1f}" if np.isfinite(actual) else "not computed",
                   help=f"Product of the {config.T_x} step norms: 10^{bound:.1f}. The norm of "
                        f"the product is computed up to a state of {analysis.PRODUCT_MAX_STATE} "
                        f"numbers; the {CELLS[cell].label}'s has "
                        f"{CELLS[cell].state_size * config.n_a}.")
