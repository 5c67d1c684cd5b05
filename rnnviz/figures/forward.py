"""Figures of the forward pass: heatmaps unit x time, lines over time, the cell at step t.

Every builder is pure: NumPy arrays (or a dict of numbers from rnnviz.app.readouts) in,
a Plotly figure out as a plain dict ({"data": [traces], "layout": {...}}, what
`go.Figure(spec)` takes; see rnnviz.figures for why). Timesteps are shown 1-based,
t = 1..T_x, as in the notebook's x<t>; units and batch examples 0-based, as array indices.
"""

from __future__ import annotations

import numpy as np

from rnnviz.engine import CELLS
from rnnviz.figures import style
from rnnviz.figures._axes import count_axis

KINDS = ("gate", "state")
MAX_LINES = 10          # above this many output classes, ŷ is drawn as a heatmap


def _steps(T_x: int) -> np.ndarray:
    return np.arange(1, T_x + 1)


def _step_marks(current_t: int | None, band: bool) -> list[dict]:
    """The shapes that outline column t (heatmaps) or draw a vertical line at t (line
    plots); none without a t."""
    if current_t is None:
        return []
    line = {"color": style.MARKER_COLOR, "width": 3}
    if band:
        return [{"type": "rect", "xref": "x", "yref": "paper", "x0": current_t - 0.5,
                 "x1": current_t + 0.5, "y0": 0, "y1": 1, "line": line,
                 "fillcolor": "rgba(0,0,0,0)"}]
    return [{"type": "line", "xref": "x", "yref": "paper", "x0": current_t, "x1": current_t,
             "y0": 0, "y1": 1, "line": {**line, "dash": "dot"}}]


def _t_axis(T_x: int) -> dict:
    """The t axis over 1..T_x with half a step either side, integer labels that never crowd."""
    return count_axis(1, T_x)


def symmetric_range(values: np.ndarray) -> float:
    """Half-width of a colour range centred at 0 that holds every value (1 if all are 0)."""
    finite = np.abs(values[np.isfinite(values)]) if np.size(values) else np.zeros(0)
    top = float(finite.max()) if finite.size else 0.0
    return top if top > 0 else 1.0


def heatmap(values, kind: str, title: str, current_t: int | None = None,
            y_title: str = "unit", zmax: float | None = None, height: int = 380) -> dict:
    """A unit x time heatmap.

    Args:
        values: (n, T_x) one row per unit (or output class), one column per timestep.
        kind: "gate": fixed sequential 0-1 scale (gates, probabilities);
            "state": diverging scale centred at 0, symmetric range ±zmax
            (default: the largest |value|).
        title: figure title, e.g. "forget gate f⟨t⟩".
        current_t: timestep (1..T_x) to outline, or None.
        y_title: the rows' axis title.

    Returns:
        a figure with one heatmap trace; hover shows t, the row and the exact value.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}; got {kind!r}")
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2:
        raise ValueError(f"values has shape {values.shape}; expected (units, T_x)")
    n, T_x = values.shape
    if kind == "gate":
        scale = {"colorscale": style.GATE_SCALE, "zmin": 0.0, "zmax": 1.0}
    else:
        half = float(zmax) if zmax else symmetric_range(values)
        scale = {"colorscale": style.DIVERGING_SCALE, "zmid": 0.0, "zmin": -half, "zmax": half}
    trace = {"type": "heatmap", "z": values, "x": _steps(T_x), "y": np.arange(n), **scale,
             "colorbar": {**style.COLORBAR, "thickness": 18,
                          "tickfont": {"size": style.FONT_SIZE}},
             "hovertemplate": f"t=%{{x}}<br>{y_title}=%{{y}}<br>value=%{{z:.4f}}<extra></extra>"}
    layout = style.merged(style.layout(title, "t", y_title, height=height), {
        "xaxis": _t_axis(T_x),
        # unit 0 at the top, like a printed array
        "yaxis": {**count_axis(0, n - 1), "range": [n - 0.5, -0.5]},
        "shapes": _step_marks(current_t, band=True)})
    return {"data": [trace], "layout": layout}


def lines_over_time(series: dict[str, np.ndarray], title: str, y_title: str,
                    current_t: int | None = None, height: int = 360) -> dict:
    """One line per named series over t = 1..T_x.

    Args:
        series: {legend label: (T_x,) values}, all the same length.
        title, y_title: figure title and y-axis title (name the symbol, e.g. "c⟨t⟩").
        current_t: timestep (1..T_x) to mark with a vertical line, or None.

    Returns:
        a figure of scatter traces: lines with markers.
    """
    traces = []
    for label, values in series.items():
        values = np.asarray(values, dtype=np.float64)
        traces.append({"type": "scatter", "x": _steps(values.shape[0]), "y": values,
                       "mode": "lines+markers", "name": label, "line": {"width": 3},
                       "hovertemplate": f"{label}<br>t=%{{x}}<br>%{{y:.4f}}<extra></extra>"})
    layout = style.layout(title, "t", y_title, height=height)
    layout["shapes"] = _step_marks(current_t, band=False)
    if traces:
        layout["xaxis"] = {**layout["xaxis"], **_t_axis(len(traces[0]["x"]))}
    return {"data": traces, "layout": layout}


GATE_AXIS = [-0.03, 1.03]   # a gate's whole range 0-1, the lines at 0 and 1 not cut off
STEP_SHADE = "rgba(0, 0, 0, 0.12)"  # the current step's column in a line chart
# one marker shape per line, so lines are told apart without their colour too
SYMBOLS = ("circle", "square", "diamond", "triangle-up", "x", "cross", "star", "hexagon")


def unit_over_time(gates: dict[str, np.ndarray], states: dict[str, np.ndarray], title: str,
                   current_t: int | None = None, gate_title: str = "gate",
                   state_title: str = "state", height: int = 620) -> dict:
    """One unit's gates (top panel, fixed 0-1) and its other sequences (bottom panel, a range
    symmetric about 0 that holds them, at least ±1) over t = 1..T_x, one line each.

    Args:
        gates, states: {legend label: (T_x,) values}, all the same length; gates in [0, 1].
        title: figure title, e.g. "unit j = 2, example i = 0".
        current_t: timestep (1..T_x) whose column is shaded in both panels, or None.
        gate_title, state_title: the panels' y-axis titles (name the symbols: "f, u, o").

    Returns:
        a figure of scatter traces (lines with markers): the gates on axes x/y, the others
        on x/y2, with one t axis below both.
    """
    series = [*((label, values, "y") for label, values in gates.items()),
              *((label, values, "y2") for label, values in states.items())]
    if not series:
        raise ValueError("nothing to draw: no gates and no states")
    traces = []
    for k, (label, values, axis) in enumerate(series):
        values = np.asarray(values, dtype=np.float64)
        traces.append({
            "type": "scatter", "x": _steps(values.shape[0]), "y": values, "yaxis": axis,
            "mode": "lines+markers", "name": label,
            "line": {"width": 3, "color": style.COLORWAY[k % len(style.COLORWAY)]},
            "marker": {"size": 9 if values.shape[0] <= 20 else 6,
                       "symbol": SYMBOLS[k % len(SYMBOLS)]},
            "hovertemplate": f"{label}<br>t=%{{x}}<br>%{{y:.4f}}<extra></extra>"})
    T_x = len(traces[0]["x"])
    states_values = np.concatenate([np.ravel(v) for v in states.values()]) if states else []
    half = 1.05 * max(1.0, symmetric_range(np.asarray(states_values, dtype=np.float64)))
    title_font = {"size": style.AXIS_TITLE_SIZE}
    # the step t shaded in both panels: a black line would look like a black series
    marks = [] if current_t is None else [
        {"type": "rect", "xref": "x", "yref": f"{axis} domain", "x0": current_t - 0.5,
         "x1": current_t + 0.5, "y0": 0, "y1": 1, "line": {"width": 0},
         "fillcolor": STEP_SHADE, "layer": "below"} for axis in ("y", "y2")]
    # the legend below, in two rows: beside the plot it took a third of a narrow page
    layout = style.merged(style.layout(title, "t", gate_title, height=height),
                          style.legend_below(rows=2), {
        "xaxis": {**_t_axis(T_x), "anchor": "y2"},
        "yaxis": {"domain": [0.55, 1.0], "range": GATE_AXIS, "dtick": 0.25},
        "yaxis2": {**style.LOOK["yaxis"], "domain": [0.0, 0.45], "range": [-half, half],
                   "title": {"text": state_title, "font": title_font}, "zeroline": True},
        "shapes": marks})
    return {"data": traces, "layout": layout}


def outputs_over_time(y_hat, output: str, current_t: int | None = None,
                      title: str = "output ŷ⟨t⟩") -> dict:
    """ŷ over time: one line per class when n_y <= 10, else a class x time heatmap.

    Args:
        y_hat: (n_y, T_x) outputs of one example (or the batch mean).
        output: "softmax" (probabilities: 0-1 scale) or "linear" (diverging scale).
        current_t: timestep to mark.
    """
    y_hat = np.asarray(y_hat, dtype=np.float64)
    y_title = "P(class)" if output == "softmax" else "ŷ"
    if y_hat.shape[0] > MAX_LINES:
        kind = "gate" if output == "softmax" else "state"
        return heatmap(y_hat, kind, title, current_t, y_title="class")
    series = {f"ŷ{k}" if output == "linear" else f"class {k}": y_hat[k]
              for k in range(y_hat.shape[0])}
    fig = lines_over_time(series, title, y_title, current_t)
    if output == "softmax":
        fig["layout"] = style.merged(fig["layout"], {"yaxis": {"range": [-0.02, 1.02]}})
    return fig


# ----- the cell at step t ------------------------------------------------------------------

BOX_FILL = style.BOX_FILL
TEXT_SIZE = style.DIAGRAM_TEXT_SIZE
# px of drawing per unit of the diagram's coordinates that each px of its largest text needs
# to stay inside its box (x⟨t⟩'s "[-0.88, 0.38, …]" fits at 61 px a unit in 20 px type, and
# spilled at 2.8 px a unit per px); drawn smaller, its text is drawn smaller (live_chart.js)
FIT_TEXT = 3.2


def _fmt(value: float) -> str:
    return f"{value:+.3f}"


def _vector(values, limit: int = 3) -> str:
    values = np.asarray(values, dtype=np.float64).ravel()
    shown = ", ".join(f"{v:.2f}" for v in values[:limit])
    return f"[{shown}{', …' if values.size > limit else ''}]"


class _Canvas:
    """Boxes, round operator nodes and arrows in data coordinates, collected as layout shapes
    and annotations."""

    def __init__(self, accent: str):
        self.shapes: list[dict] = []
        self.annotations: list[dict] = []
        self.accent = accent

    def box(self, x, y, text, w=1.6, h=0.9, fill=BOX_FILL["state"], bold_edge=False):
        self.shapes.append({
            "type": "rect", "x0": x - w / 2, "x1": x + w / 2, "y0": y - h / 2, "y1": y + h / 2,
            "line": {"color": self.accent if bold_edge else style.EDGE,
                     "width": 3 if bold_edge else 1.5},
            "fillcolor": fill, "layer": "below"})
        self.annotations.append({"x": x, "y": y, "text": text, "showarrow": False,
                                 "font": {"size": TEXT_SIZE, "color": style.INK}})

    def op(self, x, y, symbol, r=0.28):
        self.shapes.append({"type": "circle", "x0": x - r, "x1": x + r, "y0": y - r,
                            "y1": y + r, "line": {"color": style.EDGE, "width": 1.5},
                            "fillcolor": BOX_FILL["op"], "layer": "below"})
        self.annotations.append({"x": x, "y": y, "text": symbol, "showarrow": False,
                                 "font": {"size": TEXT_SIZE + 1}})

    def arrow(self, x0, y0, x1, y1, head=True, width=2.0):
        self.annotations.append({
            "x": x1, "y": y1, "ax": x0, "ay": y0, "xref": "x", "yref": "y", "axref": "x",
            "ayref": "y", "text": "", "showarrow": True, "arrowhead": 2 if head else 0,
            "arrowsize": 1.2, "arrowwidth": width, "arrowcolor": style.EDGE})

    def label(self, x, y, text, size=TEXT_SIZE - 2):
        self.annotations.append({"x": x, "y": y, "text": text, "showarrow": False,
                                 "font": {"size": size, "color": style.MUTED_INK}})

    def finish(self, title: str, width: float, height_units: float, height: int) -> dict:
        layout = style.merged(style.LOOK, {
            "title": {"text": title, "font": {"size": style.TITLE_SIZE}},
            "font": {"size": style.FONT_SIZE}, "height": height,
            "margin": {"l": 10, "r": 10, "t": 60, "b": 10}, "showlegend": False,
            # 1:1 kept by a smaller plot area: a widened range made Plotly.react redraw it all
            "xaxis": {"range": [-0.1, width + 0.1], "visible": False, "fixedrange": True,
                      "constrain": "domain"},
            "yaxis": {"range": [-0.1, height_units + 0.1], "visible": False,
                      "fixedrange": True, "scaleanchor": "x", "scaleratio": 1,
                      "constrain": "domain"},
            "shapes": self.shapes, "annotations": self.annotations,
            # drawn smaller in a narrow chart, its text shrinks with it (rnnviz/ui/live_chart.js)
            "meta": {"fit_text": FIT_TEXT},
        })
        # nothing to plot, but one empty trace: st.plotly_chart refuses a figure without any
        return {"data": [{"type": "scatter", "x": [], "y": [], "hoverinfo": "skip"}],
                "layout": layout}


def cell_diagram(cell: str, terms: dict, example: int) -> dict:
    """The cell at one step with the numbers of one unit and one batch example in its boxes.

    Args:
        cell: the cell's name, a key of DIAGRAMS.
        terms: rnnviz.app.readouts.step_terms(...) for that step, unit and example.
        example: the batch example i the numbers belong to (for the title).

    Returns:
        a figure drawn with shapes and annotations (its one trace is empty): inputs a⟨t−1⟩, x⟨t⟩
        (and c⟨t−1⟩) on the left, the gates in the middle, c⟨t⟩, a⟨t⟩ and ŷ⟨t⟩ on the right.
    """
    if cell not in DIAGRAMS:
        raise ValueError(f"cell must be one of {', '.join(map(repr, DIAGRAMS))}; got {cell!r}")
    t, j = terms["step"], terms["unit"]
    title = f"{CELLS[cell].label} cell at t = {t}: unit j = {j}, example i = {example}"
    return DIAGRAMS[cell](_Canvas(style.CELL_COLORS[cell]), terms, t, title)


def _rnn_diagram(cv: _Canvas, terms: dict, t: int, title: str) -> dict:
    cell_x, cell_y, right = 5.7, 2.3, 9.8
    z = terms["projections"]["a"]
    cv.box(1.3, 3.7, f"a⟨{t - 1}⟩<br>{_fmt(terms['a_prev'])}", w=1.8, fill=BOX_FILL["state"])
    cv.box(1.3, 0.9, f"x⟨{t}⟩<br>{_vector(terms['x'], 2)}", w=2.5, fill=BOX_FILL["input"])
    cv.box(cell_x, cell_y, f"tanh(Waa a + Wax x + ba)<br>z = {_fmt(z['z'])}", w=4.4,
           h=1.2, fill=BOX_FILL["gate"], bold_edge=True)
    cv.arrow(2.2, 3.7, cell_x - 2.2, cell_y + 0.45)
    cv.arrow(2.55, 0.9, cell_x - 2.2, cell_y - 0.45)
    cv.label(3.9, 3.75, f"Waa a⟨t−1⟩: {_fmt(z['rec'])}")
    cv.label(4.1, 0.95, f"Wax x⟨t⟩: {_fmt(z['inp'])}")
    cv.box(right, cell_y, f"a⟨{t}⟩<br>{_fmt(terms['a'])}", w=1.8, fill=BOX_FILL["state"],
           bold_edge=True)
    cv.arrow(cell_x + 2.2, cell_y, right - 0.9, cell_y)
    cv.box(right, 4.3, f"ŷ⟨{t}⟩<br>{_vector(terms['y_hat'], 2)}", w=2.4,
           fill=BOX_FILL["input"])
    cv.arrow(right, cell_y + 0.45, right, 3.85)
    return cv.finish(title, 11.1, 4.9, 440)


def _gate_boxes(cv: _Canvas, gates: dict, terms: dict, bus: float, gate_y: float) -> None:
    """Each gate's box with its value, fed from the concat bus below it; gates is
    {projection: (x, label)}."""
    for name, (x, label) in gates.items():
        cv.arrow(x, bus, x, gate_y - 0.5)
        cv.box(x, gate_y, f"{label}<br>{_fmt(terms['projections'][name]['value'])}", w=1.3,
               h=0.95, fill=BOX_FILL["gate"], bold_edge=True)


def _lstm_diagram(cv: _Canvas, terms: dict, t: int, title: str) -> dict:
    top, bus, gate_y, right = 5.2, 0.7, 2.4, 10.7
    gates = {"f": (3.6, "f = σ"), "u": (5.0, "u = σ"), "c_tilde": (6.5, "c̃ = tanh"),
             "o": (8.0, "o = σ")}
    # inputs on the left: c<t-1> on the cell line, a<t-1> and x<t> into the concat bus
    cv.box(1.0, top, f"c⟨{t - 1}⟩<br>{_fmt(terms['c_prev'])}", fill=BOX_FILL["state"])
    cv.box(1.0, 2.4, f"a⟨{t - 1}⟩<br>{_fmt(terms['a_prev'])}", fill=BOX_FILL["state"])
    # wide enough for two entries and "…" at the figures' font size
    cv.box(1.1, bus, f"x⟨{t}⟩<br>{_vector(terms['x'], 2)}", w=2.3, fill=BOX_FILL["input"])
    cv.arrow(1.8, 2.4, 2.45, 2.4, head=False, width=3)
    cv.arrow(2.45, 2.4, 2.45, bus, head=False, width=3)
    cv.arrow(2.25, bus, gates["o"][0], bus, head=False, width=3)
    cv.label(5.75, bus - 0.38, "concat = [a⟨t−1⟩; x⟨t⟩]")
    _gate_boxes(cv, gates, terms, bus, gate_y)
    # the cell line: c<t-1> -> x f -> + u c~ -> c<t>
    times_f, plus, times_uc = (3.6, top), (5.75, top), (5.75, 3.9)
    cv.arrow(1.8, top, times_f[0] - 0.28, top)
    cv.op(*times_f, "×")
    cv.arrow(times_f[0], gate_y + 0.48, times_f[0], top - 0.28)
    cv.arrow(times_f[0] + 0.28, top, plus[0] - 0.28, top)
    cv.op(*plus, "+")
    cv.op(*times_uc, "×")
    cv.arrow(gates["u"][0], gate_y + 0.48, times_uc[0] - 0.22, times_uc[1] - 0.18)
    cv.arrow(gates["c_tilde"][0], gate_y + 0.48, times_uc[0] + 0.22, times_uc[1] - 0.18)
    cv.arrow(times_uc[0], times_uc[1] + 0.28, plus[0], top - 0.28)
    cv.box(right, top, f"c⟨{t}⟩<br>{_fmt(terms['c'])}", fill=BOX_FILL["state"],
           bold_edge=True)
    cv.arrow(plus[0] + 0.28, top, right - 0.8, top)
    # a<t> = o * tanh(c<t>), then y_hat<t> from a<t>
    tanh_c, times_o = (9.2, 3.95), (9.2, gate_y)
    cv.arrow(tanh_c[0], top, tanh_c[0], tanh_c[1] + 0.3)
    cv.box(*tanh_c, "tanh", w=0.9, h=0.55, fill=BOX_FILL["op"])
    cv.arrow(tanh_c[0], tanh_c[1] - 0.28, times_o[0], times_o[1] + 0.28)
    cv.op(*times_o, "×")
    cv.arrow(gates["o"][0] + 0.65, gate_y, times_o[0] - 0.28, gate_y)
    cv.box(right, 0.9, f"a⟨{t}⟩<br>{_fmt(terms['a'])}", fill=BOX_FILL["state"],
           bold_edge=True)
    cv.arrow(times_o[0], times_o[1] - 0.28, right - 0.8, 1.1)
    cv.box(right, 3.1, f"ŷ⟨{t}⟩<br>{_vector(terms['y_hat'], 2)}", w=1.9,
           fill=BOX_FILL["input"])
    cv.arrow(right, 1.35, right, 2.65)
    return cv.finish(title, 11.7, 5.7, 520)


def _gru_diagram(cv: _Canvas, terms: dict, t: int, title: str) -> dict:
    top, bus, gate_y, right = 5.2, 0.7, 2.4, 10.7
    gates = {"r": (3.6, "r = σ"), "c_tilde": (5.3, "c̃ = tanh"), "u": (7.0, "u = σ")}
    # a<t-1> on the memory line along the top; it and x<t> feed the concat bus below
    cv.box(1.0, top, f"a⟨{t - 1}⟩<br>{_fmt(terms['a_prev'])}", fill=BOX_FILL["state"])
    cv.box(1.1, bus, f"x⟨{t}⟩<br>{_vector(terms['x'], 2)}", w=2.3, fill=BOX_FILL["input"])
    cv.arrow(2.45, top, 2.45, bus, head=False, width=3)
    cv.arrow(2.25, bus, gates["u"][0], bus, head=False, width=3)
    cv.label(4.45, bus - 0.38, "concat = [a⟨t−1⟩; x⟨t⟩]")
    _gate_boxes(cv, gates, terms, bus, gate_y)
    cv.label(gates["c_tilde"][0] + 0.45, bus + 0.75, "x⟨t⟩")
    # the reset gate acts on a<t-1> before the candidate's product: c~ = tanh(Wc [r a; x] + bc)
    times_r = (gates["r"][0], 3.9)
    cv.arrow(times_r[0], top, times_r[0], times_r[1] + 0.28)
    cv.op(*times_r, "×")
    cv.arrow(times_r[0], gate_y + 0.48, times_r[0], times_r[1] - 0.28)
    cv.arrow(times_r[0] + 0.25, times_r[1] - 0.15, gates["c_tilde"][0] - 0.45, gate_y + 0.48)
    cv.label(times_r[0] + 0.95, times_r[1] + 0.05, "r∘a⟨t−1⟩")
    # a<t> = (1 - u) a<t-1> + u c~
    keep, plus, times_uc = (gates["u"][0], top), (8.6, top), (8.6, 3.9)
    cv.arrow(1.8, top, keep[0] - 0.28, top)
    cv.op(*keep, "×")
    cv.box(gates["u"][0], 3.9, "1 − u", w=0.9, h=0.55, fill=BOX_FILL["op"])
    cv.arrow(gates["u"][0], gate_y + 0.48, gates["u"][0], 3.9 - 0.28)
    cv.arrow(gates["u"][0], 3.9 + 0.28, keep[0], top - 0.28)
    cv.op(*times_uc, "×")
    cv.arrow(gates["c_tilde"][0] + 0.3, gate_y + 0.48, times_uc[0] - 0.26, times_uc[1] - 0.1)
    cv.arrow(gates["u"][0] + 0.65, gate_y, times_uc[0] - 0.15, times_uc[1] - 0.24)
    cv.arrow(keep[0] + 0.28, top, plus[0] - 0.28, top)
    cv.op(*plus, "+")
    cv.arrow(times_uc[0], times_uc[1] + 0.28, plus[0], top - 0.28)
    cv.box(right, top, f"a⟨{t}⟩<br>{_fmt(terms['a'])}", fill=BOX_FILL["state"],
           bold_edge=True)
    cv.arrow(plus[0] + 0.28, top, right - 0.8, top)
    cv.box(right, 2.4, f"ŷ⟨{t}⟩<br>{_vector(terms['y_hat'], 2)}", w=1.9,
           fill=BOX_FILL["input"])
    cv.arrow(right, top - 0.45, right, 2.85)
    return cv.finish(title, 11.7, 5.7, 520)


# How each cell is drawn, by its name.
DIAGRAMS = {"rnn": _rnn_diagram, "lstm": _lstm_diagram, "gru": _gru_diagram}
