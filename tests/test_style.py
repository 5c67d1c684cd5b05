"""The projector look: every colour comes from rnnviz.figures.style, the RNN and the LSTM keep
their colours on every page, labels are large, and the theme matches the figures."""

import re
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import tomllib

from rnnviz.engine import CELLS
from rnnviz.figures import forward, gradients, style, training

ROOT = Path(__file__).resolve().parents[1]
HEX = re.compile(r"#[0-9A-Fa-f]{6}\b")


def test_no_module_but_style_hard_codes_a_colour():
    sources = [*(ROOT / "rnnviz").rglob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "app.py"]
    offenders = {str(p.relative_to(ROOT)): HEX.findall(p.read_text())
                 for p in sources if p.name != "style.py"}
    assert {p: found for p, found in offenders.items() if found} == {}


def test_line_charts_cycle_through_the_colour_blind_safe_palette_minus_the_cells():
    assert style.LOOK["colorway"] == list(style.COLORWAY)
    assert not set(style.COLORWAY) & set(style.CELL_COLORS.values())
    assert len(style.COLORWAY) == 8
    assert len(set(style.PALETTE)) == len(style.PALETTE) == 10


def test_rnn_and_lstm_keep_their_colours_in_gradient_and_training_figures():
    T_x = 5
    flows = {cell: {"a": np.linspace(1e-3, 1, T_x)} for cell in ("rnn", "lstm")}
    fig = go.Figure(gradients.gradient_flow(flows, "the last step only"))
    by_name = {trace.name: trace.line.color for trace in fig.data}
    for cell, colour in style.CELL_COLORS.items():
        assert any(CELLS[cell].label in name and c == colour for name, c in by_name.items())
    assert training.run_colors(["lstm"]) == [style.CELL_COLORS["lstm"]]
    assert training.run_colors(["rnn", "lstm"]) == [style.CELL_COLORS["rnn"],
                                                   style.CELL_COLORS["lstm"]]


def test_axis_labels_are_large_and_dark_on_every_figure():
    fig = go.Figure(forward.heatmap(np.zeros((3, 4)), "gate", "f", current_t=2))
    assert fig.layout.font.size >= 18 and fig.layout.xaxis.title.font.size >= 20
    assert fig.layout.font.color == fig.layout.title.font.color == style.INK
    gate = go.Figure(forward.heatmap(np.zeros((3, 4)), "gate", "f"))
    state = go.Figure(forward.heatmap(np.zeros((3, 4)), "state", "a"))
    assert (gate.data[0].zmin, gate.data[0].zmax) == (0.0, 1.0)   # sequential, fixed
    assert state.data[0].zmid == 0.0                               # diverging, centred


def test_the_theme_uses_the_figures_colours():
    theme = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["theme"]
    assert theme["primaryColor"] == style.CELL_COLORS["lstm"]
    assert theme["textColor"] == style.INK
    assert theme["baseFontSize"] >= 16


def test_legends_below_a_chart_sit_under_the_axis_title_with_room_for_each_row():
    flows = {cell: {"a": np.linspace(1e-3, 1, 4)} for cell in ("rnn", "lstm")}
    fig = go.Figure(gradients.gradient_flow(flows, "the last step only"))
    assert fig.layout.legend.yref == "container" and fig.layout.legend.y == 0
    assert fig.layout.margin.b == 80 + style.LEGEND_ROW_PX
    curves = [training.Curve(f"run {k}", style.PALETTE[k], np.arange(3), np.ones(3))
              for k in range(3)]
    fig = training.run_curves(curves, "loss", "L")
    assert fig.layout.margin.b == 80 + 3 * style.LEGEND_ROW_PX
