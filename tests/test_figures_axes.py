"""The shared axis helpers: counting axes labelled by integers that fit, log axes by powers
of ten only (issue 16: a class reads "1.5" on a t axis, and "2", "5" on a log axis, wrongly)."""

import numpy as np
import pytest

from rnnviz.figures._axes import count_axis, decades, log_axis


def test_a_counting_axis_has_integer_labels_only():
    axis = count_axis(1, 4)
    # at T_x = 4 Plotly's own ticks fell at 1.5, 2.5, 3.5
    assert axis["range"] == [0.5, 4.5] and axis["dtick"] == 1 and axis["tickformat"] == "d"
    assert axis["tickmode"] == "linear" and axis["tick0"] == 1


def test_a_long_counting_axis_is_spaced_by_plotly_and_still_integer():
    # 20 labels do not fit a chart half a page wide at 1024 px: Plotly turned them sideways
    axis = count_axis(1, 20)
    assert axis["tickmode"] == "auto" and "dtick" not in axis and axis["tickformat"] == "d"
    assert axis["range"] == [0.5, 20.5]


@pytest.mark.parametrize("low, high, want", [(-3.0, 0.0, (-3.0, 0.0)), (-0.7, -0.3, (-1.0, 0.0)),
                                             (0.2, 1.5, (0.0, 2.0))])
def test_a_log_range_is_widened_to_hold_two_powers_of_ten(low, high, want):
    assert decades(low, high) == want


def test_a_log_axis_is_labelled_by_whole_decades():
    axis = log_axis([np.array([0.2, 0.5, 0.0, np.nan])])
    assert axis["type"] == "log" and axis["exponentformat"] == "power" and axis["dtick"] == 1
    assert axis["autorangeoptions"]["include"] == pytest.approx([0.1, 1.0])
    assert log_axis([np.zeros(2)])["dtick"] == 1
    assert log_axis([np.logspace(-40, 0, 5)])["dtick"] == 5


def test_presentation_mode_makes_a_figure_taller_and_its_type_larger():
    from rnnviz.figures import style

    layout = style.layout("title", "t", "unit", height=300)
    layout["xaxis"]["tickfont"] = {"size": 10}
    shown = style.presented(layout)
    assert shown["height"] == 375 and shown["font"]["size"] == round(1.25 * style.FONT_SIZE)
    assert shown["title"]["font"]["size"] == round(1.25 * style.TITLE_SIZE)
    assert shown["xaxis"]["title"]["font"]["size"] == round(1.25 * style.AXIS_TITLE_SIZE)
    assert shown["xaxis"]["tickfont"]["size"] == 12
    assert layout["height"] == 300 and layout["xaxis"]["tickfont"]["size"] == 10  # a copy


def test_presentation_mode_keeps_a_chart_within_a_projectors_first_screen():
    from rnnviz.figures import style

    def height(h):
        return style.presented(style.layout("title", "t", "unit", height=h))["height"]

    assert height(400) == style.PRESENT_MAX_HEIGHT  # 500 would push it below 768 px
    assert height(460) == style.PRESENT_MAX_HEIGHT
    assert height(620) == 620                        # two panels, or a square plane: as drawn


def test_presentation_mode_labels_fewer_decades_where_larger_labels_would_overlap():
    from rnnviz.figures import style

    layout = style.layout("title", "t", "norm", height=460)
    layout["yaxis"].update(log_axis([np.logspace(-17, 0, 5)]))   # 17 decades, dtick 3
    assert layout["yaxis"]["dtick"] == 3
    shown = style.presented(layout)
    room = shown["height"] - layout["margin"]["t"] - layout["margin"]["b"]
    labels = 17 / shown["yaxis"]["dtick"] + 1
    assert room / labels >= style.LOG_LABEL_LINES * shown["font"]["size"] * 0.9
    assert shown["yaxis"]["dtick"] > 3 and layout["yaxis"]["dtick"] == 3   # a copy
    few = style.layout("title", "t", "norm", height=460)
    few["yaxis"].update(log_axis([np.array([0.1, 10.0])]))
    assert style.presented(few)["yaxis"]["dtick"] == 1                   # room enough


def test_spectral_radius_over_training_labels_whole_steps_even_for_one_snapshot():
    from rnnviz.figures.memory import spectral_radii

    fig = spectral_radii([1500], {"Waa": np.array([1.2])}, 1500)
    axis = fig["layout"]["xaxis"]
    assert axis["range"] == [1499.5, 1500.5] and axis["dtick"] == 1
    assert axis["title"]["text"] == "training step"


def test_presentation_mode_thins_powers_of_ten_placed_by_hand():
    from rnnviz.figures import style
    from rnnviz.figures.gradients import norm_product

    logs = np.linspace(-30.0, 0.0, 61)
    fig = norm_product({"rnn": {"actual": logs, "bound": logs + 1}})
    ticks = fig["layout"]["yaxis"]["tickvals"]
    shown = style.presented(fig["layout"])["yaxis"]
    assert len(shown["tickvals"]) < len(ticks) and set(shown["tickvals"]) <= set(ticks)
    assert shown["ticktext"] == [f"10<sup>{v}</sup>" for v in shown["tickvals"]]


def test_the_memory_maps_title_keeps_clear_of_the_cells_names_on_two_lines_too():
    from rnnviz.figures import style
    from rnnviz.figures.memory import SUBPLOT_TITLE_PX, memory_maps

    maps = {cell: np.tril(np.full((5, 5), 0.1)) for cell in ("rnn", "lstm", "gru")}
    layout = memory_maps(maps, example=3)["layout"]
    lines = layout["title"]["text"].count("<br>") + 1
    assert lines == 2   # the title is broken into two lines at this length
    assert layout["margin"]["t"] == 70 + style.TITLE_LINE_PX * (lines - 1) + SUBPLOT_TITLE_PX
    assert all(a["y"] == 1.0 and a["yanchor"] == "bottom" for a in layout["annotations"])
