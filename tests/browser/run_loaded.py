"""Run the browser tests while busy loops keep the machine's cores busy, as on a shared CI machine.

    python tests/browser/run_loaded.py                  # 3 runs, one busy loop per core
    python tests/browser/run_loaded.py --runs 5 --busy 4 -- -k lesson_links
    python tests/browser/run_loaded.py -- tests/browser/test_smoke.py   # that file alone

It starts `--busy` processes (default: one per core) that spin `while True: pass` at normal
priority, then runs `python -m pytest -q tests/browser -p no:randomly [extra pytest args]`
(the test files or ids among the extra arguments in place of tests/browser)
with RNNVIZ_REQUIRE_BROWSER=1 `--runs` times in a row, and prints for each run its result,
its time and the 1-minute load average sampled during it (lowest, mean, highest). The busy
loops are stopped afterwards, whatever happens (Ctrl-C included). Screenshots go to a
temporary folder unless RNNVIZ_SCREENSHOT_DIR is set, so a loaded run leaves docs/ alone.
Exit code: 0 if every run passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUSY_LOOP = "while True: pass"


def start_busy_loops(count: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", BUSY_LOOP], stdin=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)  # no traceback on Ctrl-C
            for _ in range(count)]


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


class LoadSampler(threading.Thread):
    """Samples the 1-minute load average every `every_s` seconds until stopped."""

    def __init__(self, every_s: float = 5.0):
        super().__init__(daemon=True)
        self.every_s, self.samples = every_s, []
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            self.samples.append(os.getloadavg()[0])
            self._done.wait(self.every_s)

    def finish(self) -> str:
        self._done.set()
        self.join()
        s = self.samples or [os.getloadavg()[0]]
        return f"load {min(s):.1f}/{statistics.fmean(s):.1f}/{max(s):.1f} (min/mean/max)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="suite runs in a row (3)")
    parser.add_argument("--busy", type=int, default=os.cpu_count() or 2,
                        help="busy loops to start (default: one per core; 0: no load)")
    parser.add_argument("pytest_args", nargs="*", help="after --: extra arguments for pytest")
    args = parser.parse_args(argv)

    env = {**os.environ, "RNNVIZ_REQUIRE_BROWSER": "1"}
    shots = None
    if "RNNVIZ_SCREENSHOT_DIR" not in env:
        shots = tempfile.TemporaryDirectory(prefix="rnnviz-loaded-shots-")
        env["RNNVIZ_SCREENSHOT_DIR"] = shots.name
    # test files or ids given among the extra arguments narrow the run to them
    paths = [a for a in args.pytest_args if a.startswith("tests")]
    cmd = [sys.executable, "-m", "pytest", "-q", *(paths or ["tests/browser"]), "-p",
           "no:randomly", *(a for a in args.pytest_args if a not in paths)]
    print(f"{args.busy} busy loop(s) on {os.cpu_count()} core(s); {args.runs} run(s) of: "
          + " ".join(cmd[1:]), flush=True)
    results = []
    loops = start_busy_loops(args.busy)
    try:
        time.sleep(0 if not loops else 5)  # let the load average climb before the first run
        for i in range(1, args.runs + 1):
            sampler = LoadSampler()
            sampler.start()
            started = time.monotonic()
            rc = subprocess.call(cmd, cwd=ROOT, env=env)
            took = time.monotonic() - started
            line = (f"run {i}: {'passed' if rc == 0 else f'FAILED (exit {rc})'} in "
                    f"{took:.0f} s, {sampler.finish()}")
            results.append((rc, line))
            print(f"== {line}", flush=True)
    finally:
        stop(loops)
        if shots is not None:
            shots.cleanup()
    print("== summary")
    for _, line in results:
        print(f"   {line}")
    return 0 if results and all(rc == 0 for rc, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
