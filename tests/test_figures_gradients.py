"""Gradient-flow figure builders as pure functions: traces, colours, scales, axis titles."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from rnnviz.figures import gradients, style


def test_gradient_flow_overlays_both_cells_on_a_log_axis_in_their_colours():
    flows = {"rnn": {"a": np.array([1e-6, 1e-3, 1.0])},
             "lstm": {"a": np.array([0.1, 0.2, 0.3]), "c": np.array([0.5, 0.0, 0.7])}}
    fig = go.Figure(gradients.gradient_flow(flows, loss_at="the last step only"))
    assert isinstance(fig, go.Figure)
    assert [t.name for t in fig.data] == ["RNN ‖∂L/∂a⟨t⟩‖", "LSTM ‖∂L/∂a⟨t⟩‖",
                                          "LSTM ‖∂L/∂c⟨t⟩‖"]
    assert fig.data[0].line.color == style.CELL_COLORS["rnn"]
    assert fig.data[1].line.color == fig.data[2].line.color == style.CELL_COLORS["lstm"]
    assert fig.data[2].line.dash == "dash"
    assert fig.layout.yaxis.type == "log"
    assert list(fig.data[0].x) == [1, 2, 3]
    assert list(fig.data[0].y) == [1e-6, 1e-3, 1.0]
    assert fig.data[2].y[1] is None  # a zero norm is a gap, not a point at -inf
    assert fig.layout.xaxis.title.text == "t"
    assert "last step" in fig.layout.title.text


def test_gradient_flow_overlays_the_three_cells_each_in_its_own_colour():
    flows = {"rnn": {"a": np.array([1e-6, 1.0])},
             "lstm": {"a": np.array([0.1, 0.3]), "c": np.array([0.5, 0.7])},
             "gru": {"a": np.array([0.2, 0.4])}}
    fig = go.Figure(gradients.gradient_flow(flows))
    assert [t.name for t in fig.data] == ["RNN ‖∂L/∂a⟨t⟩‖", "LSTM ‖∂L/∂a⟨t⟩‖",
                                          "LSTM ‖∂L/∂c⟨t⟩‖", "GRU ‖∂L/∂a⟨t⟩‖"]
    assert fig.data[3].line.color == style.CELL_COLORS["gru"]
    assert fig.data[3].line.dash == "solid" and list(fig.data[3].y) == [0.2, 0.4]
    assert len({t.line.color for t in fig.data}) == 3


def test_gradient_flow_with_one_cell_and_one_step():
    fig = go.Figure(gradients.gradient_flow({"rnn": {"a": np.array([0.25])}}))
    assert len(fig.data) == 1 and list(fig.data[0].y) == [0.25]
    assert "every step" in fig.layout.title.text


@pytest.mark.parametrize("bad", [{}, {"transformer": {"a": np.ones(2)}}])
def test_gradient_flow_refuses_unknown_or_missing_cells(bad):
    with pytest.raises(ValueError, match="cell"):
        gradients.gradient_flow(bad)


def test_jacobian_norms_draws_each_cell_and_the_line_at_one():
    fig = go.Figure(gradients.jacobian_norms({"rnn": np.array([0.5, 0.4]),
                                              "lstm": np.array([1.1, 0.9])}))
    assert [t.line.color for t in fig.data] == [style.CELL_COLORS["rnn"],
                                               style.CELL_COLORS["lstm"]]
    assert list(fig.data[1].y) == [1.1, 0.9]
    assert fig.layout.yaxis.type == "log"
    assert any(s.y0 == 1.0 and s.y1 == 1.0 for s in fig.layout.shapes)
    assert fig.layout.yaxis.title.text.startswith("‖J⟨t⟩‖")


def test_norm_product_draws_the_actual_norm_solid_and_the_bound_dashed():
    logs = {"actual": np.array([-12.0, -8.5, -4.0, 0.0]),
            "bound": np.array([-2.0, -1.0, -0.5, 0.0])}
    fig = go.Figure(gradients.norm_product({"rnn": logs}))
    assert [t.line.dash for t in fig.data] == ["solid", "dash", "dash"]
    assert "bound" in fig.data[1].name
    # the legend: the cell once, and one key to the dashed bounds (a trace with no points)
    assert [t.name for t in fig.data if t.showlegend is not False] == ["RNN",
                                                                      gradients.BOUND_KEY]
    assert list(fig.data[2].x) == [None]
    assert list(fig.data[0].x) == [0, 1, 2, 3]
    assert list(fig.data[0].y) == list(logs["actual"])
    ticks = list(fig.layout.yaxis.tickvals)
    assert ticks[0] <= -12 and ticks[-1] >= 0 and len(ticks) <= 7
    assert fig.layout.yaxis.ticktext[0] == f"10<sup>{ticks[0]}</sup>"


def test_norm_product_leaves_gaps_where_the_product_was_not_computed():
    nan = float("nan")
    fig = go.Figure(gradients.norm_product({"lstm": {"actual": np.array([nan, nan, 0.0]),
                                           "bound": np.array([0.0, 0.0, 0.0])}}))
    assert list(fig.data[0].y) == [None, None, 0.0]
    assert list(fig.layout.yaxis.tickvals) == [0, 1]


def test_long_sequences_are_drawn_without_markers():
    fig = go.Figure(gradients.gradient_flow({"rnn": {"a": np.ones(100)}}))
    assert fig.data[0].mode == "lines"
    assert go.Figure(gradients.jacobian_norms({"rnn": np.ones(3)})).data[0].mode == "lines+markers"


def test_gradient_heatmap_is_diverging_and_centred_at_zero():
    dA = np.array([[1e-3, -2e-3, 0.0], [4e-3, 0.0, -1e-3]])
    fig = go.Figure(gradients.gradient_heatmap(dA, "lstm", example=2))
    heat = fig.data[0]
    assert isinstance(heat, go.Heatmap)
    assert heat.zmid == 0.0 and heat.zmin == -4e-3 and heat.zmax == 4e-3
    np.testing.assert_array_equal(np.asarray(heat.z), dA)
    assert list(heat.x) == [1, 2, 3]
    assert "example 2" in fig.layout.title.text and "LSTM" in fig.layout.title.text
    assert "e}" in heat.hovertemplate  # scientific notation: gradients can be tiny


def test_gradient_heatmap_of_zeros_and_the_batch_mean():
    fig = go.Figure(gradients.gradient_heatmap(np.zeros((1, 1)), "rnn", example=None))
    assert fig.data[0].zmax == 1.0 and fig.data[0].zmin == -1.0
    assert "batch mean" in fig.layout.title.text


def test_gradient_flow_labels_at_most_about_eight_decades():
    fig = go.Figure(gradients.gradient_flow({"rnn": {"a": np.logspace(-40, 0, 50)}}))
    assert fig.layout.yaxis.dtick == 5
    fig = go.Figure(gradients.gradient_flow({"rnn": {"a": np.array([0.2, 0.5])}}))
    # inside one decade: still whole decades, the axis reaching out to 10^-1 and 10^0
    assert fig.layout.yaxis.dtick == 1
    assert list(fig.layout.yaxis.autorangeoptions.include) == pytest.approx([0.1, 1.0])
    fig = go.Figure(gradients.gradient_flow({"rnn": {"a": np.array([1e-3, 1.0])}}))
    assert fig.layout.yaxis.dtick == 1


def test_the_jacobian_norms_log_axis_shows_powers_of_ten_and_integer_steps():
    fig = go.Figure(gradients.jacobian_norms({"rnn": np.array([1.2, 1.5, 1.1, 1.9])}))
    # without a dtick Plotly labelled 2 and 5 between the powers of ten
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis.dtick == 1
    assert fig.layout.xaxis.dtick == 1 and fig.layout.xaxis.tickformat == "d"


def test_step_gradient_norms_draws_each_cell_and_the_threshold():
    fig = go.Figure(gradients.step_gradient_norms(
        {"rnn": (np.array([1, 5, 10]), np.array([0.01, 0.0, 5.0])),
         "lstm": (np.array([1, 5, 10]), np.array([0.02, 0.03, 0.04]))}, threshold=1.0))
    assert [t.name for t in fig.data] == ["RNN", "LSTM"]
    assert list(fig.data[0].x) == [1, 5, 10] and fig.data[0].y[1] is None
    assert [s.y0 for s in fig.layout.shapes] == [1.0]
    assert fig.layout.yaxis.type == "log"
    assert len(go.Figure(gradients.step_gradient_norms({"rnn": ([1], [0.5])})).layout.shapes) == 0


def test_legends_below_reserve_a_row_for_what_fits_on_one():
    logs = {"actual": np.array([-2.0, -1.0, 0.0]), "bound": np.array([-1.0, -0.5, 0.0])}
    three = go.Figure(gradients.norm_product({cell: logs for cell in ("rnn", "lstm", "gru")}))
    assert three.layout.margin.b == 80 + 3 * style.LEGEND_ROW_PX   # 2 + 1 cells, the key
    one = go.Figure(gradients.norm_product({"rnn": logs}))
    assert one.layout.margin.b == 80 + 2 * style.LEGEND_ROW_PX
    flows = {"rnn": {"a": np.ones(3)}, "lstm": {"a": np.ones(3), "c": np.ones(3)},
             "gru": {"a": np.ones(3)}}
    assert go.Figure(gradients.gradient_flow(flows)).layout.margin.b == \
        80 + 2 * style.LEGEND_ROW_PX   # four entries
