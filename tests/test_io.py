"""Saving and loading a model: round trips, and a clear refusal of any other file."""

import io
import json

import numpy as np
import pytest

from rnnviz.engine import init_params
from rnnviz.engine.cells import CELLS
from rnnviz.training.files import load_model, save_model
from rnnviz.training.settings import TrainConfig
from rnnviz.training.trainer import Trainer, load_trained

CONFIG = {"task": "adding", "cell": "lstm", "n_a": 3, "note": "é ünïcode"}


def saved(params, config=CONFIG):
    buffer = io.BytesIO()
    save_model(buffer, params, config)
    buffer.seek(0)
    return buffer


def npz(**arrays):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    buffer.seek(0)
    return buffer


def lstm():
    return init_params("lstm", 2, 3, 1, np.random.default_rng(0))


def model_entries(params=None, **changes):
    """The entries save_model writes, with some replaced or (value None) removed."""
    params = params or lstm()
    entries = {"format": np.array("rnnviz-model"), "version": np.array(1),
               "cell": np.array(params.cell), "config": np.array(json.dumps(CONFIG))}
    entries.update({f"param/{k}": v for k, v in params.items()})
    entries.update(changes)
    return {k: v for k, v in entries.items() if v is not None}


@pytest.mark.parametrize("cell", list(CELLS))
def test_round_trip_keeps_every_array_bit_for_bit_and_the_config(cell):
    params = init_params(cell, 4, 3, 2, np.random.default_rng(1))
    loaded, config = load_model(saved(params, {**CONFIG, "cell": cell}))
    assert type(loaded) is type(params)
    for (name, a), (_, b) in zip(params.items(), loaded.items(), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert config == {**CONFIG, "cell": cell}


def test_round_trip_through_a_path(tmp_path):
    path = tmp_path / "model.npz"
    save_model(path, lstm(), CONFIG)
    loaded, config = load_model(path)
    np.testing.assert_array_equal(loaded.Wf, lstm().Wf)
    assert config["note"] == "é ünïcode"


@pytest.mark.parametrize("cell", list(CELLS))
def test_trainer_save_and_load_trained_resume_the_same_model(tmp_path, cell):
    config = TrainConfig(task="chars", cell=cell, n_a=6, m=4, T_x=5, steps=6,
                         text="abc\nbca\ncab")
    trainer = Trainer(config)
    trainer.run(6)
    path = tmp_path / "chars.npz"
    trainer.save(path)
    loaded_config, params, task, trained = load_trained(path)
    assert loaded_config == config and trained == 6 and params.cell == cell
    for (name, value), (_, kept) in zip(params.items(), trainer.params.items(), strict=True):
        np.testing.assert_array_equal(value, kept, err_msg=name)
    assert task.vocab == trainer.task.vocab
    rng = np.random.default_rng(0)
    assert task.sample(params, rng) == trainer.task.sample(trainer.params,
                                                           np.random.default_rng(0))
    again = Trainer(loaded_config.replace(steps=2), params=params, trained_steps=trained)
    assert [r.step for r in again.run(5)] == [7, 8] and again.done
    assert sorted(again.snapshots) == [6, 8]


@pytest.mark.parametrize("trained", [-1, "600", 1.5, True, 2**31])
def test_a_model_file_whose_step_count_is_not_one_is_refused_saying_so(tmp_path, trained):
    config = TrainConfig(task="chars", n_a=6, m=4, T_x=5, steps=6, text="abc\nbca\ncab")
    path = tmp_path / "chars.npz"
    save_model(path, Trainer(config).params, {**config.to_dict(), "trained_steps": trained})
    with pytest.raises(ValueError, match="trained_steps .* is not a count of steps"):
        load_trained(path)


def test_unsaveable_settings_raise_value_error():
    with pytest.raises(ValueError, match="cannot be saved as JSON"):
        save_model(io.BytesIO(), lstm(), {"bad": object()})
    with pytest.raises(ValueError, match="cannot be saved as JSON"):
        save_model(io.BytesIO(), lstm(), {"bad": float("nan")})


@pytest.mark.parametrize("make_file, message", [
    (lambda: io.BytesIO(b"definitely not a zip file"), "could not be read"),
    (lambda: io.BytesIO(b""), "could not be read"),
    (lambda: io.BytesIO(saved(lstm()).getvalue()[:200]), "not an rnnviz model"),
    (lambda: npz(weights=np.ones(3)), "not an rnnviz model"),
    (lambda: npz(**model_entries(format=np.array("other-model"))), "not an rnnviz model"),
    (lambda: npz(**model_entries(version=np.array(7))), "format version 7"),
    (lambda: npz(**model_entries(cell=np.array("elman"))), "is not one of rnn, lstm, gru"),
    (lambda: npz(**model_entries(config=np.array("{not json"))), "not valid JSON"),
    (lambda: npz(**model_entries(config=np.array("[1, 2]"))), "not a JSON object"),
    (lambda: npz(**model_entries(**{"param/Wf": None})), "missing Wf"),
    (lambda: npz(**model_entries(**{"param/Wf": np.ones((3, 4))})), "do not fit together"),
    (lambda: npz(**model_entries(**{"param/Wax": np.ones((3, 2))})), "should not hold Wax"),
    (lambda: npz(**model_entries(**{"param/by": np.array([[np.nan]])})), "NaN"),
    (lambda: npz(**model_entries(**{"param/by": np.array([["x"]])})), "not an array of float64"),
    (lambda: npz(**model_entries(config=np.array(json.dumps({"n_a": 9})))), "n_a=9"),
    (lambda: npz(**model_entries(config=np.array(json.dumps({"cell": "rnn"})))),
     "settings say 'rnn'"),
    (lambda: npz(**model_entries(config=np.array([{"a": 1}], dtype=object))), "Python objects"),
])
def test_a_wrong_or_damaged_file_raises_a_clear_value_error(make_file, message):
    with pytest.raises(ValueError, match=message):
        load_model(make_file())


def test_a_single_npy_array_is_refused():
    buffer = io.BytesIO()
    np.save(buffer, np.ones(3))
    buffer.seek(0)
    with pytest.raises(ValueError, match="single array"):
        load_model(buffer)


def test_load_trained_rejects_a_model_that_does_not_fit_its_settings():
    config = TrainConfig(task="adding", n_a=3, steps=1)
    wrong_task = init_params("lstm", 5, 3, 2, np.random.default_rng(0))  # not adding's sizes
    with pytest.raises(ValueError, match="needs n_x=2"):
        load_trained(saved(wrong_task, config.to_dict()))
    with pytest.raises(ValueError, match="training settings are not usable"):
        load_trained(saved(lstm(), {"n_a": 3, "steps": 0}))
