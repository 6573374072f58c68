"""Type-agnostic key services: metadata for a page of keys, and everything about one key."""

from __future__ import annotations

from dataclasses import dataclass

import redis

from keyspace.exceptions import KeyNotFound
from keyspace.redis.capabilities import (
    capabilities,
    key_refused,
    known,
    note_refusal,
    refusal_kind,
)
from keyspace.redis.cluster import is_cluster_client
from keyspace.redis.cluster_nodes import by_node, refresh_after_failure
from keyspace.redis.key_types import REFUSED, types_without_type
from keyspace.redis.keynames import parse_escaped
from keyspace.redis.typed_scan import filter_note
from keyspace.units import PageRequest, TypeUnit, ValuePage, registry


@dataclass(frozen=True)
class KeyRow:
    name: bytes
    type_name: str
    ttl_ms: int | None
    memory: int | None
    length: int | None
    length_label: str
    memory_estimated: bool = False  # MEMORY USAGE unavailable: worked out from the length


# Without MEMORY USAGE (ElastiCache Serverless, a renamed MEMORY, an ACL user without it) a
# key's size is estimated from its length: Redis's per-key overhead, the name, and a typical
# size per element of each type (a string's length is its size in bytes).
KEY_OVERHEAD_BYTES = 56
ELEMENT_BYTES = {"hash": 48, "list": 24, "set": 32, "zset": 56, "stream": 96}


def estimated_memory(key: bytes, type_name: str, length: int | None) -> int | None:
    if length is None:
        return None
    per_element = 1 if type_name == "string" else ELEMENT_BYTES.get(type_name)
    if per_element is None:
        return None
    return KEY_OVERHEAD_BYTES + len(key) + length * per_element


def _memory_unavailable() -> bool:
    """Known already (never asked for here: a first page finds out from its own replies)."""
    facts = known()
    return bool(facts and facts.lacks("MEMORY"))


# keys_metadata's type for a key a cluster primary answered ASK for (see _rows).
MOVING = "moving"


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
    (NOPERM on PTTL, say) leaves its column empty. Without MEMORY USAGE (refused or renamed
    away) sizes are estimated from the lengths and marked so (`memory_estimated`)."""
    if not keys:
        return []
    if is_cluster_client(client):
        return _per_node(client, keys, type_name, memory=memory, length=length)
    return _rows(client, keys, type_name, memory=memory, length=length)[0]


def _rows(client, keys: list[bytes], type_name: str | None, *, memory: bool,
          length: bool) -> tuple[list[KeyRow], list[bytes]]:
    """keys_metadata's rows, and the keys a cluster primary answered ASK for (their slot is
    being moved to another primary, which holds them already): left out here."""
    estimate = memory and _memory_unavailable()
    memory = memory and not estimate
    if type_name:
        types = [type_name] * len(keys)
        ttls, memories, lengths = _metadata(client, keys, types, ttl=True, memory=memory,
                                            length=length or estimate)
        types = [MOVING if _moved(reply) else type_name for reply in ttls]
    else:
        with client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.type(key)
                pipe.pttl(key)
            replies = pipe.execute(raise_on_error=False)
        types = _types(client, keys, replies[::2])
        ttls = replies[1::2]
        _, memories, lengths = _metadata(client, keys, types, ttl=False, memory=memory,
                                         length=length or estimate)
    refusal = next((reply for reply in memories if isinstance(reply, Exception)
                    and refusal_kind(reply) and not key_refused(reply)), None)
    if refusal is not None:
        note_refusal("MEMORY", refusal)
        if not (length or estimate):
            lengths = _metadata(client, keys, types, ttl=False, memory=False, length=True)[2]
        estimate = True
    rows, moving = [], []
    columns = zip(keys, types, map(_ok, ttls), memories, lengths, strict=True)
    for key, type_text, ttl_ms, used, size in columns:
        if type_text == MOVING:
            moving.append(key)
            continue
        if type_text in ("none", REFUSED) or ttl_ms == -2:
            continue  # gone meanwhile, or a key this Redis user may not read
        row_unit = registry.unit_for(type_text)
        counted = row_unit.parse_length(_ok(size)) if (length or estimate) else None
        rows.append(
            KeyRow(
                name=key,
                type_name=type_text,
                ttl_ms=ttl_ms,
                memory=estimated_memory(key, type_text, counted) if estimate else _ok(used),
                length=counted if length else None,
                length_label=row_unit.length_label,
                memory_estimated=estimate,
            )
        )
    return rows, moving


def _per_node(cluster_client, keys, type_name, *, memory: bool, length: bool) -> list[KeyRow]:
    """keys_metadata in a cluster: each primary's keys through its own plain client (one
    node's pipelines, no slot routing per command), in the order of `keys`. Keys a primary
    answers ASK for (their slot being moved to another primary: SCAN found them there) are
    asked again through the cluster client, which follows ASK to the importing primary."""
    found: dict[bytes, KeyRow] = {}
    moving: list[bytes] = []
    try:
        for node, node_keys in by_node(cluster_client, keys):
            rows, moved = _rows(node, node_keys, type_name, memory=memory, length=length)
            moving += moved
            found |= {row.name: row for row in rows}
        if moving:
            rows, _ = _rows(cluster_client, moving, type_name, memory=memory, length=length)
            found |= {row.name: row for row in rows}
    except (redis.ConnectionError, redis.TimeoutError):
        refresh_after_failure(cluster_client)
        raise
    return [found[key] for key in keys if key in found]


def _types(client: redis.Redis, keys: list[bytes], replies: list) -> list[str]:
    """The TYPE replies as text. A refused TYPE is not a vanished key: when the command itself
    is refused (NOPERM, renamed away) the types are worked out without it, and the refusal is
    noted for the page to say; a key the user may not read is REFUSED."""
    refusal = next((reply for reply in replies if isinstance(reply, Exception)
                    and refusal_kind(reply) and not key_refused(reply)), None)
    if refusal is not None:
        note_refusal("TYPE", refusal)
        return types_without_type(client, keys)
    return [REFUSED if isinstance(reply, Exception) and key_refused(reply)
            else MOVING if _moved(reply)
            else _type_text(_ok(reply) or b"none") for reply in replies]


def _moved(reply) -> bool:
    """A cluster primary's ASK: the key's slot is being moved, and the key is elsewhere now."""
    return isinstance(reply, redis.exceptions.AskError)


def _metadata(client, keys: list[bytes], types: list[str], *, ttl: bool, memory: bool,
              length: bool) -> tuple[list, list, list]:
    """One pipeline of PTTL (if `ttl`), MEMORY USAGE and the length command of each key
    whose type is known: (ttls, memory replies, length replies), None where not asked or not
    known. TTL and memory replies are left as they came (an error is an exception the caller
    reads: a refusal, an ASK)."""
    units = [registry.unit_for(t) if t not in ("none", REFUSED, MOVING) else None
             for t in types]
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
    return columns


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
        type_text, checked = _type_of(client, key)
        if type_text == "none":
            raise KeyNotFound("this key no longer exists")
        unit = registry.unit_for(type_text)
        page_request = unit.validate(request) if request else None
        with client.pipeline(transaction=False) as pipe:
            pipe.type(key) if checked else pipe.exists(key)
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
        if checked and _type_text(_ok(replies[0]) or b"none") != type_text:
            continue
        if not checked and not _ok(replies[0]):
            raise KeyNotFound("this key no longer exists")
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


def _type_of(client: redis.Redis, key: bytes) -> tuple[str, bool]:
    """(the key's type, whether TYPE itself answered: False when it is refused and the type
    was worked out from the length commands instead)."""
    try:
        return _type_text(client.type(key)), True
    except redis.ResponseError as exc:
        if not refusal_kind(exc) or key_refused(exc):
            raise
        note_refusal("TYPE", exc)
    found = types_without_type(client, [key])[0]
    if found == REFUSED:
        raise KeyNotFound("this Redis user may not read this key")
    return found, False


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


def listing_notes(*, memory: bool, type_filtered: bool = False) -> list[str]:
    """What the key list does without, said above it: TYPE (types worked out from lengths),
    MEMORY USAGE (sizes estimated) and, under a type filter, SCAN's TYPE option (the filter
    applied here)."""
    try:
        facts = capabilities()
    except (redis.RedisError, ValueError):
        return []
    notes = []
    if facts.lacks("TYPE"):
        notes.append(f"{facts.reason('TYPE')}: each key's type is worked out from the one "
                     "length command (STRLEN, HLEN, LLEN, SCARD, ZCARD or XLEN) that answers "
                     "for it; other types show as unknown.")
    if memory and facts.lacks("MEMORY"):
        notes.append(f"{facts.reason('MEMORY')}: sizes (~) are estimated from each key's "
                     "length, not measured.")
    if type_filtered and (note := filter_note()):
        notes.append(note)
    return notes
