"""Forward-pass figure builders as pure functions: traces, colour scales, axes, markers."""

import numpy as np
import plotly.graph_objects as go
import pytest

from rnnviz.app.build import build
from rnnviz.app.config import Config
from rnnviz.app.readouts import example_view, step_terms
from rnnviz.engine import CELLS
from rnnviz.engine.model import forward
from rnnviz.figures import forward as figs
from rnnviz.figures import style


def _axis_title(axis) -> str:
    return axis.title.text


def test_gate_heatmap_uses_the_fixed_sequential_zero_one_scale():
    values = np.array([[0.2, 0.4, 0.6], [0.3, 0.5, 0.7]])
    fig = go.Figure(figs.heatmap(values, "gate", "forget gate f⟨t⟩", current_t=2))
    (trace,) = fig.data
    assert isinstance(trace, go.Heatmap)
    assert (trace.zmin, trace.zmax) == (0.0, 1.0)
    assert trace.colorscale == go.Heatmap(colorscale=style.GATE_SCALE).colorscale
    np.testing.assert_array_equal(trace.x, [1, 2, 3])
    np.testing.assert_array_equal(trace.y, [0, 1])
    np.testing.assert_array_equal(np.asarray(trace.z), values)
    assert _axis_title(fig.layout.xaxis) == "t" and _axis_title(fig.layout.yaxis) == "unit"
    assert fig.layout.title.text == "forget gate f⟨t⟩"


def test_heatmap_scales_reach_the_browser_as_colours_not_names():
    """Live charts are not validated, and Plotly.js draws a scale of its own for a name it
    does not know (plotly.py's RdBu_r) or knows differently (Viridis)."""
    for kind, name in (("gate", "Viridis"), ("state", "RdBu_r")):
        (trace,) = figs.heatmap(np.eye(2), kind, "a")["data"]
        assert [tuple(stop) for stop in trace["colorscale"]] == list(
            go.Heatmap(colorscale=name).colorscale)
    (state,) = figs.heatmap(np.eye(2), "state", "a")["data"]
    blue, white, red = (state["colorscale"][k][1] for k in (0, len(state["colorscale"]) // 2, -1))
    assert (blue, white, red) == ("rgb(5,48,97)", "rgb(247,247,247)", "rgb(103,0,31)")


def test_state_heatmap_is_diverging_centred_at_zero_and_symmetric():
    values = np.array([[-0.5, 2.0], [0.1, -3.0]])
    (trace,) = go.Figure(figs.heatmap(values, "state", "cell state c⟨t⟩")).data
    assert trace.zmid == 0.0
    assert (trace.zmin, trace.zmax) == (-3.0, 3.0)
    assert trace.colorscale == go.Heatmap(colorscale=style.DIVERGING_SCALE).colorscale
    (fixed,) = go.Figure(figs.heatmap(values, "state", "a", zmax=1.0)).data
    assert (fixed.zmin, fixed.zmax) == (-1.0, 1.0)


def test_state_heatmap_of_zeros_still_has_a_range():
    (trace,) = go.Figure(figs.heatmap(np.zeros((2, 3)), "state", "a")).data
    assert (trace.zmin, trace.zmax) == (-1.0, 1.0)


def test_heatmap_hover_shows_t_unit_and_exact_value():
    (trace,) = go.Figure(figs.heatmap(np.ones((1, 1)), "gate", "f")).data
    assert "t=%{x}" in trace.hovertemplate and "unit=%{y}" in trace.hovertemplate
    assert "%{z:.4f}" in trace.hovertemplate


def test_heatmap_outlines_the_current_timestep():
    fig = go.Figure(figs.heatmap(np.zeros((4, 6)), "gate", "f", current_t=5))
    (marker,) = fig.layout.shapes
    assert (marker.x0, marker.x1) == (4.5, 5.5)
    assert marker.line.color == style.MARKER_COLOR
    assert go.Figure(figs.heatmap(np.zeros((4, 6)), "gate", "f")).layout.shapes == ()


def test_heatmap_of_one_unit_and_one_step():
    fig = go.Figure(figs.heatmap(np.array([[0.3]]), "gate", "f", current_t=1))
    assert list(fig.layout.xaxis.range) == [0.5, 1.5]
    assert list(fig.layout.yaxis.range) == [0.5, -0.5]


def test_heatmap_refuses_a_bad_kind_or_shape():
    with pytest.raises(ValueError, match="kind"):
        figs.heatmap(np.zeros((2, 2)), "colour", "x")
    with pytest.raises(ValueError, match="units, T_x"):
        figs.heatmap(np.zeros(3), "gate", "x")


def test_lines_over_time_draws_one_line_per_series_and_marks_t():
    series = {"unit 0": np.array([1.0, 2.0, 3.0]), "unit 4": np.array([0.0, -1.0, 0.5])}
    fig = go.Figure(figs.lines_over_time(series, "cell state c⟨t⟩", "c⟨t⟩", current_t=2))
    assert [trace.name for trace in fig.data] == ["unit 0", "unit 4"]
    assert all(isinstance(trace, go.Scatter) for trace in fig.data)
    np.testing.assert_array_equal(fig.data[1].x, [1, 2, 3])
    np.testing.assert_array_equal(fig.data[1].y, [0.0, -1.0, 0.5])
    (line,) = fig.layout.shapes
    assert (line.x0, line.x1) == (2, 2)
    assert _axis_title(fig.layout.yaxis) == "c⟨t⟩" and _axis_title(fig.layout.xaxis) == "t"
    # t runs over the steps only (no t = 0), a tick at each
    assert list(fig.layout.xaxis.range) == [0.5, 3.5] and fig.layout.xaxis.dtick == 1


def _unit_figure(T_x: int, current_t: int | None = 3) -> go.Figure:
    steps = np.arange(1, T_x + 1)
    gates = {"forget gate f⟨t⟩": np.linspace(0, 1, T_x), "update gate u⟨t⟩": np.full(T_x, 0.5)}
    states = {"cell state c⟨t⟩": -2.5 * np.sin(steps), "hidden state a⟨t⟩": np.cos(steps)}
    return go.Figure(figs.unit_over_time(gates, states, "unit j = 2, example i = 0",
                                         current_t=current_t, gate_title="f, u",
                                         state_title="c, a"))


def test_unit_over_time_puts_the_gates_on_a_fixed_zero_one_axis_above_the_states():
    fig = _unit_figure(7)
    assert [trace.name for trace in fig.data] == ["forget gate f⟨t⟩", "update gate u⟨t⟩",
                                                 "cell state c⟨t⟩", "hidden state a⟨t⟩"]
    assert all(isinstance(trace, go.Scatter) for trace in fig.data)
    assert [trace.yaxis for trace in fig.data] == ["y", "y", "y2", "y2"]
    np.testing.assert_array_equal(fig.data[2].x, np.arange(1, 8))
    np.testing.assert_allclose(fig.data[2].y, -2.5 * np.sin(np.arange(1, 8)))
    assert list(fig.layout.yaxis.range) == list(figs.GATE_AXIS)
    assert figs.GATE_AXIS[0] < 0 < 1 < figs.GATE_AXIS[1] < 1.1
    low, high = fig.layout.yaxis2.range  # symmetric about 0, holding every state
    assert low == -high and 2.5 * np.abs(np.sin(np.arange(1, 8))).max() < high < 2.7
    assert fig.layout.yaxis.domain[0] > fig.layout.yaxis2.domain[1]  # gates on top
    assert _axis_title(fig.layout.yaxis) == "f, u" and _axis_title(fig.layout.yaxis2) == "c, a"
    assert _axis_title(fig.layout.xaxis) == "t" and fig.layout.xaxis.anchor == "y2"
    assert fig.layout.title.text == "unit j = 2, example i = 0"


def test_unit_over_time_marks_t_in_both_panels_and_labels_whole_steps_that_fit():
    fig = _unit_figure(5, current_t=3)
    assert [(mark.x0, mark.x1, mark.yref) for mark in fig.layout.shapes] == [
        (2.5, 3.5, "y domain"), (2.5, 3.5, "y2 domain")]
    assert fig.layout.xaxis.dtick == 1 and list(fig.layout.xaxis.range) == [0.5, 5.5]
    long = _unit_figure(60, current_t=None)
    assert long.layout.shapes == () and long.layout.xaxis.dtick is None
    assert long.layout.xaxis.tickformat == "d"  # t = 1.5 is never a label


def test_unit_over_time_lines_differ_in_colour_and_marker_and_read_from_afar():
    fig = _unit_figure(7)
    colours = [trace.line.color for trace in fig.data]
    symbols = [trace.marker.symbol for trace in fig.data]
    assert len(set(colours)) == len(colours) and len(set(symbols)) == len(symbols)
    assert set(colours) <= set(style.COLORWAY)  # never a cell's own colour
    assert fig.layout.font.size == style.FONT_SIZE
    assert fig.layout.yaxis2.title.font.size == style.AXIS_TITLE_SIZE
    assert fig.layout.legend.orientation == "h"


def test_unit_over_time_of_small_states_keeps_the_axis_at_plus_minus_one_at_least():
    fig = go.Figure(figs.unit_over_time({"r": np.array([0.5])}, {"a": np.array([0.01])}, "x"))
    assert list(fig.layout.yaxis2.range) == pytest.approx([-1.05, 1.05])
    with pytest.raises(ValueError, match="nothing to draw"):
        figs.unit_over_time({}, {}, "x")


def test_outputs_over_time_lines_for_few_classes_heatmap_for_many():
    few = go.Figure(figs.outputs_over_time(np.full((2, 5), 0.5), "softmax", current_t=3))
    assert len(few.data) == 2 and list(few.layout.yaxis.range) == [-0.02, 1.02]
    assert _axis_title(few.layout.yaxis) == "P(class)"
    many = go.Figure(figs.outputs_over_time(np.full((11, 5), 1 / 11), "softmax"))
    assert isinstance(many.data[0], go.Heatmap) and many.data[0].zmax == 1.0
    linear = go.Figure(figs.outputs_over_time(np.array([[-2.0, 1.0]] * 12), "linear"))
    assert linear.data[0].zmid == 0.0


def test_every_figure_uses_the_shared_projector_fonts():
    fig = go.Figure(figs.heatmap(np.zeros((2, 2)), "gate", "f"))
    assert fig.layout.font.size == style.FONT_SIZE
    assert fig.layout.title.font.size == style.TITLE_SIZE
    assert fig.layout.xaxis.title.font.size == style.AXIS_TITLE_SIZE


def _terms(cell, step=2, **sizes):
    setup = build(Config(cell=cell, input="gaussian", **sizes))
    trace = forward(setup.params, setup.x, setup.a0)
    return step_terms(CELLS[cell], setup.params, example_view(CELLS[cell], trace, 0), step, 1)


def _texts(fig) -> str:
    return " | ".join(annotation.text for annotation in fig.layout.annotations)


def test_lstm_cell_diagram_prints_the_units_values_in_its_boxes():
    terms = _terms("lstm", n_a=3, T_x=4)
    fig = go.Figure(figs.cell_diagram("lstm", terms, example=0))
    assert [len(trace.x) for trace in fig.data] == [0]  # drawn with shapes, no data
    texts = _texts(fig)
    for label in ("c⟨1⟩", "a⟨1⟩", "x⟨2⟩", "c⟨2⟩", "a⟨2⟩", "ŷ⟨2⟩", "f = σ", "u = σ", "o = σ",
                  "c̃ = tanh"):
        assert label in texts
    for value in (terms["c_prev"], terms["a_prev"], terms["c"], terms["a"],
                  terms["projections"]["f"]["value"],
                  terms["projections"]["c_tilde"]["value"]):
        assert f"{value:+.3f}" in texts
    assert "LSTM cell at t = 2" in fig.layout.title.text and "unit j = 1" in fig.layout.title.text
    assert len(fig.layout.shapes) >= 10


def test_rnn_cell_diagram_prints_its_terms():
    terms = _terms("rnn", n_a=3, T_x=4)
    fig = go.Figure(figs.cell_diagram("rnn", terms, example=0))
    texts = _texts(fig)
    assert "a⟨1⟩" in texts and "a⟨2⟩" in texts and "x⟨2⟩" in texts and "ŷ⟨2⟩" in texts
    z = terms["projections"]["a"]
    for value in (z["z"], terms["a"], z["rec"], z["inp"]):
        assert f"{value:+.3f}" in texts
    assert fig.layout.title.text.startswith("RNN cell at t = 2")


def test_gru_cell_diagram_shows_the_reset_before_the_candidate_and_the_mix():
    terms = _terms("gru", n_a=3, T_x=4)
    fig = go.Figure(figs.cell_diagram("gru", terms, example=0))
    texts = _texts(fig)
    for label in ("a⟨1⟩", "x⟨2⟩", "a⟨2⟩", "ŷ⟨2⟩", "r = σ", "u = σ", "c̃ = tanh", "1 − u",
                  "r∘a⟨t−1⟩"):
        assert label in texts
    for value in (terms["a_prev"], terms["a"], *(terms["projections"][name]["value"]
                                                  for name in ("r", "u", "c_tilde"))):
        assert f"{value:+.3f}" in texts
    assert "GRU cell at t = 2" in fig.layout.title.text
    # the boxes of its gates are drawn in the GRU's colour
    assert any(shape.line.color == style.CELL_COLORS["gru"] for shape in fig.layout.shapes)


def test_cell_diagram_shortens_long_vectors_and_refuses_unknown_cells():
    terms = _terms("rnn", n_x=6, n_a=2, T_x=3)
    texts = _texts(go.Figure(figs.cell_diagram("rnn", terms, example=0)))
    assert "…" in texts
    with pytest.raises(ValueError, match="cell"):
        figs.cell_diagram("elman", terms, example=0)


@pytest.mark.parametrize("cell", sorted(figs.DIAGRAMS))
def test_from_one_step_to_the_next_the_diagram_changes_only_its_labels(cell):
    """Plotly.react redraws only the parts of a layout that changed, so the next step's
    diagram keeps its arrows, shapes and axes as they were. The diagram keeps one unit as
    long across as up by shrinking its plot area (constrain "domain"): had Plotly widened a
    range instead, it would find that range changed at every step and redraw everything."""
    one, two = (figs.cell_diagram(cell, _terms(cell, step, n_a=3, T_x=4), example=0)
                for step in (2, 3))
    assert one["layout"]["shapes"] == two["layout"]["shapes"]
    for axis in ("xaxis", "yaxis"):
        assert one["layout"][axis] == two["layout"][axis]
        assert one["layout"][axis]["constrain"] == "domain"
    assert one["layout"]["yaxis"]["scaleanchor"] == "x"
    changed = [k for k, (a, b) in enumerate(zip(one["layout"]["annotations"],
                                                two["layout"]["annotations"], strict=True))
               if a != b]
    assert changed and all(one["layout"]["annotations"][k]["text"] for k in changed)
