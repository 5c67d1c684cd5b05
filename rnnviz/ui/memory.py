"""The Memory map page's parts: each cell's memory map (cached for every session), and one
unit by hand with its sliders (view fields a lesson link can set)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from rnnviz.app import chart_readings
from rnnviz.app import memory as words
from rnnviz.app.config import Config
from rnnviz.engine import CELLS, input_saliency
from rnnviz.engine.analysis import state_size
from rnnviz.engine.eigen import recurrent_spectra, step_jacobian_spectra
from rnnviz.engine.fixed_points import search_state_points
from rnnviz.engine.one_unit import one_unit_fixed_points, one_unit_run
from rnnviz.figures import memory as figures
from rnnviz.ui import cache, page, view

CURVE_POINTS = 201


@cache.data(max_entries=16, ttl=cache.CACHE_TTL,
            show_spinner="Back-propagating from every output step…")
def saliency(config: Config, example: int, params: dict | None = None) -> np.ndarray:
    """The memory map of one example of the configuration's cell
    (rnnviz.engine.input_saliency)."""
    built = cache.setup(config, params)
    return input_saliency(built.params, built.x, built.a0, example=example,
                          output=built.loss.output)


@cache.data(max_entries=16, ttl=cache.CACHE_TTL, show_spinner=False)
def spectra(config: Config, example: int, params: dict | None = None) -> dict:
    """{"blocks": {label: eigenvalues of each recurrent block}, "steps": (T_x, n_s) the step
    Jacobians' eigenvalues along the example's run, or None at sizes too large for them}."""
    built = cache.setup(config, params)
    labels = words.block_labels(config.cell)
    blocks = {labels[name]: values for name, values in recurrent_spectra(built.params).items()}
    steps = None
    if words.step_spectra_fit(state_size(built.params), built.x.shape[2]):
        steps = step_jacobian_spectra(built.params, cache.trace(config, params), example)
    return {"blocks": blocks, "steps": steps}


def spectrum(config: Config, example: int, params: dict | None = None) -> None:
    """The recurrent blocks' eigenvalues and the step Jacobians' along the run, side by
    side, and what they say."""
    found = spectra(config, example, params)
    label = CELLS[config.cell].label
    left, right = st.columns(2)
    with left:
        page.live_chart(figures.spectrum(found["blocks"], f"The {label}'s recurrent weights"),
                        key="rnnviz_mem_spectrum")
    with right:
        if found["steps"] is None:
            st.info("The step Jacobians' eigenvalues are shown up to about n_a = 64 "
                    "(the LSTM) or 128 and T_x = 60: at these sizes they would hold the "
                    "server too long.")
        else:
            page.live_chart(figures.jacobian_spectrum(
                found["steps"], f"J⟨t⟩ along example {example}'s run"),
                key="rnnviz_mem_jacobian_spectrum")
    st.markdown(words.spectrum_sentence(found["blocks"], found["steps"]))




@cache.data(max_entries=16, ttl=cache.CACHE_TTL, show_spinner="Looking for fixed points…")
def state_space(config: Config, params: dict | None = None) -> dict:
    """The batch's a<t> on its first three principal components, labelled by what the task
    asks the network to hold, and the fixed and slow points found from states the batch
    visited (None when the state is larger than words.SEARCH_MAX_STATE), projected likewise,
    and the speed of the search's slowest end point (None when there was no search)."""
    built = cache.setup(config, params)
    trace = cache.trace(config, params)
    mean, components, share = words.principal_components(trace.a, max(words.PRINCIPAL_COMPONENTS))
    found = built.task.labels(built.targets) if built.task is not None else None
    visited = np.concatenate([getattr(trace, s) for s in CELLS[config.cell].states])
    visited = visited.reshape(visited.shape[0], -1)
    n_a, points, slowest = trace.a.shape[0], None, None
    if visited.shape[0] <= words.SEARCH_MAX_STATE:
        chosen = np.random.default_rng(0).choice(
            visited.shape[1], min(words.search_starts(visited.shape[0]), visited.shape[1]),
            replace=False)
        points, slowest = search_state_points(built.params, visited[:, chosen],
                                              iterations=words.SEARCH_ITERATIONS)
    return {"projected": words.project(trace.a, mean, components), "share": share,
            "labels": None if found is None else found[0],
            "names": () if found is None else found[1], "points": points, "slowest": slowest,
            "marks": [(words.project(p.state[:n_a], mean, components),
                       "stable" if p.stable else "unstable" if p.fixed else "slow")
                      for p in points or ()]}


def state_trajectories(config: Config, params: dict | None = None) -> None:
    """The batch's states on their first two or three principal components (a radio) with
    the fixed points, and what they say."""
    count = int(view.choice("pcs", "principal components drawn",
                            help="2: the plane where the states spread most; 3: in space "
                                 "(drag to turn it)."))
    space = state_space(config, params)
    page.live_chart(figures.trajectories(space["projected"][:count], space["labels"],
                                         space["names"],
                                         [(at[:count], kind) for at, kind in space["marks"]],
                                         space["share"][:count]),
                    key="rnnviz_mem_trajectories")
    share = space["share"][:count]
    if space["points"] is None:
        st.markdown(words.variance_sentence(share) + " The fixed-point search runs for states of "
                    f"up to {words.SEARCH_MAX_STATE} numbers (the LSTM's a and c at n_a = 64): at "
                    "these sizes it would hold the server too long.")
    else:
        st.markdown(words.points_sentence(space["points"], share, space["slowest"]))


def sizes(config: Config) -> dict[str, int]:
    """The network's sizes as built (a task sets n_x and n_y): {"n_x", "n_a", "n_y"}, T_x."""
    built = cache.setup(config)
    return {**built.params.sizes, "T_x": built.x.shape[2]}


def one_unit() -> None:
    """The sliders of one unit, its cobweb plot and its gain, and what they say."""
    left, right = st.columns(2)
    with left:
        w = view.slider("w", "w (the recurrent weight)", 0.05)
        b = view.slider("b", "b (the bias)", 0.05)
        a0 = view.slider("a0", "a⟨0⟩", 0.05)
    with right:
        v = view.slider("v", "v (the input weight)", 0.05)
        x = view.slider("x", "x (the constant input)", 0.05)
        steps = view.slider("unit_steps", "steps T", 1)
    a, gain = one_unit_run(w, v, b, x, a0, steps)
    fixed = one_unit_fixed_points(w, v, b, x)
    grid = np.linspace(-1.0, 1.0, CURVE_POINTS)
    left, right = st.columns(2)
    with left:
        page.live_chart(figures.cobweb(grid, np.tanh(w * grid + v * x + b),
                                       np.concatenate([[a0], a]),
                                       [(p.a, p.stable) for p in fixed]),
                        key="rnnviz_mem_cobweb")
    with right:
        drawn = figures.unit_gain(gain)
        page.live_chart(drawn, key="rnnviz_mem_gain")
        st.caption(chart_readings.gain_reading(gain, page.log_decades(drawn)))
    st.markdown(words.one_unit_sentence(w, fixed, gain))
