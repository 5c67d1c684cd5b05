"""A browser test run ended by SIGTERM (a CI's time limit, `timeout`) stops its app servers:
they run in sessions of their own, out of reach of a signal to the run's process group."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import processes

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 180  # a cap on each wait below, each of which ends as soon as its condition holds


def _is_app_server(pid: int) -> bool:
    return b"streamlit\0run\0app.py" in processes.command(pid)


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
            servers = [pid for pid in processes.children(run.pid) if _is_app_server(pid)]
            time.sleep(0.1)
        assert servers, "the run started no app server"
        run.send_signal(signal.SIGTERM)
        run.wait(timeout=WAIT_S)
        deadline = time.monotonic() + WAIT_S
        while any(processes.running(pid) for pid in servers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(processes.running(pid) for pid in servers), "the app server outlived the run"
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
        for pid in servers:
            if processes.running(pid):
                os.killpg(pid, signal.SIGKILL)
