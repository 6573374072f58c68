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
    client: redis.Redis, keys: list[bytes], type_name: str | None = None
) -> list[KeyRow]:
    """TYPE, PTTL, MEMORY USAGE and length for a page of keys: two pipelines, or one when the
    type is known. Keys that vanished meanwhile are left out; a refused command (NOPERM on
    MEMORY, say) leaves its column empty."""
    if not keys:
        return []
    per_key = 3
    with client.pipeline(transaction=False) as pipe:
        for key in keys:
            if type_name:
                registry.unit_for(type_name).queue_length(pipe, key)
            else:
                pipe.type(key)
            pipe.pttl(key)
            pipe.memory_usage(key)
        replies = pipe.execute(raise_on_error=False)
    chunks = [replies[i : i + per_key] for i in range(0, len(replies), per_key)]
    if type_name:
        types = [type_name] * len(keys)
        lengths = [chunk[0] for chunk in chunks]
    else:
        types = [_type_text(_ok(chunk[0]) or b"none") for chunk in chunks]
        lengths = _lengths(client, keys, types)
    rows = []
    for key, type_text, chunk, length in zip(keys, types, chunks, lengths, strict=True):
        if type_text == "none" or _ok(chunk[1]) == -2:
            continue
        unit = registry.unit_for(type_text)
        rows.append(
            KeyRow(
                name=key,
                type_name=type_text,
                ttl_ms=_ok(chunk[1]),
                memory=_ok(chunk[2]),
                length=unit.parse_length(_ok(length)),
                length_label=unit.length_label,
            )
        )
    return rows


def _lengths(client: redis.Redis, keys: list[bytes], types: list[str]) -> list:
    with client.pipeline(transaction=False) as pipe:
        for key, type_text in zip(keys, types, strict=True):
            registry.unit_for(type_text).queue_length(pipe, key)
        return pipe.execute(raise_on_error=False)


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
            memory=_ok(replies[3]),
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
