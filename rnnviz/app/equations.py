"""The equations the pages show, in LaTeX and the notebook's notation: each cell's step, its
output layer, the gradient check, and a step with one unit's numbers plugged in.

The step's lines come from the cell's description (rnnviz.engine.CELLS): one line per
projection; what is particular to a cell (how its states follow from its projections) is
looked up by its name in `STATE_UPDATES`, and its step as a whole in `EQUATIONS`.
"""

from __future__ import annotations

from collections.abc import Callable

from rnnviz.app.readouts import gates_first, quantity
from rnnviz.engine import Cell, Projection

# ----- each cell's step --------------------------------

# Each cell's step, in the notebook's order; the output layer follows (`equations`).
EQUATIONS = {
    "rnn": [
        r"a^{\langle t \rangle} = \tanh\left(W_{aa}\, a^{\langle t-1 \rangle}"
        r" + W_{ax}\, x^{\langle t \rangle} + b_a\right)",
    ],
    "lstm": [
        r"f^{\langle t \rangle} = \sigma\left(W_f\,[a^{\langle t-1 \rangle};"
        r" x^{\langle t \rangle}] + b_f\right)",
        r"u^{\langle t \rangle} = \sigma\left(W_u\,[a^{\langle t-1 \rangle};"
        r" x^{\langle t \rangle}] + b_u\right)",
        r"\tilde{c}^{\langle t \rangle} = \tanh\left(W_c\,[a^{\langle t-1 \rangle};"
        r" x^{\langle t \rangle}] + b_c\right)",
        r"c^{\langle t \rangle} = f^{\langle t \rangle} \circ c^{\langle t-1 \rangle}"
        r" + u^{\langle t \rangle} \circ \tilde{c}^{\langle t \rangle}",
        r"o^{\langle t \rangle} = \sigma\left(W_o\,[a^{\langle t-1 \rangle};"
        r" x^{\langle t \rangle}] + b_o\right)",
        r"a^{\langle t \rangle} = o^{\langle t \rangle} \circ"
        r" \tanh\left(c^{\langle t \rangle}\right)",
    ],
    "gru": [
        r"r^{\langle t \rangle} = \sigma\left(W_r\,[a^{\langle t-1 \rangle};"
        r" x^{\langle t \rangle}] + b_r\right)",
        r"u^{\langle t \rangle} = \sigma\left(W_u\,[a^{\langle t-1 \rangle};"
        r" x^{\langle t \rangle}] + b_u\right)",
        r"\tilde{c}^{\langle t \rangle} = \tanh\left(W_c\,[r^{\langle t \rangle} \circ"
        r" a^{\langle t-1 \rangle}; x^{\langle t \rangle}] + b_c\right)",
        r"a^{\langle t \rangle} = u^{\langle t \rangle} \circ \tilde{c}^{\langle t \rangle}"
        r" + (1 - u^{\langle t \rangle}) \circ a^{\langle t-1 \rangle}",
    ],
}

GRADIENT_CHECK = (r"\frac{\partial L}{\partial \theta_i} \approx "
                  r"\frac{L(\theta + \varepsilon e_i) - L(\theta - \varepsilon e_i)}{2\varepsilon}"
                  r"\qquad \text{relative error} = "
                  r"\frac{\lVert g_{\text{num}} - g_{\text{BPTT}} \rVert}"
                  r"{\lVert g_{\text{num}} \rVert + \lVert g_{\text{BPTT}} \rVert}")

_ACTIVATIONS = {"sigmoid": r"\sigma", "tanh": r"\tanh"}


def _sub(name: str) -> str:
    """A parameter's name in LaTeX: Waa -> W_{aa}, bf -> b_f."""
    return f"{name[0]}_{name[1:]}" if len(name) == 2 else f"{name[0]}_{{{name[1:]}}}"


def equations(cell: Cell) -> list[str]:
    """The cell's step and its output layer, ŷ⟨t⟩ = softmax(W a⟨t⟩ + b_y)."""
    output = (rf"\hat{{y}}^{{\langle t \rangle}} = \mathrm{{softmax}}\left("
              rf"{_sub(cell.output_weight)}\, a^{{\langle t \rangle}} + b_y\right)")
    return [*EQUATIONS[cell.name], output]


def _n(value: float, wrap: bool = False) -> str:
    """A number for LaTeX with 4 decimals; in parentheses when negative and `wrap` (a factor
    or a term of a sum)."""
    text = f"{value:.4f}"
    return f"({text})" if wrap and value < 0 else text


def _projection_latex(cell: Cell, projection: Projection, terms: dict) -> list[str]:
    """One projection with the numbers of one unit: its three terms, their sum and its value;
    a projection that is the state itself (the RNN's a) names its pre-activation z."""
    t, j = terms["step"], terms["unit"]
    sup_t, sup_prev = rf"^{{\langle {t} \rangle}}", rf"^{{\langle {t - 1} \rangle}}"
    numbers = terms["projections"][projection.value]
    if len(projection.weights) == 2:
        W_a, W_x = (rf"{_sub(w)}[{j},:]" for w in projection.weights)
    else:
        W = _sub(projection.weights[0])
        W_a, W_x = rf"{W}[{j},\,:n_a]", rf"{W}[{j},\,n_a:]"
    hidden = rf"a{sup_prev}"
    if projection.reset is not None:  # the GRU's candidate: W_a acts on r<t> * a<t-1>
        hidden = rf"({quantity(cell, projection.reset).latex}{sup_t} \circ {hidden})"
    total = (rf"\underbrace{{{W_a}\, {hidden}}}_{{{_n(numbers['rec'])}}}"
             rf" + \underbrace{{{W_x}\, x{sup_t}}}_{{{_n(numbers['inp'])}}}"
             rf" + \underbrace{{{_sub(projection.bias)}[{j}]}}_{{{_n(numbers['b'])}}}")
    symbol = rf"{quantity(cell, projection.value).latex}_{{{j}}}{sup_t}"
    act, z, value = _ACTIVATIONS[projection.activation], _n(numbers["z"]), _n(numbers["value"])
    if projection.value in cell.states:
        return [rf"z_{{{j}}}{sup_t} = {total} = {z}", rf"{symbol} = {act}({z}) = {value}"]
    if projection.reset is not None:  # wider by r<t> *: its value on a second row
        return [rf"\begin{{aligned}} {symbol} &= {act}\Big({total}\Big) \\"
                rf" &= {act}({z}) = {value} \end{{aligned}}"]
    return [rf"{symbol} = {act}\Big({total}\Big) = {act}({z}) = {value}"]


def _lstm_update(terms: dict) -> list[str]:
    t, j = terms["step"], terms["unit"]
    sup_t, sup_prev = rf"^{{\langle {t} \rangle}}", rf"^{{\langle {t - 1} \rangle}}"
    f, u, o, c_tilde = (terms["projections"][k]["value"] for k in ("f", "u", "o", "c_tilde"))
    return [
        rf"c_{{{j}}}{sup_t} = f_{{{j}}}\, c_{{{j}}}{sup_prev} + u_{{{j}}}\, \tilde{{c}}_{{{j}}}"
        rf" = {_n(f)} \cdot {_n(terms['c_prev'], True)} + {_n(u)} \cdot {_n(c_tilde, True)}"
        rf" = {_n(terms['c'])}",
        rf"a_{{{j}}}{sup_t} = o_{{{j}}} \tanh(c_{{{j}}}{sup_t}) = {_n(o)} \cdot"
        rf" \tanh({_n(terms['c'])}) = {_n(terms['a'])}",
    ]


def _gru_update(terms: dict) -> list[str]:
    t, j = terms["step"], terms["unit"]
    sup_t, sup_prev = rf"^{{\langle {t} \rangle}}", rf"^{{\langle {t - 1} \rangle}}"
    u, c_tilde = (terms["projections"][k]["value"] for k in ("u", "c_tilde"))
    return [
        rf"a_{{{j}}}{sup_t} = u_{{{j}}}\, \tilde{{c}}_{{{j}}} + (1 - u_{{{j}}})\,"
        rf" a_{{{j}}}{sup_prev} = {_n(u)} \cdot {_n(c_tilde, True)} + {_n(1 - u)} \cdot"
        rf" {_n(terms['a_prev'], True)} = {_n(terms['a'])}",
    ]


# How each cell's states follow from its projections, with the numbers plugged in.
STATE_UPDATES: dict[str, Callable[[dict], list[str]]] = {
    "rnn": lambda terms: [],     # its one projection is a<t> itself
    "lstm": _lstm_update,
    "gru": _gru_update,
}


def step_latex(cell: Cell, terms: dict) -> list[str]:
    """The cell's equations at one step with the numbers of one unit plugged in.

    Args:
        cell: the description of the cell.
        terms: `step_terms` output.

    Returns:
        LaTeX lines: each projection, gates first, with the terms of its pre-activation shown
        separately (recurrent part, input part, bias) and summed, then the activation's
        value; then the cell's own update of its states.
    """
    lines = [line for projection in gates_first(cell)
             for line in _projection_latex(cell, projection, terms)]
    return lines + STATE_UPDATES[cell.name](terms)
