"""A key's expiry as an edit's form carries it: the absolute time in ms ("none" without a
TTL), so that another client's new TTL between the form and its sending is told apart from
the time that passed (keyspace.services.editing.key_operations, the string's Set with expiry).
"""

from __future__ import annotations

from keyspace.redis.cluster import queue_time
from keyspace.services.undo.capture import EXPIRY_SLACK_MS, server_ms

NONE = "none"


def key_expiry(reader, key: bytes) -> str:
    """When `key` expires, read through `reader` (a client, or a watching pipeline; a
    cluster's too: its TIME is read by a script, keyspace.redis.cluster.queue_time): the
    server's time plus PTTL, in ms since 1970, or NONE."""
    pttl = reader.pttl(key)
    return NONE if pttl < 0 else str(server_ms(queue_time(reader)) + pttl)


def same_expiry(now: str, shown: str) -> bool:
    """Whether two readings are the same expiry (within EXPIRY_SLACK_MS: each is TIME plus a
    PTTL read a moment apart), or both none."""
    if NONE in (now, shown):
        return now == shown
    try:
        return abs(int(now) - int(shown)) <= EXPIRY_SLACK_MS
    except ValueError:
        return False
