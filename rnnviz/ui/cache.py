"""The engine's results for a configuration, as ``st.cache_data`` functions of the (hashable)
Config: a widget that only picks what to show (a timestep, a unit) never recomputes the
forward pass.

Each takes optional `params` ({name: array}, e.g. a training snapshot) that replace the
configuration's initial weights; None means the weights build(config) draws.

Memory: these caches are the server's, shared by every session, and keep each entry
pickled. A trace at the limits (rnnviz.limits.SIZES) is large, so each cache has a fixed
number of entries, small for the large results, and entries nobody asked for within CACHE_TTL
go: together they stay bounded however many students there are (benchmarks/bench_memory.py
measures it, and the README gives the figures).
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from rnnviz.app import build, readouts
from rnnviz.app.config import Config
from rnnviz.engine import CELLS

CACHE_TTL = "1h"
# Streamlit hashes a dataclass argument field by field through dataclasses.asdict: about
# 0.4 ms for a Config, paid by every cached call of every rerun. Its repr names every field
# exactly (a float's repr gives back the same float), so it keys a cache as well, in a few
# microseconds.
HASH_FUNCS = {Config: repr}


def data(**settings):
    """st.cache_data(**settings) for functions of a Config: the decorator of every cached
    engine call of the pages."""
    return st.cache_data(hash_funcs=HASH_FUNCS, **settings)


@data(max_entries=16, ttl=CACHE_TTL, show_spinner=False)
def setup(config: Config, params: dict | None = None) -> build.Setup:
    """rnnviz.app.build.build(config): parameters, x, a<0>, targets and loss (with `params`
    in place of the drawn weights when given; ValueError if they do not fit the sizes)."""
    built = build.build(config)
    if params is None:
        return built
    weights = CELLS[config.cell].params.from_dict(params)
    if weights.sizes != built.params.sizes:
        raise ValueError(f"these parameters have sizes {weights.sizes}; the configuration "
                         f"needs {built.params.sizes}")
    return dataclasses.replace(built, params=weights)


@data(max_entries=2, ttl=CACHE_TTL, show_spinner="Running the forward pass…")
def trace(config: Config, params: dict | None = None):
    """The forward trace of the configuration's cell, with the setup's output layer."""
    return setup(config, params).forward()


@data(max_entries=32, ttl=CACHE_TTL, show_spinner=False)
def example_view(config: Config, example: int | None, params: dict | None = None) -> dict:
    """rnnviz.app.readouts.example_view: the trace's (n, T_x) slices for one example or the
    mean. Small, so redrawing a view at another timestep copies little from the cache."""
    return readouts.example_view(CELLS[config.cell], trace(config, params), example)


@data(max_entries=256, ttl=CACHE_TTL, show_spinner=False)
def step_terms(config: Config, example: int, step: int, unit: int,
               params: dict | None = None) -> dict:
    """rnnviz.app.readouts.step_terms for one example, step and unit."""
    return readouts.step_terms(CELLS[config.cell], setup(config, params).params,
                               example_view(config, example, params), step, unit)


@data(max_entries=4, ttl=CACHE_TTL, show_spinner=False)
def trace_csv(config: Config, example: int | None, params: dict | None = None) -> str:
    """The view of one example (or the batch mean) as CSV text, one row per (t, unit)."""
    view = example_view(config, example, params)
    return pd.DataFrame(readouts.trace_table(CELLS[config.cell], view)).to_csv(index=False)
