"""AppTest: the training page trains, stops and continues, keeps and overlays runs, shows a
divergence and what to try, says which characters of a text were left out, takes a text file
(or refuses it, saying why), samples, reopens a snapshot, and loads (or refuses) a model file."""

from __future__ import annotations

import io
import json
import re
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from apptest_charts import line_under
from streamlit.elements.lib import policies
from streamlit.testing.v1 import AppTest

from rnnviz.app.lab import number
from rnnviz.app.runs import HISTORY_COLUMNS, Run
from rnnviz.app.workers import POOL
from rnnviz.engine import init_params
from rnnviz.training.files import save_model
from rnnviz.training.settings import FORM, OWN_DATA_TITLE, SETTING, TEMPERATURE, TrainConfig
from rnnviz.training.tasks.own import OwnTask
from rnnviz.training.trainer import SUSTAINED, Trainer, load_trained
from rnnviz.ui import run_detail, state, train_live
from rnnviz.ui import training as tr
from rnnviz.ui.train_form import TEXT_FILE_KEY
from rnnviz.ui.train_form import WIDGET_PREFIX as W

ROOT = Path(__file__).resolve().parents[1]
TRAINING = "pages/4_Training.py"
TIMEOUT = 90
WAIT_S = 300
SMALL = {"n_a": 4, "m": 4, "T_x": 5, "steps": 12}
COMMON = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 "  # 63 characters


def snapshot_slider(run_id: int) -> str:
    """The widget key of a run's snapshot slider under "Inside one run"."""
    return run_detail.snapshot_widget(run_detail.snapshot_place(run_id))


def open_training() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.switch_page(TRAINING)
    return at.run()


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def press_train(at: AppTest, **settings) -> AppTest:
    """Fill in the settings and press Train (the runs start in a worker); the cells to train
    as the toggle buttons are clicked, train_cell="rnn" or "gru,lstm"."""
    for name, value in {**SMALL, **settings}.items():
        element = {"task": at.selectbox, "optimizer": at.selectbox,
                   "train_cell": at.segmented_control, "clip": at.radio,
                   "text": at.text_area}.get(name, at.number_input)
        if name == "train_cell":
            value = [cell for cell in value.split(",") if cell]
        element(key=W + name).set_value(value)
    next(b for b in at.button if b.label == "Train").click()
    return at.run()


def rerun_until(at: AppTest, condition, what: str) -> AppTest:
    """Rerun the page (as its polling does) until `condition(at)`; WAIT_S bounds only a
    broken test."""
    deadline = time.monotonic() + WAIT_S
    while not condition(at):
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.02)
        at.run()
    return at


def finish(at: AppTest) -> AppTest:
    """Rerun the page until no run of the session is training."""
    return rerun_until(at, lambda a: not any(r.training for r in runs(a)), "runs finished")


def train(at: AppTest, **settings) -> AppTest:
    """Press Train and wait for the runs to end."""
    return finish(press_train(at, **settings))


def shown(markdown: str) -> str:
    """A message as the student reads it: Markdown's escapes removed."""
    return re.sub(r"\\(.)", r"\1", markdown)


def runs(at: AppTest) -> list[Run]:
    return at.session_state[tr.RUNS_KEY]


def chart(at: AppTest, title_start: str) -> dict:
    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        if spec["layout"]["title"]["text"].startswith(title_start):
            return spec
    raise AssertionError(f"no chart titled {title_start!r}")


def test_the_page_opens_with_no_runs_and_nothing_to_stop():
    at = open_training()
    no_exception(at)
    assert any("No runs yet" in i.value for i in at.info)
    assert at.button(key="rnnviz_tr_stop").disabled
    assert at.button(key="rnnviz_tr_continue").disabled


def test_every_setting_is_drawn_from_its_row_with_its_label_bounds_choices_and_help():
    at = open_training()
    no_exception(at)
    for name in FORM:
        field = SETTING[name]
        widget = next(w for kind in ("number_input", "selectbox", "radio", "button_group",
                                     "text_area")
                      for w in at.get(kind) if w.key == W + name)
        assert (widget.label, widget.help) == (field.label, field.help), name
        if field.kind in ("int", "float"):
            assert (widget.min, widget.max) == field.bounds(), name
            assert widget.value == field.default, name
        elif field.kind == "choice":
            assert widget.type == ("radio" if field.widget == "radio" else "selectbox"), name
            assert widget.options == [field.label_of(c) for c in field.choices], name
            assert widget.value == field.default, name
        elif field.kind == "choices":  # toggle buttons side by side, the default ones on
            assert field.widget == "radio", name
            assert widget.options == [field.label_of(c) for c in field.choices], name
            assert list(widget.value) == list(field.default), name
        else:  # any length: a text over the limit is named on Train, not refused unseen
            assert widget.proto.max_chars == 0, name


def test_a_link_that_hides_the_optimizer_says_the_values_it_set_and_trains_with_them():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    for key, value in {"optimizer": "sgd", "lr": "0.05", "hide": "optimizer"}.items():
        at.query_params[key] = value
    at.switch_page(TRAINING).run()
    no_exception(at)
    assert any(m.value == "optimizer: **SGD** · learning rate α: **0.05**" for m in at.markdown)
    drawn = {w.key for kind in ("number_input", "selectbox") for w in at.get(kind)}
    assert not drawn & {W + name for name in ("optimizer", "learning_rate", "beta1", "beta2",
                                              "epsilon")}
    at = train(at, train_cell="rnn", steps=2)
    no_exception(at)
    (run,) = runs(at)
    assert (run.config.optimizer, run.config.learning_rate) == ("sgd", 0.05)


def test_training_the_three_cells_a_handful_of_steps_draws_three_curves():
    at = train(open_training(), train_cell="gru,lstm,rnn")
    no_exception(at)
    rnn, lstm, gru = runs(at)
    assert (rnn.config.cell, lstm.config.cell, gru.config.cell) == ("rnn", "lstm", "gru")
    assert rnn.status == lstm.status == gru.status == "finished"
    assert rnn.history["step"] == list(range(1, 13)) == lstm.history["step"] == gru.history["step"]
    assert rnn.train_seconds > 0 and rnn.speed() > 0
    loss = chart(at, "Loss while training")
    assert [t["name"] for t in loss["data"]] == [rnn.name, lstm.name, gru.name]
    assert "RNN · chars · n_a=4 · Adam lr=0.01" in rnn.label
    assert "GRU · chars · n_a=4 · Adam lr=0.01" in gru.label
    assert chart(at, "Gradient norm")["layout"]["yaxis"]["type"] == "log"
    assert len(chart(at, "Accuracy on each batch")["data"]) == 3  # characters: classes
    table = at.dataframe[0].value
    assert list(table["steps"]) == [12] * 3 and list(table["status"]) == ["finished"] * 3
    assert at.button(key="rnnviz_tr_stop").disabled  # redrawn after the run


def test_the_same_seed_gives_every_cell_chosen_the_same_batches():
    at = train(open_training(), train_cell="rnn,gru", steps=3)
    rnn, gru = runs(at)
    for run in (rnn, gru):
        assert run.config.seed == 1
    again = Trainer(rnn.config.replace(cell="gru"))
    np.testing.assert_allclose([r.loss for r in again.run(3)], gru.history["loss"])
    assert at.query_params["train_cell"] == "rnn,gru"   # the link to these runs


def test_training_with_no_cell_chosen_says_so_and_starts_nothing():
    at = train(open_training(), train_cell="")
    no_exception(at)
    assert runs(at) == []
    (error,) = [shown(e.value) for e in at.error]
    assert error == ("These settings cannot be trained: no cell is chosen: pick at least one "
                     "of RNN, LSTM, GRU.")
    at = train(at, train_cell="gru", steps=2)   # choosing one clears the message
    no_exception(at)
    assert [run.config.cell for run in runs(at)] == ["gru"] and not at.error


def test_a_finished_run_drops_its_trainer_and_keeps_its_final_parameters():
    at = train(open_training(), train_cell="lstm", steps=3)
    (run,) = runs(at)
    assert run.status == "finished"
    assert run.trainer is None and not run.can_continue
    again = Trainer(run.config)
    again.run(3)
    for name, value in again.params.items():
        np.testing.assert_array_equal(getattr(run.params, name), value)


def test_a_stopped_run_keeps_what_it_trained_and_continues():
    at = open_training()
    config = TrainConfig(n_a=4, m=4, T_x=5, steps=10, stats_every=1, snapshot_every=5)
    trainer = Trainer(config)
    run = Run(id=1, label=config.label(), config=config, trainer=trainer,
              snapshots=dict(trainer.snapshots), status="stopped")
    for _ in range(4):
        run.add(trainer.step())
    at.session_state[tr.RUNS_KEY] = [run]
    at.run()
    no_exception(at)
    assert any("Run 1 stopped at step 4 of 10" in i.value for i in at.info)
    assert len(json.loads(at.get("plotly_chart")[0].proto.spec)["data"]) == 1
    assert not at.button(key="rnnviz_tr_continue").disabled
    at.button(key="rnnviz_tr_continue").click().run()
    no_exception(at)
    finish(at)
    kept = runs(at)[0]
    assert kept.status == "finished" and kept.history["step"] == list(range(1, 11))
    assert not any("stopped at step" in i.value for i in at.info)


def test_a_run_without_a_step_yet_is_not_called_no_runs():
    at = open_training()
    config = TrainConfig(n_a=4, m=4, T_x=5, steps=10)
    trainer = Trainer(config)
    at.session_state[tr.RUNS_KEY] = [Run(id=1, label=config.label(), config=config,
                                         trainer=trainer, snapshots=dict(trainer.snapshots),
                                         status="stopped")]
    at.run()
    no_exception(at)
    assert not any("No runs yet" in i.value for i in at.info)
    assert any("curves appear here after their first steps" in i.value for i in at.info)


def test_stop_stops_a_run_mid_way_and_continue_goes_on_from_there():
    at = press_train(open_training(), train_cell="rnn", steps=20_000)
    rerun_until(at, lambda a: runs(a)[0].steps_done >= 5, "a few steps trained")
    assert at.button(key="rnnviz_tr_continue").disabled
    at.button(key="rnnviz_tr_stop").click().run()
    no_exception(at)
    finish(at)
    (run,) = runs(at)
    assert run.status == "stopped" and 5 <= run.steps_done < 20_000
    stopped_at = run.steps_done
    assert at.button(key="rnnviz_tr_stop").disabled
    assert not at.button(key="rnnviz_tr_continue").disabled
    assert list(at.dataframe[0].value["steps"]) == [stopped_at]
    at.button(key="rnnviz_tr_continue").click().run()
    rerun_until(at, lambda a: runs(a)[0].steps_done > stopped_at + 5, "training went on")
    at.button(key="rnnviz_tr_stop").click().run()
    finish(at)
    assert run.history["step"] == list(range(1, run.steps_done + 1))


def follow_runs(at: AppTest) -> dict[str, dict]:
    """The data of the browser's follower of the runs (rnnviz.ui.follow_runs.js), by role."""
    found = [json.loads(e.proto.json) for e in at.get("bidi_component")]
    return {data["role"]: data for data in found if data.get("role") in ("page", "poll")}


def test_the_browser_is_asked_to_poll_only_while_runs_train_and_can_rerun_the_page():
    at = open_training()
    follow = follow_runs(at)
    assert set(follow) == {"page", "poll"} and follow["poll"]["on"] is False
    assert follow["poll"]["interval"] == round(train_live.POLL_S * 1000)
    press_train(at, train_cell="rnn", steps=20_000)
    first = follow_runs(at)["poll"]
    assert first["on"] is True
    at.run()   # every draw is told apart, so the browser sees that its poll was answered
    assert follow_runs(at)["poll"]["drawn"] != first["drawn"]
    at.button(key="rnnviz_tr_stop").click().run()
    finish(at)
    assert follow_runs(at)["poll"]["on"] is False


def test_the_browser_polls_a_run_waiting_for_a_slot_less_often_and_shows_its_place():
    # every slot of the server taken by another student's long run, as a class would
    others = [POOL.submit([Trainer(TrainConfig(cell="rnn", n_a=4, m=4, T_x=5, steps=20_000))])
              for _ in range(POOL.slots)]
    try:
        at = press_train(open_training(), train_cell="rnn", steps=20_000)
        (run,) = runs(at)
        assert run.status == "queued"
        assert follow_runs(at)["poll"]["interval"] == round(train_live.QUEUED_POLL_S * 1000)
        waiting = [shown(i.value) for i in at.info if "waiting for a free slot" in i.value]
        assert len(waiting) == 1 and "place 1 in line, next to start" in waiting[0]
        assert f"checks every {train_live.QUEUED_POLL_S:g} s" in waiting[0]
        assert "place 1 in line" in at.dataframe[0].value["status"][0]
    finally:
        for job in others:
            job.stop()
    rerun_until(at, lambda a: runs(a)[0].status == "running", "the run got the free slot")
    assert follow_runs(at)["poll"]["interval"] == round(train_live.POLL_S * 1000)
    assert not any("waiting for a free slot" in i.value for i in at.info)
    at.button(key="rnnviz_tr_stop").click().run()
    finish(at)


def test_a_run_goes_on_training_while_the_session_visits_other_pages():
    at = press_train(open_training(), train_cell="lstm", steps=20_000)
    rerun_until(at, lambda a: runs(a)[0].steps_done >= 2, "training started")
    at.switch_page("pages/3_Gradient_flow.py").run()
    no_exception(at)
    at.switch_page(TRAINING).run()
    (run,) = runs(at)
    assert run.status == "running"
    before = run.steps_done
    rerun_until(at, lambda a: runs(a)[0].steps_done > before, "training went on")
    at.button(key="rnnviz_tr_stop").click().run()
    finish(at)


def test_a_session_that_ends_stops_its_workers():
    """Streamlit releases a session's session-scoped resources when the session ends (on
    disconnect or shutdown, rnnviz.ui.training's hook); AppTest's session is "test session
    id"."""
    from streamlit.runtime import caching

    at = press_train(open_training(), train_cell="rnn", steps=20_000)
    rerun_until(at, lambda a: runs(a)[0].steps_done >= 2, "training started")
    job = runs(at)[0].job
    caching.clear_session_resource_cache("test session id")
    deadline = time.monotonic() + WAIT_S
    while job.state != "ended":
        assert time.monotonic() < deadline, "the worker never stopped"
        time.sleep(0.02)
    finish(at)
    assert runs(at)[0].status == "stopped"


def test_opening_the_page_warms_a_worker_up_and_train_trains_on_it():
    at = open_training()
    warm = POOL.idle_workers()
    assert warm and warm[0].wait_warm(WAIT_S)
    at = press_train(at, train_cell="rnn", steps=20_000)
    rerun_until(at, lambda a: runs(a)[0].steps_done >= 2, "training started")
    assert runs(at)[0].job._worker is warm[0]
    at.button(key="rnnviz_tr_stop").click().run()
    finish(at)
    assert warm[0] in POOL.idle_workers()   # back, warm for the next Train


def test_a_diverging_run_stops_with_the_engine_message_and_keeps_its_curve():
    at = train(open_training(), task="sine", train_cell="rnn", optimizer="sgd",
               learning_rate=10.0, clip="none", steps=50)
    no_exception(at)
    run = runs(at)[0]
    assert run.status == "diverged" and run.steps_done < 50
    message = shown(next(e.value for e in at.error if "diverged at step" in e.value))
    assert run.message in message and "Try a smaller learning rate (α = 1 rather than 10) or " \
        "clipping the gradient (by global norm at 5)." in message
    loss = chart(at, "Loss while training")
    assert len(loss["data"]) == 1
    assert all(np.isfinite(run.history["loss"]))
    assert list(at.dataframe[0].value["status"]) == ["diverged"]


def test_lines_under_the_log_charts_read_them_with_the_runs_numbers():
    # a squared error: a log loss axis; a threshold low enough to clip
    at = train(open_training(), task="sine", train_cell="rnn", clip_value=0.05)
    no_exception(at)
    run = runs(at)[0]
    steps, losses = run.history["step"], run.history["loss"]
    assert chart(at, "Loss while training")["layout"]["yaxis"]["type"] == "log"
    loss = line_under(at, "Loss while training")
    assert loss.startswith("Each gridline is ten times the one below: run 1's loss ")
    assert (f" from {number(losses[0])} at step 1 to {number(losses[-1])} at step "
            f"{steps[-1]}, ") in loss
    clipped = sum(run.history["clipped"])
    assert clipped > 0
    titles = [json.loads(e.proto.spec)["layout"]["title"]["text"] for e in at.get("plotly_chart")]
    assert not any(t.startswith("Accuracy") for t in titles)  # none: the sine has no classes
    assert line_under(at, "Gradient norm").endswith(
        "The dashed line is the clipping threshold 0.05: a ‖g‖ above it was scaled down to "
        f"0.05, at {clipped} of run 1's {len(steps)} steps (×).")
    at_step, m_hat = run.stat_series("v_hat")
    last = {name: values[-1] for name, values in m_hat.items()}
    low, high = min(last, key=last.get), max(last, key=last.get)
    assert line_under(at, "Adam's m̂").startswith(
        f"Each gridline is ten times the one below: at step {at_step[-1]:,} mean |m̂| runs "
        f"from {number(last[low])} ({low}) to {number(last[high])} ({high}), ")


def test_without_a_log_loss_or_a_dashed_threshold_the_lines_say_only_what_is_drawn():
    at = train(open_training(), train_cell="gru", clip="none")   # chars: a linear loss axis
    no_exception(at)
    run = runs(at)[0]
    assert not any("run 1's loss" in caption.value for caption in at.caption)
    norms = run.history["grad_norm"]
    line = line_under(at, "Gradient norm")
    assert "dashed" not in line and "run 1's ‖g‖ " in line
    assert f" from {number(norms[0])} at step 1 to {number(norms[-1])} at step 12" in line


def test_a_softmax_sure_of_wrong_answers_is_stopped_and_the_page_says_what_to_try():
    at = train(open_training(), task="chars", train_cell="rnn", learning_rate=10.0,
               clip="none", steps=300)
    no_exception(at)
    (run,) = runs(at)
    assert run.status == "diverged" and SUSTAINED <= run.steps_done < 300
    message = shown(next(e.value for e in at.error if "diverged at step" in e.value))
    assert message.startswith(f"Run 1 ({run.label}) diverged at step {run.steps_done + 1}: "
                              "the loss has stayed above 16.5 for 20 steps")
    assert message.endswith(
        "5 times what guessing among the 27 outputs alike (log 27 = 3.3) gives.\n\n"
        "Try a smaller learning rate (α = 1 rather than 10); clipping would not help: each of "
        f"Adam's steps is about α long. The curves show the {run.steps_done} steps trained "
        "before it.")
    assert list(at.dataframe[0].value["status"]) == ["diverged"]


def test_characters_left_out_of_a_text_are_named_beside_the_runs():
    at = train(open_training(), train_cell="rnn,lstm", text=COMMON * 3 + "\n*é€_")
    no_exception(at)
    rnn, lstm = runs(at)
    assert rnn.status == lstm.status == "finished" and rnn.notes == lstm.notes
    (note,) = [shown(w.value) for w in at.warning if "left out" in w.value]
    assert note == ("Runs 1 and 2: 4 rare characters were left out of the text: '*', '_', "
                    "'é', '€', because the model has at most 64 inputs, one for each of the "
                    "63 most frequent characters and one for the end of a line. They made up "
                    "2.1% of the characters.")
    at = train(at, train_cell="rnn", text="abc\nbca")  # a text that fits: no note for it
    no_exception(at)
    assert [shown(w.value)[:30] for w in at.warning] == ["Runs 1 and 2: 4 rare character"]


def test_a_paste_over_the_limit_is_refused_with_its_size_and_stays_in_the_box():
    text = "a" * 100_001
    at = train(open_training(), train_cell="rnn", text=text)
    no_exception(at)
    assert runs(at) == []
    (error,) = [shown(e.value) for e in at.error]
    assert error == ("These settings cannot be trained: The text is 100,001 bytes; the limit "
                     "is 100,000 bytes (100 kB). Use a shorter piece of it.")
    assert at.text_area(key=W + "text").value == text


def upload_text(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key=TEXT_FILE_KEY).upload(name, data)
    return train(at, train_cell="rnn")


def test_a_text_file_goes_into_the_box_and_is_learned():
    names = "Velociraptor\r\nStegosaurus\r\nTriceratops\r\n"
    at = upload_text(open_training(), "names.txt", b"\xef\xbb\xbf" + names.encode())
    no_exception(at)
    (run,) = runs(at)
    learned = names.replace("\r\n", "\n")
    assert run.config.text == learned and run.status == "finished"
    assert at.text_area(key=W + "text").value == learned
    at.text_area(key=W + "text").set_value("Allosaurus\nDiplodocus")  # the box's edits stand
    next(b for b in at.button if b.label == "Train").click()
    finish(at.run())
    no_exception(at)
    assert runs(at)[-1].config.text == "Allosaurus\nDiplodocus"


def test_the_controls_default_to_the_settings_but_not_in_a_run_that_sets_them(monkeypatch):
    # a control the browser draws afresh (on a page a Stop cleared) shows its default; a run
    # that sets the control's value sends it, and a default beside it makes Streamlit warn
    warned = []
    monkeypatch.setattr(policies, "_shown_default_value_warning", False)
    monkeypatch.setattr(policies._LOGGER, "warning", lambda *args, **_: warned.append(args))
    at = upload_text(open_training(), "names.txt", b"Stegosaurus\n")  # sets the box on Train
    at = finish(press_train(at, n_a=7, train_cell="gru"))
    no_exception(at)
    assert not warned
    assert at.number_input(key=W + "n_a").proto.default == 7
    assert at.text_area(key=W + "text").proto.default == "Stegosaurus\n"
    cells = at.segmented_control(key=W + "train_cell")
    assert [cells.options[i] for i in cells.proto.default] == ["GRU"]


@pytest.mark.parametrize("name, data, message", [
    ("long.txt", b"Stegosaurus\n" * 9_000,
     "long.txt is 108,000 bytes; the limit is 100,000 bytes (100 kB)"),
    ("photo.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
     "photo.txt looks like binary data, not text"),
    ("latin.txt", "Carnotaure\xe9\n".encode("latin-1"),
     "latin.txt is not valid UTF-8: byte 0xe9 at position 10"),
    ("wide.txt", "Stegosaurus".encode("utf-16"), "wide.txt is saved as UTF-16, not UTF-8"),
])
def test_a_text_file_that_cannot_be_used_is_refused_saying_why_and_loses_nothing(
        name, data, message):
    at = open_training()
    at.text_area(key=W + "text").set_value("abc\nbca")
    at = upload_text(at, name, data)
    no_exception(at)
    assert runs(at) == []
    (error,) = [shown(e.value) for e in at.error]
    assert error.startswith(f"These settings cannot be trained: {message}")
    assert at.text_area(key=W + "text").value == "abc\nbca"


def test_settings_the_engine_refuses_give_a_message_and_no_run():
    at = train(open_training(), task="adding", T_x=1)
    no_exception(at)
    assert any("cannot be trained" in e.value and "T_x" in shown(e.value) for e in at.error)
    assert runs(at) == []


def test_runs_are_kept_overlaid_and_can_be_hidden_or_removed():
    at = train(open_training(), train_cell="lstm")
    at = train(at, train_cell="lstm", optimizer="rmsprop", learning_rate=0.003)
    no_exception(at)
    first, second = runs(at)
    assert "RMSProp lr=0.003" in second.label
    assert [t["name"] for t in chart(at, "Loss while training")["data"]] == \
        [first.name, second.name]
    colours = [t["line"]["color"] for t in chart(at, "Loss while training")["data"]]
    assert len(set(colours)) == 2
    at.multiselect(key="rnnviz_tr_shown_w").unselect(first.id).run()
    assert [t["name"] for t in chart(at, "Loss while training")["data"]] == [second.name]
    at.selectbox(key="rnnviz_tr_remove").set_value(second.id).run()
    at.button(key="rnnviz_tr_remove_go").click().run()
    no_exception(at)
    assert [r.id for r in runs(at)] == [first.id]


def test_at_most_max_runs_are_kept_the_oldest_going_first():
    at = open_training()
    config = TrainConfig(n_a=2, m=2, T_x=3, steps=2)
    old = [Run(id=i, label=f"old {i}", config=config, trainer=None, status="finished",
                  snapshots={0: Trainer(config).params})
           for i in range(1, tr.MAX_RUNS + 1)]
    at.session_state[tr.RUNS_KEY] = old
    at.session_state[tr.RUN_COUNTER_KEY] = tr.MAX_RUNS
    at = train(at, train_cell="rnn", steps=2)
    no_exception(at)
    ids = [r.id for r in runs(at)]
    assert len(ids) == tr.MAX_RUNS and 1 not in ids and ids[-1] == tr.MAX_RUNS + 1


def test_adams_insides_show_m_hat_v_hat_and_the_step_per_parameter():
    at = train(open_training(), train_cell="rnn")
    no_exception(at)
    for title in ("Adam's m̂", "Adam's v̂", "Effective step"):
        spec = chart(at, title)
        assert [t["name"] for t in spec["data"]] == ["Wax", "Waa", "ba", "Wya", "by"]
        assert spec["layout"]["yaxis"]["type"] == "log"


def test_char_samples_follow_the_snapshot_and_the_temperature():
    at = train(open_training(), train_cell="lstm", steps=20)
    no_exception(at)
    run = runs(at)[0]
    assert sorted(run.snapshots)[0] == 0 and max(run.snapshots) == 20
    samples = next(m.value for m in at.markdown if m.value.startswith("**Five samples"))
    assert "step 20" in samples
    temperature = at.slider(key="rnnviz_tr_temperature")
    assert (temperature.min, temperature.max, temperature.value) == (*TEMPERATURE.bounds(),
                                                                      TEMPERATURE.default)
    assert (temperature.label, temperature.help) == (TEMPERATURE.label, TEMPERATURE.help)
    at.select_slider(key=snapshot_slider(run.id)).set_value(0).run()
    at.slider(key="rnnviz_tr_temperature").set_value(0.3).run()
    no_exception(at)
    assert any(m.value.startswith("**Five samples at step 0:**") for m in at.markdown)


def test_opening_a_snapshot_switches_to_the_view_with_its_parameters():
    at = train(open_training(), train_cell="rnn", steps=10)
    run = runs(at)[0]
    at.button(key="rnnviz_tr_open_Gradient flow").click().run()
    no_exception(at)
    snapshot = at.session_state[tr.SNAPSHOT_KEY]
    assert snapshot.step == 10 and snapshot.run_label == run.name
    np.testing.assert_array_equal(snapshot.params["Waa"], run.snapshots[10].Waa)
    config = at.session_state[state.CONFIG_KEY]
    assert (config.cell, config.input, config.n_a, config.T_x) == ("rnn", "chars", 4, 5)
    assert any("trained to step 10" in i.value for i in at.info)  # the gradient-flow page


def test_a_run_on_pasted_text_cannot_be_opened_in_the_other_views():
    at = train(open_training(), train_cell="rnn", text="abab\nbaba\naabb\n" * 5)
    no_exception(at)
    assert at.button(key="rnnviz_tr_open_Step through").disabled
    assert any("pasted text" in c.value for c in at.caption)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_the_history_and_the_model_download_and_the_model_loads_back(cell):
    at = train(open_training(), train_cell=cell)
    run = runs(at)[0]
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Download the history (CSV)", "Download the model (.npz)",
                      "Take it to PyTorch (.zip)"]
    frame = run_detail.history_frame(run)
    assert list(frame.columns) == list(HISTORY_COLUMNS) and len(frame) == 12
    config, params, _, trained = load_trained(io.BytesIO(run.model_bytes()))
    assert config == run.config and trained == 12 and params.cell == cell
    for (name, value), (_, kept) in zip(params.items(), run.params.items(), strict=True):
        np.testing.assert_array_equal(value, kept, err_msg=name)
    with zipfile.ZipFile(io.BytesIO(run.pytorch_bytes())) as archive:   # the latest weights
        with np.load(io.BytesIO(archive.read("weights.npz"))) as weights:
            np.testing.assert_array_equal(weights["out.weight"], run.params.Wy)
        assert run.config.label() in archive.read("rnnviz_model.py").decode()


def test_an_uploaded_model_counts_its_steps_and_continue_is_lit_at_once():
    at = train(open_training(), train_cell="gru")
    run = runs(at)[0]
    at.file_uploader(key="rnnviz_tr_upload").upload("mine.npz", run.model_bytes()).run()
    no_exception(at)
    loaded = runs(at)[-1]
    assert loaded.status == "loaded" and "loaded from mine.npz" in loaded.label
    assert loaded.config.cell == "gru" and loaded.label.startswith("GRU · chars")
    np.testing.assert_array_equal(loaded.params.Wr, run.params.Wr)
    assert any(s.value.startswith("Loaded mine.npz as run 2, trained for 12 steps") and
               "press Continue to train it 12 steps further" in s.value for s in at.success)
    assert not at.button(key="rnnviz_tr_continue").disabled   # in the same script run
    assert list(at.dataframe[0].value["steps"]) == [12, 12]
    assert at.selectbox(key=run_detail.DETAIL_WIDGET).value == loaded.id
    at.button(key="rnnviz_tr_continue").click().run()
    finish(at)
    no_exception(at)
    assert loaded.status == "finished" and loaded.history["step"] == list(range(13, 25))
    assert list(at.dataframe[0].value["steps"]) == [12, 24]
    assert sorted(loaded.snapshots)[0] == 12 and max(loaded.snapshots) == 24


def samples_line(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Five samples"))


def stopped_run() -> tuple[AppTest, Run]:
    """The Training page with a run of the RNN stopped after some 200 steps."""
    at = press_train(open_training(), train_cell="rnn", steps=20_000)
    rerun_until(at, lambda a: runs(a)[0].steps_done >= 200, "some steps trained")
    at.button(key="rnnviz_tr_stop").click().run()
    finish(at)
    (run,) = runs(at)
    return at, run


def continue_a_while(at: AppTest, run: Run) -> int:
    """Continue the run until it has a later snapshot, stop it, and return that step."""
    before = max(run.snapshots)
    at.button(key="rnnviz_tr_continue").click().run()
    rerun_until(at, lambda a: max(runs(a)[0].snapshots) > before, "a later snapshot")
    at.button(key="rnnviz_tr_stop").click().run()
    finish(at)
    return max(run.snapshots)


def test_samples_and_the_snapshot_follow_the_run_when_it_continues():
    at, run = stopped_run()
    first = max(run.snapshots)
    assert samples_line(at).startswith(f"**Five samples at step {first:,}:**")
    last = continue_a_while(at, run)
    assert last > first
    assert samples_line(at).startswith(f"**Five samples at step {last:,}:**")
    assert at.select_slider(key=snapshot_slider(run.id)).value == last


def test_a_snapshot_the_student_chose_stays_while_the_run_trains_on_and_the_newest_follows():
    at, run = stopped_run()
    slider = snapshot_slider(run.id)
    at.select_slider(key=slider).set_value(0).run()   # an older snapshot
    assert samples_line(at).startswith("**Five samples at step 0:**")
    continue_a_while(at, run)
    assert at.select_slider(key=slider).value == 0   # the student's choice stays
    assert samples_line(at).startswith("**Five samples at step 0:**")
    at.select_slider(key=slider).set_value(max(run.snapshots)).run()   # the newest
    last = continue_a_while(at, run)
    assert at.select_slider(key=slider).value == last   # follows the run again
    assert samples_line(at).startswith(f"**Five samples at step {last:,}:**")


def test_inside_one_run_turns_to_the_newest_run_and_runs_alike_are_told_apart():
    at = train(open_training(), train_cell="rnn")
    at = train(at, train_cell="rnn")
    first, second = runs(at)
    assert first.label == second.label and first.name != second.name
    assert at.selectbox(key=run_detail.DETAIL_WIDGET).value == second.id
    assert at.select_slider(key=snapshot_slider(second.id))   # its snapshots
    assert [t["name"] for t in chart(at, "Loss while training")["data"]] == \
        [first.name, second.name]
    at.selectbox(key=run_detail.DETAIL_WIDGET).set_value(first.id).run()
    at.switch_page("pages/1_Step_through.py").run()
    at.switch_page(TRAINING).run()   # the choice outlives a visit elsewhere
    assert at.selectbox(key=run_detail.DETAIL_WIDGET).value == first.id


def test_the_settings_are_in_view_and_the_sidebar_leaves_out_the_network_settings():
    at = open_training()
    no_exception(at)
    # the one expander holds the student's own data, shut until there is some (or the task
    # needs it); Train and every other setting are in view
    assert [(e.proto.label, e.proto.expanded) for e in at.get("expander")] == [
        (OWN_DATA_TITLE, False)]
    assert at.number_input(key=W + "steps").value == SETTING["steps"].default
    assert not [w for w in at.sidebar.number_input if w.key == state.WIDGET_PREFIX + "n_a"]
    assert any("own settings" in c.value for c in at.sidebar.caption)
    at.switch_page("pages/1_Step_through.py").run()
    assert [w for w in at.sidebar.number_input if w.key == state.WIDGET_PREFIX + "n_a"]


def test_your_own_data_opens_when_the_task_needs_it():
    at = press_train(open_training(), task=OwnTask.name)   # with no CSV
    assert at.error and "CSV" in at.error[0].value
    assert [e.proto.expanded for e in at.get("expander")] == [True]


def hostile_model(entries: dict[str, bytes] | None = None, flags: int = 0) -> bytes:
    """A small model file with some entries' bytes replaced, and every entry's flags in the
    zip directory set to `flags`."""
    model = io.BytesIO()
    save_model(model, init_params("rnn", 2, 3, 2, np.random.default_rng(0)), {"task": "adding"})
    out = io.BytesIO()
    with zipfile.ZipFile(model) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            target.writestr(info.filename, (entries or {}).get(info.filename, source.read(info)))
    data = bytearray(out.getvalue())
    at = data.find(zipfile.stringCentralDir)
    while flags and at >= 0:
        data[at + 8:at + 10] = flags.to_bytes(2, "little")  # a directory record's flag bits
        at = data.find(zipfile.stringCentralDir, at + zipfile.sizeCentralDir)
    return bytes(data)


def npy(value=None, header: dict | None = None) -> bytes:
    """An .npy entry holding `value`, or only a header declaring whatever it is told."""
    buffer = io.BytesIO()
    if header is None:
        np.save(buffer, np.asarray(value))
    else:
        np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


@pytest.mark.parametrize("name, content, reason", [
    ("notes.txt", b"just some text", "not an rnnviz model"),
    ("empty.npz", b"", "empty"),
    ("fake.npz", b"PK\x03\x04 not really a zip", "not an rnnviz model"),
    ("nested.npz", hostile_model({"config.npy": npy('{"a": ' * 5000 + "1" + "}" * 5000)}),
     "nested too deeply"),
    ("huge.npz", hostile_model({"param/Waa.npy": npy(header={
        "descr": "<f8", "fortran_order": False, "shape": (10**10, 5)}) + bytes(2000)}),
     "has shape (10000000000, 5)"),
    ("locked.npz", hostile_model(flags=1), "encrypted"),
])
def test_uploading_a_wrong_file_says_so_and_loses_nothing(name, content, reason):
    at = train(open_training(), train_cell="rnn", steps=3)
    before = [r.id for r in runs(at)]
    at.file_uploader(key="rnnviz_tr_upload").upload(name, content).run()
    no_exception(at)
    assert [r.id for r in runs(at)] == before
    assert any(f"{name} was not loaded" in e.value and reason in e.value for e in at.error)


def test_a_choices_field_draws_as_a_menu_or_toggle_buttons_and_reads_back_in_order():
    def script():
        import streamlit as st

        from rnnviz.fields import Field
        from rnnviz.ui.widgets import field_widget, widget_value

        for widget in ("", "radio"):
            field = Field("f" + widget, "choices", ("b",), choices=("a", "b", "c"),
                          choice_labels=("A", "B", "C"), widget=widget)
            st.session_state.setdefault("k" + widget, list(field.default))
            field_widget(field, "k" + widget)
            st.markdown(",".join(widget_value(field, "k" + widget, ())))

    at = AppTest.from_function(script).run()
    assert at.multiselect(key="k").options == ["A", "B", "C"]
    assert at.segmented_control(key="kradio").options == ["A", "B", "C"]
    at.multiselect(key="k").set_value(["c", "a"])
    at.segmented_control(key="kradio").set_value(["c", "b"]).run()
    no_exception(at)
    assert [m.value for m in at.markdown] == ["a,c", "b,c"]   # in the order of the choices
