"""The bounded read recognisers decide from: one pipeline, made only on the key page.

What is read is capped whatever the key's size: a string's first 64 KiB, a hash only when it
has at most 64 fields, a sorted set's 100 highest scores and its lowest. The key list never
calls this: recognition costs it nothing.
"""

from __future__ import annotations

import redis

from keyspace.services.patterns.base import Sample

SAMPLE_BYTES = 64 * 1024
SMALL_HASH_FIELDS = 64
ZSET_SAMPLE = 100


def read_sample(client: redis.Redis, detail) -> Sample:
    """`detail`: the key page's KeyDetail (name, type, TTL, length already read)."""
    base = {"key": detail.name, "type_name": detail.type_name, "ttl_ms": detail.ttl_ms,
            "length": detail.length}
    reader = _READERS.get(detail.type_name)
    if reader is None:
        return Sample(**base)
    with client.pipeline(transaction=False) as pipe:
        wanted = reader[0](pipe, detail)
        replies = pipe.execute(raise_on_error=False) if wanted else []
    if any(isinstance(reply, Exception) for reply in replies):
        return Sample(**base)  # refused (NOPERM) or changed type: nothing to recognise
    return Sample(**base, **reader[1](replies))


def _queue_string(pipe, detail) -> bool:
    pipe.getrange(detail.name, 0, SAMPLE_BYTES - 1)
    return True


def _queue_hash(pipe, detail) -> bool:
    if detail.length is None or detail.length > SMALL_HASH_FIELDS:
        return False
    # A hash this small fits in one HSCAN reply whatever its encoding.
    pipe.hscan(detail.name, 0, count=SMALL_HASH_FIELDS)
    return True


def _queue_zset(pipe, detail) -> bool:
    pipe.zrange(detail.name, 0, ZSET_SAMPLE - 1, desc=True, withscores=True)
    pipe.zrange(detail.name, 0, 0, withscores=True)
    return True


def _string(replies) -> dict:
    return {"value": replies[0]}


def _hash(replies) -> dict:
    if not replies:
        return {}
    cursor, fields = replies[0]
    return {"fields": fields} if int(cursor) == 0 else {}


def _zset(replies) -> dict:
    newest, oldest = replies
    return {"newest": tuple((m, float(s)) for m, s in newest),
            "oldest": (oldest[0][0], float(oldest[0][1])) if oldest else None}


_READERS = {"string": (_queue_string, _string), "hash": (_queue_hash, _hash),
            "zset": (_queue_zset, _zset)}
