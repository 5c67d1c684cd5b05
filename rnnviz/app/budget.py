"""What each of the app's processes may take of the machine: BLAS threads and priority.

Why one BLAS thread: the matrices are small, and OpenBLAS's own threads spin against the
server's threads and each other on a machine of few cores, which makes a step several times
slower. `limit_blas_threads` sets the budget in the server; a training worker has it from its
environment (rnnviz.app.workers), set before NumPy loads.

Why a lower priority for training: where the pages and a training run want the same core, the
pages should win, a student pressing ▶ waiting on nothing. A worker lowers its own priority to
niceness TRAINING_NICE (RNNVIZ_TRAINING_NICE; 0 leaves it as the server's), and, since it runs
in a session of its own, its session's too: where Linux groups processes by session for
scheduling (autogroup, on by default), a niceness only orders the threads of one session,
and the session competes at its own (/proc/self/autogroup). On an idle machine a run trains
as fast as before.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from pathlib import Path

import numpy as np  # noqa: F401  (loaded before its BLAS is limited)
from threadpoolctl import threadpool_limits

BLAS_THREADS = 1
NICE_VARIABLE = "RNNVIZ_TRAINING_NICE"   # the environment variable that sets TRAINING_NICE


def _training_nice() -> int:
    """The workers' niceness: RNNVIZ_TRAINING_NICE when it is a whole number from 0 to 19,
    else 10 (a warning is logged for a value that is not)."""
    value = os.environ.get(NICE_VARIABLE, "").strip()
    if value:
        if value.isdigit() and int(value) <= 19:
            return int(value)
        logging.getLogger(__name__).warning(
            "%s=%r is not a niceness from 0 to 19; training runs at niceness 10",
            NICE_VARIABLE, value)
    return 10


TRAINING_NICE = _training_nice()


def limit_blas_threads() -> None:
    """Let NumPy's BLAS use BLAS_THREADS threads in this whole process (rnnviz's matrices are
    small: more threads only contend). Once per process; later calls cost nothing."""
    with _blas_lock:
        if not _blas_limited:
            threadpool_limits(BLAS_THREADS, user_api="blas")
            _blas_limited.append(True)


_blas_lock = threading.Lock()
_blas_limited: list[bool] = []


def lower_priority(nice: int = TRAINING_NICE) -> None:
    """Lower this process's priority to niceness `nice` (from the server's), and its
    session's where the kernel schedules sessions as groups (/proc/self/autogroup); where
    either cannot be set (another system, or the niceness already lower), it stays."""
    with contextlib.suppress(OSError, AttributeError):
        os.nice(max(0, nice - os.nice(0)))
    lower_session_priority(nice)


def lower_session_priority(nice: int, pid: int | str = "self") -> None:
    """Lower the scheduling group of `pid`'s session to niceness `nice`, where Linux
    schedules sessions as groups (autogroup: /proc/PID/autogroup); a group already at `nice`
    or lower, or no such file, is left as it is."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        group = Path(f"/proc/{pid}/autogroup")
        if int(group.read_text().split()[-1]) < nice:
            group.write_text(str(nice))
