"""Training figure builders as pure functions: overlaid runs, thinning, marks, Adam's insides."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from rnnviz.figures import style, training


def _curve(label="LSTM · Adam", color="#0072B2", n=5, marks=None):
    steps = np.arange(1, n + 1)
    return training.Curve(label, color, steps, 1.0 / steps, marks)


def test_run_curves_overlays_every_run_with_its_label_and_colour():
    fig = training.run_curves([_curve(), _curve("RNN · SGD", "#D55E00")], "loss", "L")
    assert isinstance(fig, go.Figure)
    assert [t.name for t in fig.data] == ["LSTM · Adam", "RNN · SGD"]
    assert [t.line.color for t in fig.data] == ["#0072B2", "#D55E00"]
    np.testing.assert_allclose(fig.data[0].y, [1, 1 / 2, 1 / 3, 1 / 4, 1 / 5])
    assert fig.layout.xaxis.title.text == "training step"
    assert fig.layout.yaxis.title.text == "L"
    assert fig.layout.yaxis.type != "log"


def test_run_curves_marks_clipped_steps_and_draws_the_threshold():
    marks = np.array([False, True, False, True, False])
    fig = training.run_curves([_curve(marks=marks)], "gradient norm", "‖g‖", log_y=True,
                              threshold=0.3)
    assert len(fig.data) == 2
    assert list(fig.data[1].x) == [2, 4] and fig.data[1].mode == "markers"
    assert fig.layout.yaxis.type == "log"
    assert [s.y0 for s in fig.layout.shapes] == [0.3]
    assert not fig.layout.annotations  # a log axis would misplace an annotation


def test_a_log_axis_takes_in_the_threshold_far_above_the_norms():
    # norms from 1 down to 0.2, the threshold at 5: its dashed line is still in view
    fig = training.run_curves([_curve()], "gradient norm", "‖g‖", log_y=True, threshold=5.0)
    low, high = fig.layout.yaxis.autorangeoptions.include
    assert low <= 0.2 and high >= 5.0
    alone = training.run_curves([_curve()], "gradient norm", "‖g‖", log_y=True)
    assert alone.layout.yaxis.autorangeoptions.include[1] < 5.0


def test_run_curves_can_leave_the_legend_to_another_chart():
    assert training.run_curves([_curve()], "a", "y", legend=False).layout.showlegend is False
    assert training.run_curves([_curve()], "a", "y").layout.showlegend is True


def test_run_curves_without_marks_or_runs():
    fig = training.run_curves([_curve(marks=np.zeros(5, bool))], "t", "y")
    assert len(fig.data) == 1
    assert len(training.run_curves([], "empty", "y").data) == 0


def test_thin_keeps_at_most_about_max_points_and_always_the_last():
    steps = np.arange(1, 20_001)
    kept_steps, kept = training.thin(steps, steps * 2.0, 1500)
    assert len(kept_steps) <= 1501 and kept_steps[-1] == 20_000 and kept_steps[0] == 1
    np.testing.assert_array_equal(kept, kept_steps * 2.0)
    same_steps, same = training.thin(steps[:3], steps[:3], 1500)
    np.testing.assert_array_equal(same_steps, [1, 2, 3])


def test_long_runs_are_thinned_in_the_figure():
    n = 20_000
    curve = training.Curve("long", "#000000", np.arange(1, n + 1), np.ones(n))
    fig = training.run_curves([curve], "loss", "L", max_points=500)
    assert len(fig.data[0].x) <= 501


def test_run_colors_give_each_cell_its_colour_first_then_distinct_spares():
    colors = training.run_colors(["lstm", "rnn", "lstm", "lstm"])
    assert colors[:2] == [style.CELL_COLORS["lstm"], style.CELL_COLORS["rnn"]]
    assert len(set(colors)) == 4
    assert training.run_colors([]) == []


def test_optimizer_stats_draws_one_log_line_per_parameter():
    steps = np.array([1, 10, 20])
    values = {"Wf": np.array([1e-3, 1e-4, 0.0]), "bf": np.array([1e-2, 1e-2, 1e-2])}
    fig = training.optimizer_stats(steps, values, "v_hat")
    assert [t.name for t in fig.data] == ["Wf", "bf"]
    assert fig.data[0].line.dash == "solid" and fig.data[1].line.dash == "dot"
    assert np.isnan(fig.data[0].y[2])  # zero on a log axis is a gap
    assert fig.layout.yaxis.type == "log"
    assert "m̂" in fig.layout.title.text


def test_optimizer_stats_refuses_an_unknown_statistic():
    with pytest.raises(ValueError, match="stat must be"):
        training.optimizer_stats(np.array([1]), {"Wax": np.array([1.0])}, "nope")


def test_refresh_run_curves_replaces_the_data_of_the_same_runs_in_place():
    fig = training.run_curves([_curve(n=3)], "loss", "L")
    longer = _curve(n=6)
    assert training.refresh_run_curves(fig, [longer])
    assert list(fig.data[0].x) == [1, 2, 3, 4, 5, 6]
    np.testing.assert_allclose(fig.data[0].y, 1.0 / np.arange(1, 7))


def test_refresh_run_curves_updates_marks_and_refuses_other_runs():
    marks = np.array([True, False, True])
    fig = training.run_curves([_curve(n=3, marks=marks)], "g", "‖g‖")
    assert training.refresh_run_curves(fig, [_curve(n=4, marks=np.array([1, 0, 1, 1], bool))])
    assert list(fig.data[1].x) == [1, 3, 4]
    assert not training.refresh_run_curves(fig, [_curve("another run", n=4)])
    assert not training.refresh_run_curves(fig, [_curve(n=4), _curve("second", n=4)])
    fig_plain = training.run_curves([_curve(n=3)], "g", "‖g‖")
    assert not training.refresh_run_curves(fig_plain, [_curve(n=3, marks=marks)])


def test_log_axes_label_decades_only_over_wide_ranges():
    from rnnviz.figures._axes import log_dtick

    assert log_dtick([np.array([1e-12, 1.0]), np.array([0.0, np.nan])]) == 2
    assert log_dtick([np.array([0.5, 3.0])]) == 1  # never Plotly's minor digits 2 and 5
    assert log_dtick([np.zeros(3)]) is None and log_dtick([]) is None
    wide = training.Curve("w", "#000000", np.arange(3), np.array([1e-6, 1e-3, 1.0]))
    assert training.run_curves([wide], "g", "‖g‖", log_y=True).layout.yaxis.dtick == 1


def test_next_values_draw_each_prediction_beside_the_value_it_predicts():
    read, predicted = np.array([1.0, 2.0, 4.0]), np.array([1.5, 3.5, 7.0])
    fig = training.next_values(read, 8.0, predicted, "temperature")
    series, guesses = fig.data
    np.testing.assert_array_equal(series.x, [1, 2, 3, 4])
    np.testing.assert_array_equal(series.y, [1, 2, 4, 8])
    np.testing.assert_array_equal(guesses.x, [2, 3, 4])   # y_hat<t> predicts x<t + 1>
    np.testing.assert_array_equal(guesses.y, predicted)
    assert fig.layout.xaxis.title.text == "t" and fig.layout.yaxis.title.text == "temperature"
