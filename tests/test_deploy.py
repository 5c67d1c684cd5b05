"""deploy/ without a browser: the nginx configuration serve.py writes (checked by nginx
itself where it is installed), the Dockerfile as far as it can be read without a Docker
engine, and which sessions count as moved from another replica.
tests/browser/test_deploy.py runs the whole thing."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from rnnviz.app.replicas import COOKIE, moved_here, replica_name

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
sys.path.insert(0, str(DEPLOY))
import serve  # noqa: E402

NGINX = os.environ.get("RNNVIZ_NGINX", "/usr/sbin/nginx")


def _config(tmp_path: Path, ports=(9101, 9102, 9103)) -> str:
    return serve.nginx_config(list(ports), "127.0.0.1:9100", tmp_path, as_root=False)


def _block(text: str, opening: str) -> str:
    """The body of the block that opens with `opening` (e.g. "upstream rnnviz_r2")."""
    start = text.index(opening + " {") + len(opening) + 2
    depth, end = 1, start
    while depth:
        depth += {"{": 1, "}": -1}.get(text[end], 0)
        end += 1
    return text[start:end - 1]


def test_every_replica_is_first_in_its_own_upstream_with_the_others_as_backups(tmp_path):
    text = _config(tmp_path)
    for i, port in enumerate((9101, 9102, 9103)):
        servers = re.findall(r"server 127\.0\.0\.1:(\d+) ([^;]*);",
                             _block(text, f"upstream rnnviz_{replica_name(i)}"))
        assert [int(p) for p, opts in servers if "backup" not in opts] == [port]
        assert sorted(int(p) for p, _ in servers) == [9101, 9102, 9103]
        assert all("max_fails=1" in opts for _, opts in servers)  # passive health checks
    anyone = _block(text, "upstream rnnviz_any")
    assert "backup" not in anyone and anyone.count("server ") == 3


def test_the_cookie_names_the_replica_that_routes_and_answers(tmp_path):
    text = _config(tmp_path)
    routes = _block(text, f"map $cookie_{COOKIE} $rnnviz_upstream")
    assert re.findall(r"(r\d) rnnviz_(r\d);", routes) == [("r1", "r1"), ("r2", "r2"),
                                                          ("r3", "r3")]
    assert "default rnnviz_any;" in routes  # no cookie, or a name no replica has
    served = _block(text, "map $upstream_addr $rnnviz_served")
    # the last address nginx tried is the one that answered
    assert re.findall(r'"~127\\\.0\\\.0\\\.1:(\d+)\$" (r\d);', served) == [
        ("9101", "r1"), ("9102", "r2"), ("9103", "r3")]
    stream = _block(text, "location = /_stcore/stream")
    assert f'add_header Set-Cookie "{COOKIE}=$rnnviz_served;' in stream
    assert "proxy_set_header Upgrade $http_upgrade;" in stream
    settings = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    assert not [line for line in settings if re.search(r"@[A-Z_]+@", line)]  # all filled in


def test_websockets_stay_open_through_a_lesson_and_nginx_needs_no_root(tmp_path):
    text = _config(tmp_path)
    assert re.search(r"proxy_read_timeout (1d|\d{5,}s?);", text)
    assert "listen 127.0.0.1:9100;" in text
    assert "user " not in text
    for path in re.findall(r"(?:pid|_temp_path|error_log|access_log) (\S+)", text):
        assert path.startswith(str(tmp_path)), path
    assert "user root;" in serve.nginx_config([9101], "127.0.0.1:9100", tmp_path,
                                              as_root=True)


@pytest.mark.skipif(not os.access(NGINX, os.X_OK), reason=f"no nginx at {NGINX} "
                    "(apt-get install -y nginx)")
def test_nginx_accepts_the_configuration(tmp_path):
    conf = tmp_path / "nginx.conf"
    conf.write_text(serve.nginx_config([9101, 9102], "127.0.0.1:9100", tmp_path,
                                       as_root=os.geteuid() == 0))
    done = subprocess.run([NGINX, "-t", "-p", str(tmp_path), "-c", str(conf), "-e", "stderr"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_serve_wants_one_port_per_replica():
    assert serve.parse_args(["--replicas", "3"]).replica_ports == [8501, 8502, 8503]
    with pytest.raises(SystemExit):
        serve.parse_args(["--replicas", "2", "--replica-ports", "9000"])


def _dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of deploy/Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", (DEPLOY / "Dockerfile").read_text())
    return [tuple(line.split(None, 1)) for line in text.splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def _last(instruction: str) -> str:
    return [args for name, args in _dockerfile() if name == instruction][-1]


def test_the_image_runs_the_tested_script_without_root_on_a_slim_python():
    assert re.fullmatch(r"python:3\.\d+-slim(-\w+)?", _last("FROM"))
    assert _last("ENTRYPOINT") == '["python", "deploy/serve.py"]'
    assert _last("USER") not in ("root", "0")
    assert _last("WORKDIR") == "/app"
    runs = " ".join(args for name, args in _dockerfile() if name == "RUN")
    assert "pip install -r requirements.txt" in runs
    assert "apt-get install -y --no-install-recommends nginx" in runs
    copied = {shlex.split(args)[0] for name, args in _dockerfile() if name == "COPY"}
    # everything the app and the script read is in the image
    assert {"requirements.txt", "app.py", ".streamlit", "pages", "rnnviz", "deploy"} <= copied
    port = re.search(r"--port\D+(\d+)", _last("CMD")).group(1)
    assert _last("EXPOSE") == port


def test_the_image_health_check_asks_nginx_for_the_apps_health():
    check = _last("HEALTHCHECK")
    port = re.search(r"--port\D+(\d+)", _last("CMD")).group(1)
    assert f"http://127.0.0.1:{port}/_stcore/health" in check
    assert "CMD" in check


@pytest.mark.parametrize("cookie, own, moved", [
    ("r1", "r2", True),
    ("r2", "r2", False),
    (None, "r2", False),   # a browser without the cookie yet
    ("r1", None, False),   # a server alone, not a replica
    ("", "r1", False),
])
def test_a_session_has_moved_when_its_cookie_names_another_replica(cookie, own, moved):
    assert moved_here(cookie, own) is moved
