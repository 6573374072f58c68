"""Key counts (DBSIZE) and server ids (the run id's first characters) this process read
moments ago, per connection pool (one server and db: a standalone db, or one primary of a
cluster).

A key-list page that continues a scan shows the count a page before it read, when that is
under REUSE_SECONDS old, instead of asking again: the count only labels the scan's progress,
and the page is then one SCAN call (on a cluster, no DBSIZE to every primary). A first page
always asks for the count. A scan's first page takes the server id read under REUSE_SECONDS
ago, if any, rather than asking INFO server again (its cost is about that of the whole page
on a small database); the page that ends the scan always asks. The pools are held weakly: a
pool let go of takes its facts with it.
"""

from __future__ import annotations

import threading
import time
import weakref

import redis

REUSE_SECONDS = 5.0

_counts: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_servers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def remember(client: redis.Redis, count: int) -> None:
    _keep(_counts, client, count)


def recent(client: redis.Redis) -> int | None:
    """The count `remember` kept for this client's pool, if under REUSE_SECONDS old."""
    return _recent(_counts, client)


def remember_server(client: redis.Redis, server: str) -> None:
    _keep(_servers, client, server)


def recent_server(client: redis.Redis) -> str | None:
    """The server id `remember_server` kept for this client's pool, if under REUSE_SECONDS
    old."""
    return _recent(_servers, client)


def _keep(facts: weakref.WeakKeyDictionary, client: redis.Redis, value) -> None:
    with _lock:
        facts[client.connection_pool] = (time.monotonic(), value)


def _recent(facts: weakref.WeakKeyDictionary, client: redis.Redis):
    with _lock:
        kept = facts.get(client.connection_pool)
    if kept is None or time.monotonic() - kept[0] >= REUSE_SECONDS:
        return None
    return kept[1]
