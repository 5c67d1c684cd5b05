"""Replicas behind a balancer (deploy/serve.py and deploy/nginx.conf.in): how a session
learns that its student came from another replica, whose sessions and runs it cannot have.

nginx names, in a cookie, the replica that answered a browser's websocket; each replica
knows its own name from an environment variable that deploy/serve.py sets. A websocket that
arrives with another replica's name is a student moved here because that replica stopped.
"""

from __future__ import annotations

REPLICA_VARIABLE = "RNNVIZ_REPLICA"  # this replica's name, e.g. "r1"; unset: no balancer
COOKIE = "rnnviz_replica"            # the replica that holds the browser's session
MOVED_NOTICE = ("The server you were on stopped; you are now on another. Your settings came "
                "back from the link; training runs on the old server are lost.")


def replica_name(index: int) -> str:
    """The name of the replica at `index` (from 0), as the cookie and the variable hold it."""
    return f"r{index + 1}"


def moved_here(cookie: str | None, own: str | None) -> bool:
    """Whether a session whose websocket brought `cookie` came from another replica than
    `own` (None: this server runs alone, or the browser had no cookie yet)."""
    return bool(own) and bool(cookie) and cookie != own
