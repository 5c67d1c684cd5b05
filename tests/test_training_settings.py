"""The training settings table: TrainConfig's defaults and validation, the form's runs,
and the lesson-link fields, all from rnnviz.training.settings.SETTINGS."""

import dataclasses

import numpy as np
import pytest

from rnnviz.app import lesson
from rnnviz.engine import CELLS
from rnnviz.limits import MAX_TRAIN_STEPS
from rnnviz.training.settings import (
    FORM,
    FORM_SECTIONS,
    HIDDEN_BY,
    LINKED,
    OWN_DATA_SECTIONS,
    SETTING,
    SETTINGS,
    TrainConfig,
    snapshot_every,
    train_configs,
)
from rnnviz.training.trainer import Trainer

SMALL = TrainConfig(task="chars", cell="lstm", n_a=8, m=4, T_x=6, steps=30, seed=3,
                    stats_every=5, snapshot_every=10)
FORM_VALUES = {"task": "chars", "train_cell": ("rnn", "lstm", "gru"), "n_a": 8, "m": 4,
               "T_x": 6, "seed": 3, "optimizer": "adam", "learning_rate": 0.02, "beta1": 0.8,
               "beta2": 0.99, "epsilon": 1e-7, "steps": 1000, "clip": "value", "clip_value": 2.0,
               "truncate": 3,
               "text": "", "csv": "", "layout": "series", "label_column": "last"}


def test_train_config_takes_its_defaults_from_the_table():
    config = TrainConfig()
    for f in dataclasses.fields(TrainConfig):
        assert getattr(config, f.name) == SETTING[f.name].default, f.name
    assert set(FORM) - {"train_cell"} <= {f.name for f in dataclasses.fields(TrainConfig)}
    assert set(FORM_VALUES) == set(FORM)


def test_every_setting_the_form_shows_has_a_label():
    assert all(SETTING[name].label for name in FORM)
    assert [f.name for f in SETTINGS].count("cell") == 1


def test_the_form_shows_each_setting_once_and_hides_only_its_own_rows_by_known_names():
    assert len(FORM) == len(set(FORM)) == sum(
        len(names) for sections in (FORM_SECTIONS, OWN_DATA_SECTIONS)
        for names in sections.values())
    assert set(HIDDEN_BY) <= set(FORM)
    assert set(HIDDEN_BY.values()) <= set(lesson.HIDEABLE)


@pytest.mark.parametrize("changes, message", [
    ({"steps": MAX_TRAIN_STEPS + 1}, "steps must be between 1 and 20,000"),
    ({"steps": 0}, "steps must be between"),
    ({"steps": 2.5}, "steps must be a whole number"),
    ({"task": "parity"}, "task must be one of chars, adding, copy, sine"),
    ({"cell": "both"}, "cell must be one of rnn, lstm, gru"),
    ({"optimizer": "lbfgs"}, "optimizer must be one of adam"),
    ({"learning_rate": 0.0}, "learning_rate must be between 1e-06 and 1,000,000; got 0"),
    ({"learning_rate": True}, "learning_rate must be a finite number"),
    ({"seed": np.int64(-1)}, "seed must be between 0 and 2,147,483,647; got -1"),
    ({"learning_rate": float("inf")}, "finite number"),
    ({"clip": "sometimes"}, "clip must be one of"),
    ({"task": "adding", "T_x": 1}, "T_x must be between 2"),
    ({"task": "sine", "text": "hello"}, "only for the chars task"),
    ({"steps": 20_000, "snapshot_every": 10}, "at least 100"),
    ({"n_a": 0}, "n_a must be between"),
])
def test_bad_settings_raise_value_error_with_a_sentence(changes, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**changes)


def test_config_round_trips_through_a_dict_and_is_hashable():
    config = SMALL.replace(text="ab\nba", learning_rate=0.02)
    assert TrainConfig.from_dict(config.to_dict()) == config
    assert hash(config) == hash(dataclasses.replace(config))
    with pytest.raises(ValueError, match="unknown training settings"):
        TrainConfig.from_dict({"colour": "red"})


def test_hyper_parameters_the_optimizer_does_not_take_are_ignored():
    config = SMALL.replace(optimizer="sgd", learning_rate=0.3, beta1=0.5, beta2=0.9)
    assert config.hyper() == {"learning_rate": 0.3}
    assert Trainer(config).optimizer.hyper == {"learning_rate": 0.3}


def test_the_form_describes_one_config_per_cell_on_the_same_data():
    rnn, lstm, gru = train_configs(FORM_VALUES)
    assert (rnn.cell, lstm.cell, gru.cell) == ("rnn", "lstm", "gru")
    assert rnn.replace(cell="lstm") == lstm and rnn.replace(cell="gru") == gru
    assert gru.label() == "GRU · chars · n_a=8 · Adam lr=0.02 · clip |g|≤2 · TBPTT k=3 · seed 3"
    assert (rnn.learning_rate, rnn.beta1, rnn.clip, rnn.text) == (0.02, 0.8, "value", None)
    assert rnn.stats_every == 5 and rnn.snapshot_every == 10
    assert rnn.label() == "RNN · chars · n_a=8 · Adam lr=0.02 · clip |g|≤2 · TBPTT k=3 · seed 3"
    assert rnn.truncate == 3 and rnn.replace(truncate=0).label().count("TBPTT") == 0
    (only,) = train_configs({**FORM_VALUES, "train_cell": ("lstm",), "task": "copy",
                             "text": "ignored"})
    assert only.task == "copy" and only.text is None


@pytest.mark.parametrize("chosen, cells", [
    (["gru", "rnn"], ["rnn", "gru"]),          # in the order of CELLS, whatever the clicks
    (("gru",), ["gru"]),
    (("lstm", "gru", "lstm"), ["lstm", "gru"]),  # once each
])
def test_the_form_trains_any_subset_of_the_cells_in_their_own_order(chosen, cells):
    configs = train_configs({**FORM_VALUES, "train_cell": chosen})
    assert [config.cell for config in configs] == cells
    assert len({config.replace(cell="rnn") for config in configs}) == 1  # same data and seed


@pytest.mark.parametrize("chosen", [(), [], None])
def test_a_form_with_no_cell_chosen_is_refused_with_a_sentence(chosen):
    with pytest.raises(ValueError, match="^no cell is chosen: pick at least one of RNN, "
                                         "LSTM, GRU$"):
        train_configs({**FORM_VALUES, "train_cell": chosen})


def test_the_form_refuses_what_the_engine_refuses():
    with pytest.raises(ValueError, match="T_x"):
        train_configs({**FORM_VALUES, "task": "adding", "T_x": 1})
    with pytest.raises(ValueError, match="train_cell must list some of rnn, lstm, gru; "
                                         "got 'gru[?]'"):
        train_configs({**FORM_VALUES, "train_cell": ("rnn", "gru?")})
    with pytest.raises(ValueError, match="train_cell must be a list of choices; got 'gru'"):
        train_configs({**FORM_VALUES, "train_cell": "gru"})
    with pytest.raises(ValueError):
        train_configs({**FORM_VALUES, "text": "aaaa"})  # one character: nothing to predict


def test_snapshots_are_capped_in_number_and_in_memory():
    assert snapshot_every(20_000, "lstm", 27, 32, 27) == 200  # 100 snapshots
    assert snapshot_every(3, "lstm", 27, 32, 27) == 1
    assert snapshot_every(20_000, "lstm", 27, 256, 27) == 4000  # 2.3 MB each: 5 kept
    assert snapshot_every(20_000, "rnn", 27, 32, 27) == 200


def test_lesson_links_set_the_training_rows_they_name_with_the_tables_ranges():
    fields = {f.name: f for f in lesson.VIEWS[lesson.TRAINING]}
    assert set(fields) == set(LINKED)
    for key, name in LINKED.items():
        assert dataclasses.replace(fields[key], name=name) == SETTING[name], key
    assert SETTING["train_cell"].choices == tuple(CELLS)


@pytest.mark.parametrize("raw, cells", [
    ("both", ("rnn", "lstm")),       # a link made when there were two cells: what it meant
    ("BOTH", ("rnn", "lstm")),
    ("gru", ("gru",)),
    ("gru,rnn", ("rnn", "gru")),
    (" lstm , gru ,", ("lstm", "gru")),
    ("both,gru", ("rnn", "lstm", "gru")),
    (["rnn", "gru,lstm"], ("lstm", "gru")),   # the last of repeated keys
])
def test_a_link_names_the_cells_to_train_by_name_or_as_both(raw, cells):
    linked = {f.name: f for f in lesson.VIEWS[lesson.TRAINING]}["train_cell"]
    assert linked.parse(raw) == cells


@pytest.mark.parametrize("raw, reason", [
    ("", "must name at least one of rnn, lstm, gru"),
    (",,", "must name at least one of rnn, lstm, gru"),
    ("rnn,transformer", "must list one or more of rnn, lstm, gru, both"),
])
def test_a_link_with_no_known_cell_to_train_is_refused_with_a_reason(raw, reason):
    with pytest.raises(ValueError, match=reason):
        SETTING["train_cell"].parse(raw)
