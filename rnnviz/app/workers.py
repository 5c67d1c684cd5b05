"""Training in worker processes beside the server: a `Job` trains some Trainers side by side
(one step each in turn) in a process of its own, and the server-wide `POOL` runs at most
`SLOTS` jobs at a time, the others waiting in line.

Why processes and not threads: a training step is many small NumPy calls, each giving up and
taking back the interpreter lock, so in a thread of the server it crawls whenever any
session's script runs (and slows that script); a process has a lock of its own. Why a cap:
one core is left to the interactive pages, so a class training at once cannot starve them.

Why one BLAS thread: the matrices are small, and OpenBLAS's own threads spin against the
server's threads and each other on a machine of few cores, which makes a step several times
slower. `limit_blas_threads` sets the budget in the server and in every worker.

A `Job` is thread-safe and plain Python: the session that started it calls `take()` to
collect what the worker sent (records, training time, at the end the Trainers back), and
`stop()`; a thread of the server reads the worker's pipe meanwhile, so the worker never
waits on a session that is looking elsewhere. Sessions own their jobs (rnnviz.ui.training);
only the pool and its line are shared.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

import numpy as np  # noqa: F401  (loaded before its BLAS is limited)
from threadpoolctl import threadpool_limits

from rnnviz.training.trainer import Record, Trainer

SLOTS_VARIABLE = "RNNVIZ_TRAINING_SLOTS"   # the environment variable that sets SLOTS


def _slots() -> int:
    """Jobs training at once: RNNVIZ_TRAINING_SLOTS if it is a whole number from 1 to 64,
    else one fewer than the cores (at least 1), so one core is left to the pages."""
    chosen = os.environ.get(SLOTS_VARIABLE, "")
    if chosen.isdigit() and 1 <= int(chosen) <= 64:
        return int(chosen)
    if chosen:
        logging.getLogger(__name__).warning(
            "%s=%r is not a whole number from 1 to 64; using the default", SLOTS_VARIABLE,
            chosen)
    return max(1, (os.cpu_count() or 2) - 1)


SLOTS = _slots()
BLAS_THREADS = 1
SEND_EVERY_S = 0.1     # a worker sends what it trained this often
_STOP = "stop"
# A worker is a fresh interpreter (`python -m rnnviz.app.workers FD`): multiprocessing's
# spawn and forkserver would import the running page script in it as its __main__, and a fork
# of the server would copy its threads' locks. Its BLAS budget is set before NumPy loads.
_WORKER_ENV = {name: str(BLAS_THREADS) for name in
               ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])   # where `import rnnviz` works


def limit_blas_threads() -> None:
    """Let NumPy's BLAS use BLAS_THREADS threads in this whole process (rnnviz's matrices are
    small: more threads only contend). Once per process; later calls cost nothing."""
    with _blas_lock:
        if not _blas_limited:
            threadpool_limits(BLAS_THREADS, user_api="blas")
            _blas_limited.append(True)


_blas_lock = threading.Lock()
_blas_limited: list[bool] = []


@dataclass
class Update:
    """What a job sent since the last `take()`.

    Attributes:
        records: [(index of the trainer in the job, Record)] in the order they were trained.
        seconds: time the worker spent training them (all trainers together).
        trainers: the Trainers back from the worker once the job has ended (finished,
            stopped or never started), in the job's order; else None.
        failure: why the worker ended without sending them back, or None.
    """

    records: list[tuple[int, Record]] = field(default_factory=list)
    seconds: float = 0.0
    trainers: list[Trainer] | None = None
    failure: str | None = None


class Job:
    """Trainers trained side by side in one worker process (or waiting for a slot).

    `state` is "queued", "running" or "ended". Create jobs with `Pool.submit`."""

    def __init__(self, trainers: list[Trainer], pool: Pool):
        self._trainers = trainers
        self._pool = pool
        self._lock = threading.Lock()
        self._update = Update()
        self._conn = None
        self._send_lock = threading.Lock()
        self._process = None
        self.state = "queued"
        self.stop_requested = False

    def take(self) -> Update:
        """What arrived since the last call (an empty Update if nothing)."""
        with self._lock:
            update, self._update = self._update, Update()
        return update

    def stop(self) -> None:
        """Stop after the step in progress; the Trainers come back through `take()`."""
        with self._lock:
            if self.stop_requested or self.state == "ended":
                return
            self.stop_requested = True
            queued = self.state == "queued"
        if queued and self._pool.withdraw(self):
            self._end(self._trainers, None)
            return
        self._send_stop()   # (a worker still starting is told in _start)

    def _send_stop(self) -> None:
        with self._send_lock:
            if self._conn is None:
                return
            try:
                self._conn.send(_STOP)
            except (OSError, ValueError):
                pass   # the worker has ended already

    @property
    def worker_alive(self) -> bool:
        """Whether its worker process is still running."""
        return self._process is not None and self._process.poll() is None

    @property
    def place(self) -> int:
        """1 for the next job to start, 2 for the one after, ...; 0 unless queued."""
        return self._pool.place(self)

    def _start(self) -> None:
        """Start the worker (called by the pool when a slot frees), hand it the trainers, and
        start the thread that reads what it sends."""
        ours, theirs = socket.socketpair()
        process = subprocess.Popen(
            [sys.executable, "-m", __name__, str(theirs.fileno())], pass_fds=[theirs.fileno()],
            env={**os.environ, **_WORKER_ENV, "PYTHONPATH": os.pathsep.join(
                filter(None, (_PACKAGE_ROOT, os.environ.get("PYTHONPATH"))))},
            stdin=subprocess.DEVNULL)
        theirs.close()
        conn = Connection(ours.detach())
        with self._lock:
            self._conn, self._process, self.state = conn, process, "running"
        threading.Thread(target=self._read, name="rnnviz-training-reader", daemon=True).start()
        try:
            conn.send(self._trainers)
        except OSError:
            pass   # the worker died at once: the reader says so
        self._trainers = []   # the worker has them now
        if self.stop_requested:   # asked while the worker was starting
            self._send_stop()

    def _read(self) -> None:
        trainers, failure = None, None
        try:
            while True:
                kind, payload, seconds = self._conn.recv()
                if kind == "ended":
                    trainers = payload
                    break
                with self._lock:
                    self._update.records.extend(payload)
                    self._update.seconds += seconds
        except (EOFError, OSError):
            failure = "the training process ended unexpectedly"
        finally:
            with self._send_lock:
                self._conn.close()
            self._process.wait()
            self._pool.release(self)   # before the end is seen: its slot is free by then
            self._end(trainers, failure)

    def _end(self, trainers: list[Trainer] | None, failure: str | None) -> None:
        with self._lock:
            self._update.trainers, self._update.failure = trainers, failure
            self.state = "ended"


def _work(conn: Connection) -> None:
    """In the worker process: take the trainers, train one step of each in turn until all
    are done or a stop arrives, sending the records every SEND_EVERY_S; then send the
    trainers back."""
    trainers: list[Trainer] = conn.recv()
    batch: list[tuple[int, Record]] = []
    started = time.perf_counter()
    stopping = False
    while not stopping and not all(t.done for t in trainers):
        for index, trainer in enumerate(trainers):
            if not trainer.done:
                batch.append((index, trainer.step()))
        stopping = conn.poll()
        now = time.perf_counter()
        if now - started >= SEND_EVERY_S or stopping:
            conn.send(("records", batch, now - started))
            batch, started = [], time.perf_counter()
    if batch:
        conn.send(("records", batch, time.perf_counter() - started))
    conn.send(("ended", trainers, 0.0))
    conn.close()


class Pool:
    """At most `slots` jobs train at once; the others wait in line, first come first
    served. Thread-safe; one per server (`POOL`)."""

    def __init__(self, slots: int = SLOTS):
        self.slots = slots
        self._lock = threading.Lock()
        self._line: deque[Job] = deque()
        self._running: set[Job] = set()

    def submit(self, trainers: list[Trainer]) -> Job:
        """A job training these trainers, started now if a slot is free, else queued."""
        job = Job(list(trainers), self)
        with self._lock:
            self._line.append(job)
        self._start_waiting()
        return job

    def counts(self) -> tuple[int, int]:
        """(jobs training, jobs waiting)."""
        with self._lock:
            return len(self._running), len(self._line)

    def place(self, job: Job) -> int:
        with self._lock:
            return self._line.index(job) + 1 if job in self._line else 0

    def withdraw(self, job: Job) -> bool:
        """Take a queued job out of the line; False if it has started already."""
        with self._lock:
            if job in self._line:
                self._line.remove(job)
                return True
            return False

    def release(self, job: Job) -> None:
        """A job's worker has ended: its slot goes to the next in line."""
        with self._lock:
            self._running.discard(job)
        self._start_waiting()

    def _start_waiting(self) -> None:
        with self._lock:
            starting = []
            while self._line and len(self._running) < self.slots:
                job = self._line.popleft()
                self._running.add(job)
                starting.append(job)
        for job in starting:
            job._start()


POOL = Pool()

if __name__ == "__main__":   # a worker: its end of the socket is the argument
    _work(Connection(int(sys.argv[1])))
