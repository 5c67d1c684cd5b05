"""Config <-> URL query string: every field round-trips; hostile values become warnings."""

import dataclasses

import pytest

from rnnviz.app.config import (
    FIELD_BY_NAME,
    FIELDS,
    GATE_BIASES,
    MEMORY_KNOBS,
    Config,
    from_mapping,
    from_query,
)
from rnnviz.engine import CELLS
from rnnviz.limits import KNOBS, SIZES

# A value different from its default for every field, inside its range.
OTHER = {"cell": "rnn", "n_x": 7, "n_a": 256, "n_y": 64, "m": 1, "T_x": 200, "seed": 12345,
         "input": "gaussian", "data": "0123456789abcdef", "weight_scale": 0.25,
         "spectral_radius": 1.5,
         "lstm_bf": -2.5, "lstm_bu": 10.0, "lstm_bo": 0.75, "gru_br": -10.0, "gru_bu": 3.0}


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
    ("lstm_bf", "1e400", "finite"),
    ("lstm_bu", "10.5", "between -10 and 10"),
    ("lstm_bo", "-11", "between -10 and 10"),
    ("gru_br", "open", "not a number"),
    ("gru_bu", "nan", "finite"),
    ("gru_bu", "", "not a number"),
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


def test_every_gate_of_every_cell_has_its_own_bias_knob():
    knobs = {(cell.name, gate.bias) for cell in CELLS.values() for gate in cell.gates}
    assert set(GATE_BIASES.values()) == knobs
    assert set(GATE_BIASES) == {"lstm_bf", "lstm_bu", "lstm_bo", "gru_br", "gru_bu"}
    for knob in GATE_BIASES:
        f = FIELD_BY_NAME[knob]
        assert (f.kind, f.default, (f.low, f.high)) == ("float", None, KNOBS["gate_bias"])
        assert getattr(Config(), knob) is None


def test_an_unset_gate_bias_may_be_given_as_none_and_stays_out_of_the_url():
    config = Config(lstm_bf=2.0)
    assert config.replace(lstm_bf=None) == Config()
    assert from_mapping({"gru_bu": None}) == (Config(), [])
    assert config.to_query() == {"lstm_bf": "2"}


def test_an_older_links_forget_bias_sets_the_memory_gates_as_it_did():
    config, warnings = from_query({"input": "gaussian", "forget_bias": "5"})
    assert warnings == []
    assert MEMORY_KNOBS == ("lstm_bf", "gru_bu")
    assert (config.lstm_bf, config.gru_bu) == (5.0, -5.0)  # the LSTM's bf, the GRU's -bu
    assert (config.lstm_bu, config.lstm_bo, config.gru_br) == (None, None, None)
    assert config.to_query() == {"input": "gaussian", "lstm_bf": "5", "gru_bu": "-5"}


def test_a_knob_set_in_the_link_wins_over_its_forget_bias():
    config, _ = from_query({"input": "copy", "forget_bias": "3", "gru_bu": "1.5"})
    assert (config.lstm_bf, config.gru_bu) == (3.0, 1.5)


def test_forget_bias_leaves_the_notebooks_draws_alone_as_it_always_did():
    config, warnings = from_query({"forget_bias": "5"})
    assert warnings == [] and config == Config()


@pytest.mark.parametrize("raw, reason", [("11", "between -10 and 10"), ("inf", "finite"),
                                         ("five", "not a number")])
def test_a_hostile_forget_bias_is_named_in_a_warning(raw, reason):
    config, warnings = from_query({"input": "gaussian", "forget_bias": raw})
    assert config == Config(input="gaussian")
    assert len(warnings) == 1
    assert warnings[0].startswith("forget_bias=") and reason in warnings[0]
