"""rnnviz.app.lesson: the view parameters and hide flags of lesson links, parsed without raising."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnviz.app import lesson
from rnnviz.app.config import FIELD_BY_NAME
from rnnviz.engine import CELLS

SIZES = {"T_x": 7, "n_a": 5, "m": 10}


def test_view_keys_never_collide_with_the_configuration_or_streamlit():
    assert not lesson.VIEW_KEYS & set(FIELD_BY_NAME)
    assert not lesson.VIEW_KEYS & lesson.STREAMLIT_KEYS
    assert "hide" not in lesson.VIEW_KEYS | set(FIELD_BY_NAME)


def test_step_through_view_restores_t_unit_and_example_at_their_bounds():
    view, warnings = lesson.parse_view(lesson.STEP, {"t": "7", "unit": "4", "example": "0"},
                                       SIZES)
    assert view == {"t": 7, "unit": 4, "example": 0} and warnings == []
    view, _ = lesson.parse_view(lesson.STEP, {"t": ["3", "1"]}, SIZES)  # the last one counts
    assert view == {"t": 1}


@pytest.mark.parametrize("key, raw, why", [
    ("t", "0", "between 1 and 7"), ("t", "8", "between 1 and 7"), ("t", "2.5", "whole"),
    ("t", "nan", "finite"), ("t", "inf", "finite"), ("t", "", "not a number"),
    ("t", "1" * 500, "too long"), ("unit", "5", "between 0 and 4"),
    ("unit", "-1", "between 0 and 4"), ("example", "x", "not a number"),
    ("example", "mean", "not a number"),  # the batch mean exists on the Gates page only
])
def test_invalid_step_through_values_are_ignored_with_a_warning(key, raw, why):
    view, warnings = lesson.parse_view(lesson.STEP, {key: raw}, SIZES)
    assert view == {}
    assert len(warnings) == 1 and warnings[0].startswith(f"{key}=") and why in warnings[0]


def test_sizes_of_one_allow_only_the_first_step_unit_and_example():
    ones = {"T_x": 1, "n_a": 1, "m": 1}
    view, warnings = lesson.parse_view(lesson.STEP, {"t": "1", "unit": "0", "example": "0"},
                                       ones)
    assert view == {"t": 1, "unit": 0, "example": 0} and not warnings
    view, warnings = lesson.parse_view(lesson.STEP, {"t": "2", "unit": "1"}, ones)
    assert view == {} and len(warnings) == 2


def test_gates_units_list_is_unique_bounded_and_may_be_empty():
    view, warnings = lesson.parse_view(lesson.GATES, {"units": "3, 0,3", "example": "MEAN"},
                                       SIZES)
    assert view == {"units": [3, 0], "example": "mean"} and not warnings
    assert lesson.parse_view(lesson.GATES, {"units": ""}, SIZES)[0] == {"units": []}
    for raw in ("0,5", "a,b", "1e400", ",".join(["1"] * 17)):
        view, warnings = lesson.parse_view(lesson.GATES, {"units": raw}, SIZES)
        assert view == {} and len(warnings) == 1, raw


def test_keys_of_other_pages_and_unknown_keys_are_named_in_warnings():
    view, warnings = lesson.parse_view(
        lesson.FLOW, {"where": "ALL", "unit": "2", "bogus": "1", "n_a": "9", "embed": "true",
                      "hide": "play"}, SIZES)
    assert view == {"where": "all"}
    assert len(warnings) == 2
    assert "unit was ignored" in warnings[0] and "Step through" in warnings[0]
    assert "'bogus' was ignored" in warnings[1]


def test_training_prefill_parses_choices_and_numbers():
    query = {"task": "Copy", "train_cell": "gru,rnn", "optimizer": "sgd", "steps": "200",
             "lr": "0.05"}
    view, warnings = lesson.parse_view(lesson.TRAINING, query, SIZES)
    assert view == {"task": "copy", "train_cell": ("rnn", "gru"), "optimizer": "sgd",
                    "steps": 200, "lr": 0.05} and not warnings
    view, warnings = lesson.parse_view(
        lesson.TRAINING, {"task": "chess", "steps": "20001", "lr": "-1", "train_cell": ""},
        SIZES)
    assert view == {} and len(warnings) == 4
    assert ("train_cell='' was ignored: it must name at least one of rnn, lstm, gru"
            in warnings)


def test_view_round_trips_through_the_query_string_leaving_defaults_out():
    view = {"t": 4, "unit": 0, "example": 9}
    query = lesson.view_to_query(lesson.STEP, view)
    assert query == {"t": "4", "example": "9"}  # unit 0 is the default
    assert lesson.parse_view(lesson.STEP, query, SIZES)[0] == {"t": 4, "example": 9}
    gates = {"units": [1, 4], "example": "mean", "t": 1}
    assert lesson.view_to_query(lesson.GATES, gates) == {"units": "1,4"}
    train = {"lr": 0.001, "steps": 500, "task": "adding", "train_cell": ("rnn", "lstm")}
    assert lesson.view_to_query(lesson.TRAINING, train) == {"task": "adding", "lr": "0.001"}
    train["train_cell"] = ("rnn", "gru")
    query = lesson.view_to_query(lesson.TRAINING, train)
    assert query["train_cell"] == "rnn,gru"
    assert lesson.parse_view(lesson.TRAINING, query, SIZES)[0] == {
        "task": "adding", "lr": 0.001, "train_cell": ("rnn", "gru")}


def test_hide_names_controls_case_insensitively_and_warns_about_the_rest():
    hidden, warnings = lesson.parse_hide("Sidebar, t_x,PLAY,,t")
    assert hidden == {"sidebar", "T_x", "play", "t"} and warnings == []
    hidden, warnings = lesson.parse_hide(["presets", "<script>,bogus"])
    assert hidden == {"presets"}
    assert len(warnings) == 1 and "'<script>'" in warnings[0] and "'bogus'" in warnings[0]
    assert lesson.parse_hide("x" * 5000) == (frozenset(), ["hide=... was ignored: it is too long"])
    assert lesson.hide_to_query({"play", "sidebar"}) == {"hide": "sidebar,play"}
    assert lesson.hide_to_query(set()) == {}


def test_every_sidebar_setting_can_be_hidden_by_its_config_name():
    for name in FIELD_BY_NAME:
        assert name in lesson.HIDEABLE


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(list(lesson.VIEWS)),
       st.dictionaries(st.sampled_from([*lesson.VIEW_KEYS, "hide", "zz", "n_a"]),
                       st.one_of(st.text(max_size=60), st.lists(st.text(max_size=8),
                                                                max_size=3)), max_size=6),
       st.integers(1, 200), st.integers(1, 256), st.integers(1, 64), st.sampled_from(list(CELLS)))
def test_no_query_string_ever_raises(page, query, T_x, n_a, m, cell):
    sizes = {"T_x": T_x, "n_a": n_a, "m": m, "cell": cell}
    view, warnings = lesson.parse_view(page, query, sizes)
    assert all(isinstance(w, str) for w in warnings)
    own = {f.name for f in lesson.VIEWS[page]}
    assert set(view) <= own
    for name, value in view.items():
        if name == "t":
            assert 1 <= value <= T_x
        elif name == "units":
            assert all(0 <= j < n_a for j in value)
        elif name == "lr":
            assert math.isfinite(value)
        elif name == "intervene":
            assert all(change.target in CELLS[cell].targets for change in value)
    hidden, _ = lesson.parse_hide(query.get("hide", ""))
    assert hidden <= set(lesson.HIDEABLE)


def test_many_unknown_keys_give_one_warning_naming_a_few():
    query = {f"junk{k}": "1" for k in range(1000)}
    view, warnings = lesson.parse_view(lesson.STEP, query, SIZES)
    assert view == {} and len(warnings) == 1
    assert warnings[0].startswith("1000 parameters were ignored: 'junk0'")
    assert "and 995 more" in warnings[0]


def test_many_unknown_hide_names_are_summed_up():
    hidden, warnings = lesson.parse_hide(",".join(f"x{k}" for k in range(300)) + ",play")
    assert hidden == {"play"} and len(warnings) == 1
    assert "'x4' and 295 more was ignored" in warnings[0] and "'x5'" not in warnings[0]


def test_present_is_read_as_presentation_mode_and_other_values_warn():
    from rnnviz.app.lesson import parse_present, present_to_query

    assert parse_present(["1"]) == (True, []) and parse_present(["0"]) == (False, [])
    assert parse_present(None) == (False, [])
    on, warnings = parse_present(["yes"])
    assert not on and warnings == ["present='yes' was ignored: it must be 1 (presentation mode) "
                                   "or 0"]
    assert present_to_query(True) == {"present": "1"} and present_to_query(False) == {}


def test_ask_is_the_links_question_as_text_and_anything_else_warns():
    from rnnviz.app.lesson import MAX_ASK, ask_to_query, parse_ask

    assert parse_ask(["Why  does it\tvanish? "]) == ("Why does it vanish?", [])
    assert parse_ask(None) == (None, []) and parse_ask(["   "]) == (None, [])
    assert parse_ask(["first", "second"]) == ("second", [])
    assert parse_ask(["<b>*c⟨t⟩*</b> 👩‍🏫"])[0] == "<b>*c⟨t⟩*</b> 👩‍🏫"  # kept; shown literally
    for hostile in ("x" * (MAX_ASK + 1), "bell\x07", "right\u202eto left", "zero\u200bwidth",
                    "private\ue000"):
        question, warnings = parse_ask([hostile])
        assert question is None and len(warnings) == 1 and warnings[0].startswith("ask=")
    assert ask_to_query("Why?") == {"ask": "Why?"} and ask_to_query(None) == {}
