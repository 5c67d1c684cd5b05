"""The projector look: every colour comes from rnnviz.figures.style, each cell keeps its
colour on every page and the three can be told apart with any common colour-vision
deficiency, labels are large, and the theme matches the figures."""

import itertools
import re
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import tomllib

from rnnviz.engine import CELLS
from rnnviz.figures import forward, gradients, memory, style, training

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
    assert len(set(style.PALETTE)) == len(style.PALETTE) == 10
    assert set(style.CELL_COLORS) == set(CELLS)
    assert len(set(style.CELL_COLORS.values())) == len(CELLS)   # a colour per cell
    assert len(style.COLORWAY) == len(style.PALETTE) - len(CELLS) - 1 == 6
    assert style.MARKER_COLOR not in style.COLORWAY  # black marks, it never is a line's colour
    # one order for every palette: the line colours', which the runs and the groups share
    assert [c for c in style.LINE_COLORS if c in style.COLORWAY] == list(style.COLORWAY)
    assert training.RUN_PALETTE == style.GROUP_COLORS[:8]
    assert training.PARAM_PALETTE[:9] == style.LINE_COLORS


def test_the_flip_flops_eight_groups_of_states_get_eight_colours_none_of_them_black():
    rng = np.random.default_rng(0)
    labels = np.arange(8).repeat(3).reshape(8, 3)  # (m, T_x): example i holds group i
    names = tuple(f"group {k}" for k in range(8))
    points = [(np.zeros(2), "stable"), (np.ones(2), "unstable")]
    fig = memory.trajectories(rng.standard_normal((2, 8, 3)), labels, names, points,
                              np.array([0.5, 0.3]))
    groups = [t for t in fig["data"] if t.get("name") in names]
    colours = [t["marker"]["color"] for t in groups]
    assert len(groups) == 8 and len(set(colours)) == 8
    assert style.MARKER_COLOR not in colours  # black is the fixed points' alone
    marks = [t for t in fig["data"] if "fixed point" in t.get("name", "")]
    assert {t["marker"]["color"] for t in marks} == {style.MARKER_COLOR}
    assert len(set(style.GROUP_COLORS)) == len(style.GROUP_COLORS) == len(style.PALETTE) - 1


def test_eight_runs_get_eight_colours_none_of_them_black():
    colours = training.run_colors(["rnn", "lstm", "gru", "rnn", "lstm", "gru", "rnn", "lstm"])
    assert len(set(colours)) == 8 and style.MARKER_COLOR not in colours
    assert colours[:3] == [style.CELL_COLORS[c] for c in ("rnn", "lstm", "gru")]
    # the per-parameter lines need ten: black only for the tenth
    assert len(set(training.PARAM_PALETTE)) == 10
    assert training.PARAM_PALETTE.index(style.MARKER_COLOR) == 9


def test_every_cell_keeps_its_colour_in_gradient_and_training_figures():
    T_x = 5
    flows = {cell: {"a": np.linspace(1e-3, 1, T_x)} for cell in CELLS}
    fig = go.Figure(gradients.gradient_flow(flows, "the last step only"))
    by_name = {trace.name: trace.line.color for trace in fig.data}
    for cell, colour in style.CELL_COLORS.items():
        assert any(CELLS[cell].label in name and c == colour for name, c in by_name.items())
    assert training.run_colors(["lstm"]) == [style.CELL_COLORS["lstm"]]
    assert training.run_colors(["gru"]) == [style.CELL_COLORS["gru"]]
    assert training.run_colors(["rnn", "lstm", "gru"]) == [
        style.CELL_COLORS["rnn"], style.CELL_COLORS["lstm"], style.CELL_COLORS["gru"]]
    # a second GRU run takes a colour that is no cell's
    second = training.run_colors(["gru", "gru"])[1]
    assert second not in style.CELL_COLORS.values()


# Colour-vision deficiencies as Machado, Oliveira and Fernandes (2009) simulate them, severity
# 1.0 (dichromacy, the strongest form), applied in linear RGB.
DICHROMACY = {
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602),
                   (0.004733, 0.691367, 0.303900)),
}
VISIONS = {"normal": np.eye(3), **{name: np.array(m) for name, m in DICHROMACY.items()}}
# CIEDE2000 at or above this: two line colours on white read as different colours. Pairs
# known to be confused sit below it (see the test of the measure below).
DISTINCT = 10.0
_SRGB_TO_XYZ = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                         [0.0193, 0.1192, 0.9505]])


def _lab(colour: str, vision: str) -> np.ndarray:
    """CIELAB (D65) of a "#RRGGBB" colour as someone with `vision` sees it."""
    srgb = np.array([int(colour[k:k + 2], 16) for k in (1, 3, 5)]) / 255
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    xyz = _SRGB_TO_XYZ @ np.clip(VISIONS[vision] @ linear, 0, 1) / _SRGB_TO_XYZ.sum(axis=1)
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _delta_e2000(lab1, lab2) -> float:
    """CIEDE2000 colour difference (Sharma, Wu and Dalal 2005)."""
    (L1, a1, b1), (L2, a2, b2) = lab1, lab2
    C_mean = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    G = 0.5 * (1 - np.sqrt(C_mean ** 7 / (C_mean ** 7 + 25 ** 7)))
    a1, a2 = (1 + G) * a1, (1 + G) * a2
    C1, C2 = np.hypot(a1, b1), np.hypot(a2, b2)
    h1, h2 = np.degrees(np.arctan2(b1, a1)) % 360, np.degrees(np.arctan2(b2, a2)) % 360
    dh = 0.0 if C1 * C2 == 0 else (h2 - h1 + 180) % 360 - 180
    dH = 2 * np.sqrt(C1 * C2) * np.sin(np.radians(dh / 2))
    if C1 * C2 == 0:
        h_mean = h1 + h2
    elif abs(h1 - h2) <= 180:
        h_mean = (h1 + h2) / 2
    else:
        h_mean = (h1 + h2 + (360 if h1 + h2 < 360 else -360)) / 2
    T = (1 - 0.17 * np.cos(np.radians(h_mean - 30)) + 0.24 * np.cos(np.radians(2 * h_mean))
         + 0.32 * np.cos(np.radians(3 * h_mean + 6)) - 0.20 * np.cos(np.radians(4 * h_mean - 63)))
    L_mean, C_mean = (L1 + L2) / 2, (C1 + C2) / 2
    S_L = 1 + 0.015 * (L_mean - 50) ** 2 / np.sqrt(20 + (L_mean - 50) ** 2)
    S_C, S_H = 1 + 0.045 * C_mean, 1 + 0.015 * C_mean * T
    R_T = (-np.sin(np.radians(60 * np.exp(-(((h_mean - 275) / 25) ** 2))))
           * 2 * np.sqrt(C_mean ** 7 / (C_mean ** 7 + 25 ** 7)))
    dL, dC = (L2 - L1) / S_L, (C2 - C1) / S_C
    return float(np.sqrt(dL ** 2 + dC ** 2 + (dH / S_H) ** 2 + R_T * dC * dH / S_H))


def _difference(one: str, other: str, vision: str) -> float:
    return _delta_e2000(_lab(one, vision), _lab(other, vision))


def test_the_colour_difference_measure_flags_pairs_known_to_be_confused():
    assert abs(_delta_e2000((50, 2.6772, -79.7751), (50, 0, -82.7485)) - 2.0425) < 1e-3
    # matplotlib's red and green, and its orange and green: plain to most people, one
    # colour to someone with deuteranopia or protanopia
    assert _difference("#d62728", "#2ca02c", "normal") > 60
    assert _difference("#d62728", "#2ca02c", "deuteranopia") < DISTINCT
    assert _difference("#ff7f0e", "#2ca02c", "protanopia") < DISTINCT
    assert _difference("#1f77b4", "#9467bd", "protanopia") < DISTINCT   # blue and purple


def test_the_three_cells_colours_stay_distinct_with_every_colour_vision_deficiency():
    for vision in VISIONS:
        for (one, c1), (other, c2) in itertools.combinations(style.CELL_COLORS.items(), 2):
            difference = _difference(c1, c2, vision)
            assert difference >= DISTINCT, (one, other, vision, round(difference, 1))


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
