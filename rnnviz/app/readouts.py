"""Numbers the pages show, read off a trace: slices, the equations at one step, saturation.

Everything a page prints is computed here, once, from the engine's trace and parameters.

At step t (1-based, as in the notebook's x<t>), for hidden unit j and batch example i, the
RNN's equation splits into its three terms::

    z_j<t> = (Waa a<t-1>)_j + (Wax x<t>)_j + ba_j,     a_j<t> = tanh(z_j<t>)

and each LSTM gate g in {f, u, o, c~} on concat = [a<t-1>; x<t>] splits the same way::

    z_g,j = (Wg[:, :n_a] a<t-1>)_j + (Wg[:, n_a:] x<t>)_j + bg_j
    c_j<t> = f_j c_j<t-1> + u_j c~_j,                  a_j<t> = o_j tanh(c_j<t>)

Saturation: the fraction of a gate's values (over units, timesteps and the chosen example
or the whole batch) above 0.9 or below 0.1. A forget gate near 1 keeps c<t-1>; near 0 it
wipes it.
"""

from __future__ import annotations

import numpy as np

from rnnviz.app.config import Config
from rnnviz.engine import LSTM_SHAPES, RNN_SHAPES, Params
from rnnviz.notebook import lstm_forward, notebook_example, rnn_forward

GATE_NAMES = {"f": "forget gate", "u": "update gate", "o": "output gate",
              "c_tilde": "candidate c̃"}
HIGH, LOW = 0.9, 0.1


def _pick(array: np.ndarray, example: int | None) -> np.ndarray:
    """(n, m, T_x) -> (n, T_x): one batch example, or the batch mean when example is None."""
    if example is None:
        return array.mean(axis=1)
    return array[:, example, :]


def _check_example(trace, example: int | None) -> None:
    m = trace.x.shape[1]
    if example is not None and not 0 <= example < m:
        raise ValueError(f"batch example {example} is out of range: m = {m}")


def example_view(trace, example: int | None) -> dict[str, np.ndarray]:
    """The trace's sequences for one batch example (or the batch mean), each (n, T_x).

    Args:
        trace: RNNTrace or LSTMTrace, arrays (n, m, T_x).
        example: index in [0, m), or None for the mean over the batch.

    Returns:
        dict with x (n_x, T_x), a (n_a, T_x), y_hat (n_y, T_x), a0 (n_a,), and for the LSTM
        f, u, o, c_tilde, c (n_a, T_x) and c0 (n_a,). Small, so a page can redraw from it.
    """
    _check_example(trace, example)
    view = {"x": _pick(trace.x, example), "a": _pick(trace.a, example),
            "y_hat": _pick(trace.y_hat, example), "a0": _pick(trace.a0[:, :, None], example)[:, 0]}
    if trace.cell == "lstm":
        for name in ("f", "u", "o", "c_tilde", "c"):
            view[name] = _pick(getattr(trace, name), example)
        view["c0"] = _pick(trace.c0[:, :, None], example)[:, 0]
    return {name: np.ascontiguousarray(value) for name, value in view.items()}


def step_terms(params: Params, view: dict[str, np.ndarray], step: int, unit: int) -> dict:
    """The numbers in the equations at one step for one unit of one example.

    Args:
        params: the parameters the trace was computed with.
        view: `example_view` of one batch example (not the mean: the terms are per example).
        step: t in 1..T_x.
        unit: j in 0..n_a-1.

    Returns:
        dict: "a_prev", "a" (scalars of unit j), "x" (n_x,), "y_hat" (n_y,), and
        RNN: "rec", "inp", "b", "z" (the three terms of z_j and their sum);
        LSTM: "c_prev", "c", and for each gate g in f, u, o, c_tilde a dict with
        "rec", "inp", "b", "z" and "value".
    """
    n_a, T_x = view["a"].shape
    if not 1 <= step <= T_x:
        raise ValueError(f"step {step} is out of range 1..{T_x}")
    if not 0 <= unit < n_a:
        raise ValueError(f"unit {unit} is out of range 0..{n_a - 1}")
    k = step - 1
    a_prev = view["a0"] if k == 0 else view["a"][:, k - 1]
    x_t = view["x"][:, k]
    out = {"a_prev": float(a_prev[unit]), "a": float(view["a"][unit, k]), "x": x_t.copy(),
           "y_hat": view["y_hat"][:, k].copy(), "step": step, "unit": unit}
    if params.cell == "rnn":
        rec, inp, b = (float(params.Waa[unit] @ a_prev), float(params.Wax[unit] @ x_t),
                       float(params.ba[unit, 0]))
        out.update(rec=rec, inp=inp, b=b, z=rec + inp + b)
        return out
    c_prev = view["c0"] if k == 0 else view["c"][:, k - 1]
    out.update(c_prev=float(c_prev[unit]), c=float(view["c"][unit, k]))
    for gate, W, b in (("f", params.Wf, params.bf), ("u", params.Wu, params.bu),
                       ("o", params.Wo, params.bo), ("c_tilde", params.Wc, params.bc)):
        rec, inp = float(W[unit, :n_a] @ a_prev), float(W[unit, n_a:] @ x_t)
        out[gate] = {"rec": rec, "inp": inp, "b": float(b[unit, 0]),
                     "z": rec + inp + float(b[unit, 0]), "value": float(view[gate][unit, k])}
    return out


def saturation(view: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """For each LSTM gate in `view` (f, u, o: (n_a, T_x)) and |c~|: the fraction of values
    above 0.9 ("high") and below 0.1 ("low"), over every unit and timestep."""
    out = {}
    for gate in ("f", "u", "o"):
        values = view[gate]
        out[gate] = {"high": float(np.mean(values > HIGH)), "low": float(np.mean(values < LOW))}
    magnitude = np.abs(view["c_tilde"])
    out["c_tilde"] = {"high": float(np.mean(magnitude > HIGH)),
                      "low": float(np.mean(magnitude < LOW))}
    return out


def saturation_sentences(sat: dict[str, dict[str, float]]) -> list[str]:
    """One plain sentence per gate from `saturation`, e.g.
    "62% of forget gates above 0.9: the cell is remembering."."""
    f, u, o, c = sat["f"], sat["u"], sat["o"], sat["c_tilde"]

    def pct(v: float) -> str:
        return f"{100 * v:.0f}%"

    if f["high"] >= 0.5:
        forget = "the cell is remembering: c⟨t−1⟩ is carried forward almost unchanged"
    elif f["low"] >= 0.5:
        forget = "the cell is forgetting: c⟨t−1⟩ is mostly wiped at each step"
    else:
        forget = "the cell keeps part of c⟨t−1⟩ and lets the rest fade"
    return [
        f"{pct(f['high'])} of forget gates above 0.9 and {pct(f['low'])} below 0.1: {forget}.",
        f"{pct(u['high'])} of update gates above 0.9 and {pct(u['low'])} below 0.1: "
        "how much of the candidate c̃ is written into the cell.",
        f"{pct(o['high'])} of output gates above 0.9 and {pct(o['low'])} below 0.1: "
        "how much of tanh(c⟨t⟩) is shown as a⟨t⟩.",
        f"{pct(c['high'])} of candidate values have |c̃| above 0.9 (tanh saturated: "
        "its gradient 1 − c̃² is almost 0 there).",
    ]


def trace_table(view: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The view's per-unit sequences as flat columns, one row per (t, unit), for a CSV.

    Returns:
        dict of equal-length 1-D arrays: "t" (1..T_x), "unit", "a", and for the LSTM
        "c", "f", "u", "o", "c_tilde".
    """
    n_a, T_x = view["a"].shape
    columns = {"t": np.repeat(np.arange(1, T_x + 1), n_a), "unit": np.tile(np.arange(n_a), T_x)}
    for name in ("a", "c", "f", "u", "o", "c_tilde"):
        if name in view:
            columns[name] = view[name].T.reshape(-1)  # (T_x, n_a) row-major: t outer, unit inner
    return columns


def shape_table(config: Config) -> list[dict[str, str]]:
    """Every tensor of `config`'s network with its shape, symbolic and numeric.

    Returns:
        list of {"tensor", "meaning", "shape" (in the notebook's names), "size" (numbers)}.
    """
    sizes = {"n_x": config.n_x, "n_a": config.n_a, "n_y": config.n_y, "m": config.m,
             "T_x": config.T_x}

    def row(tensor: str, meaning: str, dims: tuple) -> dict[str, str]:
        numbers = tuple(d if isinstance(d, int) else sum(sizes[p.strip()] for p in d.split("+"))
                        for d in dims)
        return {"tensor": tensor, "meaning": meaning,
                "shape": "(" + ", ".join(str(d) for d in dims) + ")",
                "size": "(" + ", ".join(str(n) for n in numbers) + ")"}

    rows = [row("x⟨t⟩", "input at step t", ("n_x", "m")),
            row("a⟨t−1⟩", "previous hidden state", ("n_a", "m"))]
    if config.cell == "rnn":
        meanings = {"Wax": "input → hidden", "Waa": "hidden → hidden", "ba": "hidden bias",
                    "Wya": "hidden → output", "by": "output bias"}
        rows += [row(name, meanings[name], dims) for name, dims in RNN_SHAPES.items()]
        rows.append(row("a⟨t⟩", "hidden state", ("n_a", "m")))
    else:
        rows.append(row("concat", "[a⟨t−1⟩; x⟨t⟩]", ("n_a + n_x", "m")))
        gate_meaning = {"f": "forget gate", "u": "update gate", "c": "candidate",
                        "o": "output gate"}
        for name, dims in LSTM_SHAPES.items():
            if name in ("Wy", "by"):
                continue
            kind = "weights" if name.startswith("W") else "bias"
            rows.append(row(name, f"{gate_meaning[name[1]]} {kind}", dims))
        rows += [row("f⟨t⟩, u⟨t⟩, o⟨t⟩", "forget, update, output gates", ("n_a", "m")),
                 row("c̃⟨t⟩", "candidate cell state", ("n_a", "m")),
                 row("c⟨t⟩", "cell state", ("n_a", "m")),
                 row("a⟨t⟩", "hidden state", ("n_a", "m")),
                 row("Wy", "hidden → output", LSTM_SHAPES["Wy"]),
                 row("by", "output bias", LSTM_SHAPES["by"])]
    rows += [row("ŷ⟨t⟩", "output at step t", ("n_y", "m")),
             row("x", "all inputs", ("n_x", "m", "T_x")),
             row("a", "all hidden states", ("n_a", "m", "T_x")),
             row("ŷ", "all outputs", ("n_y", "m", "T_x"))]
    return rows


# The values the notebook printed for its LSTM check (with its concat bug).
NOTEBOOK_LSTM_PRINTED = {"a[4][3][6]": 0.0007505869303062002, "y[1][4][3]": 0.9089844972350362,
                         "c[1][2][1]": 0.03131035093604401}


def notebook_rnn_printout() -> dict[str, object]:
    """The notebook's RNN check, computed live: {printed expression: value}, as it prints."""
    params, x, a0 = notebook_example("rnn")
    y_pred, a, caches = rnn_forward(x, a0, params.as_dict())
    return {"a[4][1]": a[4][1], "a.shape": a.shape, "y_pred[1][3]": y_pred[1][3],
            "y_pred.shape": y_pred.shape, "caches[1][1][3]": caches[1][1][3],
            "len(caches)": len(caches)}


def notebook_lstm_comparison() -> list[dict[str, object]]:
    """The notebook's LSTM check, computed live twice: with its concat bug (the values it
    printed) and with the corrected cell. Rows {"expression", "notebook", "correct"}."""
    params, x, a0 = notebook_example("lstm")
    results = {}
    for label, bug in (("notebook", True), ("correct", False)):
        a, y, c, _ = lstm_forward(x, a0, params.as_dict(), reproduce_concat_bug=bug)
        results[label] = {"a[4][3][6]": a[4][3][6], "y[1][4][3]": y[1][4][3],
                          "c[1][2][1]": c[1][2][1]}
    return [{"expression": key, "notebook": float(results["notebook"][key]),
             "correct": float(results["correct"][key])} for key in NOTEBOOK_LSTM_PRINTED]


# ----- equations on screen (LaTeX, the notebook's notation) --------------------------------

EQUATIONS = {
    "rnn": [
        r"a^{\langle t \rangle} = \tanh\left(W_{aa}\, a^{\langle t-1 \rangle}"
        r" + W_{ax}\, x^{\langle t \rangle} + b_a\right)",
        r"\hat{y}^{\langle t \rangle} = \mathrm{softmax}\left(W_{ya}\, a^{\langle t \rangle}"
        r" + b_y\right)",
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
        r"\hat{y}^{\langle t \rangle} = \mathrm{softmax}\left(W_y\, a^{\langle t \rangle}"
        r" + b_y\right)",
    ],
}

_GATE_LATEX = {"f": ("f", r"\sigma", "W_f", "b_f"), "u": ("u", r"\sigma", "W_u", "b_u"),
               "o": ("o", r"\sigma", "W_o", "b_o"),
               "c_tilde": (r"\tilde{c}", r"\tanh", "W_c", "b_c")}


def _n(value: float, wrap: bool = False) -> str:
    """A number for LaTeX with 4 decimals; in parentheses when negative and `wrap` (a factor
    or a term of a sum)."""
    text = f"{value:.4f}"
    return f"({text})" if wrap and value < 0 else text


def step_latex(terms: dict) -> list[str]:
    """The cell's equations at one step with the numbers of one unit plugged in.

    Args:
        terms: `step_terms` output (its keys say whether it is the RNN or the LSTM).

    Returns:
        LaTeX lines; the terms of each pre-activation are shown separately (recurrent part,
        input part, bias) and summed, then the activation's value.
    """
    t, j = terms["step"], terms["unit"]
    sup_t, sup_prev = rf"^{{\langle {t} \rangle}}", rf"^{{\langle {t - 1} \rangle}}"
    if "z" in terms:
        return [
            rf"z_{{{j}}}{sup_t} = \underbrace{{W_{{aa}}[{j},:]\, a{sup_prev}}}"
            rf"_{{{_n(terms['rec'])}}}"
            rf" + \underbrace{{W_{{ax}}[{j},:]\, x{sup_t}}}_{{{_n(terms['inp'])}}}"
            rf" + \underbrace{{b_a[{j}]}}_{{{_n(terms['b'])}}} = {_n(terms['z'])}",
            rf"a_{{{j}}}{sup_t} = \tanh({_n(terms['z'])}) = {_n(terms['a'])}",
        ]
    lines = []
    for gate, (symbol, act, W, b) in _GATE_LATEX.items():
        g = terms[gate]
        lines.append(
            rf"{symbol}_{{{j}}}{sup_t} = {act}\Big(\underbrace{{{W}[{j},\,:n_a]\, a{sup_prev}}}"
            rf"_{{{_n(g['rec'])}}} + \underbrace{{{W}[{j},\,n_a:]\, x{sup_t}}}_{{{_n(g['inp'])}}}"
            rf" + \underbrace{{{b}[{j}]}}_{{{_n(g['b'])}}}\Big) = {act}({_n(g['z'])})"
            rf" = {_n(g['value'])}")
    f, u, o, c_tilde = (terms[k]["value"] for k in ("f", "u", "o", "c_tilde"))
    lines.append(
        rf"c_{{{j}}}{sup_t} = f_{{{j}}}\, c_{{{j}}}{sup_prev} + u_{{{j}}}\, \tilde{{c}}_{{{j}}}"
        rf" = {_n(f)} \cdot {_n(terms['c_prev'], True)} + {_n(u)} \cdot {_n(c_tilde, True)}"
        rf" = {_n(terms['c'])}")
    lines.append(
        rf"a_{{{j}}}{sup_t} = o_{{{j}}} \tanh(c_{{{j}}}{sup_t}) = {_n(o)} \cdot"
        rf" \tanh({_n(terms['c'])}) = {_n(terms['a'])}")
    return lines
