"""rnnviz.figures.lab: two runs' figures put on the same axes and colour scales, the steps an
intervention holds marked on the intervened one only."""

import numpy as np
import pytest

from rnnviz.figures import forward, gradients, style
from rnnviz.figures.lab import side_by_side, titled


def test_lines_share_one_y_range_that_holds_both_runs():
    left = forward.lines_over_time({"unit 0": np.array([0.0, 0.5, 1.0])}, "original", "c")
    right = forward.lines_over_time({"unit 0": np.array([-2.0, 0.1, 0.2])}, "intervened", "c")
    a, b = side_by_side(left, right, [(2, 3)])
    low, high = a["layout"]["yaxis"]["range"]
    assert a["layout"]["yaxis"]["range"] == b["layout"]["yaxis"]["range"]
    assert low < -2.0 and high > 1.0 and high - low < 3.0 * 1.2
    assert a["data"][0]["y"] is left["data"][0]["y"]  # the data as built, not copied
    assert "range" not in left["layout"]["yaxis"]  # the figures given are left alone


def test_the_intervened_figure_alone_shows_the_steps_held():
    left = forward.lines_over_time({"L": np.ones(6)}, "original", "L")
    right = forward.lines_over_time({"L": np.ones(6)}, "intervened", "L")
    a, b = side_by_side(left, right, [(2, 4), (6, 6)])
    assert a["layout"]["shapes"] == left["layout"]["shapes"]
    bands = b["layout"]["shapes"][len(right["layout"]["shapes"]):]
    assert [(s["x0"], s["x1"]) for s in bands] == [(1.5, 4.5), (5.5, 6.5)]
    assert all(s["fillcolor"] == style.HELD_FILL and s["layer"] == "below" for s in bands)


def test_diverging_heatmaps_share_their_range_and_gates_keep_zero_to_one():
    small, large = np.full((2, 4), 0.1), np.full((2, 4), -3.0)
    a, b = side_by_side(forward.heatmap(small, "state", "o"), forward.heatmap(large, "state", "i"),
                        [(1, 2)])
    assert [(t["zmin"], t["zmax"]) for t in (a["data"][0], b["data"][0])] == [(-3.0, 3.0)] * 2
    frame = b["layout"]["shapes"][-1]
    assert frame["line"]["dash"] == "dash" and frame["fillcolor"] == "rgba(0,0,0,0)"
    a, b = side_by_side(forward.heatmap(small, "gate", "o"), forward.heatmap(small, "gate", "i"),
                        [])
    assert (a["data"][0]["zmin"], b["data"][0]["zmax"]) == (0.0, 1.0)


def test_a_range_the_builder_fixed_is_kept():
    probabilities = np.array([[0.2, 0.3], [0.8, 0.7]])
    a, b = side_by_side(forward.outputs_over_time(probabilities, "softmax"),
                        forward.outputs_over_time(probabilities / 2, "softmax"), [])
    assert a["layout"]["yaxis"]["range"] == b["layout"]["yaxis"]["range"] == [-0.02, 1.02]


def test_log_axes_share_their_decades_and_zeros_are_gaps():
    left = gradients.gradient_flow({"lstm": {"a": np.array([1e-6, 1e-3, 1.0]),
                                             "c": np.array([1e-4, 1e-2, 1.0])}})
    right = gradients.gradient_flow({"lstm": {"a": np.array([0.0, 1e-8, 10.0]),
                                              "c": np.array([0.0, 0.0, 1.0])}})
    a, b = side_by_side(left, right, [(2, 3)])
    assert a["layout"]["yaxis"]["range"] == b["layout"]["yaxis"]["range"]
    assert a["layout"]["yaxis"]["range"] == pytest.approx([-8.2, 1.2])
    assert a["layout"]["yaxis"]["type"] == "log" and b["data"][0]["y"][0] is None
    assert a["layout"]["yaxis"]["dtick"] == b["layout"]["yaxis"]["dtick"] == 2


def test_a_title_is_replaced_and_nothing_else():
    fig = gradients.gradient_flow({"rnn": {"a": np.ones(3)}})
    new = titled(fig, "intervened: the gradient")
    assert new["layout"]["title"]["text"] == "intervened: the gradient"
    assert new["layout"]["title"]["font"] == fig["layout"]["title"]["font"]
    assert fig["layout"]["title"]["text"] != "intervened: the gradient"


def test_several_lines_have_their_legend_below_and_one_line_keeps_its_own():
    five = {f"unit {j}": np.arange(3.0) + j for j in range(5)}
    a, b = side_by_side(forward.lines_over_time(five, "o", "c"),
                        forward.lines_over_time(five, "i", "c"), [])
    assert a["layout"]["legend"]["orientation"] == b["layout"]["legend"]["orientation"] == "h"
    assert a["layout"]["margin"]["b"] == style.legend_below(rows=2)["margin"]["b"]
    one = forward.lines_over_time({"L": np.ones(3)}, "o", "L")
    assert side_by_side(one, one, [])[0]["layout"].get("legend") == one["layout"].get("legend")
