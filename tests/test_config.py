"""Config <-> URL query string: every field round-trips; hostile values become warnings."""

import dataclasses

import pytest

from rnnviz.app.config import FIELDS, Config, from_query
from rnnviz.limits import SIZES

# A value different from its default for every field, inside its range.
OTHER = {"cell": "rnn", "n_x": 7, "n_a": 256, "n_y": 64, "m": 1, "T_x": 200, "seed": 12345,
         "input": "gaussian", "weight_scale": 0.25, "spectral_radius": 1.5,
         "forget_bias": -2.5}


def test_other_values_cover_every_field_and_differ_from_the_defaults():
    assert set(OTHER) == {f.name for f in FIELDS}
    for f in FIELDS:
        assert OTHER[f.name] != f.default


@pytest.mark.parametrize("name", [f.name for f in FIELDS])
def test_each_field_round_trips_through_the_query_string(name):
    config = Config(**{name: OTHER[name]})
    query = config.to_query()
    assert list(query) == [name]
    assert all(isinstance(value, str) for value in query.values())
    restored, warnings = from_query(query)
    assert warnings == []
    assert restored == config


def test_a_config_with_every_field_set_round_trips():
    config = Config(**OTHER)
    restored, warnings = from_query(config.to_query())
    assert warnings == [] and restored == config
    assert len(config.to_query()) == len(FIELDS)


def test_the_default_config_has_an_empty_query_string():
    assert Config().to_query() == {}
    assert from_query({}) == (Config(), [])


def test_query_values_given_as_lists_take_the_last_one():
    config, warnings = from_query({"n_a": ["4", "9"]})
    assert warnings == [] and config.n_a == 9


@pytest.mark.parametrize("name, raw, reason", [
    ("n_a", "-3", "between 1 and 256"),
    ("n_a", "0", "between 1 and 256"),
    ("m", "65", "between 1 and 64"),
    ("T_x", "1e9", "between 1 and 200"),
    ("n_x", "three", "not a number"),
    ("n_y", "2.5", "whole number"),
    ("seed", "-1", "between 0 and"),
    ("weight_scale", "nan", "finite"),
    ("spectral_radius", "inf", "finite"),
    ("forget_bias", "1e400", "finite"),
    ("cell", "<script>alert(1)</script>", "one of rnn, lstm"),
    ("input", "../../etc/passwd", "one of notebook"),
    ("T_x", "9" * 500, "too long"),
    ("n_a", "", "not a number"),
    ("n_a", "１２８", "digits 0-9"),      # full-width digits
    ("m", "٣", "digits 0-9"),            # Arabic-Indic
    ("T_x", "1_0", "digits 0-9"),
    ("seed", "1e-400", "rounds to 0"),
])
def test_hostile_values_fall_back_to_the_default_with_a_warning(name, raw, reason):
    config, warnings = from_query({name: raw, "seed": "5"} if name != "seed" else {name: raw})
    assert getattr(config, name) == getattr(Config(), name)
    assert len(warnings) == 1
    assert warnings[0].startswith(f"{name}=") and reason in warnings[0]
    assert "was ignored" in warnings[0]
    assert len(warnings[0]) < 200  # a long value is cut short in the message


def test_repeated_keys_with_a_bad_last_value_warn_once():
    config, warnings = from_query({"n_a": ["8", "-1"], "m": ["2", "3"]})
    assert config.n_a == Config().n_a and config.m == 3
    assert len(warnings) == 1 and warnings[0].startswith("n_a='-1'")


def test_unknown_keys_are_ignored():
    config, warnings = from_query({"hide": "sidebar", "<b>": "1", "n_a": "6"})
    assert warnings == [] and config == Config(n_a=6)


def test_the_size_fields_stop_at_the_designs_limits():
    assert SIZES == {"n_x": 64, "n_y": 64, "n_a": 256, "m": 64, "T_x": 200}
    assert {f.name: f.high for f in FIELDS if f.name in SIZES} == SIZES


def test_replace_validates_and_names_the_bad_value():
    assert Config().replace(n_a=8) == Config(n_a=8)
    with pytest.raises(ValueError, match="n_a"):
        Config().replace(n_a=1000)
    with pytest.raises(ValueError, match="cell"):
        Config().replace(cell="elman")


def test_config_is_hashable_and_frozen():
    assert hash(Config(n_a=3)) == hash(Config(n_a=3))
    with pytest.raises(dataclasses.FrozenInstanceError):
        Config().n_a = 4  # type: ignore[misc]
