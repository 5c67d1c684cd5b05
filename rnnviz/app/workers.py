"""Training in worker processes beside the server: a `Job` trains some Trainers side by side
(one step each in turn) in a process of its own, and the server-wide `POOL` runs at most
`SLOTS` jobs at a time, the others waiting in line.

Why processes and not threads: a training step is many small NumPy calls, each giving up and
taking back the interpreter lock, so in a thread of the server it crawls whenever any
session's script runs (and slows that script); a process has a lock of its own. Why a cap:
one core is left to the interactive pages, so a class training at once cannot starve them.

Why one BLAS thread and a lower priority: see rnnviz.app.budget. A worker has its BLAS budget
from its environment, set before NumPy loads, and lowers its own priority to TRAINING_NICE.

Why warm workers: a new interpreter takes a few tenths of a second to import NumPy and the
engine (which calibrates its kernel at import), a fixed cost that a run of a few seconds
feels. So the pool keeps a worker ready, started in the background by `Pool.warm` (the
Training page calls it when it opens) with the engine imported, its kernel calibrated and
one step of each cell taken; a job takes a ready worker, and the worker goes back to the pool
when the job ends, ready for the next one (at most `slots` wait so). A worker waiting for a
job sleeps in a blocking read of its socket, so it costs no CPU; it ends when the server
closes its end (`Pool.close`), and when the server exits, however it exits, since the kernel
closes the server's end then. A worker that dies is never used again. Each worker runs in a
session of its own, so Ctrl+C in the server's terminal reaches only the server (where Linux
groups processes by session for scheduling, a worker then has a share of its own instead of
a part of the server's). What runs in a worker process is rnnviz.app.worker_process.

A `Job` is thread-safe and plain Python: the session that started it calls `take()` to
collect what the worker sent (records, training time, at the end the Trainers back), and
`stop()`; a thread of the server reads the worker's pipe meanwhile, so the worker never
waits on a session that is looking elsewhere. Sessions own their jobs (rnnviz.ui.training);
only the pool, its line and its idle workers are shared. The records carry every snapshot,
so the Trainers come back without theirs.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from rnnviz.app import worker_process
from rnnviz.app.budget import BLAS_THREADS
from rnnviz.app.worker_process import STOP
from rnnviz.engine import activations
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
# A worker is a fresh interpreter (`python -m rnnviz.app.worker_process FD`): multiprocessing's
# spawn and forkserver would import the running page script in it as its __main__, and a fork
# of the server would copy its threads' locks. Its BLAS budget is set before NumPy loads.
_WORKER_ENV = {name: str(BLAS_THREADS) for name in
               ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])   # where `import rnnviz` works


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


class Worker:
    """A worker process and the server's end of its socket. It warms up on its own (imports
    the engine, calibrates the kernel, takes a step of each cell), says so, then trains one
    job after another until the server closes its end."""

    def __init__(self):
        ours, theirs = socket.socketpair()
        # In a session of its own (see the module's notes): a worker interrupted by Ctrl+C
        # would print its traceback in the server's terminal; it ends when the server's end closes.
        # It computes sigmoid and tanh with this process's kernel, so a run trains to the same bits.
        self.process = subprocess.Popen(
            [sys.executable, "-m", worker_process.__name__, str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            env={**os.environ, **_WORKER_ENV, activations.KERNEL_VARIABLE: activations.KERNEL,
                 "PYTHONPATH": os.pathsep.join(
                     filter(None, (_PACKAGE_ROOT, os.environ.get("PYTHONPATH"))))},
            stdin=subprocess.DEVNULL, start_new_session=True)
        theirs.close()
        self.conn = Connection(ours.detach())
        self._warm = threading.Event()
        threading.Thread(target=self._await_warm, name="rnnviz-worker-warming",
                         daemon=True).start()

    def _await_warm(self) -> None:
        try:
            self.conn.recv()   # its word that it is ready
        except Exception:  # died warming up (the job that takes it fails saying so), or
            pass   # sent what cannot be read: either way no job may wait for it for ever
        self._warm.set()

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_warm(self, timeout: float | None = None) -> bool:
        """Wait until it has warmed up (or died doing so); whether it is warm and alive."""
        return self._warm.wait(timeout) and self.alive

    def close(self) -> None:
        """End it: it reads the end of its socket and exits; reaped in the background."""
        self.conn.close()
        threading.Thread(target=self.process.wait, name="rnnviz-worker-reaper",
                         daemon=True).start()


class Job:
    """Trainers trained side by side in one worker process (or waiting for a slot).

    `state` is "queued", "running" or "ended". Create jobs with `Pool.submit`."""

    def __init__(self, trainers: list[Trainer], pool: Pool):
        self._trainers = trainers
        self._pool = pool
        self._lock = threading.Lock()
        self._update = Update()
        self._send_lock = threading.Lock()
        self._worker: Worker | None = None   # while it has one: set under _send_lock
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
        self._send_stop()   # (a worker not yet handed the trainers is told in _run)

    def _send_stop(self) -> None:
        with self._send_lock:
            if self._worker is None:
                return
            try:
                self._worker.conn.send(STOP)
            except (OSError, ValueError):
                pass   # the worker has ended already

    @property
    def worker_alive(self) -> bool:
        """Whether a live worker process is training it."""
        worker = self._worker
        return worker is not None and worker.alive

    @property
    def place(self) -> int:
        """1 for the next job to start, 2 for the one after, ...; 0 unless queued."""
        return self._pool.place(self)

    def _start(self, worker: Worker) -> None:
        """Train on `worker` (called by the pool when a slot frees): a thread of the server
        hands it the trainers and reads what it sends."""
        with self._lock:
            self.state = "running"
        threading.Thread(target=self._run, args=(worker,), name="rnnviz-training-reader",
                         daemon=True).start()

    def _run(self, worker: Worker) -> None:
        trainers, failure = None, None
        try:
            worker.wait_warm()
            with self._send_lock:
                self._worker = worker
                worker.conn.send(self._trainers)
            self._trainers = []   # the worker has them now
            if self.stop_requested:   # asked before the worker had them
                self._send_stop()
            while True:
                kind, payload, seconds = worker.conn.recv()
                if kind == "ended":
                    trainers = payload
                    break
                with self._lock:
                    self._update.records.extend(payload)
                    self._update.seconds += seconds
        except (EOFError, OSError):
            failure = "the training process ended unexpectedly"
        except Exception as why:  # else the thread ends and its runs stay "training" for ever
            failure = ("the server could not read what the training process sent "
                       f"({type(why).__name__})")
        finally:
            with self._send_lock:   # no stop reaches the worker's next job
                self._worker = None
            self._pool.release(self, worker if failure is None else None)
            if failure is not None:
                worker.close()
            self._end(trainers, failure)   # after the release: its slot is free by then

    def _end(self, trainers: list[Trainer] | None, failure: str | None) -> None:
        with self._lock:
            self._update.trainers, self._update.failure = trainers, failure
            self.state = "ended"


class Pool:
    """At most `slots` jobs train at once; the others wait in line, first come first
    served. Keeps the workers warm between jobs: one is kept ready while a slot is free, and
    at most `slots` wait idle. Thread-safe; one per server (`POOL`)."""

    def __init__(self, slots: int = SLOTS):
        self.slots = slots
        self._lock = threading.Lock()
        self._line: deque[Job] = deque()
        self._running: set[Job] = set()
        self._idle: list[Worker] = []   # warm (or warming up), no job
        self._closed = False

    def warm(self) -> None:
        """Have a worker ready for the next job (started in the background if none is and a
        slot is free)."""
        with self._lock:
            if self._idle or self._closed or len(self._running) >= self.slots:
                return
            try:
                self._idle.append(Worker())
            except OSError as why:   # no process to spare now: Train will start one
                logging.getLogger(__name__).warning("no training worker warmed up: %s", why)

    def idle_workers(self) -> list[Worker]:
        """The workers waiting for a job (or still warming up to wait)."""
        with self._lock:
            return list(self._idle)

    def close(self) -> None:
        """End the idle workers now, and each job's worker when its job ends."""
        with self._lock:
            idle, self._idle, self._closed = self._idle, [], True
        for worker in idle:
            worker.close()

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

    def release(self, job: Job, worker: Worker | None) -> None:
        """A job has ended: its slot goes to the next in line, and its worker (None if it
        died) back to the idle ones, or ends if enough are idle."""
        with self._lock:
            self._running.discard(job)
            kept = (worker is not None and not self._closed
                    and len(self._idle) < self.slots)
            if kept:
                self._idle.append(worker)
        if worker is not None and not kept:
            worker.close()
        self._start_waiting()

    def _start_waiting(self) -> None:
        with self._lock:
            starting = []
            while self._line and len(self._running) < self.slots:
                job = self._line.popleft()
                self._running.add(job)
                starting.append((job, self._take_worker()))
        for job, worker in starting:
            job._start(worker)
        if starting:
            self.warm()   # the next job finds one ready too, while a slot is free

    def _take_worker(self) -> Worker:
        """An idle worker that is still alive (the one warmed longest), else a new one.
        Under the lock."""
        while self._idle:
            worker = self._idle.pop(0)
            if worker.alive:
                return worker
            worker.close()
        return Worker()


POOL = Pool()
