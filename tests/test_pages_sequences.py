"""Your own sequences in the app: a CSV uploaded on the Training page trains (its loss falls),
each bad CSV gets its sentence, a snapshot opens on every view, a model file carries its data,
every view works on the data for each cell, and a link to data not on this server says so."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from apptest_charts import array, figures
from streamlit.testing.v1 import AppTest
from test_pages_forward import chart_specs
from test_pages_training import TRAINING, no_exception, open_training, runs

from rnnviz.app.contents import MEMORY, SNAPSHOT_VIEWS
from rnnviz.engine import CELLS
from rnnviz.training import sequences
from rnnviz.training.trainer import load_trained
from rnnviz.ui import run_detail, state
from rnnviz.ui import training as tr
from rnnviz.ui.train_form import CSV_FILE_KEY
from rnnviz.ui.train_form import WIDGET_PREFIX as W

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "data"
TIMEOUT = 120
WAVES = (EXAMPLES / "waves.csv").read_bytes()
WEATHER = (EXAMPLES / "weather.csv").read_bytes()
CLASSES = ("sawtooth", "sine", "square")
SMALL = {"n_a": 16, "m": 32, "T_x": 12, "steps": 80, "learning_rate": 0.02}


def train_csv(at: AppTest, name: str | None, data: bytes | None, cells: str = "gru",
              **settings) -> AppTest:
    """Choose the task "your sequences", upload `data` as `name` (None: none), set the
    settings, press Train and wait for the runs to end."""
    if data is not None:
        at.file_uploader(key=CSV_FILE_KEY).upload(name, data)
    at.selectbox(key=W + "task").set_value("sequences")
    at.segmented_control(key=W + "train_cell").set_value(cells.split(","))
    for key, value in {**SMALL, **settings}.items():
        widget = at.selectbox if key in ("layout", "label_column") else at.number_input
        widget(key=W + key).set_value(value)
    next(b for b in at.button if b.label == "Train").click()
    at.run()
    for _ in range(3000):
        if not any(r.training for r in runs(at)):
            return at
        at.run()
    raise AssertionError("the runs never finished")


def error(at: AppTest) -> str:
    (shown,) = [e.value.replace("\\", "") for e in at.error]
    return shown


def loss_fell(run) -> bool:
    loss = np.array(run.history["loss"])
    return loss[-10:].mean() < 0.7 * loss[:5].mean()


def test_a_classified_csv_trains_the_three_cells_and_their_loss_falls():
    at = train_csv(open_training(), "waves.csv", WAVES, "rnn,lstm,gru", T_x=30)
    no_exception(at)
    kept = runs(at)
    assert [r.config.cell for r in kept] == ["rnn", "lstm", "gru"]
    for run in kept:
        assert run.status == "finished" and run.config.csv == WAVES.decode()
        assert run.loss.kind == "cross_entropy" and loss_fell(run), run.history["loss"]
        assert run.last("accuracy") > 0.5   # chance is 1/3
    assert at.text_area(key=W + "csv").value == WAVES.decode()
    (answers,) = [d for d in at.dataframe if "answer" in d.value.columns]   # the last run's
    assert list(answers.value.columns) == ["class", "answer", "probability"]
    assert len(answers.value) == 8 and set(answers.value["class"]) <= set(CLASSES)
    assert any("classified into 3 classes (sawtooth, sine, square)" in w.value.replace("\\", "")
               for w in at.warning)   # the data set in a sentence, beside the runs


def test_a_long_series_trains_next_value_prediction_and_its_loss_falls():
    at = train_csv(open_training(), "weather.csv", WEATHER, "lstm", layout="series",
                   steps=80)
    no_exception(at)
    (run,) = runs(at)
    assert run.status == "finished" and run.loss.kind == "squared_error"
    assert loss_fell(run), run.history["loss"]
    assert np.isnan(run.last("accuracy"))
    at.selectbox(key="rnnviz_tr_channel").set_value("sunshine").run()
    no_exception(at)
    spec = next(s for s in chart_specs(at)
                if s["layout"]["title"]["text"].startswith("Next-value predictions"))
    assert spec["layout"]["yaxis"]["title"]["text"] == "sunshine"
    hours = array(spec["data"][0]["y"])
    assert 0 <= hours.min() and hours.max() <= 15   # in hours, not standardised
    first = min(run.snapshots)
    at.select_slider(key=run_detail.snapshot_widget(run_detail.snapshot_place(run.id))).set_value(first).run()
    earlier = next(s for s in chart_specs(at)
                   if s["layout"]["title"]["text"].startswith("Next-value predictions"))
    # the same window at every snapshot, and what the network made of it then
    np.testing.assert_array_equal(array(earlier["data"][0]["y"]), hours)
    assert not np.allclose(array(earlier["data"][1]["y"]), array(spec["data"][1]["y"]))


@pytest.mark.parametrize("name, data, settings, says", [
    ("bad.csv", b"1,2,3\n4,5,6\n7,abc,9\n1,1,1\n", {}, "row 3, column 2: 'abc' is not a number"),
    ("ragged.csv", b"1,2,3\n4,5,6\n7,8\n1,1,1\n", {}, "row 3 has 2 cells and row 1 has 3"),
    ("holes.csv", b"1,2,3\n4,,6\n7,8,9\n1,1,1\n", {}, "row 2, column 2 is empty"),
    ("nan.csv", b"1,2,3\n4,nan,6\n7,8,9\n1,1,1\n", {}, "'nan' is not a finite number"),
    ("few.csv", b"1,2,3\n4,5,6\n", {}, "holds 2 sequences; one per row, it needs at least 4"),
    ("head.csv", b"a,b,c\n", {}, "The CSV has a header row and no data"),
    ("latin.csv", "1,2\xe9\n".encode("latin-1"), {}, "latin.csv is not valid UTF-8"),
    ("big.csv", b"1,2\n" * 30_000, {}, "big.csv is 120,000 bytes; the limit is 100,000"),
    ("flat.csv", b"5,5,5\n5,5,5\n5,5,5\n5,5,5\n", {}, "every value is 5; nothing varies"),
    ("short.csv", b"1,2,3\n4,5,6\n7,8,9\n1,1,2\n", {"T_x": 5},
     "your sequences are 3 steps long, so T_x can be at most 2"),
    (None, None, {}, "needs your CSV: choose a .csv file"),
])
def test_each_bad_csv_is_refused_with_its_sentence_and_no_run(name, data, settings, says):
    at = train_csv(open_training(), name, data, **settings)
    no_exception(at)
    assert runs(at) == []
    assert error(at).startswith("These settings cannot be trained: ")
    assert says in error(at)


@pytest.fixture(scope="module")
def trained():
    """A session that trained the three cells on the waves, and the runs by cell."""
    at = train_csv(open_training(), "waves.csv", WAVES, "rnn,lstm,gru", T_x=30, steps=40)
    no_exception(at)
    return at, {run.config.cell: run for run in runs(at)}


@pytest.mark.parametrize("view", SNAPSHOT_VIEWS, ids=lambda v: v.title)
@pytest.mark.parametrize("cell", list(CELLS))
def test_a_snapshot_opens_on_every_view_on_the_runs_data(trained, view, cell):
    at, by_cell = trained
    run = by_cell[cell]
    at.switch_page(TRAINING)
    at.run()
    at.selectbox(key=run_detail.DETAIL_WIDGET).set_value(run.id).run()
    at.button(key=f"rnnviz_tr_open_{view.title}").click().run()
    no_exception(at)
    config = at.session_state[state.CONFIG_KEY]
    assert (config.input, config.cell, config.T_x, config.n_y) == ("sequences", cell, 30, 3)
    assert sequences.kept(config.data).classes == ("sawtooth", "sine", "square")
    snapshot = at.session_state[tr.SNAPSHOT_KEY]
    assert snapshot.run_label == run.name
    np.testing.assert_array_equal(snapshot.params["by"], run.snapshots[snapshot.step].by)
    assert not at.warning or all("cannot be used" not in w.value for w in at.warning)
    if view == MEMORY:   # the states coloured by the class each window must end up telling
        states = figures(at)["How the state moves"]
        assert set(CLASSES) <= {trace.get("name") for trace in states["data"]}


def test_a_model_file_keeps_its_data_and_loads_back_on_a_server_that_lost_it(trained):
    at, by_cell = trained
    run = by_cell["gru"]
    config, params, _, steps = load_trained(io.BytesIO(run.model_bytes()))
    assert config.csv == run.config.csv and steps == 40
    sequences._kept.clear()   # as on another server, or after the data was pushed out
    at.switch_page(TRAINING)
    at.run()
    at.file_uploader(key="rnnviz_tr_upload").upload("waves-gru.npz", run.model_bytes()).run()
    no_exception(at)
    loaded = runs(at)[-1]
    assert loaded.status == "loaded" and loaded.loss.kind == "cross_entropy"
    at.button(key="rnnviz_tr_open_Memory map").click().run()
    no_exception(at)
    assert at.session_state[state.CONFIG_KEY].input == "sequences"


@pytest.fixture(scope="module")
def kept_key():
    return sequences.keep(sequences.read_sequences(WEATHER, "series"))


@pytest.mark.parametrize("view", SNAPSHOT_VIEWS, ids=lambda v: v.title)
@pytest.mark.parametrize("cell", list(CELLS))
def test_every_view_draws_each_cell_on_the_data_with_initial_weights(kept_key, view, cell):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    for key, value in {"cell": cell, "input": "sequences", "data": kept_key, "T_x": "15",
                       "n_a": "6"}.items():
        at.query_params[key] = value
    at.switch_page(view.script)
    at.run()
    no_exception(at)
    config = at.session_state[state.CONFIG_KEY]
    assert (config.input, config.n_x, config.n_y, config.data) == ("sequences", 2, 2, kept_key)
    assert not [w.value for w in at.warning if "sequences" in w.value]
    if view.script != "pages/2_Gates_and_cell_state.py" or CELLS[cell].gates:   # RNN: none
        assert at.get("plotly_chart") or at.get("bidi_component")


def test_t_x_longer_than_the_sequences_is_a_message_on_the_page():
    waves = sequences.keep(sequences.read_sequences(WAVES))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    for key, value in {"input": "sequences", "data": waves, "T_x": "31"}.items():
        at.query_params[key] = value
    at.switch_page("pages/1_Step_through.py")
    at.run()
    no_exception(at)
    assert any("cannot be computed" in e.value and "T_x can be at most 30" in e.value
               for e in at.error)


def test_a_link_to_data_not_on_this_server_says_so_and_the_page_works():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    for key, value in {"input": "sequences", "data": "feedfacefeedface"}.items():
        at.query_params[key] = value
    at.switch_page("pages/1_Step_through.py")
    at.run()
    no_exception(at)
    (warning,) = [w.value.replace("\\", "") for w in at.warning if "sequences" in w.value]
    assert "'feedfacefeedface' are not on this server" in warning
    assert "upload it again on the Training page" in warning
    config = at.session_state[state.CONFIG_KEY]
    assert config.input == "notebook" and config.data is None
    at.selectbox(key=state.WIDGET_PREFIX + "input").set_value("sine").run()
    no_exception(at)
    assert at.session_state[state.CONFIG_KEY].input == "sine"
