"""Shared look of every figure: readable from the back of a classroom, colour-blind safe.

Gates use a fixed sequential 0-1 scale; states and gradients a diverging scale centred at 0.
Each cell keeps its colour on every page (CELL_COLORS).
"""

from __future__ import annotations

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
# each cell keeps its colour everywhere: blue, vermillion and bluish green, which people with
# every common colour-vision deficiency tell apart
CELL_COLORS = {"lstm": PALETTE[0], "rnn": PALETTE[1], "gru": PALETTE[2]}
MARKER_COLOR = "#000000"          # the current-timestep marker
# Lines that are not a cell (classes, units) cycle through the rest: a cell's colour always
# means that cell.
COLORWAY = tuple(c for c in PALETTE if c not in CELL_COLORS.values())
INK = "#111111"                   # text, as the app's theme (.streamlit/config.toml)
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


def layout(title: str, x_title: str, y_title: str, height: int = 420) -> dict:
    """The look, fonts, margins and axis titles shared by every figure, as a layout dict."""
    return merged(LOOK, {
        "title": {"text": title, "font": {"size": TITLE_SIZE}},
        "font": {"size": FONT_SIZE},
        "height": height,
        "margin": {"l": 80, "r": 30, "t": 70, "b": 70},
        "legend": {"font": {"size": FONT_SIZE}},
        "xaxis": {"title": {"text": x_title, "font": {"size": AXIS_TITLE_SIZE}}},
        "yaxis": {"title": {"text": y_title, "font": {"size": AXIS_TITLE_SIZE}}},
    })


def apply_layout(fig: go.Figure, title: str, x_title: str, y_title: str,
                 height: int = 420) -> go.Figure:
    """`layout` applied to a new graph-object figure (the training page's, refreshed in
    place); what it sets replaces what Plotly put there (its default template)."""
    fig.update_layout(layout(title, x_title, y_title, height), overwrite=True)
    return fig


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
