"""deploy/serve.py as a school runs it: two replicas of `streamlit run app.py` behind nginx,
students in their own browser contexts through the balancer. Each student's session stays
on one replica through reruns and page changes, new students are spread over both, and a
student whose replica stops gets the page back from the other with a notice."""

from __future__ import annotations

import os
import re
import signal

from playwright.sync_api import expect
from student_steps import go_to, set_sidebar_number, sidebar_number, train_short_run

from rnnviz.app.replicas import COOKIE, MOVED_NOTICE

CHART = '[data-testid$="PlotlyChart"] .js-plotly-plot'
LONG_MS = 300_000  # a training run, or a reconnection, on a busy machine; bounds a hang only
ALICE = "/Step_through?cell=rnn&n_a=7&T_x=9&seed=3&input=gaussian"
BOB = "/Step_through?cell=lstm&n_a=4&T_x=6"


def _replica(page) -> str | None:
    """The replica nginx names in the student's cookie."""
    return next((c["value"] for c in page.context.cookies() if c["name"] == COOKIE), None)


def _two_students(balanced_app, new_page, open_app):
    alice, bob = new_page(), new_page()
    open_app(alice, balanced_app.url + ALICE)
    open_app(bob, balanced_app.url + BOB)
    return alice, bob


def _served_by(access_log) -> list[tuple[str, str]]:
    """(the replica a request's cookie named, the replica that answered) of each request
    with a cookie in nginx's log."""
    found = []
    for line in access_log.read_text().splitlines():
        _, cookie, served, *_ = line.split(" ")
        if cookie.strip('"') not in ("", "-"):
            found.append((cookie.strip('"'), served))
    return found


def test_each_session_stays_on_its_replica_and_both_replicas_take_students(
        balanced_app, new_page, open_app, expect_rerun, assert_no_exception):
    alice, bob = _two_students(balanced_app, new_page, open_app)
    # new students go round robin: the two are on different replicas
    assert {_replica(alice), _replica(bob)} == set(balanced_app.replicas)

    set_sidebar_number(alice, "n_a (hidden units)", 11, expect_rerun)
    go_to(alice, "Training", expect_rerun)
    train_short_run(alice, expect_rerun, LONG_MS)
    expect(alice.get_by_text("Runs in this session")).to_be_visible()

    # Through a page change and back, Alice's run and settings are where her session is.
    go_to(alice, "Step through", expect_rerun)
    expect(sidebar_number(alice, "n_a (hidden units)")).to_have_value("11")
    go_to(alice, "Training", expect_rerun)
    expect(alice.get_by_text(re.compile(r"LSTM · chars · n_a=4")).first).to_be_visible()
    go_to(bob, "Training", expect_rerun)
    expect(bob.get_by_text("No runs yet", exact=False)).to_be_visible()
    go_to(bob, "Step through", expect_rerun)
    expect(sidebar_number(bob, "n_a (hidden units)")).to_have_value("4")

    # Every request that named a replica was answered by it, and both answered some.
    served = _served_by(balanced_app.access_log)
    assert served and all(cookie == by for cookie, by in served), served
    assert {by for _, by in served} == set(balanced_app.replicas)
    assert {_replica(alice), _replica(bob)} == set(balanced_app.replicas)
    for student in (alice, bob):
        expect(student.get_by_text(MOVED_NOTICE)).to_have_count(0)
        assert_no_exception(student)


def test_a_stopped_replicas_students_get_the_page_back_from_the_other_with_a_notice(
        balanced_app, new_page, open_app, wait_for_app, expect_rerun, assert_no_exception):
    alice, bob = _two_students(balanced_app, new_page, open_app)
    gone, stays = _replica(alice), _replica(bob)
    assert gone != stays

    os.killpg(balanced_app.replicas[gone][1], signal.SIGTERM)
    # Streamlit's page reconnects by itself; nginx sends it to the replica left, where the
    # session is new and comes back from the link.
    notice = alice.get_by_text(MOVED_NOTICE)
    expect(notice).to_be_visible(timeout=LONG_MS)
    wait_for_app(alice, LONG_MS)
    expect(alice.locator(f"{CHART} .gtitle").first).to_contain_text("RNN cell at t = 1")
    expect(sidebar_number(alice, "n_a (hidden units)")).to_have_value("7")
    expect(sidebar_number(alice, "T_x (timesteps)")).to_have_value("9")
    assert _replica(alice) == stays
    assert f"replica {gone} exited" in balanced_app.output()

    # The notice stays through reruns until closed; a reload on the new replica has none.
    go_to(alice, "Training", expect_rerun)
    expect(notice).to_be_visible()
    with expect_rerun(alice, whole_page=True):
        alice.get_by_role("button", name="OK", exact=True).click()
    expect(notice).to_have_count(0)
    # (a fresh document shows no finished run before its first run has finished)
    alice.goto(balanced_app.url + ALICE)
    wait_for_app(alice, LONG_MS)
    expect(alice.locator(f"{CHART} .gtitle").first).to_contain_text("RNN cell at t = 1")
    expect(notice).to_have_count(0)

    # Bob's replica never stopped: his session goes on, with no notice.
    set_sidebar_number(bob, "n_a (hidden units)", 5, expect_rerun)
    expect(bob.locator(f"{CHART} .gtitle").first).to_contain_text("LSTM cell")
    expect(bob.get_by_text(MOVED_NOTICE)).to_have_count(0)
    for student in (alice, bob):
        assert_no_exception(student)
