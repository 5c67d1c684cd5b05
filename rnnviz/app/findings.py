"""The experiments on a trained network (rnnviz.training.experiments) in words: what was
changed, what the network still recalls, and what that says about where it keeps the symbol.

Plain Python: a Report in, sentences out, the figures as shown on screen (percentages with
one decimal)."""

from __future__ import annotations

import numpy as np

from rnnviz.app.readouts import quantity
from rnnviz.engine import CELLS
from rnnviz.training.experiments import RANDOM_DRAWS, Report, near_chance

IMPORTANCE = ("A unit's importance is how much the cross-entropy at the cue rises when that "
              "unit alone is silenced (its a⟨t⟩, and the LSTM's c⟨t⟩, held at 0 at every "
              "step): the task's own loss, so it counts a unit that weakens the answer "
              "without yet changing it.")


def percent(share: float) -> str:
    return f"{100 * share:.1f}%"


def _gap(report: Report) -> str:
    return f"t = 2…{report.T_x - 1}"


def shut_label(report: Report) -> str:
    """What the shut memory holds, "f = 0 at t = 2…20"; "" without a memory gate."""
    if report.shut_gate is None:
        return ""
    gate, value = report.shut_gate
    return f"{gate} = {value:g} at {_gap(report)}"


def cut_label(report: Report) -> str:
    """What cutting every road holds, "f = 0, a = 0 at t = 2…20"."""
    shut = shut_label(report).removesuffix(f" at {_gap(report)}")
    return f"{shut + ', ' if shut else ''}a = 0 at {_gap(report)}"


def bars(report: Report) -> dict[str, float]:
    """{label: share recalled}: as trained, the memory gate shut (if any), every road cut."""
    shut = {shut_label(report): report.shut.accuracy} if report.shut else {}
    return {"as trained": report.trained.accuracy, **shut,
            cut_label(report): report.cut.accuracy}


def _chance_words(report: Report, accuracy: float) -> str:
    close = near_chance(accuracy, report.chance, report.sequences)
    return f"{'chance' if close else 'above chance'} ({percent(report.chance)})"


def shut_sentence(report: Report) -> str:
    """What shutting the memory gate between the symbol and the cue did, and cutting every
    road there, in a few sentences; for a cell without such a gate, the cut alone."""
    cell = CELLS[report.cell]
    cut = (f"with {cut_label(report)} the {cell.label} recalls {percent(report.cut.accuracy)}, "
           f"{_chance_words(report, report.cut.accuracy)}")
    if report.shut is None:
        return (f"The {cell.label} has no gate that keeps its memory, so there is none to "
                f"shut; {cut}.")
    gate, value = report.shut_gate
    after = report.shut.accuracy
    head = (f"With the {quantity(cell, gate).name} held at {gate} = {value:g} from t = 2 to "
            f"t = {report.T_x - 1}, between the symbol and the cue, the {cell.label} recalls "
            f"{percent(after)} of the symbols instead of {percent(report.trained.accuracy)}, "
            f"{_chance_words(report, after)}.")
    if near_chance(after, report.chance, report.sequences):
        return f"{head} The symbol was kept in what that gate carries from step to step."
    return (f"{head} What is left crosses the gap through a⟨t−1⟩, which the candidate c̃⟨t⟩ "
            f"reads at every step: {cut}.")


def _telling_k(report: Report) -> int:
    """The fewest units whose silencing (the most important first) takes the recall at
    least halfway from its trained level down to chance; the most on the grid if none does."""
    curve = report.curve
    halfway = (report.trained.accuracy + report.chance) / 2
    below = np.flatnonzero((curve.top <= halfway) & (curve.k > 0))
    return int(curve.k[below[0]] if below.size else curve.k[-2 if curve.k.size > 1 else -1])


def ablation_sentence(report: Report) -> str:
    """The ablation curve read at its telling k: the most important units against as many
    random ones."""
    curve = report.curve
    k = _telling_k(report)
    at = int(np.flatnonzero(curve.k == k)[0])
    units = "unit" if k == 1 else f"{k} units"
    chosen = ", ".join(str(j) for j in report.order[:min(k, 5)]) + (", …" if k > 5 else "")
    return (f"Silencing the {units} that matter most ({chosen}) takes the recall from "
            f"{percent(report.trained.accuracy)} to {percent(curve.top[at])}; {k} units drawn "
            f"at random leave {percent(curve.random_mean[at])} (the mean of {RANDOM_DRAWS} "
            "draws). " + ("The ranking finds the units that carry the symbol: silencing them "
                          "hurts far more than silencing as many others."
                          if curve.top[at] < curve.random_mean[at] - 0.1 else
                          "Here the most important units hurt little more than any others: "
                          "the symbol is spread over many units."))


def ranking_rows(report: Report, rows: int = 8) -> list[dict]:
    """The most important units as table rows: the unit, the loss's rise (nats), the recall
    with that unit alone silenced (%)."""
    return [{"unit j": int(j), "loss rise": float(report.rise[j]),
             "recalled without it": 100 * float(report.alone[j])}
            for j in report.order[:rows]]
