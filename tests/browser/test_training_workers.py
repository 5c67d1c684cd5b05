"""Training beside exploring, in headless Chromium against the real `streamlit run app.py`
(started with one training slot): a run keeps training while its session visits other pages
and comes back; Stop stops it mid-run; two sessions training at once each see their own runs,
the second waiting for the slot; a session that closes stops its worker and frees the slot;
Streamlit's own Stop leaves the page following the run; the worker the Training page warms up
trains the run, stays for the next, and ends with the server. Tests wait for conditions
only."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from rnnviz.engine import CELLS

LONG_MS = 120_000
SIDEBAR = '[data-testid="stSidebar"]'
CLICK_TOOLBAR_STOP_JS = """() => {
  // clicks the toolbar's Stop the moment it appears (a MutationObserver sees every change of
  // the DOM), once, and notes it in window.toolbarStopClicked
  const click = () => {
    const stop = [...document.querySelectorAll('[data-testid="stToolbar"] button')]
      .find((button) => button.textContent.trim().endsWith('Stop'));
    if (!stop) return;
    observer.disconnect();
    stop.click();
    window.toolbarStopClicked = true;
  };
  const observer = new MutationObserver(click);
  observer.observe(document.body, {subtree: true, childList: true, characterData: true,
                                   attributes: true});
  click();
}"""


@pytest.fixture
def student(browser, expect_rerun):
    """`student()`: another browser context (another student, own session), its script runs
    counted like the `page` fixture's; closed at the end unless the test closed it."""
    track_runs = expect_rerun.__wrapped__.__globals__["track_runs"]
    contexts = []

    def _new():
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.set_default_timeout(30_000)
        contexts.append(context)
        pg = context.new_page()
        track_runs(pg)
        return pg

    yield _new
    for context in contexts:
        context.close()


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


def _stop(page) -> None:
    page.get_by_test_id("stMain").get_by_role("button", name="Stop", exact=True).click()
    expect(page.get_by_text(re.compile(r"stopped at step"))).to_be_visible(timeout=LONG_MS)


def _go_to(page, link: str, expect_rerun) -> None:
    with expect_rerun(page):
        page.locator(SIDEBAR).get_by_role("link", name=link).click()


def test_a_run_keeps_training_while_its_session_visits_other_pages(
        goto_app, expect_rerun, assert_no_exception):
    page = goto_app("/Training")
    _train(page, n_a=8, steps=20_000)
    _goes_on(page)
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


def test_two_sessions_train_at_once_each_sees_its_own_runs_and_the_second_waits(
        goto_app, app_server, student, expect_rerun, assert_no_exception):
    alice = goto_app("/Training")
    _train(alice, n_a=8, steps=20_000)
    _goes_on(alice)
    bob = student()
    with expect_rerun(bob):
        bob.goto(app_server + "/Training")
    _train(bob, n_a=4, steps=30, cell="LSTM")
    expect(bob.get_by_text("Run 1 is waiting for a free slot")).to_be_visible(timeout=LONG_MS)
    _stop(alice)   # Alice's slot goes to Bob's run, which trains to the end
    bob_stop = bob.get_by_test_id("stMain").get_by_role("button", name="Stop", exact=True)
    expect(bob_stop).to_be_disabled(timeout=LONG_MS)   # trained to the end
    expect(bob.get_by_text("Run 1 is waiting")).to_have_count(0)
    loss = bob.locator('[data-testid$="PlotlyChart"]').first
    expect(loss.locator(".scatterlayer .trace")).to_have_count(1)
    expect(bob.get_by_text(re.compile(r"n_a=8"))).to_have_count(0)
    expect(bob.get_by_text(re.compile(r"LSTM · chars · n_a=4")).first).to_be_visible()
    expect(alice.get_by_text(re.compile(r"n_a=4"))).to_have_count(0)
    assert_no_exception(alice)
    assert_no_exception(bob)


def test_a_session_that_closes_stops_its_worker_and_frees_the_slot(
        goto_app, app_server, student, expect_rerun):
    alice = student()
    with expect_rerun(alice):
        alice.goto(app_server + "/Training")
    _train(alice, n_a=8, steps=20_000)
    _goes_on(alice)
    bob = goto_app("/Training")
    expect(bob.get_by_text("1 training now", exact=False)).to_be_visible()
    alice.context.close()   # the tab closes: Streamlit ends her session

    def freed() -> bool:
        with expect_rerun(bob):
            bob.reload()
        return bob.get_by_text("0 training now, 0 waiting", exact=False).count() == 1

    _wait(freed, "the closed session's worker stopped", bob)


@pytest.mark.xfail(strict=False, reason=(
    "a known bug: Streamlit's own Stop during a full rerun of the Training page (here one "
    "asked for with 'r') can leave the page blank, fragment and all, until the next click; "
    "during a poll the page follows the run on. Seen in CI on 2026-11-30"))
def test_streamlits_own_stop_leaves_the_page_following_the_run(
        goto_app, assert_no_exception):
    page = goto_app("/Training")
    _train(page, n_a=8, steps=20_000)
    _goes_on(page)
    # The toolbar's Stop shows only while a script run (here a poll) is going, often for a
    # few milliseconds: the page clicks it the moment it appears (checked on every change of
    # the DOM), as a student's click during a run would land.
    # A poll may be too quick for the toolbar to show Stop, so the student also asks for
    # reruns (Streamlit's "r" shortcut) until one is caught.
    page.evaluate(CLICK_TOOLBAR_STOP_JS)

    def clicked() -> bool:
        if page.evaluate("() => window.toolbarStopClicked === true"):
            return True
        page.get_by_test_id("stMain").press("r")
        return False

    _wait(clicked, "the toolbar's Stop was clicked", page)
    _goes_on(page)   # the run trains on and the page still follows it
    main = page.get_by_test_id("stMain")
    expect(main.get_by_role("button", name="Stop", exact=True)).to_be_enabled()
    _stop(page)
    expect(main.get_by_role("button", name="Stop", exact=True)).to_be_disabled()
    expect(page.get_by_role("button", name="Continue")).to_be_enabled()
    assert_no_exception(page)


def _workers_of(pid: int) -> list[int]:
    """The training workers a server runs: its children running rnnviz.app.workers."""
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError):   # a thread or a child that has just ended
            for child in Path(f"/proc/{pid}/task/{task}/children").read_text().split():
                if b"rnnviz.app.workers" in Path(f"/proc/{child}/cmdline").read_bytes():
                    found.append(int(child))
    return sorted(found)


def _running(pid: int) -> bool:
    """Not exited (a zombie waiting for whoever reaps it has exited)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


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
    _wait(lambda: not any(_running(pid) for pid in warm), "the worker ended", page)
    assert "Traceback" not in server_output()
