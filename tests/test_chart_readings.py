"""The lines under the charts a student misreads most easily (log axes, the log colour
scale, the dashed clipping threshold): each reads the view's numbers, and none is wrong where
the view has a 0, a value that is not finite, one point or nothing to draw."""

from __future__ import annotations

import numpy as np
import pytest

from rnnviz.app.chart_readings import (
    factor,
    gain_reading,
    grad_norm_reading,
    gridlines,
    lab_flow_reading,
    loss_reading,
    memory_colour_reading,
    optimizer_reading,
    series_words,
)

NAN, INF = float("nan"), float("inf")


@pytest.mark.parametrize("decades, times", [(1, "ten"), (2, "a hundred"), (3, "a thousand"),
                                            (5, "10⁵")])
def test_gridlines_say_how_many_times_each_label_is_the_one_below(decades, times):
    assert gridlines(decades) == f"Each gridline is {times} times the one below"


def test_a_factor_is_written_as_the_sentences_write_numbers():
    assert factor(3.29, 0.41) == "8.02"
    assert factor(5715.0, 1.0) == "5,720"        # three significant digits, in thousands
    assert factor(1.2e5, 1.0) == "1.2e+05"
    assert factor(1e200, 1e-200) == "10^400"    # the ratio itself would overflow


def test_the_loss_reading_gives_the_fall_from_the_first_step_to_the_last():
    line = loss_reading(3, [1, 750, 1500], [3.29, 1.0, 0.41], 1)
    assert line == ("Each gridline is ten times the one below: run 3's loss fell from 3.29 at "
                    "step 1 to 0.41 at step 1,500, a factor of 8.02.")
    assert "rose from 0.41 at step 1 to 3.29 at step 2, 8.02 times as much" in \
        loss_reading(3, [1, 2], [0.41, 3.29], 1)
    assert "stayed at 0.5 from step 1 to step 2" in loss_reading(3, [1, 2], [0.5, 0.5], 1)


def test_a_run_of_one_step_is_a_single_point():
    assert loss_reading(1, [1], [2.5], 1).endswith("run 1's loss is 2.5 at step 1, a single "
                                                  "point.")


def test_a_diverged_run_is_read_to_its_last_finite_value_and_said_to_stop():
    line = loss_reading(2, [1, 2, 3, 4], [3.0, 1.5, NAN, INF], 1)
    assert "fell from 3 at step 1 to 1.5 at step 2, a factor of 2" in line
    assert "then it diverged: no finite value after step 2, so the line stops" in line
    assert "has no finite value above 0 yet" in loss_reading(2, [1, 2], [NAN, INF], 1)


def test_zeros_are_said_not_to_be_drawn():
    assert "is 0 throughout, and a log axis has no 0" in loss_reading(1, [1, 2], [0.0, 0.0], 1)
    assert "a 0 leaves a gap in the line" in loss_reading(1, [1, 2, 3], [1.0, 0.0, 0.5], 1)
    assert "a value that is not finite leaves a gap" in series_words(
        "x", [1, 2, 3], [1.0, NAN, 0.5])
    assert series_words("x", [], []) == "x has no finite value above 0 yet: a log axis draws none"


def test_the_grad_norm_reading_says_what_the_dashed_threshold_is_and_how_often_it_clipped():
    line = grad_norm_reading(4, [1, 2, 3, 4], [9.0, 6.0, 2.0, 1.0], [True, True, False, False],
                             5.0, 1)
    assert line == ("Each gridline is ten times the one below. The dashed line is the clipping "
                    "threshold 5: a ‖g‖ above it was scaled down to 5, at 2 of run 4's 4 steps "
                    "(×).")
    assert grad_norm_reading(4, [1, 2], [0.5, 0.2], [False, False], 5.0, 1).endswith(
        "a ‖g‖ above it would be scaled down to 5; none of run 4's 2 steps went over.")


def test_without_a_dashed_line_the_grad_norm_reading_follows_the_norm():
    line = grad_norm_reading(1, [1, 2], [20.0, 0.2], [False, False], None, 2)
    assert line == ("Each gridline is a hundred times the one below: run 1's ‖g‖ fell from 20 "
                    "at step 1 to 0.2 at step 2, a factor of 100.")
    assert "dashed" not in line


def test_the_optimizer_reading_compares_the_parameters_at_the_last_step():
    values = {"Waa": np.array([1e-2, 3e-2]), "ba": np.array([1e-5, 2e-5]),
              "by": np.array([0.0, 0.0])}
    assert optimizer_reading([10, 20], values, "mean |m̂|", 1) == (
        "Each gridline is ten times the one below: at step 20 mean |m̂| runs from 2.0e-05 (ba) "
        "to 0.03 (Waa), 1,500 times as much.")


def test_the_optimizer_reading_reads_the_last_step_with_a_value_and_nothing_when_none():
    values = {"Waa": np.array([1e-3, NAN]), "ba": np.array([1e-4, 0.0])}
    assert "at step 10 mean |step| runs from 1.0e-04 (ba) to 0.001 (Waa), 10 times" in \
        optimizer_reading([10, 20], values, "mean |step|", 1)
    assert optimizer_reading([10], {"Waa": np.array([0.0])}, "mean v̂", 1) == (
        "Nothing is drawn yet: every mean v̂ is 0 or not a finite number, and a log axis draws "
        "neither.")
    assert optimizer_reading([], {}, "mean v̂", 1).startswith("Nothing is drawn yet")
    assert optimizer_reading([5], {"Waa": np.array([2.0]), "ba": np.array([2.0])}, "mean v̂",
                             1).endswith("at step 5 mean v̂ is 2 for Waa and ba.")


def test_the_memory_colour_reading_gives_the_range_of_the_squares_over_every_map():
    rnn = np.array([[0.5, 0.0], [1e-6, 0.8]])
    lstm = np.array([[0.2, 0.0], [0.01, 0.4]])
    line = memory_colour_reading({"rnn": rnn, "lstm": lstm}, [-6, -5, -4, -3, -2, -1, 0])
    assert line == ("Each colour-bar label is ten times the one below (one scale for all the "
                    "maps): squares run from 1.0e-06 (dark) to 0.8 (bright), a factor of "
                    "8.0e+05; empty ones are 0.")
    assert "is a hundred times" in memory_colour_reading({"rnn": rnn}, [-6, -4, -2, 0])


def test_a_memory_map_of_zeros_or_of_one_value_is_read_as_such():
    assert "every square is 0 here" in memory_colour_reading({"rnn": np.zeros((3, 3))}, [0, 1])
    assert "every coloured square is 0.3" in memory_colour_reading(
        {"rnn": np.array([[0.3, 0.0], [0.3, 0.3]])}, [-1, 0])


def test_the_gain_reading_gives_the_fall_and_the_factor_a_step():
    line = gain_reading(np.array([1.0, -0.5, 0.25, -0.125]), 1)  # the sign is not drawn
    assert line == ("Each gridline is ten times the one below: |∂a⟨T⟩/∂a⟨1⟩| fell from 1 at "
                    "T = 1 to 0.125 at T = 4, a factor of 8, × 0.5 a step on average.")


def test_a_gain_that_reaches_0_or_has_one_step_is_read_as_such():
    line = gain_reading(np.array([1.0, 0.0, 0.0]), 1)  # w = 0
    assert line.endswith("|∂a⟨T⟩/∂a⟨1⟩| is 1 at T = 1; then it is 0, which a log axis cannot "
                         "draw, so the line stops.")
    assert "a step on average" not in line
    assert gain_reading(np.array([1.0]), 1).endswith("is 1 at T = 1, a single point.")


def test_the_lab_reading_compares_what_reaches_t_1_in_each_run():
    line = lab_flow_reading([1e-3, 0.5, 1.0], [1e-6, 0.5, 1.0], 1)
    assert line == ("Each gridline is ten times the one below, on both charts alike: "
                    "‖∂L/∂a⟨1⟩‖ is 0.001 in the original and 1.0e-06 intervened, 1,000 times "
                    "smaller.")
    assert lab_flow_reading([1e-3], [2e-3], 1).endswith("2 times larger.")
    assert lab_flow_reading([1e-3], [1e-3], 1).endswith("0.001 intervened.")


def test_the_lab_reading_says_a_gradient_of_0_or_not_finite_has_no_point():
    line = lab_flow_reading([1e-3, 1.0], [0.0, 1.0], 1)
    assert "is 0.001 in the original and 0 intervened; the intervened line has no point at " \
           "t = 1" in line
    both = lab_flow_reading([NAN], [0.0], 1)
    assert "not a finite number in the original" in both
    assert "and 0 intervened; neither line has a point at t = 1" in both
