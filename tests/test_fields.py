"""rnnviz.fields: one parser for every table of settings, refusing with a reason, never raising
anything but ValueError."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rnnviz.fields import MAX_LIST, MEAN, Field, format_value, parse_number, refused, shown

SIZES = {"T_x": 7, "n_a": 5, "m": 10}
UNIT = Field("unit", "int", 0, 0, "n_a", -1)
SEVERAL = Field("s", "choices", ("a",), choices=("a", "b", "c"),
                choice_labels=("A", "B", "C"), aliases=(("ab", ("a", "b")),))


@pytest.mark.parametrize("field, raw, value", [
    (Field("n", "int", 1, 1, 9), "3", 3),
    (Field("n", "int", 1, 1, 9), ["8", "3.0"], 3),          # the last of repeated values
    (Field("x", "float", 1.0, 0.0, 2.0), " 0.25 ", 0.25),
    (Field("c", "choice", "a", choices=("a", "b")), "B", "b"),
    (Field("e", "int_or_mean", MEAN, 0, "m", -1), "Mean", MEAN),
    (Field("u", "int_list", None, 0, "n_a", -1), "3, 1,3", [3, 1]),
    (UNIT, "4", 4),
    (SEVERAL, "c,A", ("a", "c")),                          # in the order of the choices
    (SEVERAL, "ab", ("a", "b")),
    (SEVERAL, "b, ab ,", ("a", "b")),
])
def test_each_kind_parses_its_text(field, raw, value):
    assert field.parse(raw, SIZES) == value


@pytest.mark.parametrize("field, raw, reason", [
    (UNIT, "5", "must be between 0 and 4"),                 # n_a - 1 is the last unit
    (UNIT, "1.5", "must be a whole number"),
    (UNIT, "nan", "is not a finite number"),
    (UNIT, "", "is not a number"),
    (UNIT, "1" * 201, "is too long"),
    (Field("c", "choice", "a", choices=("a", "b")), "<b>", "must be one of a, b"),
    (SEVERAL, "a,d", "must list one or more of a, b, c, ab"),
    (SEVERAL, " , ", "must name at least one of a, b, c"),
    (Field("u", "int_list", None, 0, "n_a", -1), "1,x", "whole numbers separated by commas"),
    (Field("u", "int_list", None, 0, "n_a", -1), ",".join("1" * (MAX_LIST + 1)),
     f"more than {MAX_LIST}"),
])
def test_bad_text_is_refused_with_a_reason(field, raw, reason):
    with pytest.raises(ValueError, match=reason):
        field.parse(raw, SIZES)


@given(st.text(max_size=300) | st.lists(st.text(max_size=20), max_size=3))
def test_any_text_parses_or_is_refused_with_a_value_error(raw):
    for field in (UNIT, SEVERAL, Field("x", "float", 0.0, -1.0, 1.0),
                  Field("u", "int_list", None, 0, "n_a", -1),
                  Field("e", "int_or_mean", MEAN, 0, "m", -1)):
        try:
            field.parse(raw, SIZES)
        except ValueError:
            pass


@pytest.mark.parametrize("value, text", [(2.0, "2"), (0.25, "0.25"), (3, "3"),
                                         ([0, 3, 7], "0,3,7"), ("lstm", "lstm"),
                                         (("rnn", "gru"), "rnn,gru")])
def test_values_are_written_back_as_they_parse(value, text):
    assert format_value(value) == text


def test_a_refusal_names_the_value_cut_short_and_what_is_used_instead():
    assert refused("n_a", "-3", "must be between 1 and 256", using=5) == (
        "n_a='-3' was ignored: it must be between 1 and 256; using 5")
    assert len(shown("9" * 500)) == 40 and shown(["1", "2"]) == "2"
    assert parse_number("1e1", whole=True) == 10


@pytest.mark.parametrize("raw, reason", [
    ("５", "digits 0-9"), ("１２８", "digits 0-9"), ("٣", "digits 0-9"), ("1_0", "digits 0-9"),
    ("0x10", "digits 0-9"), ("\u00a07", "digits 0-9"), ("7\u2003", "digits 0-9"),
    ("1e-400", "rounds to 0"), ("Infinity", "finite"), ("-nan", "finite"), ("1e400", "finite"),
])
def test_numbers_are_read_in_ascii_decimal_notation_only(raw, reason):
    with pytest.raises(ValueError, match=reason):
        Field("n", "int", 1, 0, 10**9).parse(raw)


@pytest.mark.parametrize("raw, value", [(" 7 ", 7), ("+7", 7), ("7.", 7), (".5e1", 5),
                                        ("1e1", 10), ("-0", 0), ("0e5", 0), ("0.0", 0)])
def test_every_ascii_spelling_of_a_number_is_read(raw, value):
    assert Field("n", "int", 1, -1, 10**9).parse(raw) == value


@pytest.mark.parametrize("value, checked", [(["c", "a"], ("a", "c")), (("b",), ("b",)),
                                            ({"c", "b"}, ("b", "c"))])
def test_several_choices_are_checked_and_kept_in_the_order_of_the_choices(value, checked):
    assert SEVERAL.check(value) == checked
    assert SEVERAL.label_of(checked) == ", ".join(c.upper() for c in checked)


@pytest.mark.parametrize("value, reason", [
    ((), "s must name at least one of a, b, c; got none"),
    (["a", "z"], "s must list some of a, b, c; got 'z'"),
    ("a", "s must be a list of choices; got 'a'"),
    (None, "s must be a list of choices; got None"),
])
def test_several_choices_refuse_none_unknown_ones_and_a_bare_word(value, reason):
    with pytest.raises(ValueError, match=f"^{re.escape(reason)}$"):
        SEVERAL.check(value)


def test_an_alias_stands_for_some_of_the_choices_only():
    with pytest.raises(ValueError, match="alias"):
        Field("s", "choices", ("a",), choices=("a", "b"), aliases=(("all", ("a", "z")),))
