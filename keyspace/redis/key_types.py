"""A key's type when TYPE itself is refused (an ACL user without it, a renamed TYPE).

Each of STRLEN, HLEN, LLEN, SCARD, ZCARD and XLEN answers only for its own type (WRONGTYPE
for the others), in constant time: pipelined for a page of keys, the one that answers names
the type. EXISTS tells a missing key (every length is then 0) from an empty answer. A key
no length command answers for (a module type) is "unknown".
"""

from __future__ import annotations

import redis

from keyspace.redis.capabilities import key_refused

PROBES = (("string", "STRLEN"), ("hash", "HLEN"), ("list", "LLEN"), ("set", "SCARD"),
          ("zset", "ZCARD"), ("stream", "XLEN"))
UNKNOWN = "unknown"
REFUSED = "refused"  # the user may not read this key at all


def types_without_type(client: redis.Redis, keys: list[bytes]) -> list[str]:
    """The type of each key ("none" when gone, UNKNOWN, REFUSED) without TYPE."""
    if not keys:
        return []
    per_key = 1 + len(PROBES)
    with client.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.exists(key)
            for _, command in PROBES:
                pipe.execute_command(command, key)
        replies = pipe.execute(raise_on_error=False)
    found = []
    for start in range(0, len(replies), per_key):
        exists, *lengths = replies[start:start + per_key]
        if isinstance(exists, Exception):
            found.append(REFUSED if key_refused(exists) else UNKNOWN)
            continue
        if not exists:
            found.append("none")
            continue
        answered = [name for (name, _), reply in zip(PROBES, lengths, strict=True)
                    if not isinstance(reply, Exception)]
        found.append(answered[0] if len(answered) == 1 else UNKNOWN)
    return found


def type_refused() -> bool:
    """True when this user may not run TYPE (the connection's probe, or a page, found out)."""
    from keyspace.redis.capabilities import capabilities

    try:
        return bool(capabilities().lacks("TYPE"))
    except (redis.RedisError, ValueError):
        return False


def queue_type(pipe, key: bytes) -> None:
    """TYPE in a pipeline that goes on to read the key as one type; EXISTS when TYPE is
    refused (the type-specific reads that follow then answer WRONGTYPE for another type).
    Read the reply with `type_reply`."""
    if type_refused():
        pipe.exists(key)
    else:
        pipe.type(key)


def type_reply(reply, assumed: bytes):
    """What `queue_type` queued, as TYPE would answer: EXISTS' 0 is b"none", 1 `assumed`.
    A TYPE refused by command (learned here, then) is taken as `assumed` too: the reads that
    follow answer WRONGTYPE for another type."""
    from keyspace.redis.capabilities import key_refused, note_refusal, refusal_kind

    if isinstance(reply, Exception) and refusal_kind(reply) and not key_refused(reply):
        note_refusal("TYPE", reply)
        return assumed
    if isinstance(reply, int) and not isinstance(reply, bool):
        return assumed if reply else b"none"
    return reply


def stream_type(client: redis.Redis, key: bytes):
    """TYPE of a key read as a stream; without TYPE, b"stream" when XLEN answers."""
    if not type_refused():
        return client.type(key)
    with client.pipeline(transaction=False) as pipe:
        pipe.exists(key)
        pipe.xlen(key)
        exists, length = pipe.execute(raise_on_error=False)
    if isinstance(exists, Exception):
        raise exists
    if not exists:
        return b"none"
    return b"other" if isinstance(length, Exception) else b"stream"
