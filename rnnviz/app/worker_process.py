"""A training worker's own side: the process `rnnviz.app.workers.Worker` starts as
`python -m rnnviz.app.worker_process FD`, FD being its end of a socket to the server.

It lowers its priority (rnnviz.app.budget), warms up (the engine imported, its kernel
calibrated, one step of each cell taken), says so, then trains each job the server sends: one
step of each trainer in turn, the records sent every SEND_EVERY_S, until all are done or a
STOP arrives, then the trainers back. Waiting for a job, it sleeps in a blocking read of its
socket, so it costs no CPU; it ends when the server closes its end, or exits.
"""

from __future__ import annotations

import sys
import time
from multiprocessing.connection import Connection

from rnnviz.app.budget import lower_priority
from rnnviz.engine import CELLS, give_back_freed_memory, keep_freed_memory_for_reuse
from rnnviz.training.settings import TrainConfig
from rnnviz.training.trainer import Record, Trainer

SEND_EVERY_S = 0.1     # a worker sends what it trained this often
STOP = "stop"          # what the server sends to stop a job after the step in progress


def _warm_up() -> None:
    """In a new worker: what the first step of a job would otherwise pay (the engine's
    import and kernel calibration happened when this module was imported)."""
    keep_freed_memory_for_reuse()
    for cell in CELLS:
        Trainer(TrainConfig(cell=cell, steps=1)).step()


def serve(conn: Connection) -> None:
    """Lower this process's priority, warm up, say so, then train each job the server sends
    until the server closes its end (or exits)."""
    lower_priority()
    _warm_up()
    try:
        conn.send(("ready", None, 0.0))
        while True:
            message = conn.recv()
            if message != STOP:   # (a stop that came after its job had ended is dropped)
                _work(conn, message)
            del message   # the job's trainers: nothing of a job stays while idle
            give_back_freed_memory()
    except (EOFError, OSError):
        pass   # the server has closed this worker's socket, or has gone


def _work(conn: Connection, trainers: list[Trainer]) -> None:
    """Train one step of each trainer in turn until all are done or a stop arrives, sending
    the records every SEND_EVERY_S; then send the trainers back (without their snapshots:
    the records carried them)."""
    batch: list[tuple[int, Record]] = []
    started = time.perf_counter()
    stopping = False
    while not stopping and not all(t.done for t in trainers):
        for index, trainer in enumerate(trainers):
            if not trainer.done:
                batch.append((index, trainer.step()))
        stopping = conn.poll() and conn.recv() == STOP
        now = time.perf_counter()
        if now - started >= SEND_EVERY_S or stopping:
            conn.send(("records", batch, now - started))
            batch, started = [], time.perf_counter()
    if batch:
        conn.send(("records", batch, time.perf_counter() - started))
    for trainer in trainers:
        trainer.snapshots.clear()
    conn.send(("ended", trainers, 0.0))


if __name__ == "__main__":   # its end of the socket is the argument
    serve(Connection(int(sys.argv[1])))
