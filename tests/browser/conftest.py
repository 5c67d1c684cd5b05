"""Browser-test fixtures: the real `streamlit run app.py` driven by headless Chromium.

Every test in this folder is marked `browser` automatically (`pytest -m "not browser"`
skips them). The browser is Debian's Chromium at /usr/bin/chromium (`apt-get install -y
chromium`); Playwright never downloads one here. `RNNVIZ_CHROMIUM` overrides the path.
When Chromium is missing the tests are skipped, unless `RNNVIZ_REQUIRE_BROWSER=1` (set by
.ci/run), in which case they fail.

Fixtures (no imports needed in test files, so no `__init__.py` or `pythonpath` tricks):

- `app_server` (session): base URL of a running app, e.g. "http://127.0.0.1:41234".
- `own_app_server`: (base URL, process, its output so far) of a server started for one
  test, which may stop it.
- `balanced_app`: deploy/serve.py run for one test, two replicas behind nginx (Debian's
  nginx, `apt-get install -y nginx`; skipped like Chromium when missing): its URL, its
  replicas {name: (port, pid)}, nginx's access log, and the script's output so far.
- `browser` (session): a Playwright Chromium browser.
- `page`: a fresh context and page per test, viewport 1400x900, its script runs counted.
- `new_page()`: another fresh context and page (another student), counted like `page`.
- `goto_app(path="")`: open `app_server + path` in `page`, wait until the first script run
  there has finished and rendered, assert no exception element, return the page.
- `open_app(page, url)`: the same for any counted page (one from `new_page`).
- `expect_rerun(page, whole_page=False)`: a context manager for interactions:
      with expect_rerun(page):
          page.get_by_role("slider", name="t").press("ArrowRight")
  returns once the rerun that the interaction triggered has finished and rendered. With
  `whole_page=True` only a run of the whole page counts, not a fragment's (see below).
- `wait_for_app(page)`: wait until no script is running and the page shows its result.
- `expect_query(page, {"n_a": "7", ...})`: wait until the address bar's query is exactly that.
- `script_runs(page)`: the page's run counter (`.finished`, `.page_runs`, `.sent_states`).
- `assert_no_exception(page)`: fail, quoting the traceback, if an exception box shows.
- `layout_problems(page)`: what the page as drawn shows unreadably on a projector, one line
  each (overlapping tick labels, cut-off buttons, ...; layout.js says what is checked).

Waiting: never for a fixed time. Every wait above is for a condition, and every timeout
(APP_TIMEOUT_MS, also the default of Playwright's `expect`, whose own default is 5 s) only
bounds a hang: on a busy shared machine a page can take many times longer than when idle.
`python tests/browser/run_loaded.py` runs the suite with every core kept busy.

How "finished running" is detected (verified on Streamlit 1.67 in Chromium 156):
- DOM: the root `[data-testid="stApp"]` carries `data-test-connection-state`
  ("PINGING_SERVER", then "CONNECTED") and `data-test-script-state` ("initial" before the
  first run, then "running" / "notRunning"). The status widget
  `[data-testid="stStatusWidget"]` (the running man) appears only ~0.5 s into a run and
  fades out ~0.2 s after it, so on its own it is racy; elements left from the previous
  run carry `data-stale="true"` until redrawn.
- "notRunning" is not "shown": elements whose code loads lazily (Plotly charts, tables)
  stand as `[data-testid="stSkeleton"]` placeholders after the run, a second when idle and
  far longer on a busy machine, then mount, and Plotly draws each chart after it mounts.
  `wait_for_app` waits for CONNECTED + notRunning + no status widget + no stale element +
  no skeleton + every Plotly chart drawn (its `.main-svg` present) + the fonts loaded + the
  app's style sheet in force, still true two animation frames later.
- The style sheet (rnnviz/ui/projector.css, which every page adds with st.html) can come
  into force after all of that: seen twice in twenty openings of Home at 1024x768 on a busy
  machine, where the page looked finished with its equations in two columns 244 px wide
  and cut off, before the sheet stacked them. It marks itself in force with a CSS custom
  property on the app's root (`--rnnviz-style: applied`), which `wait_for_app` waits for.
- That is not enough after an interaction: for a moment the page still says "notRunning"
  before the rerun starts, and a fast rerun (< ~0.2 s) never shows "running" in the DOM
  at all. So `expect_rerun` and `goto_app` also count the `script_finished` messages that
  the server sends over the websocket (parsed with Streamlit's own protobuf classes) and
  wait for one more, then for the DOM condition above.
- A fragment's rerun (the timestep player) sends `script_finished` too, with its own status,
  and while Play runs the browser asks for a fragment rerun per frame (up to six or
  seven a second). An interaction that reruns the whole page (a sidebar link, a form's submit
  button, a button whose script calls st.rerun()) is waited for with `whole_page=True`, so
  a frame's fragment run finishing meanwhile is not taken for it; `goto_app` always waits
  for a whole-page run. While Play runs the page is never idle for long: assert on what
  Play shows instead.
- The wait for a run is woken by each websocket frame (`ScriptRuns.wait`), not by polling.
  After an interaction that loaded a new document (a goto, a reload) it waits for the new
  document's socket: Playwright never reports the old one closed (`ScriptRuns.left`).
- Chart content redrawn by a rerun: assert on it with Playwright's auto-waiting
  `expect(...)` (e.g. a title's new text, `not_to_have_attribute`), never by reading it once.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple
from urllib.parse import parse_qs, urlparse

import processes
import pytest

from rnnviz.app.workers import SLOTS_VARIABLE

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
CHROMIUM = os.environ.get("RNNVIZ_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("RNNVIZ_REQUIRE_BROWSER", "") == "1"
INSTALL_HINT = "install Debian's Chromium with `apt-get install -y chromium` (as root)"
NGINX = os.environ.get("RNNVIZ_NGINX", "/usr/sbin/nginx")

SERVER_START_TIMEOUT_S = 120.0
CONVERSATION_LINES = 400   # the last lines of each page's websocket conversation kept
# Bounds a hang, nothing else: every wait returns as soon as its condition holds. A page
# that takes 2 s on an idle machine took up to ~15 s with the cores kept busy.
APP_TIMEOUT_MS = 90_000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

_APP = '[data-testid="stApp"]'
# What the page still lacks before it shows a finished run (all false: finished).
_UNFINISHED_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  const charts = [...document.querySelectorAll('[data-testid$="PlotlyChart"]')];
  return {
    'no app': !app,
    'not connected': !!app && app.getAttribute('data-test-connection-state') !== 'CONNECTED',
    'script running': !!app && app.getAttribute('data-test-script-state') !== 'notRunning',
    'status widget shown': !!document.querySelector('[data-testid="stStatusWidget"]'),
    'stale elements': document.querySelectorAll('[data-stale="true"]').length,
    // lazily loaded elements (charts, tables) stand as skeletons until their code is in
    'skeletons': document.querySelectorAll('[data-testid="stSkeleton"]').length,
    // a chart element is mounted before Plotly has drawn into it
    'charts not drawn': charts.filter((c) => !c.querySelector('.js-plotly-plot .main-svg'))
      .length,
    'fonts loading': document.fonts.status !== 'loaded',
    // the app's style sheet (rnnviz/ui/projector.css, added by every page with st.html)
    'style sheet not applied': !!app
      && getComputedStyle(app).getPropertyValue('--rnnviz-style').trim() !== 'applied',
  };
}"""
_FINISHED_JS = (
    "async () => {\n"
    f"  const unfinished = {_UNFINISHED_JS};\n"
    """  const done = () => Object.values(unfinished()).every((lacks) => !lacks);
  if (!done()) return false;
  // Let React flush what it has queued: the state must still hold two frames later.
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  return done();
}""")
_QUERY_JS = """(want) => {
  const got = {};
  for (const [k, v] of new URL(location.href).searchParams) (got[k] = got[k] || []).push(v);
  const keys = Object.keys(got);
  return keys.length === Object.keys(want).length
    && keys.every((k) => got[k].length === 1 && got[k][0] === want[k]);
}"""



def _in_this_folder(item: pytest.Item) -> bool:
    try:
        Path(str(item.path)).resolve().relative_to(HERE)
    except ValueError:
        return False
    return True


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # This hook sees every collected item of the session, not only this folder's.
    for item in items:
        if _in_this_folder(item):
            item.add_marker(pytest.mark.browser)


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
        if report.failed:
            report.sections.extend(_what_went_on())
    return report


# What a failed test's report shows beside its traceback: each server's processes (the
# training workers among them, with their state and CPU time) and the end of its output;
# each open page's websocket conversation (ScriptRuns.log), the state of its follow_runs.js
# and its main text. Enough to tell a worker that hung from a page that stopped asking.
_SERVERS: list[tuple[subprocess.Popen, Callable[[], str]]] = []


def _what_went_on() -> list[tuple[str, str]]:
    sections = []
    for proc, output in _SERVERS:
        sections.append((f"server {proc.pid}: its processes, then its output",
                         "\n".join([*processes.tree(proc.pid), output()[-3000:]])))
    for i, (pg, counter) in enumerate(list(_COUNTERS.items())):
        if pg.is_closed():
            continue
        follow, text = None, ""
        with contextlib.suppress(Exception):
            follow = pg.evaluate(_FOLLOW_STATE_JS)
            text = pg.get_by_test_id("stMain").inner_text(timeout=2000)[:1500]
        sections.append((f"page {i} ({pg.url}): its websocket, follow_runs.js, its text",
                         "\n".join([*counter.log, f"follow_runs.js: {follow}", text])))
    return sections


_FOLLOW_STATE_JS = """() => {
  const f = window.rnnvizFollowRuns;   // rnnviz/ui/follow_runs.js, on the Training page
  if (!f) return null;
  const now = performance.now();
  return {record: f.record.map(([t, what]) => `${Math.round(t - now)} ms: ${what}`),
          on: f.on, answered: f.answered, unanswered: f.unanswered, interval: f.interval,
          checking: f.timer !== null, msSinceAsk: now - f.lastAsk,
          msSinceInput: now - f.lastInput};
}"""


def _missing(reason: str) -> None:
    if REQUIRE_BROWSER:
        pytest.fail(f"RNNVIZ_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    """The Chromium binary; skips (or fails under RNNVIZ_REQUIRE_BROWSER=1) if absent."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _missing(f"no Chromium at {CHROMIUM}: {INSTALL_HINT}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("the `playwright` package is not installed: pip install -r requirements-dev.txt")
    return CHROMIUM


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen) -> None:
    """Terminate the server and everything in its process group."""
    if proc.poll() is not None:
        return
    for sig, wait_s in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=wait_s)
            return
        except subprocess.TimeoutExpired:
            continue


def _health_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
            return resp.status == 200 and resp.read().strip() == b"ok"
    except (urllib.error.URLError, OSError):
        return False


@contextlib.contextmanager
def _running_app() -> Iterator[tuple[str, subprocess.Popen, Callable[[], str]]]:
    """`streamlit run app.py` from the repo root, in a process group of its own, with one
    training slot; yields its base URL, its process and a function that returns the end of
    its output so far, and stops it at the end."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none",
    ]  # fmt: skip
    log = tempfile.NamedTemporaryFile(  # kept open for the whole session
        prefix="rnnviz-streamlit-", suffix=".log", delete=False
    )
    # One training slot whatever the machine, so a second session's run waits in line.
    env = {**os.environ, "PYTHONUNBUFFERED": "1", SLOTS_VARIABLE: "1"}
    proc = subprocess.Popen(
        cmd,
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,  # own process group, so teardown can kill its children too
    )

    def server_output() -> str:
        log.flush()
        return Path(log.name).read_text(errors="replace")[-6000:]

    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while not _health_ok(url):
            if proc.poll() is not None:
                pytest.fail(
                    f"`streamlit run app.py` exited with code {proc.returncode} before it "
                    f"was healthy. Its output:\n{server_output()}",
                    pytrace=False,
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"`streamlit run app.py` did not answer {url}/_stcore/health with 'ok' "
                    f"within {SERVER_START_TIMEOUT_S:.0f} s. Its output:\n{server_output()}",
                    pytrace=False,
                )
            time.sleep(0.2)
        _SERVERS.append((proc, server_output))
        yield url, proc, server_output
    finally:
        with contextlib.suppress(ValueError):
            _SERVERS.remove((proc, server_output))
        _stop(proc)
        log.close()
        with contextlib.suppress(OSError):
            os.unlink(log.name)


@pytest.fixture(scope="session")
def app_server(chromium_executable: str) -> Iterator[str]:
    """Start `streamlit run app.py` from the repo root; yield its base URL."""
    with _running_app() as (url, _, _):
        yield url


@pytest.fixture
def own_app_server(
    chromium_executable: str,
) -> Iterator[tuple[str, subprocess.Popen, Callable[[], str]]]:
    """A server of the test's own, which the test may stop: (base URL, its process, a
    function that returns the end of its output so far)."""
    with _running_app() as running:
        yield running


class Balanced(NamedTuple):
    url: str
    replicas: dict[str, tuple[int, int]]  # name: (port, pid)
    access_log: Path
    output: Callable[[], str]


@pytest.fixture
def balanced_app(chromium_executable: str, tmp_path: Path) -> Iterator[Balanced]:
    """`python deploy/serve.py --replicas 2` (one training slot each), started for one test,
    stopped after it with its replicas and nginx."""
    if not os.access(NGINX, os.X_OK):
        _missing(f"no nginx at {NGINX}: install Debian's nginx with `apt-get install -y "
                 "nginx` (as root)")
    run_dir = tmp_path / "nginx"
    port, *replica_ports = (_free_port() for _ in range(3))
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "deploy/serve.py", "--replicas", "2", "--address", "127.0.0.1",
         "--port", str(port), "--replica-ports", *map(str, replica_ports),
         "--run-dir", str(run_dir), "--nginx", NGINX],
        cwd=REPO_ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1", SLOTS_VARIABLE: "1"},
        start_new_session=True)

    def output() -> str:
        log.flush()
        return (tmp_path / "serve.log").read_text(errors="replace")[-6000:]

    state = run_dir / "state.json"
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    try:
        while not state.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"deploy/serve.py was not serving within "
                            f"{SERVER_START_TIMEOUT_S:.0f} s. Its output:\n{output()}",
                            pytrace=False)
            time.sleep(0.2)
        serving = json.loads(state.read_text())
        yield Balanced(serving["url"], {r["name"]: (r["port"], r["pid"])
                                        for r in serving["replicas"]},
                       run_dir / "access.log", output)
    finally:
        proc.send_signal(signal.SIGTERM)  # the script stops its replicas and nginx first
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=30)
        _stop(proc)
        log.close()


@pytest.fixture(scope="session")
def browser(chromium_executable: str):
    from playwright.sync_api import expect, sync_playwright

    # `expect(...)` does not follow the context's default timeout: its own is 5 s, which a
    # chart drawn on a busy machine overran. Tests pass `timeout=` only to allow longer.
    expect.set_options(timeout=APP_TIMEOUT_MS)
    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield b
        finally:
            b.close()


def _forward_msg(payload):
    """A websocket frame from the server as Streamlit's ForwardMsg, or None."""
    if isinstance(payload, str):
        return None
    from google.protobuf.message import DecodeError
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = ForwardMsg()
    try:
        msg.ParseFromString(payload)
    except DecodeError:
        return None
    return msg


def is_finished_run(payload) -> bool:
    """True if a websocket frame from the server says a script run finished (a run cut
    short by a newer rerun does not count). benchmarks/bench_load.py uses it too."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = _forward_msg(payload)
    return (
        msg is not None
        and msg.WhichOneof("type") == "script_finished"
        and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN
    )


class ScriptRuns:
    """What the server and the browser of one page said to each other about script runs.

    Streamlit sends a `ForwardMsg` with `script_finished` over its websocket at the end of
    every run; the frames are parsed with Streamlit's own protobuf classes.

    - `finished`: runs finished, of the whole page or of a fragment (a run cut short by a
      newer rerun, FINISHED_EARLY_FOR_RERUN, does not count).
    - `page_runs`: runs of the whole page finished (FINISHED_SUCCESSFULLY, or with a compile
      error), not a fragment's.
    - `sent_states`: for every rerun request the browser sent, the state of each browser
      component by its key, e.g. [{"rnnviz_play": {"request": {"seq": 1, "on": True},
      "ticks": 3}, ...}, ...].
    - `log`: the conversation's last CONVERSATION_LINES lines, for a failed test's report:
      the sockets opened and closed, each message's kind, the run it belongs to (with its
      fragments), how each run finished, the triggers each rerun request carried, and the
      data of each poll element of the Training page drawn (rnnviz.ui.train_live).
    """

    def __init__(self) -> None:
        self.finished = 0
        self.page_runs = 0
        self.sent_states: list[dict[str, dict]] = []
        self.websocket = None
        self.log: collections.deque[str] = collections.deque(maxlen=CONVERSATION_LINES)

    def note(self, what: str) -> None:
        """A line of the conversation, with the wall-clock time it was seen here."""
        now = time.time()
        self.log.append(f"{time.strftime('%H:%M:%S', time.localtime(now))}.{now % 1 * 1000:03.0f}"
                        f" {what}")

    def attach(self, page) -> None:
        page.on("websocket", self._on_websocket)

    def _on_websocket(self, ws) -> None:
        if ws.url.endswith("/_stcore/stream"):
            self.websocket = ws
            self.note(f"websocket opened {ws.url}")
            ws.on("framereceived", self._on_frame)
            ws.on("framesent", self._on_sent)
            ws.on("close", lambda _ws: self.note("websocket closed"))

    def _on_frame(self, payload) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = _forward_msg(payload)
        kind = msg.WhichOneof("type") if msg is not None else None
        if kind == "delta":
            raw = bytes(payload)
            poll = raw.find(b'{"role": "poll"')
            if poll >= 0:
                self.note(f"<- poll element {raw[poll:raw.find(b'}', poll) + 1].decode()}")
        elif kind is not None:
            run = msg.metadata.run
            status = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished) \
                if kind == "script_finished" else ""
            self.note(f"<- {kind} {status} run {run.script_run_id[:8]} "
                      f"fragments {list(run.fragment_ids)}")
        if kind == "script_finished":
            status = msg.script_finished
            if status != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                self.finished += 1
            if status in (ForwardMsg.FINISHED_SUCCESSFULLY,
                          ForwardMsg.FINISHED_WITH_COMPILE_ERROR):
                self.page_runs += 1

    def _on_sent(self, payload) -> None:
        if isinstance(payload, str):
            return
        from google.protobuf.message import DecodeError
        from streamlit.proto.BackMsg_pb2 import BackMsg

        msg = BackMsg()
        try:
            msg.ParseFromString(payload)
        except DecodeError:
            return
        if msg.WhichOneof("type") != "rerun_script":
            self.note(f"-> {msg.WhichOneof('type')}")
        else:
            widgets = msg.rerun_script.widget_states.widgets
            triggers = [w.id.rsplit("-", 1)[-1] for w in widgets
                        if w.WhichOneof("value") in ("trigger_value", "string_trigger_value",
                                                     "json_trigger_value")]
            self.note(f"-> rerun_script fragment {msg.rerun_script.fragment_id!r} "
                      f"triggers {triggers}")
            # a widget's id ends with its user key: "$$ID-<hash>-rnnviz_play"
            self.sent_states.append({w.id.rsplit("-", 1)[-1]: json.loads(w.json_value)
                                     for w in widgets if w.WhichOneof("value") == "json_value"})

    def leaving(self, page) -> tuple[float, object]:
        """Before an interaction: the page's document and its socket, for `left`."""
        return page.evaluate(_DOCUMENT_JS), self.websocket

    def left(self, page, before: tuple[float, object]) -> None:
        """After an interaction: if it loaded a new document (a goto, a reload) and no
        socket has opened since, forget the old document's socket. Playwright drops a
        document's sockets when the next one commits without ever reporting them closed,
        so waiting for its frames waited out the whole timeout (every open_app of a page
        that already showed one took APP_TIMEOUT_MS)."""
        document, socket = before
        # (evaluate first: the new socket's event may be delivered while it runs)
        if page.evaluate(_DOCUMENT_JS) != document and self.websocket is socket:
            self.websocket = None

    def wait(self, page, until: Callable[[], bool], timeout_ms: int, what: str) -> None:
        """Wait until `until()` holds, woken by each frame the server sends (never polled
        by time); AssertionError after timeout_ms."""
        from playwright.sync_api import Error

        deadline = time.monotonic() + timeout_ms / 1000
        while not until():
            left_ms = (deadline - time.monotonic()) * 1000
            if left_ms <= 0:
                raise AssertionError(
                    f"{what}: the server reported no finished script run within "
                    f"{timeout_ms / 1000:.0f} s (page {page.url})"
                )
            ws = self.websocket
            try:
                if ws is None or ws.is_closed():  # before the first, or between two pages
                    page.wait_for_event("websocket", timeout=left_ms)
                else:
                    ws.wait_for_event("framereceived", timeout=left_ms)
            except Error:  # a timeout (checked above), or the socket closed for a new one
                if page.is_closed():
                    raise


_DOCUMENT_JS = "() => performance.timeOrigin"   # when the page's document was started
_COUNTERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def script_runs(page) -> ScriptRuns:
    """The run counter of a page tracked by `track_runs` (the `page` fixture's is)."""
    try:
        return _COUNTERS[page]
    except KeyError:
        raise RuntimeError(
            "this page is not tracked: use the `page` or `new_page` fixture, or call "
            "track_runs(page) before its first goto"
        ) from None


def track_runs(page) -> None:
    """Start counting finished script runs for a page (`page` and `new_page` do this)."""
    if page not in _COUNTERS:
        counter = ScriptRuns()
        counter.attach(page)
        _COUNTERS[page] = counter


def _new_context(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(APP_TIMEOUT_MS)
    context.set_default_navigation_timeout(APP_TIMEOUT_MS)
    return context


@pytest.fixture
def page(browser, request: pytest.FixtureRequest):
    """A fresh context and page per test. On a failed test, a screenshot goes to a temp dir."""
    context = _new_context(browser)
    pg = context.new_page()
    track_runs(pg)
    try:
        yield pg
    finally:
        if request.node.stash.get(_CALL_FAILED, False):
            shots = Path(tempfile.gettempdir()) / "rnnviz-browser-failures"
            shots.mkdir(exist_ok=True)
            target = shots / f"{request.node.name[:120]}.png"
            with contextlib.suppress(Exception):
                pg.screenshot(path=str(target), full_page=True)
                print(f"screenshot of the failed page: {target}")
        context.close()


@pytest.fixture
def new_page(browser):
    """`new_page()`: another fresh context and page (another student: own cookies, own
    websocket, own session), its script runs counted; closed after the test."""
    contexts = []

    def _new():
        context = _new_context(browser)
        contexts.append(context)
        pg = context.new_page()
        track_runs(pg)
        return pg

    try:
        yield _new
    finally:
        for context in contexts:
            with contextlib.suppress(Exception):
                context.close()


def wait_for_app(page, timeout_ms: int = APP_TIMEOUT_MS) -> None:
    """Wait until the page shows no running script and its result is drawn (see the
    module docstring).

    Right after an interaction the page still looks finished for a moment, before the
    rerun it asked for has started: wrap interactions in `expect_rerun` instead.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    try:
        page.wait_for_selector(_APP, state="attached", timeout=timeout_ms)
        page.wait_for_function(_FINISHED_JS, timeout=timeout_ms)
    except PlaywrightTimeoutError:
        lacks = {k: v for k, v in page.evaluate(_UNFINISHED_JS).items() if v}
        raise AssertionError(f"the page did not show a finished run within "
                             f"{timeout_ms / 1000:.0f} s: {lacks} ({page.url})") from None


@contextlib.contextmanager
def expect_rerun(page, timeout_ms: int = APP_TIMEOUT_MS, whole_page: bool = False
                 ) -> Iterator[None]:
    """Around an interaction that reruns the script: wait for that run to finish and
    for the page to show its result.

        with expect_rerun(page):
            page.get_by_role("slider", name="t").press("ArrowRight")

    whole_page=True: the interaction reruns the whole page (a sidebar link, a form's
    submit, a button that calls st.rerun()); only a run of the whole page counts, so a
    fragment's timed rerun that finishes meanwhile is not taken for it.
    """
    counter = script_runs(page)
    count = (lambda: counter.page_runs) if whole_page else (lambda: counter.finished)
    left = counter.leaving(page)   # (also delivers the frames that arrived before it)
    before = count()
    yield
    counter.left(page, left)
    counter.wait(page, lambda: count() > before, timeout_ms, "expect_rerun")
    wait_for_app(page, timeout_ms)


def open_app(page, url: str, timeout_ms: int = APP_TIMEOUT_MS) -> None:
    """Navigate to url and wait for the first script run there to finish and render."""
    with expect_rerun(page, timeout_ms, whole_page=True):
        page.goto(url, timeout=timeout_ms)


def expect_query(page, want: dict[str, str], timeout_ms: int = APP_TIMEOUT_MS) -> None:
    """Wait until the address bar's query is exactly `want` ({name: value}, each once):
    the script writes it during its run, the browser shows it when that message arrives."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    try:
        page.wait_for_function(_QUERY_JS, arg=want, timeout=timeout_ms)
    except PlaywrightTimeoutError:
        got = parse_qs(urlparse(page.url).query)
        raise AssertionError(f"the query is {got}, not {want} (after "
                             f"{timeout_ms / 1000:.0f} s)") from None


def assert_no_exception(page) -> None:
    """Fail if Streamlit shows an exception box, quoting its text."""
    boxes = page.locator('[data-testid="stException"]')
    n = boxes.count()
    if n:
        texts = "\n---\n".join(boxes.nth(i).inner_text() for i in range(n))
        pytest.fail(f"{n} exception element(s) on {page.url}:\n{texts}", pytrace=False)


@pytest.fixture(name="wait_for_app")
def wait_for_app_fixture() -> Callable[..., None]:
    return wait_for_app


@pytest.fixture(name="expect_rerun")
def expect_rerun_fixture() -> Callable[..., contextlib.AbstractContextManager[None]]:
    return expect_rerun


@pytest.fixture(name="open_app")
def open_app_fixture() -> Callable[..., None]:
    return open_app


@pytest.fixture(name="expect_query")
def expect_query_fixture() -> Callable[..., None]:
    return expect_query


@pytest.fixture(name="script_runs")
def script_runs_fixture() -> Callable[..., ScriptRuns]:
    return script_runs


@pytest.fixture(name="assert_no_exception")
def assert_no_exception_fixture() -> Callable[..., None]:
    return assert_no_exception


@pytest.fixture(name="layout_problems")
def layout_problems_fixture() -> Callable[..., list[str]]:
    checker = (HERE / "layout.js").read_text()

    def problems(page, settle_s: float = 30.0) -> list[str]:
        # what the page shows once it has settled: right after a run, KaTeX's style sheet
        # (loaded on first use) may still be missing and an equation drawn twice as wide;
        # a problem still there after settle_s is the page's
        deadline = time.monotonic() + settle_s
        found = page.evaluate(checker)
        while found and time.monotonic() < deadline:
            page.wait_for_timeout(250)   # lets the page load and draw
            found = page.evaluate(checker)
        return found

    return problems


@pytest.fixture
def goto_app(app_server: str, page):
    """`goto_app("/Some_page?n_a=8")`: open, wait for the run, check for exceptions."""

    def _goto(path: str = "", timeout_ms: int = APP_TIMEOUT_MS):
        open_app(page, app_server + path, timeout_ms)
        assert_no_exception(page)
        return page

    return _goto
