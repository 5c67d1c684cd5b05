"""AppTest: the Units on text page says what to do without a character-model run, reads a
small one trained here, colours the text by the unit chosen (from the ranked menu or from
Find units), ranks units for a class of positions, matches a span, shows a student's hostile
text as text, and opens from the Training page."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rnnviz.app.runs import Run
from rnnviz.training.settings import TrainConfig
from rnnviz.training.trainer import Trainer
from rnnviz.ui import training as tr
from rnnviz.ui.run_detail import snapshot_place, snapshot_widget
from rnnviz.ui.unit_text import KEY

ROOT = Path(__file__).resolve().parents[1]
UNITS = "pages/7_Units_on_text.py"
TIMEOUT = 90
W = KEY + "w_"


def shown_html(at) -> list:
    """The page's st.html elements that show something (not the projector style sheet)."""
    return [h for h in at.html if not h.value.startswith("<style>")]


def chars_run(run_id: int = 1, steps: int = 6, **settings) -> Run:
    """A character-model run trained `steps` steps here, a snapshot every 3."""
    config = TrainConfig(**{"n_a": 6, "m": 4, "T_x": 8, "steps": steps, "snapshot_every": 3,
                            **settings})
    trainer = Trainer(config)
    run = Run(id=run_id, label=config.label(), config=config, trainer=trainer,
              snapshots=dict(trainer.snapshots), status="stopped")
    for _ in range(steps):
        run.add(trainer.step())
    return run


def open_units(*runs: Run) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.switch_page(UNITS)
    at.run()
    if runs:
        at.session_state[tr.RUNS_KEY] = list(runs)
        at.run()
    no_exception(at)
    return at


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


class Backgrounds(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found, self.text = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "span" and "data-pos" in attrs:
            self.found.append(re.search(r"background:([^;]+)", attrs["style"]).group(1))
            self.text.append("")

    def handle_data(self, data):
        if self.text and self.text[-1] == "":
            self.text[-1] = data


def coloured(at: AppTest) -> Backgrounds:
    (html,) = shown_html(at)
    parser = Backgrounds()
    parser.feed(html.value)
    return parser


def test_without_a_character_run_the_page_says_where_to_train_one():
    at = open_units()
    assert any("Train one on the Training page" in i.value for i in at.info)
    assert not shown_html(at)
    # a run of another task does not count
    config = TrainConfig(task="copy", n_a=4, m=4, T_x=5, steps=2)
    trainer = Trainer(config)
    copy = Run(id=1, label=config.label(), config=config, trainer=trainer,
               snapshots=dict(trainer.snapshots))
    at.session_state[tr.RUNS_KEY] = [copy]
    at.run()
    no_exception(at)
    assert any("Train one on the Training page" in i.value for i in at.info)


def test_a_small_run_colours_its_names_and_choosing_another_unit_changes_the_colours():
    at = open_units(chars_run())
    first = coloured(at)
    assert first.text[0] == "⏎" and len(first.found) > 100
    menu = at.selectbox(key=W + "unit")
    assert len(menu.options) == 6
    other = next(j for j in range(6) if j != menu.value)
    menu.set_value(other).run()
    no_exception(at)
    again = coloured(at)
    assert again.text == first.text and again.found != first.found
    assert f"of unit {other}" in shown_html(at)[0].value


def test_the_quantity_snapshot_and_stretch_controls_redraw_the_text():
    at = open_units(chars_run(cell="gru"))
    radio = at.radio(key=W + "quantity")
    assert radio.options == ["reset gate r⟨t⟩", "update gate u⟨t⟩", "candidate c̃⟨t⟩",
                             "hidden state a⟨t⟩"]
    before = coloured(at).found
    radio.set_value("r").run()
    no_exception(at)
    assert coloured(at).found != before and "reset gate" in shown_html(at)[0].value
    at.select_slider(key=f"{W}step_1").set_value(0).run()   # the initial weights
    no_exception(at)
    at.slider(key=W + "chars").set_value(100).run()
    no_exception(at)
    assert len(coloured(at).found) <= 100
    at.number_input(key=W + "first").set_value(30).run()
    no_exception(at)
    assert any("Names 30 to" in c.value for c in at.caption)


def test_find_units_ranks_for_a_class_and_a_click_colours_the_text_with_that_unit():
    at = open_units(chars_run())
    at.radio(key=W + "kind").set_value("vowels").run()
    no_exception(at)
    (pills,) = at.button_group
    assert len(pills.options) == 6 and all(re.fullmatch(r"unit \d: d = [+-]\d+\.\d\d", o)
                                           for o in pills.options)
    table = at.dataframe[0].value
    assert list(table.columns) == ["unit", "d", "mean there", "mean elsewhere"]
    assert (table["d"].abs().diff().dropna() <= 1e-12).all()   # largest |d| first
    unit = int(table["unit"].iloc[-1])
    at.button_group[0].set_value(unit).run()
    no_exception(at)
    assert at.selectbox(key=W + "unit").value == unit
    assert f"of unit {unit}" in shown_html(at)[0].value
    at.radio(key=W + "kind").set_value("kth").run()
    at.number_input(key=W + "k").set_value(2).run()
    no_exception(at)
    assert any("character 2 of each name" in m.value for m in at.markdown)


def test_match_lists_the_units_on_across_the_span_and_outlines_the_places():
    at = open_units(chars_run())
    at.number_input(key=W + "span0").set_value(1).run()
    at.number_input(key=W + "span1").set_value(1).run()
    threshold = next(s for s in at.slider if s.key.startswith(W + "threshold_"))
    threshold.set_value(threshold.max).run()    # nothing is above the top of its range
    no_exception(at)
    assert any("No unit is above" in i.value for i in at.info)
    threshold = next(s for s in at.slider if s.key.startswith(W + "threshold_"))
    threshold.set_value(0.0).run()
    no_exception(at)
    assert any(re.search(r"units? on across", m.value) for m in at.markdown)
    assert re.search(r'class="ch[^"]*found"', shown_html(at)[0].value)


def test_a_students_hostile_text_shows_as_text():
    text = "<script>alert('x')</script>\n\"quoted\" & 'single'\nemoji 😀🦕 here\n<b>bold</b>\n"
    at = open_units(chars_run(text=text * 3))
    html = shown_html(at)[0].value
    assert "<script" not in html and "<b>" not in html
    shown = "".join(coloured(at).text)
    assert "<script>alert('x')</script>" in shown and "😀🦕" in shown and '"quoted" &' in shown
    assert any(c.value.startswith("Lines 1 to 12,") for c in at.caption)   # a text has lines


@pytest.mark.parametrize("newest", [True, False])
def test_the_newest_run_is_read_until_another_is_picked(newest):
    older, newer = chars_run(1, cell="rnn"), chars_run(2, cell="lstm")
    at = open_units(older, newer)
    assert "cell state" in shown_html(at)[0].value           # the LSTM's memory state at first
    if not newest:
        at.selectbox(key=W + "run").set_value(1).run()
        no_exception(at)
        assert "hidden state" in shown_html(at)[0].value
        assert at.radio(key=W + "quantity").options == ["hidden state a⟨t⟩"]


def test_the_snapshot_picked_stays_and_at_the_newest_follows_the_run():
    run = chars_run(steps=6)   # snapshots at steps 0, 3 and 6
    at = open_units(run)
    slider = f"{W}step_{run.id}"
    assert at.select_slider(key=slider).value == 6
    at.select_slider(key=slider).set_value(3).run()
    run.snapshots[9] = run.snapshots[6]   # the run trained further
    at.run()
    assert at.select_slider(key=slider).value == 3   # an older one stays
    at.select_slider(key=slider).set_value(9).run()
    run.snapshots[12] = run.snapshots[6]
    at.run()
    no_exception(at)
    assert at.select_slider(key=slider).value == 12   # the newest follows


def test_the_training_page_opens_a_snapshot_here():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.switch_page("pages/4_Training.py")
    at.run()
    at.session_state[tr.RUNS_KEY] = [chars_run(steps=6)]
    at.run()
    at.select_slider(key=snapshot_widget(snapshot_place(1))).set_value(3).run()
    at.button(key="rnnviz_tr_open_text").click().run()
    no_exception(at)
    assert at.select_slider(key=f"{W}step_1").value == 3
    assert shown_html(at) and at.selectbox(key=W + "run").value == 1
