"""The cells the engine knows, by name, and what works on any of them through its description.

    CELLS["lstm"].gates, CELLS["rnn"].states, cell_of(params).label, ...

The order of CELLS is the order cells are listed and drawn in everywhere.
"""

from __future__ import annotations

import numpy as np

from rnnviz.engine import lstm, rnn
from rnnviz.engine.description import Cell

CELLS: dict[str, Cell] = {cell.name: cell for cell in (rnn.CELL, lstm.CELL)}


def get_cell(name: str) -> Cell:
    """The cell called `name`; ValueError naming the cells there are."""
    if name not in CELLS:
        raise ValueError(f"cell must be one of {', '.join(map(repr, CELLS))}; got {name!r}")
    return CELLS[name]


def cell_of(params) -> Cell:
    """The description of the cell that `params` (or a trace) belongs to."""
    name = getattr(params, "cell", None)
    if name not in CELLS:
        raise TypeError(f"expected the parameters or trace of one of the cells "
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
    """
    return get_cell(cell).init(n_x, n_a, n_y, rng, weight_scale, spectral_radius, forget_bias)
