"""Training beside exploring, in headless Chromium against the real `streamlit run app.py`
(started with one training slot): a run keeps training while its session visits other pages
and comes back; Stop stops it mid-run; two sessions training at once each see their own runs,
the second waiting for the slot, its place in line shown and its page polling less often; a
session that closes stops its worker and frees the slot; Streamlit's own Stop at the very
start of a run of the whole page leaves the page following the run, and so do polls the
server stops answering; the worker the Training page warms up trains the run, stays for the
next, and ends with the server. Tests wait for conditions only."""

from __future__ import annotations

import os
import re
import signal
import time

import processes
import pytest
from playwright.sync_api import expect
from streamlit.proto.BackMsg_pb2 import BackMsg

from rnnviz.engine import CELLS
from rnnviz.training.settings import FORM, SETTING, train_configs
from rnnviz.ui.train_live import FOLLOW_POLL_KEY, POLL_S, QUEUED_POLL_S

LONG_MS = 120_000
# A run that outlasts a test on a busy machine (about 50 CPU-seconds here; an RNN with
# n_a = 8 took 15 and ended mid-test under load; n_a = 128 made a snapshot opened on Gradient
# flow slow to draw); the tests stop it.
LONG_RUN = {"n_a": 64, "steps": 20_000, "cell": "LSTM"}
SIDEBAR = '[data-testid="stSidebar"]'


@pytest.fixture
def student(browser, expect_rerun):
    """`student()`: another browser context (another student, own session), its script runs
    counted like the `page` fixture's; closed at the end unless the test closed it."""
    fixtures = expect_rerun.__wrapped__.__globals__   # conftest's
    track_runs, timeout_ms = fixtures["track_runs"], fixtures["APP_TIMEOUT_MS"]
    contexts = []

    def _new():
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.set_default_timeout(timeout_ms)   # as the `page` fixture's: a busy machine
        context.set_default_navigation_timeout(timeout_ms)
        contexts.append(context)
        pg = context.new_page()
        track_runs(pg)
        return pg

    yield _new
    for context in contexts:
        context.close()


def _snapshot_every(run: dict) -> int:
    """The snapshot interval of the run the form trains with these settings (the others
    left at their defaults)."""
    values = {name: SETTING[name].default for name in FORM}
    cell = next(name for name, c in CELLS.items() if c.label == run["cell"])
    values.update(n_a=run["n_a"], m=4, steps=run["steps"], train_cell=(cell,))
    [config] = train_configs(values)
    return config.snapshot_every


def _train(page, n_a: int, steps: int, cell: str = "RNN") -> None:
    """Fill in the form and press Train, with `cell` the only cell chosen."""
    form = page.get_by_test_id("stForm")
    for label, value in (("n_a (hidden units)", n_a), ("m (batch size)", 4),
                         ("steps (at most 20,000)", steps)):
        form.get_by_label(label, exact=True).fill(str(value))
        form.get_by_label(label, exact=True).press("Tab")
    for other in CELLS.values():   # the cells are toggle buttons: press each to its state
        button = form.get_by_role("button", name=other.label, exact=True)
        wanted = "true" if other.label == cell else "false"
        if button.get_attribute("aria-pressed") != wanted:
            button.click()
        expect(button).to_have_attribute("aria-pressed", wanted)
    page.get_by_role("button", name="Train", exact=True).click()


def _step(page) -> int:
    """The step the first training run has reached, as the progress bar says."""
    text = page.get_by_test_id("stProgress").first.inner_text()
    return int(re.search(r"step ([\d,]+) of", text).group(1).replace(",", ""))


def _wait(condition, what: str, page) -> None:
    deadline = time.monotonic() + LONG_MS / 1000
    while not condition():
        assert time.monotonic() < deadline, f"never: {what}"
        page.wait_for_timeout(100)   # lets Playwright deliver the page's updates


def _goes_on(page) -> None:
    """Wait until the progress bar shows the run further on than it is now."""
    expect(page.get_by_text("steps/s", exact=False).first).to_be_visible(timeout=LONG_MS)
    before = _step(page)
    _wait(lambda: _step(page) > before, "the run trained further", page)


def _train_long(page) -> None:
    """Press Train for LONG_RUN and wait until it is seen training."""
    _train(page, **LONG_RUN)
    _goes_on(page)


def _stop(page) -> None:
    page.get_by_test_id("stMain").get_by_role("button", name="Stop", exact=True).click()
    expect(page.get_by_text(re.compile(r"stopped at step"))).to_be_visible(timeout=LONG_MS)


def _go_to(page, link: str, expect_rerun) -> None:
    with expect_rerun(page):
        page.locator(SIDEBAR).get_by_role("link", name=link).click()


def test_a_run_keeps_training_while_its_session_visits_other_pages(
        goto_app, expect_rerun, assert_no_exception):
    page = goto_app("/Training")
    _train_long(page)
    _go_to(page, "Gradient flow", expect_rerun)
    expect(page.locator('[data-testid$="PlotlyChart"]').first).to_be_visible(timeout=LONG_MS)
    _go_to(page, "Step through", expect_rerun)
    _go_to(page, "Training", expect_rerun)
    _goes_on(page)   # still training, and the page follows it again
    # Its weights so far open in another view while it trains.
    page.get_by_role("button", name="Open in Gradient flow").click()
    expect(page.get_by_text("as trained to step", exact=False)).to_be_visible(timeout=LONG_MS)
    _go_to(page, "Training", expect_rerun)
    _goes_on(page)
    _stop(page)
    expect(page.get_by_role("button", name="Continue")).to_be_enabled(timeout=LONG_MS)
    stopped = page.locator('[data-testid="stDataFrame"]').first
    expect(stopped).to_be_visible()
    assert_no_exception(page)


# A poll asked for in the same moment as a click: Streamlit sends both in one message, scoped
# to the poll's fragment (the live part), so the script's body outside it never ran.
POLL_AND_CLICK_JS = """(name) => {
  const button = [...document.querySelectorAll('[data-testid="stMain"] button')]
    .find((b) => b.innerText.trim() === name);
  window.rnnvizFollowRuns.pollTrigger("poll");
  button.click();
}"""


@pytest.mark.parametrize("button, shows", [
    ("Open in Gradient flow", "as trained to step"),
    ("Open in Step through", "as trained to step"),
])
def test_a_click_sent_with_a_poll_still_opens_the_snapshot(
        goto_app, expect_rerun, assert_no_exception, button, shows):
    page = goto_app("/Training")
    _train(page, n_a=4, steps=30)
    stop = page.get_by_test_id("stMain").get_by_role("button", name="Stop", exact=True)
    expect(stop).to_be_disabled(timeout=LONG_MS)   # trained to the end
    expect(page.get_by_role("button", name=button, exact=True)).to_be_enabled()
    with expect_rerun(page):
        page.evaluate(POLL_AND_CLICK_JS, button)
    expect(page.get_by_text(shows, exact=False).first).to_be_visible(timeout=LONG_MS)
    assert_no_exception(page)


def test_a_snapshot_slider_moved_as_a_poll_is_sent_leaves_the_page_following_the_run(
        goto_app, expect_rerun, assert_no_exception):
    # The slider's part reruns alone (a keyed rerun): sent with a poll of the live part, it
    # may take the place of the poll's run; the page must still show the slider's snapshot
    # and go on following the run.
    page = goto_app("/Training")
    _train_long(page)
    # the slider shows once a second snapshot is kept (a slow machine takes a while to)
    _wait(lambda: _step(page) > _snapshot_every(LONG_RUN), "a second snapshot", page)
    _go_to(page, "Step through", expect_rerun)
    _go_to(page, "Training", expect_rerun)   # the whole page again: the snapshots so far
    slider = page.get_by_role("slider", name="training step")
    expect(slider).to_be_visible(timeout=LONG_MS)
    for key in ("End", "Home", "End", "Home"):
        with expect_rerun(page):
            page.evaluate("window.rnnvizFollowRuns.pollTrigger('poll')")
            slider.press(key)
    expect(page.get_by_text("Five samples at step 0:", exact=False)).to_be_visible(
        timeout=LONG_MS)
    _goes_on(page)   # the polls go on: the progress bar moves
    _goes_on(page)
    expect(page.get_by_text("Five samples at step 0:", exact=False)).to_be_visible()
    _stop(page)
    assert_no_exception(page)


def test_two_sessions_train_at_once_each_sees_its_own_runs_and_the_second_waits(
        goto_app, app_server, student, expect_rerun, assert_no_exception):
    alice = goto_app("/Training")
    _train_long(alice)
    bob = student()
    with expect_rerun(bob):
        bob.goto(app_server + "/Training")
    _train(bob, n_a=4, steps=30, cell="LSTM")
    waiting = bob.get_by_text("Run 1 is waiting for a free slot: place 1 in line")
    expect(waiting).to_be_visible(timeout=LONG_MS)
    # the page waiting for the slot asks for a poll every QUEUED_POLL_S, the training one
    # every POLL_S (plus the time a poll takes to draw)
    waiting_gaps = _poll_gaps_ms(bob, 3)
    expect(waiting).to_be_visible()   # waited all along
    training_gaps = _poll_gaps_ms(alice, 4)
    assert min(waiting_gaps) >= QUEUED_POLL_S * 1000, waiting_gaps
    assert min(training_gaps) >= POLL_S * 1000, training_gaps
    # how soon the training page asks again also depends on how soon a poll is answered
    # and drawn (seconds on a busy machine): the interval it keeps to is the server's
    assert _poll_interval_ms(alice) == POLL_S * 1000
    assert _poll_interval_ms(bob) == QUEUED_POLL_S * 1000
    _stop(alice)   # Alice's slot goes to Bob's run, which trains to the end
    bob_stop = bob.get_by_test_id("stMain").get_by_role("button", name="Stop", exact=True)
    expect(bob_stop).to_be_disabled(timeout=LONG_MS)   # trained to the end
    expect(bob.get_by_text("Run 1 is waiting")).to_have_count(0)
    loss = bob.locator('[data-testid$="PlotlyChart"]').first
    expect(loss.locator(".scatterlayer .trace")).to_have_count(1)
    expect(bob.get_by_text(re.compile(rf"n_a={LONG_RUN['n_a']}\b"))).to_have_count(0)
    expect(bob.get_by_text(re.compile(r"LSTM · chars · n_a=4")).first).to_be_visible()
    expect(alice.get_by_text(re.compile(r"n_a=4"))).to_have_count(0)
    assert_no_exception(alice)
    assert_no_exception(bob)


def test_a_session_that_closes_stops_its_worker_and_frees_the_slot(
        goto_app, app_server, student, expect_rerun):
    alice = student()
    with expect_rerun(alice):
        alice.goto(app_server + "/Training")
    _train_long(alice)
    bob = goto_app("/Training")
    expect(bob.get_by_text("1 training now", exact=False)).to_be_visible()
    alice.context.close()   # the tab closes: Streamlit ends her session

    def freed() -> bool:
        with expect_rerun(bob):
            bob.reload()
        return bob.get_by_text("0 training now, 0 waiting", exact=False).count() == 1

    _wait(freed, "the closed session's worker stopped", bob)


# Streamlit's own Stop landing at the very start of a run of the whole page, before the run
# has drawn anything: the moment a script run ends (nothing else is then on its way to the
# server), the student presses "r" (rerun the page) and the page's websocket sends
# BackMsg{stop_script} right behind the rerun. window.liveLost notes that the live part (the
# page's Stop button) was taken off the page afterwards.
RERUN_AND_STOP_JS = """(stop) => {
  if (!window.stopRightBehind) {
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (data) {
      send.call(this, data);
      if (window.stopRightBehind.armed && this.url.endsWith("/_stcore/stream")) {
        window.stopRightBehind.armed = false;
        send.call(this, new Uint8Array(stop));
      }
    };
    window.stopRightBehind = {armed: false};
  }
  const app = document.querySelector('[data-testid="stApp"]');
  const liveShown = () => [...document.querySelectorAll('[data-testid="stMain"] button')]
    .some((button) => button.textContent.trim() === "Stop");
  window.stopSent = false;
  window.liveLost = false;
  const lost = new MutationObserver(() => {
    if (!liveShown()) {
      window.liveLost = true;
      lost.disconnect();
    }
  });
  const ended = new MutationObserver(() => {
    if (app.getAttribute("data-test-script-state") !== "notRunning") return;
    ended.disconnect();
    window.stopRightBehind.armed = true;
    const main = document.querySelector('[data-testid="stMain"]');
    for (const type of ["keydown", "keyup"]) {
      main.dispatchEvent(new KeyboardEvent(type, {key: "r", code: "KeyR", keyCode: 82,
                                                  bubbles: true}));
    }
    window.stopSent = !window.stopRightBehind.armed;
    window.stopRightBehind.armed = false;
    if (window.stopSent) lost.observe(document.body, {subtree: true, childList: true});
  });
  ended.observe(app, {attributes: true, attributeFilter: ["data-test-script-state"]});
}"""
STOP_SCRIPT = list(BackMsg(stop_script=True).SerializeToString())


def _shows_settings(page, n_a: int, steps: int, cell: str = "RNN") -> None:
    """The form shows the settings `_train` submitted, not its controls' minimums."""
    form = page.get_by_test_id("stForm")
    for label, value in (("n_a (hidden units)", n_a), ("m (batch size)", 4),
                         ("steps (at most 20,000)", steps)):
        expect(form.get_by_label(label, exact=True)).to_have_value(str(value))
    for other in CELLS.values():
        expect(form.get_by_role("button", name=other.label, exact=True)).to_have_attribute(
            "aria-pressed", "true" if other.label == cell else "false")


def _following_a_long_run(goto_app, script_runs):
    """The Training page following a long run (LONG_RUN); the page and its script runs."""
    page = goto_app("/Training")
    _train_long(page)
    return page, script_runs(page)


def test_streamlits_own_stop_leaves_the_page_following_the_run(
        goto_app, script_runs, assert_no_exception):
    page, runs = _following_a_long_run(goto_app, script_runs)

    def blanked() -> bool:
        """One try: the Stop lands right behind a rerun of the page; True if the page was
        left without its live part (False: the Stop came before the run started, or late)."""
        page.evaluate(RERUN_AND_STOP_JS, STOP_SCRIPT)
        _wait(lambda: page.evaluate("window.stopSent"), "the rerun and the Stop sent", page)
        before = runs.finished
        _wait(lambda: runs.finished >= before + 2 or page.evaluate("window.liveLost"),
              "the page ran again", page)
        return page.evaluate("window.liveLost")

    assert any(blanked() for _ in range(5)), "the Stop never landed before the live part"
    _goes_on(page)   # the run trains on and the page follows it again, no click needed
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("button", name="Stop", exact=True)).to_be_enabled()
    _stop(page)
    expect(main.get_by_role("button", name="Stop", exact=True)).to_be_disabled()
    expect(page.get_by_role("button", name="Continue")).to_be_enabled()
    _shows_settings(page, **LONG_RUN)   # the form drawn afresh shows them too
    assert_no_exception(page)


# The polls the page sends, watched in the page: window.pollTimes gets, for each rerun that
# carries the poll element's trigger (the element's key, then "__events"), when the page asked
# for it (Streamlit sends it a moment later from a timer, which a busy machine delays by
# 100 ms and more: measured at the send, a waiting page's polls were 1.86 s apart); while
# window.dropPolls is set the page's websocket drops them, so the server hears no more polls.
WATCH_POLLS_JS = """(poll) => {
  if (window.pollTimes) return;
  const send = WebSocket.prototype.send;
  const ask = new TextEncoder().encode(poll + "__events");
  const has = (data) => {
    // the message only: protobuf.js writes small messages into slices of a shared slab, so
    // data.buffer also holds earlier messages (a poll's, inside the page's own ask)
    const bytes = ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
    outer: for (let i = 0; i + ask.length <= bytes.length; i++) {
      for (let j = 0; j < ask.length; j++) if (bytes[i + j] !== ask[j]) continue outer;
      return true;
    }
    return false;
  };
  window.pollTimes = [];
  window.dropPolls = false;
  WebSocket.prototype.send = function (data) {
    if (typeof data !== "string" && has(data)) {
      window.pollTimes.push(window.rnnvizFollowRuns.lastAsk);
      if (window.dropPolls) return;
    }
    send.call(this, data);
  };
}"""


def _poll_gaps_ms(page, count: int) -> list[float]:
    """The ms between the page's asks for a poll from now on, once it has sent `count`."""
    page.evaluate(WATCH_POLLS_JS, FOLLOW_POLL_KEY)
    start = page.evaluate("window.pollTimes.length")
    _wait(lambda: page.evaluate("window.pollTimes.length") >= start + count,
          f"{count} polls sent", page)
    times = page.evaluate("window.pollTimes")[start:]
    return [later - earlier for earlier, later in zip(times[:-1], times[1:], strict=True)]


def _poll_interval_ms(page) -> float:
    """The time the page keeps between its polls at the least, as the server told it."""
    return page.evaluate("window.rnnvizFollowRuns.interval")


def test_polls_that_draw_nothing_make_the_page_ask_for_the_whole_page(
        goto_app, script_runs, assert_no_exception):
    page, runs = _following_a_long_run(goto_app, script_runs)
    before = runs.page_runs
    page.evaluate(WATCH_POLLS_JS, FOLLOW_POLL_KEY)
    page.evaluate("window.dropPolls = true")
    _wait(lambda: runs.page_runs > before, "the page asked for the whole page", page)
    page.evaluate("window.dropPolls = false")
    _goes_on(page)
    _stop(page)
    assert_no_exception(page)


def _workers_of(pid: int) -> list[int]:
    """The training workers a server runs: its children running rnnviz.app.worker_process."""
    return sorted(child for child in processes.children(pid)
                  if b"rnnviz.app.worker_process" in processes.command(child))


def test_the_page_warms_a_worker_that_trains_stays_and_ends_with_the_server(
        own_app_server, new_page, open_app, assert_no_exception):
    url, server, server_output = own_app_server
    page = new_page()
    open_app(page, url + "/Training")
    _wait(lambda: bool(_workers_of(server.pid)), "the page warmed a worker up", page)
    warm = _workers_of(server.pid)
    _train(page, n_a=4, steps=30)
    expect(page.get_by_test_id("stMain").get_by_role("button", name="Stop", exact=True)
           ).to_be_disabled(timeout=LONG_MS)   # trained to the end
    expect(page.get_by_text(re.compile(r"RNN · chars · n_a=4")).first).to_be_visible()
    assert_no_exception(page)
    assert _workers_of(server.pid) == warm   # it trained the run and waits for the next
    os.killpg(server.pid, signal.SIGINT)   # Ctrl+C in the server's terminal
    server.wait(LONG_MS / 1000)
    _wait(lambda: not any(processes.running(pid) for pid in warm), "the worker ended", page)
    assert "Traceback" not in server_output()
