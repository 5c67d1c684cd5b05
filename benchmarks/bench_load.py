"""A class on one server: N students' browsers against one `streamlit run app.py`.

Run:  python benchmarks/bench_load.py [--sessions 10 20 30] [--duration-s 150]
                                      [--press-every-s 3] [--train-every-s 60] [--json out.json]
      python benchmarks/bench_load.py --clients protocol [--browsers 1] [--sessions 10 20 30]
      python benchmarks/bench_load.py --mode burst [--sessions 1 5 10 20]

For each N it starts a fresh server (headless, 127.0.0.1, a free port), then, in a process
of its own at the lowest CPU priority (nice 19, --browser-nice; the server keeps its own),
one headless Chromium (the system's /usr/bin/chromium; a browser is never downloaded) with N
contexts, one per student. So the browsers take only the CPU the server leaves: the figures
are the server's, not those of N pages rendered on its cores.

Lesson (the default): each student opens two tabs, two sessions, at once: Step through
(LSTM, n_a=16, T_x=20, its own seed) and Training. Once every student is in, the lesson
lasts --duration-s. On Step through the student presses ▶ every --press-every-s (±20 %,
from a random first second; ◀ back from t = T_x, the same cost). Latency = from the click
to the cell diagram's title showing the new t (the Plotly chart redrawn in the DOM); the
websocket's script_finished message is timed too. On Training the student presses Train (the
page's default run: both cells, 500 steps) at a random second of each --train-every-s,
unless its last run still waits or trains (that minute is counted as skipped), and follows
the run on the page: queued = from Train to the progress bar (training started; the page
says "waiting for a free slot" until then), training = from there to the run finished (Stop
greyed, no progress bar, the runs' table). A run still waiting or training when the lesson
ends is counted as such, with how long it had waited. The server trains at most cores - 1
jobs at once (rnnviz.app.workers), so runs queue.

Protocol clients (--clients protocol [--browsers 1]): the browsers above share the server's
cores, so with many students they measure themselves as much as the server. So --browsers
students (default 1: two tabs) stay in Chromium at nice 19, measuring ▶ to the chart
redrawn end to end, while the others are protocol clients
(benchmarks/streamlit_protocol.py), in a process of their own at this script's priority:
each opens the same two sessions over Streamlit's websocket and sends, at the same pace,
the reruns a browser sends (the widgets' states, ◀ ▶ as their press counts, Train as the
form's trigger, the live fragment's polls as rnnviz/ui/follow_runs.js asks for them), timed
from sending to script_finished; the t in the chart the server sends back is checked against
the press, and a run is followed in the elements it sends (waiting, the progress bar, then
Stop greyed and the runs' table). They
draw nothing: what they cost is reading the messages (their CPU is reported, apart from the
browser's), and what the server does for a student is all there. Reported besides: the
script runs each page finished in the lesson (Step through's are its presses; Training's
its Train and polls) and the server process's CPU per run.

Burst (--mode burst, the earlier measure): all students at once open Step through, press ▶
--steps times --think-ms (±50 %) apart, then move to Training and train a short run.

Errors counted: exception elements on the page, timeouts, a lost websocket connection, and
for a protocol client a chart sent back at another t than the press asked for.
Reported: latencies (median, 95th percentile, max), the server's CPU (user + system seconds
per second of the lesson, its children, the training workers, included; and the server
process alone), its peak RSS (VmRSS of the server and its children, sampled every 0.2 s),
the browsers' CPU, and the 1-minute load average (sampled with the RSS: the machine may be
shared with other work).

Every wait has a timeout, every loop a count, and each N a time cap; each N runs in a child
process, and the script stops the browser, the server and its workers whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import importlib.util
import json
import multiprocessing
import os
import platform
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from rnnviz.app.contents import STEP, TRAINING  # noqa: E402
from rnnviz.training.settings import SETTING  # noqa: E402
from rnnviz.ui.player import BACK_KEY, FORWARD_KEY  # noqa: E402


def form_values(**settings) -> dict[str, object]:
    """{the Training form's label: value} for settings given by name (n_a=16, steps=60)."""
    return {SETTING[name].label: value for name, value in settings.items()}
CHROMIUM = os.environ.get("RNNVIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SERVER_START_S = 60.0
STEP_TIMEOUT_MS = 60_000
OPEN_TIMEOUT_MS = 120_000
TRAIN_TIMEOUT_MS = 300_000
CAP_PER_N_S = 900.0

SIDEBAR = '[data-testid="stSidebar"]'
TITLE_T_JS = """(want) => {
  const title = document.querySelector('[data-testid$="PlotlyChart"] .gtitle');
  const m = title && title.textContent.match(/t = (\\d+)\\b/);
  return !!m && Number(m[1]) === want;
}"""
APP_IDLE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute('data-test-connection-state') === 'CONNECTED'
    && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-testid="stStatusWidget"]')
    && !document.querySelector('[data-stale="true"]');
}"""


# ----- the server ---------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


class Server:
    """`streamlit run app.py` in its own process group, on 127.0.0.1 and `port` (default: a
    free one)."""

    def __init__(self, extra_args: list[str] | None = None,
                 extra_env: dict[str, str] | None = None, app_root: Path = ROOT,
                 port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="rnnviz-bench-", suffix=".log",
                                               delete=False)
        cmd = [sys.executable, "-m", "streamlit", "run", "app.py",
               "--server.headless", "true", "--server.address", "127.0.0.1",
               "--server.port", str(self.port), "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none", *(extra_args or [])]
        self.proc = subprocess.Popen(cmd, cwd=app_root, stdin=subprocess.DEVNULL, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     env={**os.environ, **(extra_env or {}),
                                          "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + SERVER_START_S
        while not _healthy(self.url):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server did not start; its output:\n{self.output()}")
            time.sleep(0.2)

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            for sig, wait_s in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, sig)
                try:
                    self.proc.wait(timeout=wait_s)
                    break
                except subprocess.TimeoutExpired:
                    continue
        self.log.close()
        with contextlib.suppress(OSError):
            os.unlink(self.log.name)


def _children(pid: int) -> list[int]:
    kids = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                text = Path(f"/proc/{pid}/task/{task}/children").read_text()
                kids.extend(int(k) for k in text.split())
    return kids


def descendants(pid: int) -> list[int]:
    """Every live descendant of `pid`."""
    found, todo = [], _children(pid)
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(_children(p))
    return found


def rss_bytes(pid: int) -> int:
    """VmRSS of `pid` and all its descendants, in bytes (0 for a process gone)."""
    total, todo, seen = 0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        todo.extend(_children(p))
    return total


def cpu_seconds(*pids: int) -> float:
    """User + system CPU time of these processes so far (threads included), in seconds."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def process_cpu_s(pid: int) -> float | None:
    """CPU seconds of process `pid` (all its threads, ended ones too) from its CPU-time
    clock, the kernel's MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED); None if it is gone."""
    try:
        return time.clock_gettime(((~pid) << 3) | 2)
    except OSError:
        return None


def _waited_children_s(pid: int) -> float:
    """CPU seconds of `pid`'s children that have ended and been waited for (/proc ticks)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def server_cpu_s(pid: int) -> float:
    """User + system CPU seconds of the server, its live descendants and its ended children
    (the training workers among them)."""
    return (sum(process_cpu_s(p) or 0.0 for p in (pid, *descendants(pid)))
            + _waited_children_s(pid))


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _renice(pid: int, nice: int) -> None:
    """Every thread of `pid` at niceness `nice` (Linux keeps a niceness per thread)."""
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                if os.getpriority(os.PRIO_PROCESS, int(task)) != nice:
                    os.setpriority(os.PRIO_PROCESS, int(task), nice)


class RssSampler:
    """Samples rss_bytes(pid) every `every_s` seconds on a thread: [(seconds, bytes)].

    It also follows the CPU time of this script's other descendants (Playwright's driver
    and Chromium's processes, which come and go with the contexts): `client_cpu_s`; and,
    given `renice`, sets every thread of theirs to that niceness at each sample (Chromium
    raises its own processes' and threads' priority when it may, e.g. run as root).
    """

    def __init__(self, pid: int, every_s: float = 0.2, renice: int | None = None,
                 exclude: tuple[int, ...] = ()) -> None:
        self.pid, self.every_s, self.samples, self.renice = pid, every_s, [], renice
        self.exclude = set(exclude)   # processes of this script's that are not the browsers
        self.loads: list[float] = []   # the 1-minute load average at each sample
        self._client_cpu: dict[int, float] = {}
        self._client_base = {p: cpu_seconds(p) for p in self._client_pids()}
        self._stop = threading.Event()
        self._start = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.monotonic() - self._start, rss_bytes(self.pid)))
            self.loads.append(os.getloadavg()[0])
            for p in self._client_pids():
                self._client_cpu[p] = cpu_seconds(p)
                if self.renice is not None:
                    _renice(p, self.renice)
            self._stop.wait(self.every_s)

    def _client_pids(self) -> list[int]:
        skip = {self.pid, *descendants(self.pid)}
        for other in self.exclude:
            skip |= {other, *descendants(other)}
        return [p for p in descendants(os.getpid()) if p not in skip]

    @property
    def client_cpu_s(self) -> float:
        """CPU seconds the browser side used while sampled (processes gone included)."""
        return sum(used - self._client_base.get(p, 0.0) for p, used in self._client_cpu.items())

    def stop(self) -> list[tuple[float, int]]:
        self._stop.set()
        self._thread.join(timeout=5)
        return self.samples

    @property
    def peak(self) -> int:
        return max((b for _, b in self.samples), default=0)


# ----- one student --------------------------------------------------------------------------

@dataclass
class Student:
    """What one session measured (seconds) and the errors it met."""

    open_s: float | None = None
    step_s: list[float] = field(default_factory=list)       # click -> chart redrawn
    step_ws_s: list[float] = field(default_factory=list)    # click -> script_finished
    train_first_curve_s: float | None = None
    train_done_s: float | None = None
    errors: list[str] = field(default_factory=list)
    server_cpu_s: dict[str, float] = field(default_factory=dict)  # per phase; exact at N=1


@functools.cache
def _browser_fixtures():
    """tests/browser/conftest.py as a module: its websocket parsing is the one this uses."""
    path = ROOT / "tests" / "browser" / "conftest.py"
    spec = importlib.util.spec_from_file_location("rnnviz_browser_conftest", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class RunCounter:
    """Counts script_finished messages on a page's websocket (as tests/browser/conftest)."""

    def __init__(self, page) -> None:
        self.finished = 0
        self.closed = False
        self.times: list[float] = []
        page.on("websocket", self._on_websocket)

    def _on_websocket(self, ws) -> None:
        if ws.url.endswith("/_stcore/stream"):
            ws.on("framereceived", self._on_frame)
            ws.on("close", lambda _ws: setattr(self, "closed", True))

    def _on_frame(self, payload) -> None:
        if _browser_fixtures().is_finished_run(payload):
            self.finished += 1
            self.times.append(time.perf_counter())

    async def wait_for(self, target: int, timeout_ms: int) -> float:
        """Wait until `target` runs have finished; the time the target-th one arrived."""
        deadline = time.monotonic() + timeout_ms / 1000
        while self.finished < target:
            if self.closed:
                raise RuntimeError("the websocket closed")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no finished script run within {timeout_ms / 1000:.0f} s")
            await asyncio.sleep(0.01)
        return self.times[target - 1]


async def fill_training_form(page, values: dict[str, int], timeout_ms: int) -> None:
    """Fill the training page's number boxes {label: value}, each confirmed with Tab."""
    form = page.get_by_test_id("stForm")
    for label, value in values.items():
        box = form.get_by_label(label, exact=True)
        await box.wait_for(state="visible", timeout=timeout_ms)
        await box.fill(str(value))
        await box.press("Tab")


_TRAINING_DONE_JS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const stop = main && [...main.querySelectorAll('button')].find(
      (b) => b.innerText.trim() === 'Stop');
  return !!stop && stop.disabled && !document.querySelector('[data-testid="stProgress"]')
      && !!document.querySelector('[data-testid="stDataFrame"]');
}"""


async def wait_training_done(page, timeout_ms: int) -> None:
    """After the rerun that Train asked for: wait until the session's runs have finished (the
    page's Stop greyed, no progress bar, the runs' table drawn)."""
    await page.wait_for_function(_TRAINING_DONE_JS, timeout=timeout_ms)


async def _exceptions(page) -> int:
    return await page.locator('[data-testid="stException"]').count()


async def _idle(page, timeout_ms: int) -> None:
    await page.wait_for_function(APP_IDLE_JS, timeout=timeout_ms)


async def student(browser, url: str, index: int, args, rng: random.Random,
                  server_pid: int) -> Student:
    """One student's session: open, step through, train; everything timed, and the
    server's CPU time over each phase (the whole server's: exact only when N = 1)."""
    result = Student()
    cpu_mark = [cpu_seconds(server_pid)]

    def phase(name: str) -> None:
        now = cpu_seconds(server_pid)
        result.server_cpu_s[name] = now - cpu_mark[0]
        cpu_mark[0] = now

    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(STEP_TIMEOUT_MS)
    page = await context.new_page()
    counter = RunCounter(page)
    try:
        start = time.perf_counter()
        await page.goto(f"{url}/{STEP.url_path}?n_a={args.n_a}&T_x={args.T_x}&seed={index + 1}",
                        timeout=OPEN_TIMEOUT_MS)
        await counter.wait_for(1, OPEN_TIMEOUT_MS)
        await page.wait_for_function(TITLE_T_JS, arg=1, timeout=OPEN_TIMEOUT_MS)
        await _idle(page, OPEN_TIMEOUT_MS)
        result.open_s = time.perf_counter() - start
        phase("open")
        forward = page.locator(f".st-key-{FORWARD_KEY}").get_by_role("button")
        for t in range(2, min(args.steps, args.T_x - 1) + 2):
            await asyncio.sleep(args.think_ms / 1000 * rng.uniform(0.5, 1.5))
            before = counter.finished
            start = time.perf_counter()
            await forward.click()
            await page.wait_for_function(TITLE_T_JS, arg=t, timeout=STEP_TIMEOUT_MS)
            result.step_s.append(time.perf_counter() - start)
            finished_at = await counter.wait_for(before + 1, STEP_TIMEOUT_MS)
            result.step_ws_s.append(finished_at - start)
            await _idle(page, STEP_TIMEOUT_MS)
        phase("steps")
        if n := await _exceptions(page):
            result.errors.append(f"{n} exception element(s) on the step-through page")

        before = counter.finished
        await page.locator(SIDEBAR).get_by_role("link", name=TRAINING.title).click()
        await counter.wait_for(before + 1, OPEN_TIMEOUT_MS)
        await _idle(page, OPEN_TIMEOUT_MS)
        await fill_training_form(page, form_values(n_a=args.n_a, m=16, T_x=args.T_x,
                                                   steps=args.train_steps),
                                 OPEN_TIMEOUT_MS)
        start = time.perf_counter()
        await page.get_by_role("button", name="Train", exact=True).click()
        curve = page.locator('[data-testid$="PlotlyChart"] .scatterlayer .trace').first
        await curve.wait_for(state="attached", timeout=TRAIN_TIMEOUT_MS)
        result.train_first_curve_s = time.perf_counter() - start
        await page.get_by_text("Runs in this session").wait_for(timeout=TRAIN_TIMEOUT_MS)
        await wait_training_done(page, TRAIN_TIMEOUT_MS)
        result.train_done_s = time.perf_counter() - start
        phase("train")
        await _idle(page, TRAIN_TIMEOUT_MS)
        if n := await _exceptions(page):
            result.errors.append(f"{n} exception element(s) on the training page")
        if await page.get_by_text("diverged", exact=False).count():
            result.errors.append("a run diverged")
    except Exception as why:  # noqa: BLE001 - every failure is a finding to report
        result.errors.append(f"{type(why).__name__}: {str(why).splitlines()[0][:200]}")
    finally:
        if counter.closed:
            result.errors.append("the websocket closed")
        with contextlib.suppress(Exception):
            await context.close()
    return result


# ----- one student at a lesson's pace -------------------------------------------------------

@dataclass
class TrainPress:
    """One press of Train at a lesson's pace (seconds; None: not reached by the lesson's end).

    state: "finished", or what the run was doing when the lesson ended ("queued",
    "training"), or "lost" (the press never showed a run)."""

    at_s: float                       # from the lesson's start
    queued_s: float | None = None     # Train -> the progress bar shown (training started)
    training_s: float | None = None   # training started -> finished
    waited_s: float = 0.0             # Train -> training started, or the lesson's end
    state: str = "lost"


@dataclass
class LessonStudent:
    """What one student measured at a lesson's pace (seconds) and the errors it met."""

    open_s: float | None = None
    step_s: list[float] = field(default_factory=list)       # click -> chart redrawn
    step_ws_s: list[float] = field(default_factory=list)    # click -> script_finished
    click_s: list[float] = field(default_factory=list)      # Playwright's click returned
    late_presses: int = 0      # pressed more than a second after its time (the last was slow)
    script_runs: int = 0       # runs its two sessions finished in the lesson (presses, polls)
    training_runs: int = 0     # of which the Training page's (Train, the live part's polls)
    trains: list[TrainPress] = field(default_factory=list)
    skipped_trains: int = 0    # minute marks passed while its last run still waited or trained
    errors: list[str] = field(default_factory=list)
    client: str = "browser"    # or "protocol": a protocol client, no browser


_TRAIN_STATE_JS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  if (!main) return 'none';
  if (main.querySelector('[data-testid="stProgress"]')) return 'training';
  if (main.innerText.includes('is waiting for a free slot')) return 'queued';
  const stop = [...main.querySelectorAll('button')].find((b) => b.innerText.trim() === 'Stop');
  if (stop && stop.disabled && main.querySelector('[data-testid="stDataFrame"]')) return 'idle';
  return 'other';
}"""


class Lesson:
    """The lesson's clock, shared by the students: it starts once every student has opened
    its pages (or failed to), and lasts `duration_s`. With `barrier` (the students of another
    process: the protocol clients), once that process's students are in too."""

    def __init__(self, students: int, duration_s: float, barrier=None) -> None:
        self.waiting, self.duration_s, self.barrier = students, duration_s, barrier
        self.everyone_in, self.started = asyncio.Event(), asyncio.Event()
        self.start = self.end = 0.0
        if students == 0:
            self.everyone_in.set()

    def opened(self) -> None:
        self.waiting -= 1
        if self.waiting == 0:
            self.everyone_in.set()

    async def clock(self) -> None:
        """Start the lesson once every student is in (it never starts if they are not within
        the opening's time: the students then report the wait as their error)."""
        wait_s = OPEN_TIMEOUT_MS / 1000 * 2
        with contextlib.suppress(TimeoutError, threading.BrokenBarrierError):
            await asyncio.wait_for(self.everyone_in.wait(), wait_s)
            if self.barrier is not None:
                await asyncio.to_thread(self.barrier.wait, wait_s)
            self.start = time.monotonic()
            self.end = self.start + self.duration_s
            self.started.set()

    async def begins(self) -> None:
        await asyncio.wait_for(self.started.wait(), OPEN_TIMEOUT_MS / 1000 * 3)

    def left_ms(self) -> int:
        """Milliseconds to the lesson's end (at least 1: a timeout of 0 waits forever)."""
        return max(1, int(1000 * (self.end - time.monotonic())))


async def _open(page, counter: RunCounter, url: str) -> None:
    await page.goto(url, timeout=OPEN_TIMEOUT_MS)
    await counter.wait_for(1, OPEN_TIMEOUT_MS)
    await _idle(page, OPEN_TIMEOUT_MS)


async def _pressing(press, args, rng: random.Random, lesson: Lesson,
                    result: LessonStudent) -> None:
    """▶ every --press-every-s (±20 %) until the lesson ends; ◀ back from t = T_x. Each press
    is `await press(direction, t)`, which presses and waits for the new t."""
    t, direction = 1, +1
    due = lesson.start + rng.uniform(0, args.press_every_s)
    while due < lesson.end:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        if time.monotonic() - due > 1.0:
            result.late_presses += 1
        if not 1 <= t + direction <= args.T_x:
            direction = -direction
        t += direction
        await press(direction, t)
        due += args.press_every_s * rng.uniform(0.8, 1.2)


def _browser_press(page, counter: RunCounter, result: LessonStudent):
    """A press of ◀ or ▶ in the browser, timed to the chart redrawn and to script_finished."""
    buttons = {+1: page.locator(f".st-key-{FORWARD_KEY}").get_by_role("button"),
               -1: page.locator(f".st-key-{BACK_KEY}").get_by_role("button")}

    async def press(direction: int, t: int) -> None:
        before = counter.finished
        start = time.perf_counter()
        await buttons[direction].click()
        result.click_s.append(time.perf_counter() - start)
        await page.wait_for_function(TITLE_T_JS, arg=t, timeout=STEP_TIMEOUT_MS)
        result.step_s.append(time.perf_counter() - start)
        finished_at = await counter.wait_for(before + 1, STEP_TIMEOUT_MS)
        result.step_ws_s.append(finished_at - start)
        await _idle(page, STEP_TIMEOUT_MS)

    return press


async def _train_state(page, wanted: tuple[str, ...], *, lesson: Lesson) -> str | None:
    """Wait (polling every 0.2 s) until the Training page shows one of `wanted`; None if the
    lesson ended first."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    try:
        handle = await page.wait_for_function(
            f"(wanted) => wanted.includes(({_TRAIN_STATE_JS})())", arg=list(wanted),
            polling=200, timeout=lesson.left_ms())
    except PlaywrightTimeout:
        return None
    await handle.dispose()
    return await page.evaluate(_TRAIN_STATE_JS)


async def _training(train, state, args, rng: random.Random, lesson: Lesson,
                    result: LessonStudent) -> None:
    """Train (the page's default run) at a random second of each --train-every-s, unless
    the last run still waits or trains; each run followed until it finishes or the lesson
    ends. `await train()` presses Train; `await state(wanted)` waits until the page shows one
    of the states `wanted` (None: the lesson ended first)."""
    due = lesson.start + rng.uniform(0, args.train_every_s)
    while due < lesson.end:
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        press = TrainPress(at_s=time.monotonic() - lesson.start)
        result.trains.append(press)
        start = time.monotonic()
        await train()
        seen = await state(("queued", "training"))
        if seen == "queued":
            press.state = "queued"
            seen = await state(("training", "idle"))
        if seen in ("training", "idle"):
            press.queued_s = time.monotonic() - start
            press.state = "training"
            started = time.monotonic()
            if seen == "training" and await state(("idle",)):
                press.training_s = time.monotonic() - started
                press.state = "finished"
        press.waited_s = press.queued_s if press.queued_s is not None else \
            time.monotonic() - start
        due += args.train_every_s
        while due < time.monotonic() and due < lesson.end:
            result.skipped_trains += 1
            due += args.train_every_s


async def _page_checks(step, train, result: LessonStudent) -> None:
    """The errors the browser's two tabs show at the lesson's end."""
    if n := await _exceptions(step):
        result.errors.append(f"{n} exception element(s) on the step-through page")
    if n := await _exceptions(train):
        result.errors.append(f"{n} exception element(s) on the training page")
    if await train.get_by_text("diverged", exact=False).count():
        result.errors.append("a run diverged")


def _runs_since(now: list[int], before: list[int]) -> tuple[int, int]:
    """(script runs of both tabs, of the Training tab) between two counts [Step, Training]."""
    return now[0] + now[1] - before[0] - before[1], now[1] - before[1]


async def _attend(lesson: Lesson, result: LessonStudent, open_tabs, take_part,
                  run_counts) -> None:
    """A student's lesson: `await open_tabs()` (timed), then, once the lesson begins,
    `await take_part()`. Every failure is one of its errors; its script runs are counted
    (`run_counts()`: [Step through's, Training's]) from the lesson's start to its end, or to
    the failure."""
    opened, runs_before = False, None
    try:
        start = time.perf_counter()
        await open_tabs()
        result.open_s = time.perf_counter() - start
        lesson.opened()
        opened = True
        await lesson.begins()
        runs_before = run_counts()
        await take_part()
    except Exception as why:  # noqa: BLE001 - every failure is a finding to report
        result.errors.append(f"{type(why).__name__}: {str(why).splitlines()[0][:200]}")
    finally:
        if not opened:
            lesson.opened()
        if runs_before is not None:
            result.script_runs, result.training_runs = _runs_since(run_counts(), runs_before)


async def lesson_student(browser, url: str, index: int, args, rng: random.Random,
                         lesson: Lesson, result: LessonStudent) -> None:
    """One student at a lesson's pace, in two tabs (two sessions): Step through, pressing ▶
    every few seconds, and Training, pressing Train once a minute and watching the run."""
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(STEP_TIMEOUT_MS)
    tabs, counters = [], []

    async def open_tabs() -> None:
        tabs.extend([await context.new_page(), await context.new_page()])
        counters.extend(RunCounter(tab) for tab in tabs)
        await asyncio.gather(
            _open(tabs[0], counters[0], f"{url}/{STEP.url_path}?n_a={args.n_a}"
                                        f"&T_x={args.T_x}&seed={index + 1}"),
            _open(tabs[1], counters[1], f"{url}/{TRAINING.url_path}"))
        await tabs[0].wait_for_function(TITLE_T_JS, arg=1, timeout=OPEN_TIMEOUT_MS)
        await tabs[1].get_by_role("button", name="Train", exact=True).wait_for(
            timeout=OPEN_TIMEOUT_MS)

    async def take_part() -> None:
        step, train = tabs
        train_button = train.get_by_role("button", name="Train", exact=True)
        await asyncio.gather(
            _pressing(_browser_press(step, counters[0], result), args, rng, lesson, result),
            _training(train_button.click, functools.partial(_train_state, train, lesson=lesson),
                      args, rng, lesson, result))
        await _page_checks(step, train, result)

    try:
        await _attend(lesson, result, open_tabs, take_part,
                      lambda: [c.finished for c in counters])
    finally:
        if any(c.closed for c in counters):
            result.errors.append("a websocket closed")
        with contextlib.suppress(Exception):
            await context.close()


# ----- one student as a protocol client -----------------------------------------------------

def chart_t(tab) -> int | None:
    """The t in the title of the page's first chart (Step through's cell diagram), as the
    server last drew it in `tab`: what TITLE_T_JS reads in a browser."""
    for node in tab.elements("bidi_component"):
        figure = json.loads(node.element.json or "{}").get("figure")
        if figure is not None:
            title = json.loads(figure)["layout"].get("title", {}).get("text", "")
            found = re.search(r"t = (\d+)\b", title)
            return int(found[1]) if found else None
    return None


def train_state(tab) -> str:
    """What the Training page shows in `tab`, as _TRAIN_STATE_JS reads it in a browser."""
    if any(tab.elements("progress")):
        return "training"
    if any("is waiting for a free slot" in n.element.body for n in tab.elements("alert")):
        return "queued"
    stop = [n.element for n in tab.elements("button") if n.element.label == "Stop"]
    if stop and stop[0].disabled and any(tab.elements("dataframe")):
        return "idle"
    return "other"


def _protocol_press(tab, result: LessonStudent):
    """A press of ◀ or ▶ sent as the browser sends it, timed to script_finished; the new t
    is checked in the chart the server sent back."""
    keys = {+1: FORWARD_KEY, -1: BACK_KEY}

    async def press(direction: int, t: int) -> None:
        before = tab.finished()
        sent = tab.press_counted(keys[direction])
        run = await tab.wait_runs(before + 1, STEP_TIMEOUT_MS / 1000)
        result.step_ws_s.append(run.at - sent)
        if (shown := chart_t(tab)) != t:
            result.errors.append(f"pressed to t = {t}, the chart came back at t = {shown}")

    return press


async def protocol_student(url: str, index: int, args, rng: random.Random, lesson: Lesson,
                           result: LessonStudent) -> None:
    """One student at a lesson's pace as a protocol client (benchmarks/streamlit_protocol.py):
    the same two sessions, presses and runs as lesson_student, without a browser."""
    from streamlit_protocol import Tab

    step = Tab(url, STEP.url_path, f"n_a={args.n_a}&T_x={args.T_x}&seed={index + 1}")
    train = Tab(url, TRAINING.url_path)

    async def state(wanted: tuple[str, ...]) -> str | None:
        try:
            await train.wait_for(lambda: train_state(train) in wanted, lesson.left_ms() / 1000,
                                 " or ".join(wanted))
        except TimeoutError:
            return None
        return train_state(train)

    async def press_train() -> None:
        train.submit("Train")

    async def open_tabs() -> None:
        await asyncio.gather(step.open(OPEN_TIMEOUT_MS / 1000), train.open(OPEN_TIMEOUT_MS / 1000))
        if chart_t(step) != 1:
            result.errors.append(f"Step through opened at t = {chart_t(step)}")

    async def take_part() -> None:
        await asyncio.gather(_pressing(_protocol_press(step, result), args, rng, lesson, result),
                             _training(press_train, state, args, rng, lesson, result))
        if n := sum(1 for tab in (step, train) for _ in tab.elements("exception")):
            result.errors.append(f"{n} exception element(s) on the pages")

    try:
        await _attend(lesson, result, open_tabs, take_part,
                      lambda: [step.finished(), train.finished()])
    finally:
        result.errors.extend(step.errors + train.errors)
        for tab in (step, train):
            with contextlib.suppress(Exception):
                await tab.close()


async def _protocol_students(url: str, n: int, indices: range, args, barrier) -> dict:
    """The protocol clients' side of a class: their students, and this process's CPU
    seconds per second of the lesson."""
    lesson = Lesson(len(indices), args.duration_s, barrier)
    students = [LessonStudent(client="protocol") for _ in indices]
    marks = {}

    async def cpu_marks() -> None:
        await lesson.begins()
        marks["start"] = time.monotonic(), time.process_time()
        await asyncio.sleep(max(0.0, lesson.end - time.monotonic()))
        marks["end"] = time.monotonic(), time.process_time()

    tasks = [protocol_student(url, i, args, random.Random(1000 * n + i), lesson,
                              st) for i, st in zip(indices, students, strict=True)]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(lesson.clock(), cpu_marks(), *tasks),
                               class_cap_s(args))
    (t0, cpu0), (t1, cpu1) = marks.get("start", (0, 0)), marks.get("end", (1, 0))
    return {"students": students, "cpu_per_s": (cpu1 - cpu0) / max(t1 - t0, 1e-9)}


def _protocol_process(url: str, n: int, indices: range, args, barrier, conn) -> None:
    """The protocol clients in a process of their own, at this script's priority (the
    browsers' process lowers its own): their result sent on conn."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        conn.send(asyncio.run(_protocol_students(url, n, indices, args, barrier)))
    except Exception as why:  # noqa: BLE001 - reported as the clients' result
        conn.send({"students": [], "cpu_per_s": 0.0, "failed": f"{type(why).__name__}: {why}"})
    finally:
        conn.close()


# ----- one class of N -----------------------------------------------------------------------

def _percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (None without values)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]


def _stats(values: list[float]) -> dict:
    return {"count": len(values), "median": statistics.median(values) if values else None,
            "p95": _percentile(values, 95), "max": max(values, default=None)}


def summarise(n: int, students: list[Student], peak_rss: int, wall_s: float,
              server_cpu_s: float, browser_cpu_s: float, load: list[float]) -> dict:
    steps = [s for st in students for s in st.step_s]
    return {
        "sessions": n,
        "step_chart": _stats(steps),
        "step_script_finished": _stats([s for st in students for s in st.step_ws_s]),
        "open": _stats([st.open_s for st in students if st.open_s is not None]),
        "train_first_curve": _stats([st.train_first_curve_s for st in students
                                    if st.train_first_curve_s is not None]),
        "train_done": _stats([st.train_done_s for st in students
                             if st.train_done_s is not None]),
        "errors": [f"session {i}: {e}" for i, st in enumerate(students) for e in st.errors],
        "peak_rss_mb": peak_rss / 1e6,
        "wall_s": wall_s,
        "server_cpu_s": server_cpu_s,
        "browser_cpu_s": browser_cpu_s,
        "load_average_1min": load,
        "students": [asdict(st) for st in students],
    }


def summarise_lesson(n: int, students: list[LessonStudent], marks: dict,
                     sampler: RssSampler, wall_s: float, errors: list[str],
                     protocol_cpu_per_s: float = 0.0) -> dict:
    """The lesson's figures; server CPU per second over the lesson itself (from its start,
    once every student had opened its pages, to its end). Step times by kind of client: the
    browsers' (to the chart redrawn, and to script_finished), the protocol clients' (to
    script_finished)."""
    browsers = [st for st in students if st.client == "browser"]
    protocol = [st for st in students if st.client == "protocol"]
    (t0, total0, main0), (t1, total1, main1) = marks.get("start", (0, 0, 0)), \
        marks.get("end", (0, 0, 0))
    span = max(t1 - t0, 1e-9)
    trains = [p for st in students for p in st.trains]
    return {
        "mode": "lesson",
        "sessions": n,
        "lesson_s": t1 - t0,
        "browsers": len(browsers),
        "protocol_clients": len(protocol),
        "step_chart": _stats([s for st in browsers for s in st.step_s]),
        "step_script_finished": _stats([s for st in browsers for s in st.step_ws_s]),
        "step_click": _stats([s for st in browsers for s in st.click_s]),
        "protocol_step_finished": _stats([s for st in protocol for s in st.step_ws_s]),
        "late_presses": sum(st.late_presses for st in browsers),
        "protocol_late_presses": sum(st.late_presses for st in protocol),
        "open": _stats([st.open_s for st in students if st.open_s is not None]),
        "train_presses": len(trains),
        "train_skipped": sum(st.skipped_trains for st in students),
        "train_queued": _stats([p.queued_s for p in trains if p.queued_s is not None]),
        "train_training": _stats([p.training_s for p in trains if p.training_s is not None]),
        "train_finished": sum(p.state == "finished" for p in trains),
        "train_still_training": sum(p.state == "training" for p in trains),
        "train_still_queued": _stats([p.waited_s for p in trains if p.state == "queued"]),
        "train_lost": sum(p.state == "lost" for p in trains),
        "server_cpu_per_s": (total1 - total0) / span,
        "server_main_cpu_per_s": (main1 - main0) / span,
        "script_runs": sum(st.script_runs for st in students),
        "training_runs": sum(st.training_runs for st in students),
        "server_main_cpu_ms_per_run": 1000 * (main1 - main0)
        / max(sum(st.script_runs for st in students), 1),
        "workers_cpu_per_s": ((total1 - total0) - (main1 - main0)) / span,
        "browser_cpu_per_s": sampler.client_cpu_s / max(wall_s, 1e-9),
        "protocol_cpu_per_s": protocol_cpu_per_s,
        "peak_rss_mb": sampler.peak / 1e6,
        "load_1min": [min(sampler.loads, default=0.0), max(sampler.loads, default=0.0)],
        "wall_s": wall_s,
        "errors": errors + [f"student {i}: {e}" for i, st in enumerate(students)
                            for e in st.errors],
        "students": [asdict(st) for st in students],
    }


async def _lesson_marks(lesson: Lesson, pid: int, marks: dict) -> None:
    """The time and the server's CPU (total; the server process alone) at the lesson's
    start and end."""
    def mark() -> tuple[float, float, float]:
        return time.monotonic(), server_cpu_s(pid), process_cpu_s(pid) or 0.0

    await lesson.begins()
    marks["start"] = mark()
    await asyncio.sleep(max(0.0, lesson.end - time.monotonic()))
    marks["end"] = mark()


def class_cap_s(args) -> float:
    """The longest one class may take, the opening and the lesson included."""
    if args.mode == "burst":
        return CAP_PER_N_S
    return 2 * OPEN_TIMEOUT_MS / 1000 + args.duration_s + 2 * STEP_TIMEOUT_MS / 1000


class ProtocolClients:
    """The protocol clients of a class (students `indices`), in a process of their own
    started before this one lowers its priority; `barrier` starts their lesson with the
    browsers'."""

    def __init__(self, url: str, n: int, indices: range, args) -> None:
        context = multiprocessing.get_context("fork")
        self.barrier = context.Barrier(2)
        self._result, theirs = context.Pipe(duplex=False)
        self.process = context.Process(target=_protocol_process,
                                       args=(url, n, indices, args, self.barrier, theirs))
        self.process.start()
        theirs.close()

    def result(self, timeout_s: float) -> dict:
        """Their students and CPU (waits for their lesson's end, within `timeout_s`)."""
        failed = {"students": [], "cpu_per_s": 0.0, "failed": "no result from the clients"}
        try:
            if self._result.poll(timeout_s):
                return self._result.recv()
        except EOFError:
            pass
        finally:
            self.stop()
        return failed

    def stop(self) -> None:
        self.process.join(10)
        for stop in (self.process.terminate, self.process.kill):
            if self.process.is_alive():
                stop()
                self.process.join(10)


async def _chromium(stack: contextlib.AsyncExitStack):
    """Headless Chromium (the system's), closed with `stack`."""
    from playwright.async_api import async_playwright

    pw = await stack.enter_async_context(async_playwright())
    return await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


async def run_class(n: int, args) -> dict:
    """One class of `n` students against a fresh server. After the server starts (and the
    protocol clients' process, with --clients protocol), this process lowers its priority to
    nice --browser-nice (19), and Playwright's driver and Chromium, started after, inherit it:
    the browsers take only what CPU the server leaves."""
    server = Server()
    pid = server.proc.pid
    browsers = min(args.browsers, n) if args.clients == "protocol" else n
    clients = (ProtocolClients(server.url, n, range(browsers, n), args)
               if browsers < n else None)
    os.nice(args.browser_nice)
    sampler = RssSampler(pid, renice=args.browser_nice,
                         exclude=(clients.process.pid,) if clients else ())
    started, cpu_before = time.monotonic(), server_cpu_s(pid)
    load = [os.getloadavg()[0]]
    errors: list[str] = []
    marks: dict = {}
    protocol = {"students": [], "cpu_per_s": 0.0}
    try:
        async with contextlib.AsyncExitStack() as stack:
            browser = await _chromium(stack) if browsers else None
            try:
                rngs = [random.Random(1000 * n + i) for i in range(n)]
                if args.mode == "lesson":
                    lesson = Lesson(browsers, args.duration_s,
                                    clients.barrier if clients else None)
                    students = [LessonStudent() for _ in range(browsers)]
                    tasks = [lesson_student(browser, server.url, i, args, rngs[i], lesson,
                                            students[i]) for i in range(browsers)]
                    tasks += [lesson.clock(), _lesson_marks(lesson, pid, marks)]
                    try:
                        await asyncio.wait_for(asyncio.gather(*tasks), class_cap_s(args))
                    except TimeoutError:
                        errors.append(f"the class's cap of {class_cap_s(args):.0f} s was "
                                      "reached")
                else:
                    tasks = [student(browser, server.url, i, args, rngs[i], pid)
                             for i in range(n)]
                    students = await asyncio.wait_for(asyncio.gather(*tasks),
                                                      class_cap_s(args))
                load.append(os.getloadavg()[0])
            finally:
                if browser is not None:
                    await browser.close()
        if clients:
            protocol = await asyncio.to_thread(clients.result, class_cap_s(args))
            if "failed" in protocol:
                errors.append(f"the protocol clients: {protocol['failed']}")
        cpu = server_cpu_s(pid) - cpu_before
    finally:
        sampler.stop()
        if clients:
            clients.stop()
        server.stop()
    wall = time.monotonic() - started
    if args.mode == "lesson":
        return summarise_lesson(n, students + protocol["students"], marks, sampler, wall,
                                errors, protocol["cpu_per_s"])
    return summarise(n, students, sampler.peak, wall, cpu, sampler.client_cpu_s, load)


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _ruled(head: str) -> None:
    """A table's head and a rule under it."""
    print(f"{head}\n{'-' * len(head)}")


def print_table(results: list[dict], args) -> None:
    print(f"\nStep-through: LSTM n_a={args.n_a}, T_x={args.T_x}, {args.steps} presses of ▶ "
          f"per student, think time {args.think_ms} ms ±50 %; training: both cells, "
          f"n_a={args.n_a}, m=16, T_x={args.T_x}, {args.train_steps} steps. Seconds.")
    head = (f"{'N':>3} | {'▶→chart p50':>11} {'p95':>6} {'max':>6} | {'▶→finished p50':>14} "
            f"{'p95':>6} | {'open p50':>8} {'p95':>6} | {'train 1st curve p50':>19} {'p95':>6} "
            f"| {'train done p50':>14} {'p95':>6} | {'RSS MB':>6} | {'CPU s server':>12} "
            f"{'browser':>7} | {'load':>4} | errors")
    _ruled(head)
    for r in results:
        sc, sf, op = r["step_chart"], r["step_script_finished"], r["open"]
        tf, td = r["train_first_curve"], r["train_done"]
        print(f"{r['sessions']:>3} | {_fmt(sc['median']):>11} {_fmt(sc['p95']):>6} "
              f"{_fmt(sc['max']):>6} | {_fmt(sf['median']):>14} {_fmt(sf['p95']):>6} | "
              f"{_fmt(op['median']):>8} {_fmt(op['p95']):>6} | "
              f"{_fmt(tf['median']):>19} {_fmt(tf['p95']):>6} | {_fmt(td['median']):>14} "
              f"{_fmt(td['p95']):>6} | {r['peak_rss_mb']:>6.0f} | {r['server_cpu_s']:>12.0f} "
              f"{r['browser_cpu_s']:>7.0f} | {max(r['load_average_1min']):>4.0f} | "
              f"{len(r['errors'])}")
    for r in results:
        per_student = r["server_cpu_s"] / r["sessions"]
        print(f"  N={r['sessions']}: server CPU per student {per_student:.1f} s"
              + ("; by phase " + ", ".join(f"{k} {v:.2f} s" for k, v in
                                           r["students"][0]["server_cpu_s"].items())
                 if r["sessions"] == 1 else ""))
        for e in r["errors"]:
            print(f"  N={r['sessions']}: {e}")


def _lesson_intro(args, clients: str = "") -> None:
    """What the lesson was, above its table."""
    print(f"\nLesson: {args.duration_s:.0f} s; each student ▶ every {args.press_every_s:g} s "
          f"±20 % on Step through (LSTM, n_a={args.n_a}, T_x={args.T_x}) and Train (the "
          f"default run) every {args.train_every_s:g} s in a second tab{clients}. Seconds; "
          "CPU in seconds per second of the lesson.")


def _measured(results: list[dict]) -> list[dict]:
    """The classes that ran to a result; a line for each that did not."""
    for r in results:
        if "step_chart" not in r:
            print(f"{r['sessions']:>3} | failed: {r.get('failed')}")
    return [r for r in results if "step_chart" in r]


def print_lesson(results: list[dict], args) -> None:
    _lesson_intro(args)
    head = (f"{'N':>3} | {'▶→chart p50':>11} {'p95':>5} {'max':>5} | {'▶→fin p95':>9} | "
            f"{'presses':>7} {'late':>4} | {'trains':>6} {'done':>4} | {'queued p50':>10} "
            f"{'max':>5} | {'training p50':>12} | {'still queued':>12} {'waited max':>10} | "
            f"{'CPU server':>10} {'main':>5} {'workers':>7} {'browser':>7} | {'RSS MB':>6} | "
            f"{'load':>9} | errors")
    _ruled(head)
    for r in _measured(results):
        sc, sf, q, tr = (r["step_chart"], r["step_script_finished"], r["train_queued"],
                         r["train_training"])
        sq = r["train_still_queued"]
        print(f"{r['sessions']:>3} | {_fmt(sc['median']):>11} {_fmt(sc['p95']):>5} "
              f"{_fmt(sc['max']):>5} | {_fmt(sf['p95']):>9} | {sc['count']:>7} "
              f"{r['late_presses']:>4} | {r['train_presses']:>6} {r['train_finished']:>4} | "
              f"{_fmt(q['median']):>10} {_fmt(q['max']):>5} | {_fmt(tr['median']):>12} | "
              f"{sq['count']:>12} {_fmt(sq['max']):>10} | {r['server_cpu_per_s']:>10.2f} "
              f"{r['server_main_cpu_per_s']:>5.2f} {r['workers_cpu_per_s']:>7.2f} "
              f"{r['browser_cpu_per_s']:>7.2f} | {r['peak_rss_mb']:>6.0f} | "
              f"{r['load_1min'][0]:>4.1f}–{r['load_1min'][1]:<4.1f} | {len(r['errors'])}")
    for r in results:
        if "step_chart" in r:
            print(f"  N={r['sessions']}: opening both tabs p50 {_fmt(r['open']['median'])} s, "
                  f"max {_fmt(r['open']['max'])} s; trains skipped (the last still waiting) "
                  f"{r['train_skipped']}, still training at the end "
                  f"{r['train_still_training']}, never shown {r['train_lost']}")
        for e in r.get("errors", []):
            print(f"  N={r['sessions']}: {e}")


def print_protocol_lesson(results: list[dict], args) -> None:
    _lesson_intro(args, f"; {args.browsers} student(s) in Chromium at nice "
                        f"{args.browser_nice}, the others protocol clients")
    head = (f"{'N':>3} | {'browser ▶→chart p50':>19} {'p95':>5} {'max':>5} | "
            f"{'protocol ▶→finished p50':>23} {'p95':>5} {'max':>5} | {'presses':>7} "
            f"{'late':>4} | {'runs':>4} {'done':>4} {'queued at end':>13} | "
            f"{'queued p50':>10} {'max':>5} | {'CPU server':>10} {'main':>5} | "
            f"{'runs/s Step':>11} {'Training':>8} {'main ms/run':>11} | "
            f"{'clients':>7} {'browser':>7} | "
            f"{'RSS MB':>6} | {'load':>9} | errors")
    _ruled(head)
    for r in _measured(results):
        sc, pf, q = r["step_chart"], r["protocol_step_finished"], r["train_queued"]
        print(f"{r['sessions']:>3} | {_fmt(sc['median']):>19} {_fmt(sc['p95']):>5} "
              f"{_fmt(sc['max']):>5} | {_fmt(pf['median']):>23} {_fmt(pf['p95']):>5} "
              f"{_fmt(pf['max']):>5} | {sc['count'] + pf['count']:>7} "
              f"{r['late_presses'] + r['protocol_late_presses']:>4} | "
              f"{r['train_presses']:>4} {r['train_finished']:>4} "
              f"{r['train_still_queued']['count']:>13} | {_fmt(q['median']):>10} "
              f"{_fmt(q['max']):>5} | {r['server_cpu_per_s']:>10.2f} "
              f"{r['server_main_cpu_per_s']:>5.2f} | "
              f"{(r['script_runs'] - r['training_runs']) / r['lesson_s']:>11.1f} "
              f"{r['training_runs'] / r['lesson_s']:>8.1f} "
              f"{r['server_main_cpu_ms_per_run']:>11.1f} | {r['protocol_cpu_per_s']:>7.2f} "
              f"{r['browser_cpu_per_s']:>7.2f} | {r['peak_rss_mb']:>6.0f} | "
              f"{r['load_1min'][0]:>4.1f}–{r['load_1min'][1]:<4.1f} | {len(r['errors'])}")
    for r in results:
        for e in r.get("errors", [])[:20]:
            print(f"  N={r['sessions']}: {e}")


def _class_in_child(n: int, args, conn) -> None:
    """One class, in a forked process (its nice 19 stays there): the result sent on conn.
    SIGTERM raises KeyboardInterrupt, so the browser and the server are still stopped."""
    def interrupt(*_) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    try:
        conn.send(asyncio.run(run_class(n, args)))
    except Exception as why:  # noqa: BLE001 - reported as the class's result
        conn.send({"sessions": n, "failed": f"{type(why).__name__}: {why}"[:500],
                   "errors": [str(why)[:500]]})
    finally:
        conn.close()


def one_class(n: int, args) -> dict:
    """Run one class in a child process (each server starts at this script's priority; the
    child lowers its own), within the class's cap."""
    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe(duplex=False)
    child = context.Process(target=_class_in_child, args=(n, args, theirs))
    child.start()
    theirs.close()
    result = {"sessions": n, "failed": "no result within the cap", "errors": ["no result"]}
    try:
        if ours.poll(class_cap_s(args) + SERVER_START_S + 120):
            result = ours.recv()
    except EOFError:
        result = {"sessions": n, "failed": "the class's process ended", "errors": ["ended"]}
    finally:
        child.join(30)
        for stop in (child.terminate, child.kill):
            if child.is_alive():
                stop()
                child.join(60)
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line's settings (`argv`, or sys.argv's), with the class sizes filled in."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("lesson", "burst"), default="lesson",
                        help="lesson: a lesson's pace for --duration-s (default); burst: "
                             "--steps presses --think-ms apart, then one short run")
    parser.add_argument("--sessions", type=int, nargs="+",
                        help="class sizes (default: 10 20 30 for a lesson, 1 5 10 20 burst)")
    parser.add_argument("--duration-s", type=float, default=150.0,
                        help="lesson: how long the lesson lasts once every student is in")
    parser.add_argument("--press-every-s", type=float, default=3.0,
                        help="lesson: seconds between a student's presses of ▶ (±20 %%)")
    parser.add_argument("--train-every-s", type=float, default=60.0,
                        help="lesson: seconds between a student's presses of Train")
    parser.add_argument("--steps", type=int, default=10, help="burst: presses of ▶ per student")
    parser.add_argument("--think-ms", type=int, default=1000, help="burst: between presses")
    parser.add_argument("--n-a", dest="n_a", type=int, default=16)
    parser.add_argument("--T-x", dest="T_x", type=int, default=20)
    parser.add_argument("--train-steps", type=int, default=60, help="burst: the run's steps")
    parser.add_argument("--browser-nice", type=int, default=19,
                        help="the browsers' niceness (default 19, the lowest priority)")
    parser.add_argument("--clients", choices=("browser", "protocol"), default="browser",
                        help="lesson: browser: every student in Chromium (default); protocol: "
                             "--browsers students in Chromium, the others protocol clients "
                             "(Streamlit's websocket protocol, no browser)")
    parser.add_argument("--browsers", type=int, default=1,
                        help="with --clients protocol: students in Chromium (default 1)")
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    args = parser.parse_args(argv)
    if args.sessions is None:
        args.sessions = [10, 20, 30] if args.mode == "lesson" else [1, 5, 10, 20]
    return args


def main() -> None:
    args = parse_args()
    if args.clients == "protocol" and args.mode == "burst":
        sys.exit("--clients protocol is for a lesson (--mode lesson)")
    if not os.access(CHROMIUM, os.X_OK) and (args.clients == "browser" or args.browsers):
        sys.exit(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    show = {"burst": print_table, "lesson": print_lesson}[args.mode]
    if args.mode == "lesson" and args.clients == "protocol":
        show = print_protocol_lesson
    print(f"machine: {cpu_model()}, {os.cpu_count()} cores; load average at the start: "
          + ", ".join(f"{x:.1f}" for x in os.getloadavg()), flush=True)
    results = []
    for n in args.sessions:
        print(f"N = {n} …", flush=True)
        results.append(one_class(n, args))
        show(results[-1:], args)
        sys.stdout.flush()
        if args.json:
            args.json.write_text(json.dumps({"settings": vars(args) | {"json": str(args.json)},
                                             "results": results}, indent=1))
    show(results, args)


if __name__ == "__main__":
    main()
