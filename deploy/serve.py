"""One command for a class larger than one server: N replicas of `streamlit run app.py` and
nginx in front of them, on one machine (the Dockerfile's entry point, and what
tests/browser/test_deploy.py runs).

Run, from anywhere:  python deploy/serve.py [--replicas N] [--port 8080] [--address 0.0.0.0]

- The replicas listen on 127.0.0.1 only (--replica-ports, by default 8501, 8502, ...), each
  told its name (r1, r2, ...) in RNNVIZ_REPLICA; all run from the repository's root, so
  all read its .streamlit/config.toml (the theme), and all get the same
  server.cookieSecret: RNNVIZ_COOKIE_SECRET's, or a random one made at start.
- nginx (deploy/nginx.conf.in, filled in) listens on --address:--port, unprivileged: its
  configuration, pid file, temp files and logs (error.log, access.log) are in --run-dir
  (a new temporary directory by default), and it runs in the foreground under this script.
- Ready when every replica answered /_stcore/health and nginx did too: the script then
  writes RUN_DIR/state.json (the URL, each replica's name, port and pid, nginx's pid) and
  prints "serving". A replica that stops is reported and its students go to the others;
  the script ends, stopping everything, on SIGTERM or SIGINT, when nginx stops, or when no
  replica is left.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from rnnviz.app.replicas import COOKIE, REPLICA_VARIABLE, replica_name  # noqa: E402

TEMPLATE = Path(__file__).with_name("nginx.conf.in")
SECRET_VARIABLE = "RNNVIZ_COOKIE_SECRET"
START_TIMEOUT_S = 180.0
FAIL_TIMEOUT = "5s"  # how long nginx skips a replica that refused a connection


def upstream_block(name: str, ports: list[int], first: int | None) -> str:
    """An nginx upstream: the replica at index `first` with the others as its backups, or
    (first None) all of them alike."""
    lines = [f"    upstream {name} {{"]
    for i, port in enumerate(ports):
        backup = " backup" if first is not None and i != first else ""
        lines.append(f"        server 127.0.0.1:{port} max_fails=1 "
                     f"fail_timeout={FAIL_TIMEOUT}{backup};")
    lines.append("    }")
    return "\n".join(lines)


def nginx_config(ports: list[int], listen: str, run_dir: Path, as_root: bool) -> str:
    """deploy/nginx.conf.in for replicas on these ports, nginx on `listen` (address:port),
    its files in run_dir. Run as root, its workers run as root too (they write the temp
    files in run_dir); in the container it runs as a user of its own."""
    names = [replica_name(i) for i in range(len(ports))]
    routes = "\n".join(f"        {n} rnnviz_{n};" for n in names)
    served = "\n".join(f'        "~127\\.0\\.0\\.1:{p}$" {n};'
                       for n, p in zip(names, ports, strict=True))
    upstreams = "\n".join([upstream_block("rnnviz_any", ports, None),
                           *(upstream_block(f"rnnviz_{n}", ports, i)
                             for i, n in enumerate(names))])
    fields = {"@ROUTES@": routes, "@SERVED@": served, "@UPSTREAMS@": upstreams,
              "@LISTEN@": listen, "@RUN_DIR@": str(run_dir), "@COOKIE@": COOKIE,
              "@USER@": "user root;" if as_root else ""}
    text = TEMPLATE.read_text()
    for field, value in fields.items():
        text = text.replace(field, value)
    return text


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
            return resp.status == 200 and resp.read().strip() == b"ok"
    except (urllib.error.URLError, OSError):
        return False


def start_replica(index: int, port: int, secret: str) -> subprocess.Popen:
    """`streamlit run app.py` on 127.0.0.1:port, in a process group of its own (its
    training workers stop with it), named in RNNVIZ_REPLICA."""
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py",
           "--server.headless", "true", "--server.address", "127.0.0.1",
           "--server.port", str(port), "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    env = {**os.environ, REPLICA_VARIABLE: replica_name(index), "PYTHONUNBUFFERED": "1",
           "STREAMLIT_SERVER_COOKIE_SECRET": secret}  # in the environment, not in `ps`
    return subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, env=env,
                            start_new_session=True)


def stop_all(procs: list[subprocess.Popen], wait_s: float = 10.0) -> None:
    """Terminate these process groups together, killing those not ended within wait_s."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        live = [p for p in procs if p.poll() is None]
        for proc in live:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
        deadline = time.monotonic() + wait_s
        for proc in live:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))


def wait_until_healthy(procs: dict[str, subprocess.Popen], urls: dict[str, str]) -> None:
    """Wait until every URL answers /_stcore/health; SystemExit if its process ends first or
    START_TIMEOUT_S passes."""
    deadline = time.monotonic() + START_TIMEOUT_S
    waiting = set(urls)
    while waiting:
        for name in sorted(waiting):
            if procs[name].poll() is not None:
                raise SystemExit(f"serve: {name} exited with code {procs[name].returncode} "
                                 "before it was healthy")
            if healthy(urls[name]):
                waiting.discard(name)
        if waiting and time.monotonic() > deadline:
            raise SystemExit(f"serve: {', '.join(sorted(waiting))} not healthy within "
                             f"{START_TIMEOUT_S:.0f} s")
        time.sleep(0.2)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=len(os.sched_getaffinity(0)),
                        help="how many `streamlit run app.py` (default: one per core this "
                             "process may run on)")
    parser.add_argument("--port", type=int, default=8080, help="nginx's port (default 8080)")
    parser.add_argument("--address", default="0.0.0.0", help="nginx's address")
    parser.add_argument("--replica-ports", type=int, nargs="+",
                        help="the replicas' ports on 127.0.0.1 (default 8501, 8502, ...)")
    parser.add_argument("--run-dir", type=Path, help="nginx's files (default: a temp dir)")
    parser.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx",
                        help="the nginx binary")
    args = parser.parse_args(argv)
    if args.replica_ports is None:
        args.replica_ports = [8501 + i for i in range(args.replicas)]
    if len(args.replica_ports) != args.replicas or args.replicas < 1:
        parser.error("--replica-ports needs one port per replica, and at least one replica")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not os.access(args.nginx, os.X_OK):
        raise SystemExit(f"serve: no nginx at {args.nginx} (apt-get install -y nginx)")
    run_dir = (args.run_dir or Path(tempfile.mkdtemp(prefix="rnnviz-nginx-"))).resolve()
    run_dir.mkdir(parents=True, exist_ok=True)
    secret = os.environ.get(SECRET_VARIABLE) or secrets.token_urlsafe(32)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # so `finally` stops everything
    ports = {replica_name(i): port for i, port in enumerate(args.replica_ports)}
    names = list(ports)
    procs: dict[str, subprocess.Popen] = {}
    try:
        for i, (name, port) in enumerate(ports.items()):
            procs[name] = start_replica(i, port, secret)
        wait_until_healthy(procs, {n: f"http://127.0.0.1:{p}" for n, p in ports.items()})
        conf = run_dir / "nginx.conf"
        conf.write_text(nginx_config(args.replica_ports, f"{args.address}:{args.port}",
                                     run_dir, as_root=os.geteuid() == 0))
        procs["nginx"] = subprocess.Popen([args.nginx, "-p", str(run_dir), "-c", str(conf),
                                           "-e", "stderr"], stdin=subprocess.DEVNULL,
                                          start_new_session=True)
        url = f"http://{'127.0.0.1' if args.address == '0.0.0.0' else args.address}:{args.port}"
        wait_until_healthy(procs, {"nginx": url})
        state = {"url": url, "nginx_pid": procs["nginx"].pid, "replicas": [
            {"name": n, "port": p, "pid": procs[n].pid} for n, p in ports.items()]}
        (run_dir / "state.tmp").write_text(json.dumps(state, indent=1))
        (run_dir / "state.tmp").replace(run_dir / "state.json")  # whole when it appears
        print(f"serve: serving {args.replicas} replicas at {url} (files in {run_dir})",
              flush=True)
        return supervise(procs, names)
    finally:
        stop_all([procs[n] for n in ("nginx", *names) if n in procs])


def supervise(procs: dict[str, subprocess.Popen], names: list[str]) -> int:
    """Watch the processes: report a replica that stopped; end when nginx or every replica
    has."""
    running = set(names)
    while True:
        if procs["nginx"].poll() is not None:
            print(f"serve: nginx exited with code {procs['nginx'].returncode}", flush=True)
            return 1
        for name in sorted(running):
            if procs[name].poll() is not None:
                running.discard(name)
                print(f"serve: replica {name} exited with code {procs[name].returncode}; "
                      f"its students go to the others ({len(running)} left)", flush=True)
        if not running:
            return 1
        time.sleep(0.5)


if __name__ == "__main__":
    sys.exit(main())
