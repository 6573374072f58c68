"""Key counts (DBSIZE) this process read moments ago, per connection pool (one server and
db: a standalone db, or one primary of a cluster).

A key-list page that continues a scan shows the count a page before it read, when that is
under REUSE_SECONDS old, instead of asking again: the count only labels the scan's progress,
and the page is then one SCAN call (on a cluster, no DBSIZE to every primary). A first page
always asks. The pools are held weakly: a pool let go of takes its count with it.
"""

from __future__ import annotations

import threading
import time
import weakref

import redis

REUSE_SECONDS = 5.0

_counts: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def remember(client: redis.Redis, count: int) -> None:
    with _lock:
        _counts[client.connection_pool] = (time.monotonic(), count)


def recent(client: redis.Redis) -> int | None:
    """The count `remember` kept for this client's pool, if under REUSE_SECONDS old."""
    with _lock:
        kept = _counts.get(client.connection_pool)
    if kept is None or time.monotonic() - kept[0] >= REUSE_SECONDS:
        return None
    return kept[1]
