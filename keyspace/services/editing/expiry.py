"""A key's expiry as an edit's form carries it: the absolute time in ms ("none" without a
TTL), so that another client's new TTL between the form and its sending is told apart from
the time that passed (keyspace.services.editing.key_operations, the string's Set with expiry).

Read on the key's own node in one step: PEXPIRETIME (Redis 7.0+, Valkey), else one script
reading TIME and PTTL together (Redis 6.2: two round trips would count the time between
them, and a cluster's keyless TIME would go to any node, whose clock may differ). A Redis
user allowed neither is told only whether the key expires ("ttl")."""

from __future__ import annotations

import redis

from keyspace.services.undo.capture import EXPIRY_SLACK_MS, absolute_expiry, server_ms

NONE = "none"
EXPIRES = "ttl"  # expires at a time that could not be read
EXPIRY_SCRIPT = "return {redis.call('TIME'), redis.call('PTTL', KEYS[1])}"


def key_expiry(reader, key: bytes) -> str:
    """When `key` expires, read through `reader` (a client, or a watching pipeline): ms since
    1970, NONE, or EXPIRES when the time could not be read."""
    try:
        at = reader.execute_command("PEXPIRETIME", key)
        return NONE if at < 0 else str(at)
    except redis.ResponseError:
        pass  # older than Redis 7.0, or refused: the same from TIME and PTTL
    try:
        now, pttl = reader.execute_command("EVAL", EXPIRY_SCRIPT, 1, key)
    except redis.ResponseError:
        return NONE if reader.pttl(key) < 0 else EXPIRES
    at = absolute_expiry(server_ms(now), pttl)
    return NONE if at is None else str(at)


def same_expiry(now: str, shown: str) -> bool:
    """Whether two readings are the same expiry (within EXPIRY_SLACK_MS: from TIME and PTTL,
    each is a moment's reading), both none, or both an unread time."""
    if not (now.isdigit() and shown.isdigit()):
        return now == shown
    return abs(int(now) - int(shown)) <= EXPIRY_SLACK_MS
