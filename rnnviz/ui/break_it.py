"""Break a trained network on the copy task and measure it: its memory gate shut between the
symbol and the cue, and its units silenced, the most important first or at random
(rnnviz.training.experiments). One function, `section`, draws it all for any parameters; the
results are cached per network (its weights) and task, for every session of the server."""

from __future__ import annotations

import numpy as np
import streamlit as st

from rnnviz.app import findings
from rnnviz.engine import CELLS
from rnnviz.figures import experiments as figures
from rnnviz.training import experiments
from rnnviz.training.tasks import make_task
from rnnviz.ui import page

CACHE_TTL = "1h"


@st.cache_data(max_entries=16, ttl=CACHE_TTL, show_spinner="Breaking the network…")
def report(params: dict[str, np.ndarray], cell: str, task: str,
           T_x: int) -> experiments.Report:
    """rnnviz.training.experiments.report for these weights, on the task at length T_x."""
    return experiments.report(CELLS[cell].params.from_dict(params), make_task(task), T_x)


def section(params: dict[str, np.ndarray], cell: str, task: str, T_x: int,
            key: str = "rnnviz_break") -> None:
    """"Break it": the recall as trained and with the memory gate shut (numbers and bars), the
    units ranked by importance, and the ablation curve, each with a sentence reading it.

    Args:
        params: {name: array} the network's weights (a training snapshot).
        cell, task: their names; the task must be one the experiments read
            (rnnviz.training.experiments.applies_to).
        T_x: the sequences' length (the delay is T_x - 1).
        key: a prefix for the charts' keys, unique on the page.
    """
    try:
        result = report(params, cell, task, T_x)
    except ValueError as why:
        st.info(f"Not available: {why}.", icon="ℹ️")
        return
    st.markdown(
        f"Every figure here is measured on the same {result.sequences:,} fresh sequences "
        f"(seed {result.seed}) the network never trained on: the share of symbols it recalls "
        f"at the cue. Guessing recalls {findings.percent(result.chance)}.")
    recalled = findings.bars(result)
    numbers, bars = st.columns([1, 2])
    with numbers:
        for label, value in recalled.items():
            st.metric(f"recalled, {label}", findings.percent(value))
        st.metric("chance", findings.percent(result.chance))
    with bars:
        page.chart(figures.recall_bars(list(recalled), list(recalled.values()), result.chance,
                                       f"The {CELLS[cell].label}'s recall at delay {T_x - 1}"),
                   key=f"{key}_bars")
    st.markdown(findings.shut_sentence(result))
    st.markdown("**Which units matter?** " + findings.IMPORTANCE)
    ranking, curve = st.columns([2, 3])
    with ranking:
        st.dataframe(findings.ranking_rows(result), hide_index=True, width="stretch",
                     height=page.table_height(8), column_config={
                         "loss rise": st.column_config.NumberColumn(
                             format="%.3f", help="in nats, with the unit alone silenced"),
                         "recalled without it": st.column_config.NumberColumn(
                             format="%.1f%%")})
    with curve:
        page.chart(figures.ablation_curve(result.curve.k, result.curve.top,
                                          result.curve.random, result.chance,
                                          "Recall with k units silenced"),
                   key=f"{key}_curve")
    st.markdown(findings.ablation_sentence(result))
