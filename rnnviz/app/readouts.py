"""Numbers and words the pages show, read off a trace through the cell's description.

Everything a page prints is computed here, once, from the engine's trace and parameters, by
iterating over the cell's description (rnnviz.engine.CELLS): its projections, states and
sequences. What is said about each of them (a name, a symbol, what its saturation means)
is looked up in `QUANTITIES`, by the name the trace gives the array; the LaTeX of each
cell's own update is looked up by the cell's name.

At step t (1-based, as in the notebook's x<t>), for hidden unit j and batch example i, each
projection of a step splits into its three terms (W_a, W_x: its two blocks, see
rnnviz.engine.description)::

    z_j<t> = (W_a a<t-1>)_j + (W_x x<t>)_j + b_j,      value_j<t> = activation(z_j<t>)

e.g. the RNN's a<t> = tanh(Waa a<t-1> + Wax x<t> + ba), and each LSTM gate on
concat = [a<t-1>; x<t>], then the LSTM's own update::

    c_j<t> = f_j c_j<t-1> + u_j c~_j,                  a_j<t> = o_j tanh(c_j<t>)

Saturation: the fraction of a gate's values (over units, timesteps and the chosen example
or the whole batch) above 0.9 or below 0.1; for a tanh projection, of its |values|. A
forget gate near 1 keeps c<t-1>; near 0 it wipes it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnviz.app.build import PRESETS, gate_knobs
from rnnviz.app.config import FIELD_BY_NAME, GATE_BIASES, NOTEBOOK, Config, initial_bias
from rnnviz.engine import CELLS, Cell, Projection
from rnnviz.engine.params import Params
from rnnviz.notebook import lstm_forward, notebook_example, rnn_forward

HIGH, LOW = 0.9, 0.1


@dataclass(frozen=True)
class Quantity:
    """How one of a trace's sequences is named on screen.

    Attributes:
        name: in words, e.g. "forget gate".
        letter: its symbol, e.g. "f" (shown as f⟨t⟩); latex: the same in LaTeX.
        bounded: its values lie in [-1, 1] (a tanh), so its colour scale is fixed there.
        role: what a share of values near 1 or near 0 says, for the saturation readout.
        verdicts: for the gate that keeps the memory: what it says when most values are
            near 1, when most are near 0, and otherwise (instead of `role`): the LSTM's
            forget gate remembers near 1, the GRU's update gate near 0.
        counted: the end of a gate whose share the page's headline figure gives: "high"
            (above 0.9), or "low" (below 0.1) where near 0 is what the gate is for, as the
            GRU's update gate keeps the memory near 0.
    """

    name: str
    letter: str
    latex: str
    bounded: bool = False
    role: str = ""
    verdicts: tuple[str, str, str] | None = None
    counted: str = "high"

    @property
    def symbol(self) -> str:
        return f"{self.letter}⟨t⟩"

    @property
    def zmax(self) -> float | None:
        """The top of its colour scale: 1 for a tanh's values, None (fit the data) else."""
        return 1.0 if self.bounded else None


QUANTITIES = {
    "a": Quantity("hidden state", "a", "a", bounded=True),
    "c": Quantity("cell state", "c", "c"),
    "f": Quantity("forget gate", "f", "f", verdicts=(
        "the cell is remembering: c⟨t−1⟩ is carried forward almost unchanged",
        "the cell is forgetting: c⟨t−1⟩ is mostly wiped at each step",
        "the cell keeps part of c⟨t−1⟩ and lets the rest fade")),
    "u": Quantity("update gate", "u", "u",
                  role="how much of the candidate c̃ is written into the cell"),
    "o": Quantity("output gate", "o", "o", role="how much of tanh(c⟨t⟩) is shown as a⟨t⟩"),
    "c_tilde": Quantity("candidate", "c̃", r"\tilde{c}", bounded=True),
    "r": Quantity("reset gate", "r", "r",
                  role="how much of a⟨t−1⟩ the candidate c̃ is computed from"),
}

# Where a cell's array of the same name means something else: the GRU's update gate decides
# how much of a⟨t−1⟩ is replaced by the candidate, so it keeps the memory when near 0.
CELL_QUANTITIES = {
    "gru": {"u": Quantity("update gate", "u", "u", verdicts=(
        "the cell is rewriting: a⟨t⟩ is mostly the new candidate c̃⟨t⟩ at each step",
        "the cell is remembering: a⟨t−1⟩ is carried forward almost unchanged",
        "the cell mixes a⟨t−1⟩ with the candidate, keeping part of its memory"),
        counted="low")},
}


def quantity(cell: Cell, name: str) -> Quantity:
    """How the cell's array `name` is named on screen (`QUANTITIES`, or the cell's own)."""
    return CELL_QUANTITIES.get(cell.name, {}).get(name, QUANTITIES[name])


def gates_first(cell: Cell) -> tuple[Projection, ...]:
    """The cell's projections, its gates first (the order the readouts list them in)."""
    return (*cell.gates, *(p for p in cell.projections if not p.is_gate))


def trace_columns(cell: Cell) -> tuple[str, ...]:
    """The per-unit sequences of a view, its states first: a, c, f, u, o, c_tilde."""
    return (*cell.states, *(name for name in cell.sequences if name not in cell.states))


def unit_lines(cell: Cell, view: dict[str, np.ndarray], unit: int) -> dict:
    """One unit's sequences over t, named for a legend, as rnnviz.figures.forward.
    unit_over_time takes them: gates {"forget gate f⟨t⟩": (T_x,), ...} and states (the rest:
    {"candidate c̃⟨t⟩": ..., "cell state c⟨t⟩": ..., ...}), each in the cell's reading
    order, and the two panels' axis titles ("f, u, o"; "c̃, c, a"). `view` is an
    `example_view`."""
    gates = {gate.value for gate in cell.gates}
    panels: dict[bool, dict[str, np.ndarray]] = {True: {}, False: {}}
    letters: dict[bool, list[str]] = {True: [], False: []}
    for name in cell.sequences:
        words = quantity(cell, name)
        panels[name in gates][f"{words.name} {words.symbol}"] = view[name][unit]
        letters[name in gates].append(words.letter)
    return {"gates": panels[True], "states": panels[False],
            "gate_title": ", ".join(letters[True]), "state_title": ", ".join(letters[False])}


def knob_label(config: Config, knob: str) -> str:
    """A gate's bias knob on screen: "LSTM bf (forget gate)", or on the notebook's draws,
    where it shifts the drawn bias, "LSTM bf shift (forget gate)"."""
    cell, bias = GATE_BIASES[knob]
    gate = next(p.value for p in CELLS[cell].gates if p.bias == bias)
    shift = " shift" if config.input == NOTEBOOK else ""
    return f"{FIELD_BY_NAME[knob].label}{shift} ({quantity(CELLS[cell], gate).name})"


def knobs_note(config: Config) -> str:
    """What the gate biases' knobs do on this input, in one sentence (Markdown)."""
    if config.input == NOTEBOOK:
        return ("On the notebook's draws each knob is a **shift added to the drawn bias** "
                "(0: the bias as drawn); the Gaussian input sets the biases themselves.")
    start = ", ".join(f"{GATE_BIASES[knob][1]} = {initial_bias(*GATE_BIASES[knob]):g}"
                      for knob in gate_knobs(config))
    return (f"Each knob **sets every entry of its gate's bias** (as initialised: {start}). "
            "A large bias holds the gate near 1 (open), a very negative one near 0 (shut).")


def _pick(array: np.ndarray, example: int | None) -> np.ndarray:
    """(n, m, T_x) -> (n, T_x): one batch example, or the batch mean when example is None."""
    if example is None:
        return array.mean(axis=1)
    return array[:, example, :]


def example_view(cell: Cell, trace, example: int | None) -> dict[str, np.ndarray]:
    """The trace's sequences for one batch example (or the batch mean), each (n, T_x).

    Args:
        cell: the description of the cell that made the trace.
        trace: the forward trace, arrays (n, m, T_x).
        example: index in [0, m), or None for the mean over the batch.

    Returns:
        dict with x (n_x, T_x), y_hat (n_y, T_x), each of the cell's sequences (n_a, T_x)
        (a; for the LSTM also f, u, o, c_tilde, c) and each state's initial value (n_a,)
        as a0 (and c0). Small, so a page can redraw from it.
    """
    m = trace.x.shape[1]
    if example is not None and not 0 <= example < m:
        raise ValueError(f"batch example {example} is out of range: m = {m}")
    view = {"x": _pick(trace.x, example), "y_hat": _pick(trace.y_hat, example)}
    for name in cell.sequences:
        view[name] = _pick(getattr(trace, name), example)
    for state in cell.states:
        view[state + "0"] = _pick(getattr(trace, state + "0")[:, :, None], example)[:, 0]
    return {name: np.ascontiguousarray(value) for name, value in view.items()}


def step_terms(cell: Cell, params: Params, view: dict[str, np.ndarray], step: int,
               unit: int) -> dict:
    """The numbers in the equations at one step for one unit of one example.

    Args:
        cell: the description of the cell.
        params: the parameters the trace was computed with.
        view: `example_view` of one batch example (not the mean: the terms are per example).
        step: t in 1..T_x.
        unit: j in 0..n_a-1.

    Returns:
        dict: "step", "unit", "x" (n_x,), "y_hat" (n_y,); for each state s (a, and the
        LSTM's c) s + "_prev" and s, the values of unit j at t-1 and t; "projections":
        {value: {"rec", "inp", "b", "z", "value"}} for each projection (the three terms of
        z_j, their sum and the activation's value; the GRU candidate's "rec" is
        (Wc_a (r<t> * a<t-1>))_j).
    """
    n_a, T_x = view["a"].shape
    if not 1 <= step <= T_x:
        raise ValueError(f"step {step} is out of range 1..{T_x}")
    if not 0 <= unit < n_a:
        raise ValueError(f"unit {unit} is out of range 0..{n_a - 1}")
    k = step - 1
    out = {"step": step, "unit": unit, "x": view["x"][:, k].copy(),
           "y_hat": view["y_hat"][:, k].copy()}
    for state in cell.states:
        previous = view[state + "0"] if k == 0 else view[state][:, k - 1]
        out[state + "_prev"], out[state] = float(previous[unit]), float(view[state][unit, k])
    a_prev = view["a0"] if k == 0 else view["a"][:, k - 1]
    out["projections"] = {}
    for projection in cell.projections:
        W_a, W_x, b = projection.blocks(params)
        hidden = a_prev if projection.reset is None else view[projection.reset][:, k] * a_prev
        rec, inp, bias = (float(W_a[unit] @ hidden), float(W_x[unit] @ view["x"][:, k]),
                          float(b[unit, 0]))
        out["projections"][projection.value] = {
            "rec": rec, "inp": inp, "b": bias, "z": rec + inp + bias,
            "value": float(view[projection.value][unit, k])}
    return out


def saturation(cell: Cell, view: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """For each projection of the cell, gates first: the fraction of its values in `view`
    ((n_a, T_x) each) above 0.9 ("high") and below 0.1 ("low"), over every unit and
    timestep; for a tanh projection, of its |values|."""
    out = {}
    for projection in gates_first(cell):
        values = view[projection.value]
        values = values if projection.is_gate else np.abs(values)
        out[projection.value] = {"high": float(np.mean(values > HIGH)),
                                 "low": float(np.mean(values < LOW))}
    return out


def saturation_metrics(cell: Cell, sat: dict[str, dict[str, float]]) -> dict[str, float]:
    """The headline share per projection from `saturation`, by its label: "forget gate > 0.9",
    "candidate |c̃| > 0.9", and "update gate < 0.1" for the GRU (Quantity.counted)."""
    metrics = {}
    for projection in gates_first(cell):
        q, share = quantity(cell, projection.value), sat[projection.value]
        if not projection.is_gate:
            metrics[f"{q.name} |{q.letter}| > {HIGH}"] = share["high"]
        elif q.counted == "low":
            metrics[f"{q.name} < {LOW}"] = share["low"]
        else:
            metrics[f"{q.name} > {HIGH}"] = share["high"]
    return metrics


def saturation_sentences(cell: Cell, sat: dict[str, dict[str, float]]) -> list[str]:
    """One plain sentence per projection from `saturation`, e.g.
    "62% of forget gates above 0.9 and 0% below 0.1: the cell is remembering: ..."."""
    def pct(v: float) -> str:
        return f"{100 * v:.0f}%"

    sentences = []
    for projection in gates_first(cell):
        q, share = quantity(cell, projection.value), sat[projection.value]
        if not projection.is_gate:
            sentences.append(f"{pct(share['high'])} of {q.name} values have |{q.letter}| "
                             f"above {HIGH} (tanh saturated: its gradient 1 − {q.letter}² is "
                             "almost 0 there).")
            continue
        meaning = q.role
        if q.verdicts is not None:
            if_high, if_low, otherwise = q.verdicts
            meaning = (if_high if share["high"] >= 0.5 else
                       if_low if share["low"] >= 0.5 else otherwise)
        sentences.append(f"{pct(share['high'])} of {q.name}s above {HIGH} and "
                         f"{pct(share['low'])} below {LOW}: {meaning}.")
    return sentences


def trace_table(cell: Cell, view: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The view's per-unit sequences as flat columns, one row per (t, unit), for a CSV.

    Returns:
        dict of equal-length 1-D arrays: "t" (1..T_x), "unit", then `trace_columns(cell)`:
        a, and for the LSTM c, f, u, o, c_tilde.
    """
    n_a, T_x = view["a"].shape
    columns = {"t": np.repeat(np.arange(1, T_x + 1), n_a), "unit": np.tile(np.arange(n_a), T_x)}
    for name in trace_columns(cell):
        columns[name] = view[name].T.reshape(-1)  # (T_x, n_a) row-major: t outer, unit inner
    return columns


def _parameter_meanings(cell: Cell) -> dict[str, str]:
    """{parameter name: what it is} for the parameters of the cell's step."""
    meanings = {}
    for projection in cell.projections:
        name = quantity(cell, projection.value).name
        if len(projection.weights) == 2:
            W_a, W_x = projection.weights
            meanings.update({W_a: f"hidden → {name}", W_x: f"input → {name}"})
        else:
            meanings[projection.weights[0]] = f"{name} weights"
        meanings[projection.bias] = f"{name} bias"
    return meanings


def shape_table(config: Config) -> list[dict[str, str]]:
    """Every tensor of `config`'s network with its shape, symbolic and numeric, in reading
    order: the step's inputs, its parameters and values, the output layer, the sequences.

    Returns:
        list of {"tensor", "meaning", "shape" (in the notebook's names), "size" (numbers)}.
    """
    cell = CELLS[config.cell]
    sizes = {"n_x": config.n_x, "n_a": config.n_a, "n_y": config.n_y, "m": config.m,
             "T_x": config.T_x}

    def row(tensor: str, meaning: str, dims: tuple) -> dict[str, str]:
        numbers = tuple(d if isinstance(d, int) else sum(sizes[p.strip()] for p in d.split("+"))
                        for d in dims)
        return {"tensor": tensor, "meaning": meaning,
                "shape": "(" + ", ".join(str(d) for d in dims) + ")",
                "size": "(" + ", ".join(str(n) for n in numbers) + ")"}

    shapes = cell.params.SHAPES
    output = (cell.output_weight, "by")
    rows = [row("x⟨t⟩", "input at step t", ("n_x", "m"))]
    rows += [row(f"{state}⟨t−1⟩", f"previous {quantity(cell, state).name}", ("n_a", "m"))
             for state in cell.states]
    if any(len(projection.weights) == 1 for projection in cell.projections):
        rows.append(row("concat", "[a⟨t−1⟩; x⟨t⟩]", ("n_a + n_x", "m")))
    for projection in cell.projections:
        if projection.reset is not None:
            letter = quantity(cell, projection.reset).letter
            rows.append(row(f"[{letter}⟨t⟩∘a⟨t−1⟩; x⟨t⟩]",
                            f"the {quantity(cell, projection.value).name}'s input",
                            ("n_a + n_x", "m")))
    meanings = _parameter_meanings(cell)
    rows += [row(name, meanings[name], dims) for name, dims in shapes.items()
             if name not in output]
    rows += [row(quantity(cell, name).symbol, quantity(cell, name).name, ("n_a", "m"))
             for name in cell.sequences]
    rows += [row(output[0], "hidden → output", shapes[output[0]]),
             row(output[1], "output bias", shapes[output[1]]),
             row("ŷ⟨t⟩", "output at step t", ("n_y", "m")),
             row("x", "all inputs", ("n_x", "m", "T_x")),
             row("a", "all hidden states", ("n_a", "m", "T_x")),
             row("ŷ", "all outputs", ("n_y", "m", "T_x"))]
    return rows


# ----- sentences that depend on the cell ---------------------------------------------------

def carried_states(cell: Cell) -> str:
    """What a step carries besides a⟨t−1⟩, in words: "(and the cell state c⟨t−1⟩) "."""
    return "".join(f"(and the {QUANTITIES[state].name} {QUANTITIES[state].letter}⟨t−1⟩) "
                   for state in cell.states[1:])


def no_gates_note(cell: Cell) -> str:
    """For a cell without gates: which cells have them, and the presets that show one."""
    gated = " or ".join(f"**{c.label}**" for c in CELLS.values() if c.gates)
    presets = ", ".join(f"**{name}**" for name, config in PRESETS.items()
                        if CELLS[config.cell].gates and config.input != NOTEBOOK)
    return (f"The **{cell.label}** has no gates. Choose {gated} as the cell in the sidebar"
            + (f", or load the preset {presets}." if presets else "."))


# What the line of each unit's memory shows, by the cell.
MEMORY_NOTES = {
    "lstm": "A forget gate near 1 keeps c⟨t−1⟩: the line moves only by what the update "
            "gate writes, u⟨t⟩∘c̃⟨t⟩, and never drops back. Near 0 it wipes it.",
    "gru": "An update gate near 0 keeps a⟨t−1⟩: the line moves only by "
           "u⟨t⟩∘(c̃⟨t⟩ − a⟨t−1⟩), a small step towards the candidate. Near 1 the candidate "
           "replaces it.",
}


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
