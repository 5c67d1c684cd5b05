"""A class on one server: N students' browsers against one `streamlit run app.py`.

Run:  python benchmarks/bench_load.py [--sessions 1 5 10 20] [--json out.json]

For each N it starts a fresh server (headless, 127.0.0.1, a free port) and one headless
Chromium (the system's /usr/bin/chromium; a browser is never downloaded) with N contexts,
one per student, all at once. Each student, with its own seed so no two share a cache entry:

1. opens the step-through page (LSTM, n_a=16, T_x=20 by default);
2. presses ▶ (one step forward) --steps times, pausing --think-ms (±50 %) between presses
   like a student reading the chart. Latency = from the click to the cell diagram's title
   showing the new t (the Plotly chart redrawn in the DOM); the websocket's script_finished
   message for the rerun is timed too;
3. moves to the training page through the sidebar (same session) and trains a short run
   (both cells, n_a=16, m=16, T_x=20, --train-steps steps): time from Train to the first
   curve drawn, and to the finished run's table.

Errors counted: exception elements on the page, timeouts, and a lost websocket connection.
It prints one row per N (median, 95th percentile and max) and the server's peak RSS
(VmRSS of the server and its children, sampled every 0.2 s). The browser runs on the same
2 cores as the server, so the figures include the cost of rendering N pages: a pessimistic
measure of what the server alone can do.

Every wait has a timeout, every loop a count, and each N a time cap; the script stops the
browser and the server it started, whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import importlib.util
import json
import os
import random
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
from rnnviz.ui.player import FORWARD_KEY  # noqa: E402


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
  const title = document.querySelector('[data-testid="stPlotlyChart"] .gtitle');
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
    """`streamlit run app.py` in its own process group, on 127.0.0.1 and a free port."""

    def __init__(self, extra_args: list[str] | None = None,
                 extra_env: dict[str, str] | None = None, app_root: Path = ROOT) -> None:
        self.port = free_port()
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


class RssSampler:
    """Samples rss_bytes(pid) every `every_s` seconds on a thread: [(seconds, bytes)].

    It also follows the CPU time of this script's other descendants (Playwright's driver
    and Chromium's processes, which come and go with the contexts): `client_cpu_s`.
    """

    def __init__(self, pid: int, every_s: float = 0.2) -> None:
        self.pid, self.every_s, self.samples = pid, every_s, []
        self._client_cpu: dict[int, float] = {}
        self._client_base = {p: cpu_seconds(p) for p in self._client_pids()}
        self._stop = threading.Event()
        self._start = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.monotonic() - self._start, rss_bytes(self.pid)))
            for p in self._client_pids():
                self._client_cpu[p] = cpu_seconds(p)
            self._stop.wait(self.every_s)

    def _client_pids(self) -> list[int]:
        server = {self.pid, *descendants(self.pid)}
        return [p for p in descendants(os.getpid()) if p not in server]

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
        curve = page.locator('[data-testid="stPlotlyChart"] .scatterlayer .trace').first
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


# ----- one class of N -----------------------------------------------------------------------

def _percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (None without values)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]


def summarise(n: int, students: list[Student], peak_rss: int, wall_s: float,
              server_cpu_s: float, browser_cpu_s: float, load: list[float]) -> dict:
    def stats(values: list[float]) -> dict:
        return {"count": len(values),
                "median": statistics.median(values) if values else None,
                "p95": _percentile(values, 95), "max": max(values, default=None)}

    steps = [s for st in students for s in st.step_s]
    return {
        "sessions": n,
        "step_chart": stats(steps),
        "step_script_finished": stats([s for st in students for s in st.step_ws_s]),
        "open": stats([st.open_s for st in students if st.open_s is not None]),
        "train_first_curve": stats([st.train_first_curve_s for st in students
                                    if st.train_first_curve_s is not None]),
        "train_done": stats([st.train_done_s for st in students
                             if st.train_done_s is not None]),
        "errors": [f"session {i}: {e}" for i, st in enumerate(students) for e in st.errors],
        "peak_rss_mb": peak_rss / 1e6,
        "wall_s": wall_s,
        "server_cpu_s": server_cpu_s,
        "browser_cpu_s": browser_cpu_s,
        "load_average_1min": load,
        "students": [asdict(st) for st in students],
    }


async def run_class(n: int, args) -> dict:
    from playwright.async_api import async_playwright

    server = Server()
    sampler = RssSampler(server.proc.pid)
    started, cpu_before = time.monotonic(), cpu_seconds(server.proc.pid)
    load = [os.getloadavg()[0]]
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                               args=CHROMIUM_ARGS)
            try:
                rngs = [random.Random(1000 * n + i) for i in range(n)]
                tasks = [student(browser, server.url, i, args, rngs[i], server.proc.pid)
                         for i in range(n)]
                students = await asyncio.wait_for(asyncio.gather(*tasks), CAP_PER_N_S)
                load.append(os.getloadavg()[0])
            finally:
                await browser.close()
        cpu = cpu_seconds(server.proc.pid) - cpu_before
    finally:
        sampler.stop()
        server.stop()
    browser_cpu = sampler.client_cpu_s
    return summarise(n, students, sampler.peak, time.monotonic() - started, cpu, browser_cpu,
                     load)


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def print_table(results: list[dict], args) -> None:
    print(f"\nStep-through: LSTM n_a={args.n_a}, T_x={args.T_x}, {args.steps} presses of ▶ "
          f"per student, think time {args.think_ms} ms ±50 %; training: both cells, "
          f"n_a={args.n_a}, m=16, T_x={args.T_x}, {args.train_steps} steps. Seconds.")
    head = (f"{'N':>3} | {'▶→chart p50':>11} {'p95':>6} {'max':>6} | {'▶→finished p50':>14} "
            f"{'p95':>6} | {'open p50':>8} {'p95':>6} | {'train 1st curve p50':>19} {'p95':>6} "
            f"| {'train done p50':>14} {'p95':>6} | {'RSS MB':>6} | {'CPU s server':>12} "
            f"{'browser':>7} | {'load':>4} | errors")
    print(head)
    print("-" * len(head))
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 5, 10, 20])
    parser.add_argument("--steps", type=int, default=10, help="presses of ▶ per student")
    parser.add_argument("--think-ms", type=int, default=1000)
    parser.add_argument("--n-a", dest="n_a", type=int, default=16)
    parser.add_argument("--T-x", dest="T_x", type=int, default=20)
    parser.add_argument("--train-steps", type=int, default=60)
    parser.add_argument("--json", type=Path, help="write the results here as JSON")
    args = parser.parse_args()
    if not os.access(CHROMIUM, os.X_OK):
        sys.exit(f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    results = []
    for n in args.sessions:
        print(f"N = {n} …", flush=True)
        results.append(asyncio.run(run_class(n, args)))
        print_table(results[-1:], args)
    print_table(results, args)
    if args.json:
        args.json.write_text(json.dumps({"settings": vars(args) | {"json": str(args.json)},
                                         "results": results}, indent=1))


if __name__ == "__main__":
    main()
