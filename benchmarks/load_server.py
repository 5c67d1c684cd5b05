"""bench_load's server: started fresh for each class, its CPU and RSS read from /proc; the
limits and page selectors every part of the benchmark shares."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from rnnviz.app.budget import lower_session_priority  # noqa: E402
from rnnviz.training.settings import SETTING  # noqa: E402


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

    def main_cpu_s(self) -> float:
        """CPU seconds of the server process alone (not its training workers)."""
        return process_cpu_s(self.proc.pid) or 0.0


class Replicas(Server):
    """deploy/serve.py: `replicas` servers behind nginx, on free ports; the URL is nginx's.
    Its descendants (the replicas, their training workers, nginx) are what the figures
    count; the script itself only waits."""

    def __init__(self, replicas: int) -> None:
        port, *ports = (free_port() for _ in range(replicas + 1))
        self.log = tempfile.NamedTemporaryFile(prefix="rnnviz-bench-", suffix=".log",
                                               delete=False)
        self.run_dir = run_dir = Path(tempfile.mkdtemp(prefix="rnnviz-bench-nginx-"))
        self.proc = subprocess.Popen(
            [sys.executable, "deploy/serve.py", "--replicas", str(replicas), "--address",
             "127.0.0.1", "--port", str(port), "--replica-ports", *map(str, ports),
             "--run-dir", str(run_dir)],
            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + replicas * SERVER_START_S
        while not (run_dir / "state.json").exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"deploy/serve.py did not start; its output:\n"
                                   f"{self.output()}")
            time.sleep(0.2)
        state = json.loads((run_dir / "state.json").read_text())
        self.url, self.port = state["url"], port
        self.main_pids = [r["pid"] for r in state["replicas"]] + [state["nginx_pid"]]

    def main_cpu_s(self) -> float:
        """CPU seconds of the replicas' server processes and nginx's (not the workers)."""
        return sum(process_cpu_s(p) or 0.0 for p in self.main_pids)

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self.run_dir, ignore_errors=True)


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


def renice(pid: int, nice: int) -> None:
    """Every thread of `pid` at niceness `nice` (Linux keeps a niceness per thread), and its
    session's scheduling group too: where Linux schedules sessions as groups (autogroup, on
    by default), a niceness only orders the threads of one session, and Chromium, which
    Playwright starts in a session of its own, would otherwise compete with the server at the
    group's niceness, 0 (measured: two busy loops in sessions of their own on one core, one
    of them at nice 19, took 166 and 166 ticks; with its group at 19 too, 321 and 10)."""
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                if os.getpriority(os.PRIO_PROCESS, int(task)) != nice:
                    os.setpriority(os.PRIO_PROCESS, int(task), nice)
    lower_session_priority(nice, pid)


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
                    renice(p, self.renice)
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


def class_cap_s(args) -> float:
    """The longest one class may take, the opening and the lesson included."""
    if args.mode == "burst":
        return CAP_PER_N_S
    return 2 * OPEN_TIMEOUT_MS / 1000 + args.duration_s + 2 * STEP_TIMEOUT_MS / 1000
