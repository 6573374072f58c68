"""The read-only floor of a 1,000-row value page: what a minimal Django view (the kind a
read-only browser such as django-redisboard has) does to show the same rows as the
dashboard's page: the same one read command, each value decoded, a plain template."""

from __future__ import annotations

import redis

# The dashboard's first page of each type at 1,000 rows, as one command with its reply
# turned into rows of text cells.
READS = {
    b"hash": lambda c, key, n: list(c.hscan(key, 0, count=n)[1].items()),
    b"zset": lambda c, key, n: c.zrevrange(key, 0, n - 1, withscores=True),
    b"list": lambda c, key, n: list(enumerate(c.lrange(key, 0, n - 1))),
    b"set": lambda c, key, n: [(member,) for member in c.sscan(key, 0, count=n)[1]],
}


def rows_of(client: redis.Redis, key: bytes, count: int) -> list[tuple[str, ...]]:
    """Each row's cells as text (`str` of numbers, UTF-8 with replacement of bytes)."""
    read = READS[client.type(key)]
    return [tuple(_text(cell) for cell in row) for row in read(client, key, count)]


def _text(cell) -> str:
    return cell.decode("utf-8", "replace") if isinstance(cell, bytes) else str(cell)
