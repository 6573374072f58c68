"""Writing keys out: SCAN paced as every scan is, each matched key read a bounded chunk at a
time (HSCAN, SSCAN, ZSCAN, LRANGE, XRANGE, GETRANGE with COUNT or ranges), never whole.

Replies are read raw (no redis-py reply parsing): a stream entry may repeat a field name,
and a score is kept as the text Redis sends, exact for every double.

In a Redis Cluster each primary is scanned in turn and its keys read from it, through its
plain client (keyspace.redis.per_primary): a key's reads go to the node that holds it."""

from __future__ import annotations

import time
from collections.abc import Iterator

import redis

from keyspace.conf import app_settings
from keyspace.redis import per_primary
from keyspace.redis.capabilities import limited_keys, refusal_kind
from keyspace.redis.cluster import is_cluster_client, queue_time
from keyspace.redis.pacing import Pacer
from keyspace.redis.scanning import readable_keys
from keyspace.redis.typed_scan import filters_here
from keyspace.services.bulk.selection import Selection
from keyspace.services.transfer.formats import DUMP, b64, line
from keyspace.services.undo.capture import server_ms
from keyspace.units import registry

CHUNK = 1000  # elements per line
STRING_CHUNK = 512 * 1024  # bytes per line


def raw_client(client: redis.Redis) -> redis.Redis:
    """A client on the same connections whose replies are left as Redis sent them."""
    raw = redis.Redis(connection_pool=client.connection_pool)
    raw.response_callbacks = {}
    return raw


def export_lines(client: redis.Redis, selection: Selection, encoding: str) -> Iterator[bytes]:
    """Every key `selection` matches, as lines (see `formats`), one SCAN step at a time. When
    the user's ACL key patterns leave some keys out (SCAN names them all the same), each
    step's names are checked first, as the key list checks them; that is asked now, in the
    request, not once the download has started."""
    return _lines(client, selection, encoding, limited_keys())


def _lines(client: redis.Redis, selection: Selection, encoding: str,
           readable_only: bool) -> Iterator[bytes]:
    if not is_cluster_client(client):
        yield from _node_lines(client, selection, encoding, readable_only)
        return
    if selection.mode == "exact":
        nodes = [per_primary.Node("", per_primary.owner(client, selection.text))]
    else:
        nodes = per_primary.nodes(client)
    for node in nodes:
        with per_primary.watching(client, node):
            yield from _node_lines(node.client, selection, encoding, readable_only)


def _node_lines(client: redis.Redis, selection: Selection, encoding: str,
                readable_only: bool) -> Iterator[bytes]:
    client = raw_client(client)
    pacer, cursor = Pacer(100), 0
    # Without SCAN's TYPE option every name comes back: key_lines checks each key's type.
    typed = bool(selection.type_name) and not filters_here()
    while True:
        if selection.mode == "exact":
            cursor, keys = 0, [selection.text]
        else:
            cursor, keys = pacer.call(
                lambda count, at=cursor: _scan(client, at, selection, count, typed=typed))
        keys = [key for key in keys if selection.matches(key)]
        for key in readable_keys(client, keys) if readable_only else keys:
            yield from key_lines(client, key, encoding, selection.type_name)
        if cursor == 0:
            return


def _scan(client, cursor: int, selection: Selection, count: int, *,
          typed: bool) -> tuple[int, list[bytes]]:
    args = ["SCAN", cursor, "MATCH", selection.pattern, "COUNT", count]
    if typed:
        args += ["TYPE", selection.type_name]
    cursor, keys = client.execute_command(*args)
    return int(cursor), keys


def key_lines(client, key: bytes, encoding: str, type_name: str = "") -> Iterator[bytes]:
    with client.pipeline(transaction=False) as pipe:
        pipe.type(key)
        pipe.pttl(key)
        queue_time(pipe)
        kind, pttl, now = pipe.execute(raise_on_error=False)
    for reply in (kind, pttl):
        if isinstance(reply, Exception):
            raise reply
    kind = kind.decode("ascii", "replace")
    if kind == "none" or (type_name and kind != type_name):
        return
    start = {"k": b64(key), "t": kind, "new": True,
             "x": _now_ms(now) + pttl if pttl >= 0 else None}
    reader = READERS.get(kind)
    if encoding == DUMP or reader is None:
        yield _dump_line(client, key, kind, start)
        return
    first = True
    for chunk in reader(client, key, _first_count(client, key, kind)):
        yield line((start if first else {"k": start["k"], "t": kind}) | {"v": chunk})
        first = False
    if first:  # gone between TYPE and its first read
        return


def _first_count(client, key: bytes, kind: str) -> int:
    """How many elements the first read of a collection asks for: CHUNK, fewer where its
    elements are large (by `MEMORY USAGE key SAMPLES 5` over its length), so a line stays
    about STRING_CHUNK however large each element is. Reads after it adapt to the size of
    the one before (see `_next_count`)."""
    command = registry.unit_for(kind).length_command
    if kind == "string" or command is None:
        return CHUNK
    with client.pipeline(transaction=False) as pipe:
        pipe.execute_command("MEMORY", "USAGE", key, "SAMPLES", 5)
        pipe.execute_command(command, key)
        usage, length = pipe.execute(raise_on_error=False)
    if not (isinstance(usage, int) and isinstance(length, int)) or usage <= STRING_CHUNK:
        return CHUNK
    return max(1, min(CHUNK, int(STRING_CHUNK * max(length, 1) // usage)))


def _next_count(count: int, items: list, size: int) -> int:
    """The next read's count: as many elements as would have filled STRING_CHUNK at the
    size the last read's took, at most CHUNK."""
    if not items or not size:
        return count
    return max(1, min(CHUNK, int(len(items) * STRING_CHUNK // size)))


def _size(items) -> int:
    if isinstance(items, bytes):
        return len(items)
    if isinstance(items, list):
        return sum(_size(item) for item in items)
    return 0


def _now_ms(reply) -> int:
    """Redis's clock from a TIME reply; the dashboard's own where the user may not run TIME
    (a read-only ACL user: TIME is not a read command), so an expiry is off by no more than
    the two clocks differ."""
    if isinstance(reply, Exception):
        if refusal_kind(reply) is None:
            raise reply
        return int(time.time() * 1000)
    return server_ms(reply)


def _dump_line(client, key: bytes, kind: str, start: dict) -> bytes:
    too_big = _too_big_to_dump(client, key, kind)
    if too_big:
        return line({"k": start["k"], "skipped": too_big})
    payload = client.execute_command("DUMP", key)
    if payload is None:
        return b""
    return line(start | {"dump": b64(payload)})


def _too_big_to_dump(client, key: bytes, kind: str) -> str:
    """DUMP reads a key whole inside Redis: the size limits Copy uses apply."""
    if kind == "string":
        size = client.execute_command("STRLEN", key)
        limit, unit = app_settings.COPY_MAX_BYTES, "bytes"
    else:
        command = registry.unit_for(kind).length_command
        if command is None:
            size = client.execute_command("MEMORY", "USAGE", key) or 0
            limit, unit = app_settings.COPY_MAX_BYTES, "bytes"
        else:
            size = client.execute_command(command, key)
            limit, unit = app_settings.COPY_MAX_ELEMENTS, "elements"
    return f"too large to DUMP ({size:,} {unit})" if size > limit else ""


def _string(client, key, count=CHUNK):
    size = client.execute_command("STRLEN", key)
    for offset in range(0, max(size, 1), STRING_CHUNK):
        yield b64(client.execute_command("GETRANGE", key, offset, offset + STRING_CHUNK - 1))


def _scanned(command: str, shape, per_element: int = 1):
    """HSCAN, SSCAN or ZSCAN through the whole key, up to CHUNK at a time (fewer where
    elements are large), each reply shaped."""
    def read(client, key, count=CHUNK):
        cursor = 0
        while True:
            cursor, items = client.execute_command(command, key, cursor, "COUNT", count)
            cursor = int(cursor)
            if items:
                yield shape(items)
                count = _next_count(count, items[::per_element], _size(items))
            if cursor == 0:
                return
    return read


def _pairs(items: list[bytes]) -> list[list[str]]:
    return [[b64(items[i]), b64(items[i + 1])] for i in range(0, len(items), 2)]


def _scored(items: list[bytes]) -> list[list[str]]:
    return [[b64(items[i]), items[i + 1].decode("ascii")] for i in range(0, len(items), 2)]


def _list(client, key, count=CHUNK):
    start = 0
    while items := client.execute_command("LRANGE", key, start, start + count - 1):
        yield [b64(item) for item in items]
        start += len(items)
        count = _next_count(count, items, _size(items))


def _stream(client, key, count=CHUNK):
    after = b"-"
    while entries := client.execute_command("XRANGE", key, after, "+", "COUNT", count):
        yield [[entry_id.decode("ascii"), _pairs(fields)] for entry_id, fields in entries]
        after = b"(" + entries[-1][0]
        count = _next_count(count, entries, _size(entries))


READERS = {"string": _string, "hash": _scanned("HSCAN", _pairs, 2),
           "set": _scanned("SSCAN", lambda items: [b64(m) for m in items]),
           "zset": _scanned("ZSCAN", _scored, 2), "list": _list, "stream": _stream}
