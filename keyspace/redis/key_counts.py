"""Key counts (DBSIZE) and server ids (the run id's first characters) this process read
moments ago, per connection pool (one server and db: a standalone db, or one primary of a
cluster).

A key-list page that continues a scan shows the count a page before it read, when that is
under REUSE_SECONDS old, instead of asking again: the count only labels the scan's progress,
and the page is then one SCAN call (on a cluster, no DBSIZE to every primary). A first page
always asks for the count. A scan's first page takes the server id read under REUSE_SECONDS
ago, if any, rather than asking INFO server again (its cost is about that of the whole page
on a small database); the page that ends the scan always asks. The facts are kept on the
pool itself: a pool let go of takes its facts with it, and reading them takes no lock (a
followed page reads one per primary).
"""

from __future__ import annotations

import time

import redis

REUSE_SECONDS = 5.0

# Attributes of a redis-py connection pool this module keeps its facts in: (when, value).
_COUNT = "_keyspace_recent_count"
_SERVER = "_keyspace_recent_server"


def remember(client: redis.Redis, count: int) -> None:
    _keep(_COUNT, client, count)


def recent(client: redis.Redis) -> int | None:
    """The count `remember` kept for this client's pool, if under REUSE_SECONDS old."""
    return _recent(_COUNT, client)


def remember_server(client: redis.Redis, server: str) -> None:
    _keep(_SERVER, client, server)


def recent_server(client: redis.Redis) -> str | None:
    """The server id `remember_server` kept for this client's pool, if under REUSE_SECONDS
    old."""
    return _recent(_SERVER, client)


def _keep(fact: str, client: redis.Redis, value) -> None:
    # One attribute, set in one step: a reader sees the old pair or the new, never half.
    setattr(client.connection_pool, fact, (time.monotonic(), value))


def _recent(fact: str, client: redis.Redis):
    kept = getattr(client.connection_pool, fact, None)
    if kept is None or time.monotonic() - kept[0] >= REUSE_SECONDS:
        return None
    return kept[1]
