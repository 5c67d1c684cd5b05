"""The notebook's example draws (`notebook_example`): its sizes, seed, T_x and the order
in which it draws each cell's parameters."""

from __future__ import annotations

import numpy as np

from rnnviz.engine import get_cell
from rnnviz.engine._arrays import check_sizes, check_whole

# The notebook's examples: their sizes, seed and T_x, and the order in which it draws each
# cell's parameters with randn after x and a0 (so the same seed gives the notebook's arrays).
NOTEBOOK_SIZES = {"n_x": 3, "n_a": 5, "n_y": 2, "m": 10}
NOTEBOOK_SEED = 1
# The notebook's examples are the RNN's and the LSTM's (NOTEBOOK_T_X). It has no GRU example;
# the GRU's draws follow the LSTM's pattern (each matrix, then its bias, in the order the
# equations name them), with the LSTM's T_x.
NOTEBOOK_T_X = {"rnn": 4, "lstm": 7}
DRAW_ORDER = {"rnn": ("Waa", "Wax", "Wya", "ba", "by"),
              "lstm": ("Wf", "bf", "Wu", "bu", "Wo", "bo", "Wc", "bc", "Wy", "by"),
              "gru": ("Wr", "br", "Wu", "bu", "Wc", "bc", "Wy", "by")}


def notebook_example(cell: str, n_x: int = NOTEBOOK_SIZES["n_x"],
                     n_a: int = NOTEBOOK_SIZES["n_a"], n_y: int = NOTEBOOK_SIZES["n_y"],
                     m: int = NOTEBOOK_SIZES["m"], T_x: int | None = None,
                     seed: int = NOTEBOOK_SEED):
    """The notebook's example draws: ``np.random.seed(seed)`` then randn in its order.

    With the defaults (NOTEBOOK_SIZES, NOTEBOOK_T_X, NOTEBOOK_SEED) these are exactly the
    notebook's arrays. A private RandomState is used, so no global state is touched.

    Args:
        cell: a key of DRAW_ORDER (the GRU, of which the notebook has no example, is drawn
            in the LSTM's pattern).
        n_x, n_a, n_y, m, T_x: sizes, each at least 1 (T_x None: the notebook's).
        seed: the notebook's seed, 0 to 2**32 - 1 (what np.random.seed takes).

    Returns:
        params (the cell's parameter container), x (n_x, m, T_x), a0 (n_a, m).
    """
    if not isinstance(cell, str) or cell not in DRAW_ORDER:
        raise ValueError(f"cell must be one of {', '.join(DRAW_ORDER)}; got {cell!r}")
    T_x = NOTEBOOK_T_X.get(cell, NOTEBOOK_T_X["lstm"]) if T_x is None else T_x
    n_x, n_a, n_y, m, T_x = check_sizes(
        lambda n_x, n_a, n_y, m, T_x: n_x * m * T_x + get_cell(cell).parameter_count(
            n_x, n_a, n_y), n_x=n_x, n_a=n_a, n_y=n_y, m=m, T_x=T_x).values()
    draw = np.random.RandomState(check_whole("seed", seed, 0, 2 ** 32 - 1)).randn
    x = draw(n_x, m, T_x)
    a0 = draw(n_a, m)
    shapes = get_cell(cell).shapes(n_x, n_a, n_y)
    drawn = {name: draw(*shapes[name]) for name in DRAW_ORDER[cell]}  # in the notebook's order
    return get_cell(cell).params(**drawn), x, a0
