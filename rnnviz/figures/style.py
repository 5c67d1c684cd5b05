"""Shared look of every figure: readable from the back of a classroom, colour-blind safe.

Gates use a fixed sequential 0-1 scale; states and gradients a diverging scale centred at 0.
The RNN and the LSTM keep the same colours on every page.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

FONT_SIZE = 18          # tick labels and legend
TITLE_SIZE = 22         # figure titles
AXIS_TITLE_SIZE = 20
DIAGRAM_TEXT_SIZE = 19  # numbers in the cell diagram's boxes (its labels: 2 px smaller)

GATE_SCALE = "Viridis"            # sequential, perceptually uniform, colour-blind safe
DIVERGING_SCALE = "RdBu_r"        # blue negative, white 0, red positive

# Okabe & Ito's palette (distinct for every common colour-vision deficiency), then dark tones
# for a tenth line.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
           "#882255", "#117733", "#999999")
CELL_COLORS = {"lstm": PALETTE[0], "rnn": PALETTE[1]}  # each cell keeps its colour everywhere
MARKER_COLOR = "#000000"          # the current-timestep marker
# Lines that are not a cell (classes, units) cycle through the rest: a cell's colour always
# means that cell.
COLORWAY = tuple(c for c in PALETTE if c not in CELL_COLORS.values())
INK = "#111111"                   # text, as the app's theme (.streamlit/config.toml)
MUTED_INK = "#333333"             # secondary labels
EDGE = "#444444"                  # outlines and arrows of the cell diagram
GRID = "#D9D9D9"                  # grid lines, visible on a washed-out projector
PASS_FILL, FAIL_FILL = "#D6EAF8", "#FAD7C0"  # light Okabe-Ito blue and vermillion: table rows
BOX_FILL = {"input": "#F2F2F2", "state": "#FFFFFF", "gate": "#E8F1FA", "op": "#FFFFFF"}


# plotly_white, cut to the trace types the app draws, built once: assigning the full
# template by name re-validates all of it in every figure.
_WHITE = pio.templates["plotly_white"]
TEMPLATE = go.layout.Template(
    layout=go.Layout(_WHITE.layout, font={"color": INK}, colorway=list(COLORWAY),
                     title={"font": {"color": INK}},
                     xaxis={"gridcolor": GRID, "linecolor": EDGE, "zerolinecolor": GRID},
                     yaxis={"gridcolor": GRID, "linecolor": EDGE, "zerolinecolor": GRID}),
    data={kind: _WHITE.data[kind] for kind in ("scatter", "scattergl", "heatmap", "bar",
                                               "histogram", "contour", "table")},
)


def apply_layout(fig: go.Figure, title: str, x_title: str, y_title: str,
                 height: int = 420) -> go.Figure:
    """Fonts, margins and axis titles shared by every figure."""
    fig.update_layout(
        title={"text": title, "font": {"size": TITLE_SIZE}},
        font={"size": FONT_SIZE},
        height=height,
        margin={"l": 80, "r": 30, "t": 70, "b": 70},
        template=TEMPLATE,
        legend={"font": {"size": FONT_SIZE}},
    )
    fig.update_xaxes(title={"text": x_title, "font": {"size": AXIS_TITLE_SIZE}})
    fig.update_yaxes(title={"text": y_title, "font": {"size": AXIS_TITLE_SIZE}})
    return fig


LEGEND_ROW_PX = 30


def legend_below(fig: go.Figure, rows: int = 1) -> go.Figure:
    """A horizontal legend at the very bottom of the figure, below the x axis's title and
    never over it: the bottom margin grows by `rows` legend rows."""
    fig.update_layout(
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 0, "yanchor": "bottom",
                "yref": "container"},
        margin={"b": 80 + LEGEND_ROW_PX * rows},
    )
    return fig
