"""Shared look of every figure: readable from the back of a classroom, colour-blind safe.

Gates use a fixed sequential 0-1 scale; states and gradients a diverging scale centred at 0.
Each cell keeps its colour on every page (CELL_COLORS).
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

FONT_SIZE = 18          # tick labels and legend
TITLE_SIZE = 22         # figure titles
AXIS_TITLE_SIZE = 20
DIAGRAM_TEXT_SIZE = 19  # numbers in the cell diagram's boxes (its labels: 2 px smaller)


def _written_out(name: str) -> list[list]:
    """A named colour scale as Plotly's validation writes it out, [[position, colour], ...]:
    charts drawn unvalidated (rnnviz.ui.page.live_chart) reach Plotly.js, which does not
    know plotly.py's RdBu_r and has Viridis stops of its own."""
    return [list(stop) for stop in go.Heatmap(colorscale=name).colorscale]


GATE_SCALE = _written_out("Viridis")      # sequential, perceptually uniform, colour-blind safe
DIVERGING_SCALE = _written_out("RdBu_r")  # blue negative, white 0, red positive

# Okabe & Ito's palette (distinct for every common colour-vision deficiency), then dark tones
# for a tenth line.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
           "#882255", "#117733", "#999999")
BLUE, VERMILLION, GREEN, PINK, ORANGE, SKY, BLACK, WINE, DARK_GREEN, GREY = PALETTE
# each cell keeps its colour everywhere: blue, vermillion and bluish green, which people with
# every common colour-vision deficiency tell apart
CELL_COLORS = {"lstm": BLUE, "rnn": VERMILLION, "gru": GREEN}
MARKER_COLOR = BLACK              # the current-timestep marker, the fixed points
# Every palette below is this one's start: the whole palette but black (black marks, it never
# is data), grey before the second green so that the first eight are eight colours apart.
LINE_COLORS = (BLUE, VERMILLION, GREEN, PINK, ORANGE, SKY, WINE, GREY, DARK_GREEN)
# Lines that are not a cell (classes, units): the line colours but the cells' own, so that a
# cell's colour always means that cell.
COLORWAY = tuple(c for c in LINE_COLORS if c not in CELL_COLORS.values())
# Groups of one network's states (what the task asks it to hold), where no cell is drawn: all
# nine, so the 3-bit flip-flop's eight groups are eight colours apart.
GROUP_COLORS = LINE_COLORS
INK = "#111111"                   # text, as the app's theme (.streamlit/config.toml)
LIGHT_INK = "#FFFFFF"             # text on a dark colour
DARK_INK = "#000000"              # text on a light colour: black keeps every one at AA contrast
MUTED_INK = "#333333"             # secondary labels
EDGE = "#444444"                  # outlines and arrows of the cell diagram
GRID = "#D9D9D9"                  # grid lines, visible on a washed-out projector
PASS_FILL, FAIL_FILL = "#D6EAF8", "#FAD7C0"  # light Okabe-Ito blue and vermillion: table rows
HELD_FILL = "rgba(230, 159, 0, 0.18)"  # Okabe-Ito orange, faint: the steps an intervention holds
BOX_FILL = {"input": "#F2F2F2", "state": "#FFFFFF", "gate": "#E8F1FA", "op": "#FFFFFF"}


# Plotly's plotly_white look in the app's colours, written out as layout properties: the
# parts of the template that 2-D heatmaps and lines use. A template inside each figure would
# be validated again with every figure; the empty one keeps Plotly from adding its default.
_AXIS = {"gridcolor": GRID, "linecolor": EDGE, "zerolinecolor": GRID}
LOOK = {
    "template": {},
    "paper_bgcolor": "white", "plot_bgcolor": "white", "colorway": list(COLORWAY),
    "font": {"color": INK}, "title": {"font": {"color": INK}},
    "hovermode": "closest", "hoverlabel": {"align": "left"},
    "xaxis": _AXIS, "yaxis": _AXIS,
}
COLORBAR = {"outlinewidth": 0, "ticks": ""}  # plotly_white's colour bars: no frame, no ticks


def merged(base: dict, *updates: dict) -> dict:
    """A copy of `base` with each of `updates` merged in, nested dicts key by key (as Plotly's
    update_layout merges them); any other value, a list too, replaces what was there."""
    out = dict(base)
    for update in updates:
        for key, value in update.items():
            if isinstance(value, dict) and isinstance(out.get(key), dict):
                out[key] = merged(out[key], value)
            else:
                out[key] = value
    return out


TITLE_LINE = 44        # characters of a title a line: a chart half a page wide at 1024 px
TITLE_LINE_PX = 28


def title_lines(title: str, width: int = TITLE_LINE) -> str:
    """`title` broken (Plotly's <br>) at the last space before each `width` characters:
    Plotly never wraps a title, and cuts off what is wider than the chart."""
    lines, line = [], ""
    for word in title.split(" "):
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    return "<br>".join([*lines, line])


def layout(title: str, x_title: str, y_title: str, height: int = 420) -> dict:
    """The look, fonts, margins and axis titles shared by every figure, as a layout dict.
    Axis titles keep clear of their tick labels (automargin with a standoff)."""
    text = title_lines(title)
    axis_title = {"font": {"size": AXIS_TITLE_SIZE}, "standoff": 10}
    return merged(LOOK, {
        "title": {"text": text, "font": {"size": TITLE_SIZE}},
        "font": {"size": FONT_SIZE},
        "height": height,
        "margin": {"l": 80, "r": 30, "t": 70 + TITLE_LINE_PX * text.count("<br>"), "b": 70},
        "legend": {"font": {"size": FONT_SIZE}},
        "xaxis": {"title": {"text": x_title, **axis_title}, "automargin": True},
        "yaxis": {"title": {"text": y_title, **axis_title}, "automargin": True},
    })


def apply_layout(fig: go.Figure, title: str, x_title: str, y_title: str,
                 height: int = 420) -> go.Figure:
    """`layout` applied to a new graph-object figure (the training page's, refreshed in
    place); what it sets replaces what Plotly put there (its default template)."""
    fig.update_layout(layout(title, x_title, y_title, height), overwrite=True)
    return fig


PRESENT_SCALE = 1.25   # presentation mode: charts this much taller, their type this much larger
# ... but no taller than this: on a 1024x768 projector a lesson's chart and what sets it
# (the title, the question, a row of controls) fit in the first screen. Charts drawn taller
# than PRESENT_KEEP_ABOVE (two panels, a square complex plane) keep their height.
PRESENT_MAX_HEIGHT = 400
PRESENT_KEEP_ABOVE = 520


def presented(layout: dict) -> dict:
    """A copy of a figure's layout for presentation mode: PRESENT_SCALE times as tall up to
    PRESENT_MAX_HEIGHT (a tall chart as it was), every font size in it PRESENT_SCALE times as
    large (FONT_SIZE where none is set)."""
    def scaled(part, key=""):
        if isinstance(part, dict):
            out = {k: scaled(v, k) for k, v in part.items()}
            if key.endswith("font"):
                out["size"] = round(PRESENT_SCALE * part.get("size", FONT_SIZE))
            return out
        if isinstance(part, list):
            return [scaled(v) for v in part]
        return part
    out = scaled(layout)
    out["font"] = scaled(layout.get("font", {}), "font")
    if layout.get("height"):
        height = layout["height"]
        out["height"] = (height if height > PRESENT_KEEP_ABOVE
                         else min(round(PRESENT_SCALE * height), PRESENT_MAX_HEIGHT))
    _fit_log_ticks(out)
    return out


LOG_LABEL_LINES = 2.0   # a label such as 10⁻¹² and the gap to the next, in its font's sizes


def _fit_log_ticks(layout: dict) -> None:
    """Fewer decades labelled on a vertical log axis whose labels, in presentation mode's
    larger type on a chart no taller than PRESENT_MAX_HEIGHT, would otherwise overlap."""
    margin = layout.get("margin", {})
    plot = layout.get("height", 450) - margin.get("t", 70) - margin.get("b", 70)
    for name, axis in layout.items():
        if not (name.startswith("yaxis") and isinstance(axis, dict)):
            continue
        low, high = axis.get("domain", (0.0, 1.0))
        size = axis.get("tickfont", {}).get("size") or layout["font"].get("size", FONT_SIZE)
        fits = max(2, int(plot * (high - low) // (LOG_LABEL_LINES * size)) + 1)  # labels
        span = _decades_shown(axis) if axis.get("type") == "log" else None
        if span is not None and axis.get("dtick"):
            axis["dtick"] = max(int(axis["dtick"]), math.ceil(span / (fits - 1)))
        elif "10<sup>" in str(axis.get("ticktext", "")) and len(axis["tickvals"]) > fits:
            # powers of ten placed by hand on an axis of their logs: every k-th kept
            every = math.ceil(len(axis["tickvals"]) / fits)
            axis["tickvals"] = list(axis["tickvals"])[::every]
            axis["ticktext"] = list(axis["ticktext"])[::every]


def _decades_shown(axis: dict) -> float | None:
    """How many decades a log axis spans: its range (in decades) or the values it takes in."""
    if axis.get("range"):
        low, high = axis["range"]
        return float(high) - float(low)
    include = axis.get("autorangeoptions", {}).get("include")
    if include and min(include) > 0:
        return math.log10(max(include)) - math.log10(min(include))
    return None


LEGEND_ROW_PX = 30


def legend_below(rows: int = 1) -> dict:
    """Layout for a horizontal legend at the very bottom of the figure, below the x axis's
    title and never over it: the bottom margin grows by `rows` legend rows."""
    return {"legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": 0,
                       "yanchor": "bottom", "yref": "container"},
            "margin": {"b": 80 + LEGEND_ROW_PX * rows}}


def hline(y: float) -> dict:
    """A dashed horizontal line across the plot at y, as a layout shape."""
    return {"type": "line", "xref": "x domain", "x0": 0, "x1": 1, "yref": "y", "y0": y,
            "y1": y, "line": {"color": MARKER_COLOR, "dash": "dash", "width": 2}}


def _rgb(colour: str) -> tuple[float, float, float]:
    """(r, g, b) in 0-255 of "#rrggbb" or "rgb(r, g, b)"."""
    if colour.startswith("#"):
        return tuple(float(int(colour[k:k + 2], 16)) for k in (1, 3, 5))
    return tuple(float(v) for v in colour[colour.index("(") + 1:-1].split(","))


def colours_at(scale: list[list], positions) -> list[str]:
    """The colours at `positions` (each 0 … 1, clamped) of a written-out scale [[position,
    colour], ...], interpolated in RGB between its stops as Plotly does, as "#rrggbb"."""
    at = np.array([float(stop) for stop, _ in scale])
    rgb = np.array([_rgb(colour) for _, colour in scale])   # (stops, 3)
    where = np.clip(np.asarray(positions, np.float64), 0.0, 1.0)
    mixed = np.rint(np.stack([np.interp(where, at, rgb[:, k]) for k in range(3)], axis=-1))
    return [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in mixed.astype(int).reshape(-1, 3).tolist()]


def colour_at(scale: list[list], position: float) -> str:
    """The colour at one position of a written-out scale (`colours_at`)."""
    return colours_at(scale, [position])[0]


def luminance(colour: str) -> float:
    """WCAG 2 relative luminance of a colour, 0 (black) … 1 (white)."""
    def linear(v: float) -> float:
        v /= 255
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(v) for v in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: str, other: str) -> float:
    """WCAG 2 contrast ratio of two colours, 1 … 21."""
    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def ink_on(background: str) -> str:
    """The text colour (DARK_INK or LIGHT_INK) that contrasts more with `background`: at
    least 4.58 to 1 whatever the background (WCAG AA asks 4.5 of small text)."""
    return max((DARK_INK, LIGHT_INK), key=lambda ink: contrast(ink, background))


def inks_on(backgrounds: list[str]) -> list[str]:
    """`ink_on` of each background, computed for all at once."""
    rgb = np.array([_rgb(colour) for colour in backgrounds]).reshape(-1, 3) / 255
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    lum = linear @ np.array([0.2126, 0.7152, 0.0722])
    dark, light = luminance(DARK_INK), luminance(LIGHT_INK)
    light_wins = (light + 0.05) / (lum + 0.05) > (lum + 0.05) / (dark + 0.05)
    return [LIGHT_INK if wins else DARK_INK for wins in light_wins.tolist()]
