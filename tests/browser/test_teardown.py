"""A browser test run ended by SIGTERM (a CI's time limit, `timeout`) stops its app servers:
they run in sessions of their own, out of reach of a signal to the run's process group."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 180  # a cap on each wait below, each of which ends as soon as its condition holds


def _children(pid: int) -> list[int]:
    children = []
    for task in os.listdir(f"/proc/{pid}/task"):
        children += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    return children


def _is_app_server(pid: int) -> bool:
    try:
        return b"streamlit\0run\0app.py" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for its parent to collect it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_run_ended_by_sigterm_stops_its_app_server(chromium_executable):
    # the signal comes as soon as the run's server has started, while the run waits for it
    servers: list[int] = []
    run = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
         "tests/browser/test_smoke.py::test_health_endpoint"],
        cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + WAIT_S
        while not servers and time.monotonic() < deadline and run.poll() is None:
            servers = [pid for pid in _children(run.pid) if _is_app_server(pid)]
            time.sleep(0.1)
        assert servers, "the run started no app server"
        run.send_signal(signal.SIGTERM)
        run.wait(timeout=WAIT_S)
        deadline = time.monotonic() + WAIT_S
        while any(_alive(pid) for pid in servers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in servers), "the app server outlived the run"
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
        for pid in servers:
            if _alive(pid):
                os.killpg(pid, signal.SIGKILL)
