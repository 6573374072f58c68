"""What the server behind a connection can do, asked once and remembered for a minute.

Features that need a newer server than the one shown (hash-field TTLs: Redis 7.4+ and
Valkey 9) ask `has_command` before they are offered, so an older server gets a sentence
saying what it lacks instead of an error. The probe is the command itself with no
arguments: a server that knows it answers "wrong number of arguments" (the arity check
comes before ACLs), one that does not (too old, or the command renamed away) answers
"unknown command". So only commands that need arguments can be probed. (`COMMAND INFO`
would need no such care, but redis-py cannot parse its reply for an unknown command.)

A cache of facts about a server, not state: each process may ask once a minute.
"""

from __future__ import annotations

import threading
import time

import redis

from keyspace.redis.connection import current_target

CACHE_SECONDS = 60.0

_known: dict[tuple[str, str], tuple[float, bool]] = {}
_lock = threading.Lock()


class NotOnThisServer(Exception):
    """The server lacks a command a feature needs; the message says which, for people."""


def has_command(client: redis.Redis, name: str) -> bool:
    """Whether the server behind `client` knows the command `name` (e.g. "HPEXPIRE")."""
    cache_key = (current_target().url, name.lower())
    with _lock:
        cached = _known.get(cache_key)
    if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
        return cached[1]
    try:
        client.execute_command(name)
    except redis.ResponseError as exc:
        found = "unknown command" not in str(exc).lower()
    else:
        found = True
    with _lock:
        _known[cache_key] = (time.monotonic(), found)
    return found


def require_command(client: redis.Redis, name: str, feature: str, since: str) -> None:
    """Raise NotOnThisServer unless the server has `name`."""
    if not has_command(client, name):
        raise NotOnThisServer(f"{feature} are not available on this server (they need {since})")


def forget() -> None:
    """Forget every answer (tests that point the dashboard at another server)."""
    with _lock:
        _known.clear()
