"""The cells the engine knows, by name, and what works on any of them through its description.

    CELLS["lstm"].gates, CELLS["rnn"].states, cell_of(params).label, ...

The order of CELLS is the order cells are listed and drawn in everywhere.
"""

from __future__ import annotations

import numpy as np

from rnnviz.engine import gru, lstm, rnn
from rnnviz.engine._arrays import (
    check_choice,
    check_number,
    check_sizes,
    refusing_overflow,
)
from rnnviz.engine.description import Cell

CELLS: dict[str, Cell] = {cell.name: cell for cell in (rnn.CELL, lstm.CELL, gru.CELL)}


def get_cell(name: str) -> Cell:
    """The cell called `name`; ValueError naming the cells there are."""
    return CELLS[check_choice("cell", name, CELLS)]


def cell_of(params, argument: str = "params") -> Cell:
    """The description of the cell that `params` (or a trace) belongs to; TypeError naming
    the argument if it is neither."""
    name = getattr(params, "cell", None)
    if not isinstance(name, str) or name not in CELLS:
        raise TypeError(f"{argument} must be the parameters or trace of one of the cells "
                        f"{', '.join(CELLS)}; got {type(params).__name__}")
    return CELLS[name]


def init_params(cell: str, n_x: int, n_a: int, n_y: int, rng: np.random.Generator,
                weight_scale: float = 1.0, spectral_radius: float | None = None,
                forget_bias: float = 1.0):
    """Random parameters for the cell called `cell`.

    Args:
        cell: a key of CELLS.
        n_x, n_a, n_y: input, hidden and output sizes.
        rng: the generator every random number comes from.
        weight_scale: multiplies every weight's standard deviation 1/sqrt(fan_in).
        spectral_radius: if given, each recurrent block is rescaled so that its largest
            |eigenvalue| equals it.
        forget_bias: the value of the cell's memory bias (the LSTM's bf); cells without
            one ignore it.

    Raises:
        TypeError or ValueError naming the argument: sizes that are not positive integers or
        whose parameters would not fit in memory (rnnviz.engine._arrays.MAX_ENTRIES), an rng
        that is not a Generator, knobs that are not finite numbers, a negative weight_scale
        or spectral_radius, or knobs so large that the weights overflow float64.
    """
    description = get_cell(cell)
    sizes = check_sizes(description.parameter_count, n_x=n_x, n_a=n_a, n_y=n_y)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a np.random.Generator (np.random.default_rng(seed)); "
                        f"got {type(rng).__name__}")
    weight_scale = check_number("weight_scale", weight_scale, low=0.0)
    if spectral_radius is not None:
        spectral_radius = check_number("spectral_radius", spectral_radius, low=0.0)
    forget_bias = check_number("forget_bias", forget_bias)
    with refusing_overflow(lambda: f"weight_scale = {weight_scale:g} and spectral_radius = "
                           f"{spectral_radius} make weights beyond float64's range (1.8e308)"):
        return description.init(*sizes.values(), rng, weight_scale, spectral_radius,
                                forget_bias)
