"""The Memory map page's parts: each cell's memory map (cached for every session), and one
unit by hand with its sliders (view fields a lesson link can set)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from rnnviz.app import memory as words
from rnnviz.app.config import Config
from rnnviz.engine import input_saliency
from rnnviz.engine.one_unit import one_unit_fixed_points, one_unit_run
from rnnviz.figures import memory as figures
from rnnviz.ui import cache, page, view

CURVE_POINTS = 201


@st.cache_data(max_entries=16, ttl=cache.CACHE_TTL,
               show_spinner="Back-propagating from every output step…")
def saliency(config: Config, example: int, params: dict | None = None) -> np.ndarray:
    """The memory map of one example of the configuration's cell
    (rnnviz.engine.input_saliency)."""
    built = cache.setup(config, params)
    return input_saliency(built.params, built.x, built.a0, example=example,
                          output=built.loss.output)


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
        steps = view.slider("steps", "steps T", 1)
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
        page.live_chart(figures.unit_gain(gain), key="rnnviz_mem_gain")
    st.markdown(words.one_unit_sentence(w, fixed, gain))
