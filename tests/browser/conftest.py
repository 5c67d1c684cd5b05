"""Browser-test fixtures: the real `streamlit run app.py` driven by headless Chromium.

Every test in this folder is marked `browser` automatically (`pytest -m "not browser"`
skips them). The browser is Debian's Chromium at /usr/bin/chromium (`apt-get install -y
chromium`); Playwright never downloads one here. `RNNVIZ_CHROMIUM` overrides the path.
When Chromium is missing the tests are skipped, unless `RNNVIZ_REQUIRE_BROWSER=1` (set by
.ci/run), in which case they fail.

Fixtures (no imports needed in test files, so no `__init__.py` or `pythonpath` tricks):

- `app_server` (session): base URL of a running app, e.g. "http://127.0.0.1:41234".
- `browser` (session): a Playwright Chromium browser.
- `page`: a fresh context and page per test, viewport 1400x900, its script runs counted.
- `goto_app(path="")`: open `app_server + path`, wait until the first script run there has
  finished and rendered, assert no exception element, return the page.
- `expect_rerun(page)`: a context manager for interactions:
      with expect_rerun(page):
          page.get_by_role("slider", name="t").press("ArrowRight")
  returns once the rerun that the interaction triggered has finished and rendered.
- `wait_for_app(page)`: wait until no script is running (DOM only; see below).
- `assert_no_exception(page)`: fail, quoting the traceback, if an exception box shows.

How "finished running" is detected (verified on Streamlit 1.67 in Chromium 156):
- DOM: the root `[data-testid="stApp"]` carries `data-test-connection-state`
  ("PINGING_SERVER", then "CONNECTED") and `data-test-script-state` ("initial" before the
  first run, then "running" / "notRunning"). The status widget
  `[data-testid="stStatusWidget"]` (the running man) appears only ~0.5 s into a run and
  fades out ~0.2 s after it, so on its own it is racy; elements left from the previous
  run carry `data-stale="true"` until redrawn. `wait_for_app` waits for CONNECTED +
  notRunning + no status widget + no stale element, still true two animation frames later.
- That is not enough after an interaction: for a moment the page still says "notRunning"
  before the rerun starts, and a fast rerun (< ~0.2 s) never shows "running" in the DOM
  at all. So `expect_rerun` and `goto_app` also count the `script_finished` messages that
  the server sends over the websocket (parsed with Streamlit's own protobuf classes) and
  wait for one more, then for the DOM condition above.
- Plotly charts draw asynchronously after the run: assert on them with Playwright's
  auto-waiting `expect(...)`.
"""

from __future__ import annotations

import contextlib
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

import pytest

from rnnviz.app.workers import SLOTS_VARIABLE

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
CHROMIUM = os.environ.get("RNNVIZ_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("RNNVIZ_REQUIRE_BROWSER", "") == "1"
INSTALL_HINT = "install Debian's Chromium with `apt-get install -y chromium` (as root)"

SERVER_START_TIMEOUT_S = 60.0
APP_TIMEOUT_MS = 30_000
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

_APP = '[data-testid="stApp"]'
_FINISHED_JS = """async () => {
  const done = () => {
    const app = document.querySelector('[data-testid="stApp"]');
    return !!app
      && app.getAttribute('data-test-connection-state') === 'CONNECTED'
      && app.getAttribute('data-test-script-state') === 'notRunning'
      && !document.querySelector('[data-testid="stStatusWidget"]')
      && !document.querySelector('[data-stale="true"]');
  };
  if (!done()) return false;
  // Let React flush what it has queued: the state must still hold two frames later.
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  return done();
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
    return report


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


@pytest.fixture(scope="session")
def app_server(chromium_executable: str) -> Iterator[str]:
    """Start `streamlit run app.py` from the repo root; yield its base URL."""
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
        yield url
    finally:
        _stop(proc)
        log.close()
        with contextlib.suppress(OSError):
            os.unlink(log.name)


@pytest.fixture(scope="session")
def browser(chromium_executable: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield b
        finally:
            b.close()


class _RunCounter:
    """Counts the script runs the server reports finished to one page.

    Streamlit sends a `ForwardMsg` with `script_finished` over its websocket at the end of
    every run; the counter parses the frames with Streamlit's own protobuf classes. A run
    cut short by a newer rerun (FINISHED_EARLY_FOR_RERUN) does not count.
    """

    def __init__(self) -> None:
        self.finished = 0

    def attach(self, page) -> None:
        page.on("websocket", self._on_websocket)

    def _on_websocket(self, ws) -> None:
        if ws.url.endswith("/_stcore/stream"):
            ws.on("framereceived", self._on_frame)

    def _on_frame(self, payload) -> None:
        if is_finished_run(payload):
            self.finished += 1


def is_finished_run(payload) -> bool:
    """True if a websocket frame from the server says a script run finished (a run cut
    short by a newer rerun does not count). benchmarks/bench_load.py uses it too."""
    if isinstance(payload, str):
        return False
    from google.protobuf.message import DecodeError
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = ForwardMsg()
    try:
        msg.ParseFromString(payload)
    except DecodeError:
        return False
    return (
        msg.WhichOneof("type") == "script_finished"
        and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN
    )


_COUNTERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _counter(page) -> _RunCounter:
    try:
        return _COUNTERS[page]
    except KeyError:
        raise RuntimeError(
            "this page is not tracked: use the `page` fixture, or call track_runs(page) "
            "before its first goto"
        ) from None


def track_runs(page) -> None:
    """Start counting finished script runs for a page (the `page` fixture does this)."""
    if page not in _COUNTERS:
        counter = _RunCounter()
        counter.attach(page)
        _COUNTERS[page] = counter


@pytest.fixture
def page(browser, request: pytest.FixtureRequest):
    """A fresh context and page per test. On a failed test, a screenshot goes to a temp dir."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(APP_TIMEOUT_MS)
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


def wait_for_app(page, timeout_ms: int = APP_TIMEOUT_MS) -> None:
    """Wait until the page shows no running script (see the module docstring).

    Right after an interaction the page still looks finished for a moment, before the
    rerun it asked for has started: wrap interactions in `expect_rerun` instead.
    """
    page.wait_for_selector(_APP, state="attached", timeout=timeout_ms)
    page.wait_for_function(_FINISHED_JS, timeout=timeout_ms)


def _wait_for_runs(page, target: int, timeout_ms: int, what: str) -> None:
    counter = _counter(page)
    deadline = time.monotonic() + timeout_ms / 1000
    while counter.finished < target:
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{what}: the server reported no finished script run within "
                f"{timeout_ms / 1000:.0f} s (page {page.url})"
            )
        page.wait_for_timeout(25)  # lets Playwright deliver websocket events


@contextlib.contextmanager
def expect_rerun(page, timeout_ms: int = APP_TIMEOUT_MS) -> Iterator[None]:
    """Around an interaction that reruns the script: wait for that run to finish and
    for the page to show its result.

        with expect_rerun(page):
            page.get_by_role("slider", name="t").press("ArrowRight")
    """
    before = _counter(page).finished
    yield
    _wait_for_runs(page, before + 1, timeout_ms, "expect_rerun")
    wait_for_app(page, timeout_ms)


def open_app(page, url: str, timeout_ms: int = APP_TIMEOUT_MS) -> None:
    """Navigate to url and wait for the first script run there to finish and render."""
    with expect_rerun(page, timeout_ms):
        page.goto(url, timeout=timeout_ms)


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


@pytest.fixture(name="assert_no_exception")
def assert_no_exception_fixture() -> Callable[..., None]:
    return assert_no_exception


@pytest.fixture
def goto_app(app_server: str, page):
    """`goto_app("/Some_page?n_a=8")`: open, wait for the run, check for exceptions."""

    def _goto(path: str = "", timeout_ms: int = APP_TIMEOUT_MS):
        open_app(page, app_server + path, timeout_ms)
        assert_no_exception(page)
        return page

    return _goto
