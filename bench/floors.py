"""The floor: the least Redis work that yields the dashboard's first keyspace page.

One SCAN (with DBSIZE in the same round trip, for the "N keys" line), one pipeline of
TYPE/PTTL/MEMORY USAGE, then one pipeline of each key's length command: the length command
depends on the type, so without a server-side script it needs the types first. Both the raw
floor (in the benchmark process) and the Django floor view call this same function, so
they do exactly the same Redis work.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

import redis

LENGTH_COMMANDS = {
    b"string": "STRLEN",
    b"hash": "HLEN",
    b"list": "LLEN",
    b"set": "SCARD",
    b"zset": "ZCARD",
    b"stream": "XLEN",
}


@dataclass(frozen=True)
class FloorRow:
    name: bytes
    type_name: bytes
    ttl_ms: int
    memory: int | None
    length: int | None

    @property
    def text(self) -> str:
        return self.name.decode("utf-8", "replace")

    @property
    def type_text(self) -> str:
        return self.type_name.decode("ascii", "replace")

    @property
    def token(self) -> str:
        return base64.urlsafe_b64encode(self.name).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class FloorPage:
    total_keys: int
    next_cursor: int
    rows: list[FloorRow]


def first_page(client: redis.Redis, count: int = 100) -> FloorPage:
    with client.pipeline(transaction=False) as pipe:
        pipe.scan(0, count=count)
        pipe.dbsize()
        (cursor, keys), total = pipe.execute()
    with client.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.type(key)
            pipe.pttl(key)
            pipe.memory_usage(key)
        meta = pipe.execute(raise_on_error=False)
    types = meta[0::3]
    with client.pipeline(transaction=False) as pipe:
        for key, type_name in zip(keys, types, strict=True):
            pipe.execute_command(LENGTH_COMMANDS.get(type_name, "EXISTS"), key)
        lengths = pipe.execute(raise_on_error=False)
    rows = [
        FloorRow(key, type_name, ttl, _ok(memory), _ok(length))
        for key, type_name, ttl, memory, length in zip(
            keys, types, meta[1::3], meta[2::3], lengths, strict=True
        )
    ]
    return FloorPage(total, cursor, rows)


def _ok(reply):
    return None if isinstance(reply, Exception) else reply
