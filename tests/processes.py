"""What the tests read of processes from Linux's /proc: a process's children, whether it
still runs, its command line. Processes come and go while they are read, so a process (or
a thread of it) that has ended reads as having no children, not running, no command."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def children(pid: int) -> list[int]:
    """The child processes of `pid`, whichever of its threads started them."""
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):  # a thread that has just ended
                found += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text()
                          .split()]
    return found


def stat_fields(pid: int) -> list[str]:
    """/proc/PID/stat's fields after the command's name (state first), [] once gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def running(pid: int) -> bool:
    """Not exited: a zombie, waiting for its parent to collect it, has exited."""
    fields = stat_fields(pid)
    return bool(fields) and fields[0] not in ("Z", "X")


def command(pid: int) -> bytes:
    """The command line, its arguments separated by NUL bytes (b"" once gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def tree(pid: int, depth: int = 0) -> list[str]:
    """A process and its descendants, one a line: pid, state, user and system CPU ticks and
    the start of the command line."""
    fields = stat_fields(pid)
    if not fields:
        return []
    line = command(pid).replace(b"\0", b" ")[:80].decode(errors="replace")
    return [f"{'  ' * depth}{pid} {fields[0]} utime {fields[11]} stime {fields[12]} {line}",
            *(row for child in children(pid) for row in tree(child, depth + 1))]
