"""A protocol client (benchmarks/streamlit_protocol.py, bench_load.py --clients protocol)
sends what Chromium sends: for the same presses on the same server, the same reruns (widget
states, query, page, fragment, cached messages) message for message; and a class of one
browser and one protocol client runs through bench_load's lesson."""

from __future__ import annotations

import sys
from pathlib import Path

from google.protobuf import text_format
from streamlit.proto.BackMsg_pb2 import BackMsg

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
import bench_load  # noqa: E402
import load_browser  # noqa: E402
from streamlit_protocol import Tab, run_apart  # noqa: E402

from rnnviz.app.contents import STEP, TRAINING  # noqa: E402
from rnnviz.training.settings import SETTING  # noqa: E402
from rnnviz.ui.player import BACK_KEY, FORWARD_KEY  # noqa: E402
from rnnviz.ui.train_form import WIDGET_PREFIX  # noqa: E402
from rnnviz.ui.train_live import FOLLOW_POLL_KEY  # noqa: E402

TIMEOUT_S = 120.0
QUERY = "n_a=4&T_x=5&seed=3"
PRESSES = (FORWARD_KEY, FORWARD_KEY, BACK_KEY)
STEPS = 300


def _record(page) -> list[BackMsg]:
    """The messages the page's browser sends from now on."""
    sent: list[BackMsg] = []

    def on_websocket(ws) -> None:
        if ws.url.endswith("/_stcore/stream"):
            ws.on("framesent", lambda payload: sent.append(BackMsg.FromString(payload)))

    page.on("websocket", on_websocket)
    return sent


def _reruns(sent: list[BackMsg]) -> list[BackMsg]:
    return [m for m in sent if m.WhichOneof("type") == "rerun_script"]


def _polls(sent: list[BackMsg]) -> list[BackMsg]:
    """The polls of the live fragment: its reruns with the poll component's trigger."""
    return [m for m in _reruns(sent) if m.rerun_script.fragment_id and any(
        w.id.endswith(f"-{FOLLOW_POLL_KEY}__events") and w.json_trigger_value
        for w in m.rerun_script.widget_states.widgets)]


def _last_poll(sent: list[BackMsg]) -> BackMsg:
    """The last poll of the live fragment (the first ones can come before Chromium has
    mounted every widget of the page Train drew, which depends on timing)."""
    return _polls(sent)[-1]


def _comparable(msg: BackMsg) -> dict:
    """A rerun as fields; widget states by id (their order is the order the browser happened
    to draw them in), cached messages as a set."""
    client = msg.rerun_script
    return {"query": client.query_string, "page_hash": client.page_script_hash,
            "page_name": client.page_name, "fragment": client.fragment_id,
            "auto": client.is_auto_rerun, "context": client.context_info.SerializeToString(),
            "cached": set(client.cached_message_hashes),
            "widgets": {w.id: text_format.MessageToString(w, as_utf8=True, as_one_line=True)
                        for w in client.widget_states.widgets}}


def _assert_same_rerun(mine: BackMsg, theirs: BackMsg, cached: bool = True) -> None:
    """The same rerun (and the same messages cached, unless `cached` is False)."""
    ours, chromiums = _comparable(mine), _comparable(theirs)
    if not cached:
        del ours["cached"], chromiums["cached"]
    # the widget states that differ, if any, named
    assert set(ours["widgets"].items()) ^ set(chromiums["widgets"].items()) == set()
    assert ours == chromiums


def test_protocol_presses_send_what_chromium_sends(app_server, page, goto_app, expect_rerun):
    sent = _record(page)
    goto_app(f"/{STEP.url_path}?{QUERY}")
    for key in PRESSES:
        with expect_rerun(page):
            page.locator(f".st-key-{key}").get_by_role("button").click()

    async def protocol() -> list[BackMsg]:
        tab = Tab(app_server, STEP.url_path, QUERY)
        try:
            await tab.open(TIMEOUT_S)
            for key in PRESSES:
                before = tab.finished()
                tab.press_counted(key)
                await tab.wait_runs(before + 1, TIMEOUT_S)
            return [m for _, m in tab.sent]
        finally:
            await tab.close()

    ours = run_apart(protocol())
    chromium = _reruns(sent)
    assert len(ours) == len(chromium) == 1 + len(PRESSES)
    for mine, theirs in zip(ours, chromium, strict=True):
        _assert_same_rerun(mine, theirs)


def test_protocol_train_and_polls_send_what_chromium_sends(app_server, page, goto_app,
                                                            expect_rerun):
    sent = _record(page)
    goto_app(f"/{TRAINING.url_path}")
    box = page.get_by_test_id("stForm").get_by_label(SETTING["steps"].label, exact=True)
    box.fill(str(STEPS))
    box.press("Tab")
    with expect_rerun(page, whole_page=True):
        page.get_by_role("button", name="Train", exact=True).click()
    page.wait_for_function(f"() => ({load_browser._TRAIN_STATE_JS})() === 'idle'",
                           timeout=TIMEOUT_S * 1000)

    async def protocol() -> list[BackMsg]:
        tab = Tab(app_server, TRAINING.url_path)
        try:
            await tab.open(TIMEOUT_S)
            tab.set_form_value(WIDGET_PREFIX + "steps", STEPS)
            tab.submit("Train")
            await tab.wait_for(lambda: bench_load.train_state(tab) == "idle", TIMEOUT_S,
                               "the runs finished")
            return [m for _, m in tab.sent]
        finally:
            await tab.close()

    ours = run_apart(protocol())
    # every rerun after Train is a poll in both, none sent before the last one was drawn
    assert len(_reruns(ours)) == 2 + len(_polls(ours)) and _polls(sent)
    assert len(_reruns(sent)) == 2 + len(_polls(sent))
    # the page's first run and Train; a poll of the live fragment, whose cached messages are
    # the charts as far as the runs had trained, which differ with timing
    for mine, theirs in zip(_reruns(ours)[:2], _reruns(sent)[:2], strict=True):
        _assert_same_rerun(mine, theirs)
    _assert_same_rerun(_last_poll(ours), _last_poll(sent), cached=False)


def test_bench_load_runs_a_class_of_a_browser_and_a_protocol_client():
    args = bench_load.parse_args(["--clients", "protocol", "--duration-s", "8",
                                  "--press-every-s", "2", "--train-every-s", "8"])
    result = bench_load.one_class(2, args)
    assert result["errors"] == []
    assert result["browsers"] == 1 and result["protocol_clients"] == 1
    browser, protocol = result["students"]
    assert browser["client"] == "browser" and protocol["client"] == "protocol"
    assert browser["step_s"] and len(browser["step_s"]) == len(browser["step_ws_s"])
    assert protocol["step_ws_s"] and not protocol["step_s"]
    assert result["step_chart"]["count"] == len(browser["step_s"])
    assert result["protocol_step_finished"]["count"] == len(protocol["step_ws_s"])
    assert result["train_presses"] == 2
