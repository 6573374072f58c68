"""The bounded read recognisers decide from: one pipeline, made only on the key page.

What is read is capped whatever the key's size: a string of at most 64 KiB (a longer one is
not read), a hash only when it
has at most 64 fields, a sorted set's 100 highest scores and its lowest, a list's first and
last elements. The key list never
calls this: recognition costs it nothing.
"""

from __future__ import annotations

import redis

from keyspace.services.patterns.base import Sample

SAMPLE_BYTES = 64 * 1024
SMALL_HASH_FIELDS = 64
ZSET_SAMPLE = 100


def read_sample(client: redis.Redis, detail) -> Sample:
    """`detail`: the key page's KeyDetail (name, type, TTL, length and the page it read)."""
    base = {"key": detail.name, "type_name": detail.type_name, "ttl_ms": detail.ttl_ms,
            "length": detail.length}
    already = _from_page(detail)
    reader = _READERS.get(detail.type_name)
    if reader is None:
        return Sample(**base, **already)
    with client.pipeline(transaction=False) as pipe:
        wanted = reader[0](pipe, detail, already)
        replies = pipe.execute(raise_on_error=False) if wanted else []
    if any(isinstance(reply, Exception) for reply in replies):
        return Sample(**base)  # refused (NOPERM) or changed type: nothing to recognise
    return Sample(**base, **already, **reader[1](replies, already))


def _from_page(detail) -> dict:
    """What the key page's own read already holds: a whole small hash (its first HSCAN page
    ended the scan), a sorted set's highest scores (its first page, highest first)."""
    request, page = detail.request, detail.page
    if page is None or request is None or request.cursor or request.match:
        return {}
    if detail.type_name == "hash" and page.next_cursor is None:
        return {"fields": {row.field.raw: row.value.raw for row in page.rows}}
    if detail.type_name == "zset" and request.order == "desc" and page.rows:
        return {"newest": tuple((row.member.raw, row.score) for row in page.rows[:ZSET_SAMPLE])}
    return {}


def _queue_string(pipe, detail, already) -> bool:
    # Sessions, locks and cache entries are small; a longer string is none of them (and
    # reading it again would double what its page costs).
    if detail.length is None or detail.length > SAMPLE_BYTES:
        return False
    pipe.getrange(detail.name, 0, SAMPLE_BYTES - 1)
    return True


def _queue_hash(pipe, detail, already) -> bool:
    if "fields" in already or detail.length is None or detail.length > SMALL_HASH_FIELDS:
        return False
    # A hash this small fits in one HSCAN reply whatever its encoding.
    pipe.hscan(detail.name, 0, count=SMALL_HASH_FIELDS)
    return True


def _queue_zset(pipe, detail, already) -> bool:
    if "newest" not in already:
        # ZRANGE … REV (Redis 6.2+), not the deprecated ZREVRANGE; the reply is parsed below.
        pipe.execute_command("ZRANGE", detail.name, 0, ZSET_SAMPLE - 1, "REV", "WITHSCORES")
    pipe.zrange(detail.name, 0, 0, withscores=True)
    return True


def _queue_list(pipe, detail, already) -> bool:
    pipe.lindex(detail.name, 0)
    pipe.lindex(detail.name, -1)
    return True


def _string(replies, already) -> dict:
    return {"value": replies[0]} if replies else {}


def _hash(replies, already) -> dict:
    if not replies:
        return {}
    cursor, fields = replies[0]
    return {"fields": fields} if int(cursor) == 0 else {}


def _zset(replies, already) -> dict:
    *newest, oldest = replies
    found = {"oldest": (oldest[0][0], float(oldest[0][1])) if oldest else None}
    if newest:
        flat = newest[0]
        found["newest"] = tuple((flat[i], float(flat[i + 1])) for i in range(0, len(flat), 2))
    return found


def _list(replies, already) -> dict:
    return {"ends": tuple(r for r in replies if r is not None)}


_READERS = {"string": (_queue_string, _string), "hash": (_queue_hash, _hash),
            "zset": (_queue_zset, _zset), "list": (_queue_list, _list)}
