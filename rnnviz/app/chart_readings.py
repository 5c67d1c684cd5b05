"""How to read the charts a student misreads most easily, one line under each with the
numbers of the view: the log axes of the Training page (the loss, the gradient norm with its
dashed clipping threshold, the optimizer's statistics), of the Memory map page (its log colour
scale, what a⟨T⟩ hands back to a⟨1⟩) and of the Gate lab's ‖∂L/∂a⟨t⟩‖ (the Gradient flow
page's are in rnnviz.app.flow_readings).

A log axis draws neither 0 nor a value that is not a finite number (a diverged run): each
line says so where the view has one, rather than reading a number that is not drawn. The
figures decide how many powers of ten lie between two labels; the pages pass that on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from rnnviz.app.check_words import power_of_ten
from rnnviz.app.lab import number

LARGEST_FACTOR = 300  # powers of ten: a ratio past 10^300 is written as a power, not computed
TIMES = {1: "ten", 2: "a hundred", 3: "a thousand"}


def gridlines(decades: int, what: str = "gridline") -> str:
    """"Each gridline is ten times the one below", for labels `decades` powers of ten
    apart (10⁴ and more written as a power)."""
    times = TIMES.get(decades) or power_of_ten(10.0 ** decades)
    return f"Each {what} is {times} times the one below"


def drawn(values) -> np.ndarray:
    """Which values a log axis draws: finite and above 0."""
    values = np.asarray(values, dtype=np.float64)
    return np.isfinite(values) & (values > 0)


def factor(larger: float, smaller: float) -> str:
    """larger / smaller of two drawn values, as a sentence writes it: "8.02", "5,720",
    "1.2e+05"; 10^400 past LARGEST_FACTOR."""
    power = np.log10(larger) - np.log10(smaller)
    if power >= LARGEST_FACTOR:
        return f"10^{power:.0f}"
    ratio = 10.0 ** power
    return f"{float(f'{ratio:.3g}'):,.0f}" if 100 <= ratio < 1e4 else number(ratio)


def change(first: float, last: float, start: str, end: str) -> str:
    """How a drawn value went from `first` (at `start`, "step 1") to `last` (at `end`)."""
    if number(first) == number(last):
        return f"stayed at {number(first)} from {start} to {end}"
    went = "fell" if last < first else "rose"
    by = (f"a factor of {factor(first, last)}" if last < first
          else f"{factor(last, first)} times as much")
    return f"{went} from {number(first)} at {start} to {number(last)} at {end}, {by}"


def series_words(what: str, steps: Sequence[int], values, step: str = "step") -> str:
    """What a line on a log axis shows, first drawn point to last, and why it stops early or
    has gaps; e.g. "run 2's loss fell from 3.29 at step 1 to 0.41 at step 1,500, a factor
    of 8.02".

    Args:
        what: the quantity, as the sentence names it.
        steps: (k,) where each value is (training steps, T).
        values: (k,) the values drawn.
        step: how a step is named before its number ("step", "T =").
    """
    values = np.asarray(values, dtype=np.float64)
    shown = drawn(values)
    if not shown.any():
        if values.size and np.isfinite(values).all():
            return f"{what} is 0 throughout, and a log axis has no 0"
        return f"{what} has no finite value above 0 yet: a log axis draws none"
    first, last = np.flatnonzero(shown)[[0, -1]]
    at = [f"{step} {int(steps[k]):,}" for k in (first, last)]
    if first == last:
        text = f"{what} is {number(values[last])} at {at[1]}"
        text += "" if last + 1 < values.size else ", a single point"
    else:
        text = f"{what} {change(values[first], values[last], *at)}"
    after = values[last + 1:]
    if after.size and not np.isfinite(after).all():
        return text + f"; then it diverged: no finite value after {at[1]}, so the line stops"
    if after.size:
        return text + "; then it is 0, which a log axis cannot draw, so the line stops"
    inner = values[first:last + 1][~shown[first:last + 1]]
    if inner.size:
        gap = "a 0" if np.isfinite(inner).all() else "a value that is not finite"
        return text + f"; {gap} leaves a gap in the line"
    return text


def loss_reading(run: int, steps: Sequence[int], losses, decades: int) -> str:
    """Under the Training page's loss chart when its axis is logarithmic: run `run`'s loss
    from its first step to its last."""
    what = f"run {run}'s loss"
    return f"{gridlines(decades)}: {series_words(what, steps, losses)}."


def grad_norm_reading(run: int, steps: Sequence[int], norms, clipped: Sequence[bool],
                      threshold: float | None, decades: int) -> str:
    """Under the Training page's gradient-norm chart (a log axis): the dashed clipping
    threshold and how often run `run` went over it, or, with no dashed line, how its ‖g‖
    moved."""
    if threshold is None:
        what = f"run {run}'s ‖g‖"
        return f"{gridlines(decades)}: {series_words(what, steps, norms)}."
    over = int(np.count_nonzero(clipped))
    tau, of = number(threshold), f"run {run}'s {len(steps):,} steps"
    return (f"{gridlines(decades)}. The dashed line is the clipping threshold {tau}: "
            + (f"a ‖g‖ above it was scaled down to {tau}, at {over:,} of {of} (×)." if over else
               f"a ‖g‖ above it would be scaled down to {tau}; none of {of} went over."))


def optimizer_reading(steps: Sequence[int], values_by_param: Mapping[str, np.ndarray],
                      what: str, decades: int) -> str:
    """Under one optimizer statistic per parameter (a log axis): at the last step that has a
    drawn value, the smallest parameter's value and the largest's.

    Args:
        steps: (k,) the training steps.
        values_by_param: {parameter name: (k,) values}.
        what: the statistic, as the axis names it ("mean |m̂|").
    """
    values = {name: np.asarray(v, dtype=np.float64) for name, v in values_by_param.items()}
    any_drawn = np.zeros(len(steps), dtype=bool)
    for v in values.values():
        any_drawn |= drawn(v)
    if not any_drawn.any():
        return (f"Nothing is drawn yet: every {what} is 0 or not a finite number, and a log "
                "axis draws neither.")
    k = int(np.flatnonzero(any_drawn)[-1])
    at = {name: float(v[k]) for name, v in values.items() if drawn(v[k])}
    low, high = min(at, key=at.get), max(at, key=at.get)
    where = f"{gridlines(decades)}: at step {int(steps[k]):,}"
    if number(at[low]) == number(at[high]):
        return f"{where} {what} is {number(at[high])} for {' and '.join(at)}."
    return (f"{where} {what} runs from {number(at[low])} ({low}) to {number(at[high])} "
            f"({high}), {factor(at[high], at[low])} times as much.")


def memory_colour_reading(maps: Mapping[str, np.ndarray], ticks: Sequence[int]) -> str:
    """Under the memory maps' log colour scale: how far apart its labels are and the range
    of the squares coloured, over every map.

    Args:
        maps: {cell: (T_x, T_x) ‖∂ŷ⟨t⟩/∂x⟨s⟩‖}.
        ticks: the colour bar's labels, as powers of ten (whole exponents, increasing).
    """
    values = np.concatenate([np.ravel(np.asarray(S, dtype=np.float64)) for S in maps.values()])
    shown = values[drawn(values)]
    if not shown.size:
        return ("The colours are a log scale, one for all the maps, but every square is 0 "
                "here, and a log scale has no 0: all are empty.")
    step = int(np.diff(ticks)[0]) if len(ticks) > 1 else 1
    low, high = float(shown.min()), float(shown.max())
    spread = ("every coloured square is " + number(high) if number(low) == number(high) else
              f"squares run from {number(low)} (dark) to {number(high)} (bright), a factor "
              f"of {factor(high, low)}")
    return (f"{gridlines(step, 'colour-bar label')} (one scale for all the maps): {spread}; "
            "empty ones are 0.")


def gain_reading(gain, decades: int) -> str:
    """Under one unit's |∂a⟨T⟩/∂a⟨1⟩| over T (a log axis): its fall or rise and the factor
    a step it averages.

    Args:
        gain: (T,) ∂a⟨T⟩/∂a⟨1⟩ for T = 1..len(gain).
    """
    gain = np.abs(np.asarray(gain, dtype=np.float64))
    steps = np.arange(1, gain.size + 1)
    text = f"{gridlines(decades)}: {series_words('|∂a⟨T⟩/∂a⟨1⟩|', steps, gain, 'T =')}"
    return text + average_step(gain) + "."


def average_step(values) -> str:
    """", × 0.881 a step on average": the factor from one value to the next that would go
    from the first to the last in as many steps; "" unless every value is drawn and there
    are two or more."""
    values = np.asarray(values, dtype=np.float64)
    if values.size < 2 or not drawn(values).all():
        return ""
    per_step = 10.0 ** ((np.log10(values[-1]) - np.log10(values[0])) / (values.size - 1))
    return f", × {number(per_step)} a step on average"


def lab_flow_reading(original, intervened, decades: int) -> str:
    """Under the Gate lab's ‖∂L/∂a⟨t⟩‖ charts (one log axis for both): what reaches t = 1
    in each run.

    Args:
        original, intervened: (T_x,) ‖∂L/∂a⟨t⟩‖ of each run.
    """
    runs = {"original": float(np.asarray(original, dtype=np.float64)[0]),
            "intervened": float(np.asarray(intervened, dtype=np.float64)[0])}
    words = {run: number(v) if np.isfinite(v) else "not a finite number"
             for run, v in runs.items()}
    text = (f"{gridlines(decades)}, on both charts alike: ‖∂L/∂a⟨1⟩‖ is {words['original']} "
            f"in the original and {words['intervened']} intervened")
    missing = [run for run, v in runs.items() if not drawn(v)]
    if missing:
        which = f"the {missing[0]} line has no" if len(missing) == 1 else "neither line has a"
        return (text + f"; {which} point at t = 1: a log axis draws no 0 and no value that "
                "is not finite.")
    before, after = runs.values()
    if number(before) != number(after):
        text += (f", {factor(before, after)} times smaller" if after < before
                 else f", {factor(after, before)} times larger")
    return text + "."
