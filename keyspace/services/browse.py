"""Type-agnostic key services: metadata for a page of keys, and everything about one key."""

from __future__ import annotations

from dataclasses import dataclass

import redis

from keyspace.exceptions import KeyNotFound
from keyspace.redis.keynames import parse_escaped
from keyspace.units import PageRequest, TypeUnit, ValuePage, registry


@dataclass(frozen=True)
class KeyRow:
    name: bytes
    type_name: str
    ttl_ms: int | None
    memory: int | None
    length: int | None
    length_label: str


def _ok(reply):
    return None if isinstance(reply, Exception) else reply


def _type_text(reply) -> str:
    return reply.decode("ascii", "replace") if isinstance(reply, bytes) else str(reply)


def keys_metadata(
    client: redis.Redis,
    keys: list[bytes],
    type_name: str | None = None,
    *,
    memory: bool = True,
    length: bool = True,
) -> list[KeyRow]:
    """TYPE, PTTL, MEMORY USAGE and length for a page of keys: two pipelines (the second, for
    memory and length, once the types are known), or one when the type is known.
    `memory`/`length` False skip those commands (hidden columns on a busy server); their
    values are then None, as is the memory of types whose MEMORY USAGE walks the whole value
    (`memory_usage_walks_value`). Keys that vanished meanwhile are left out; a refused command
    (NOPERM on MEMORY, say) leaves its column empty."""
    if not keys:
        return []
    if type_name:
        types = [type_name] * len(keys)
        ttls, memories, lengths = _metadata(client, keys, types, ttl=True, memory=memory,
                                            length=length)
    else:
        with client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.type(key)
                pipe.pttl(key)
            replies = pipe.execute(raise_on_error=False)
        types = [_type_text(_ok(reply) or b"none") for reply in replies[::2]]
        ttls = [_ok(reply) for reply in replies[1::2]]
        _, memories, lengths = _metadata(client, keys, types, ttl=False, memory=memory,
                                         length=length)
    rows = []
    columns = zip(keys, types, ttls, memories, lengths, strict=True)
    for key, type_text, ttl_ms, used, size in columns:
        if type_text == "none" or ttl_ms == -2:
            continue
        row_unit = registry.unit_for(type_text)
        rows.append(
            KeyRow(
                name=key,
                type_name=type_text,
                ttl_ms=ttl_ms,
                memory=used,
                length=row_unit.parse_length(_ok(size)) if length else None,
                length_label=row_unit.length_label,
            )
        )
    return rows


def _metadata(client, keys: list[bytes], types: list[str], *, ttl: bool, memory: bool,
              length: bool) -> tuple[list, list, list]:
    """One pipeline of PTTL (if `ttl`), MEMORY USAGE and the length command of each key
    whose type is known: (ttls, memories, lengths), None where not asked or not known."""
    units = [registry.unit_for(t) if t != "none" else None for t in types]
    if not (ttl or memory or length):
        return [None] * len(keys), [None] * len(keys), [None] * len(keys)
    asked = []
    with client.pipeline(transaction=False) as pipe:
        for key, unit in zip(keys, units, strict=True):
            wants = (ttl, memory and unit is not None and not unit.memory_usage_walks_value,
                     length and unit is not None)
            if wants[0]:
                pipe.pttl(key)
            if wants[1]:
                pipe.memory_usage(key)
            if wants[2]:
                unit.queue_length(pipe, key)
            asked.append(wants)
        replies = iter(pipe.execute(raise_on_error=False))
    columns: tuple[list, list, list] = ([], [], [])
    for wants in asked:
        for column, wanted in zip(columns, wants, strict=True):
            column.append(next(replies) if wanted else None)
    ttls = [_ok(reply) for reply in columns[0]]
    memories = [_ok(reply) for reply in columns[1]]
    return ttls, memories, columns[2]


# How the loaded rows can be sorted: the value sorted on (None: no value, always last), and
# the direction a first click asks for (outliers first: biggest, longest; soonest to expire).
SORTS = {
    "name": (lambda row: row.name, "asc"),
    "ttl": (lambda row: row.ttl_ms if row.ttl_ms is not None and row.ttl_ms >= 0 else None, "asc"),
    "memory": (lambda row: row.memory, "desc"),
    "length": (lambda row: row.length, "desc"),
}


def sort_rows(rows: list[KeyRow], sort: str) -> list[KeyRow]:
    """`rows` ordered by `sort` ("memory", or "-memory" for descending); rows without the
    value (no TTL, a refused MEMORY USAGE) come last either way. An unknown sort keeps SCAN's
    order."""
    column = sort.removeprefix("-")
    if column not in SORTS:
        return rows
    value = SORTS[column][0]
    present = [row for row in rows if value(row) is not None]
    missing = [row for row in rows if value(row) is None]
    return sorted(present, key=value, reverse=sort.startswith("-")) + missing


@dataclass(frozen=True)
class KeyDetail:
    name: bytes
    type_name: str
    unit: TypeUnit
    ttl_ms: int | None
    encoding: str | None
    memory: int | None
    length: int | None
    request: PageRequest | None = None
    page: ValuePage | None = None


MAX_TYPE_CHANGES = 3


def key_detail(client: redis.Redis, key: bytes, request: PageRequest | None = None) -> KeyDetail:
    """Metadata and (unless `request` is None) the requested page of one key, in two round
    trips.

    The type is read first to pick the unit, then checked again inside the pipeline: if the
    key changed type in between, the read starts over with the new type's unit.
    """
    for _ in range(MAX_TYPE_CHANGES):
        type_text = _type_text(client.type(key))
        if type_text == "none":
            raise KeyNotFound("this key no longer exists")
        unit = registry.unit_for(type_text)
        page_request = unit.validate(request) if request else None
        with client.pipeline(transaction=False) as pipe:
            pipe.type(key)
            pipe.pttl(key)
            pipe.object("encoding", key)
            if unit.memory_usage_walks_value:
                pipe.exists(key)  # stands in for MEMORY USAGE, which would walk the value
            else:
                pipe.memory_usage(key)
            unit.queue_length(pipe, key)
            if page_request:
                unit.queue_page(pipe, key, page_request)
            replies = pipe.execute(raise_on_error=False)
        if _type_text(_ok(replies[0]) or b"none") != type_text:
            continue
        page_reply = replies[5] if page_request else None
        if isinstance(page_reply, Exception):
            raise page_reply
        length = unit.parse_length(_ok(replies[4]))
        encoding = _ok(replies[2])
        page = unit.parse_page(page_reply, page_request, length) if page_request else None
        return KeyDetail(
            name=key,
            type_name=type_text,
            unit=unit,
            ttl_ms=_ok(replies[1]),
            encoding=encoding.decode() if isinstance(encoding, bytes) else encoding,
            memory=None if unit.memory_usage_walks_value else _ok(replies[3]),
            length=length,
            request=page_request,
            page=unit.complete_page(client, key, page) if page is not None else None,
        )
    raise KeyNotFound("this key keeps changing type; try again")


def lookup_key(client: redis.Redis, typed: str) -> bytes | None:
    r"""The key a person typed: taken literally first, then with `\xNN` escapes decoded (the
    form binary names are shown in)."""
    literal = typed.encode("utf-8", "surrogateescape")
    candidates = dict.fromkeys([literal, parse_escaped(typed)])
    with client.pipeline(transaction=False) as pipe:
        for candidate in candidates:
            pipe.exists(candidate)
        found = pipe.execute()
    return next((c for c, exists in zip(candidates, found, strict=True) if exists), None)
