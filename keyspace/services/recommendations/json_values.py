"""JSON strings that would be smaller as hashes, judged from a small sample of keys.

The sample is one bounded walk: SCAN until SAMPLE_KEYS names (a few paced steps), their TYPE
and STRLEN, then the first bytes of strings small enough to be flat objects. A flat JSON object
(at most 128 fields, every name and value at most 64 bytes: what Redis keeps as a compact
listpack hash) is sized as that listpack; it is reported when the listpack saves a fifth or
more. The sample is a sample: counts are scaled to the database and said to be estimates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import redis

from keyspace.display import bytes_to_text
from keyspace.redis.scanning import scan_keys
from keyspace.services.recommendations.base import (
    LOW,
    SAMPLE,
    Check,
    Item,
    Recommendation,
    Sources,
)
from keyspace.services.recommendations.links import key_url

SAMPLE_KEYS = 500
SCAN_BUDGET_MS = 50
MAX_JSON_BYTES = 16 * 1024  # 128 fields of 64-byte names and values, with JSON's punctuation
LISTPACK_ENTRIES, LISTPACK_VALUE = 128, 64
SAVING = 0.2
SHOWN = 20


@dataclass(frozen=True)
class SampledJson:
    key: bytes
    size: int  # the string's bytes
    as_hash: int  # the estimated listpack bytes


def sample_json(client: redis.Redis) -> tuple[int, int, list[SampledJson]]:
    """(keys sampled, DBSIZE, flat JSON objects among them)."""
    page = scan_keys(client, cursor="", page_size=SAMPLE_KEYS, match=None, type_name=None,
                     budget_ms=SCAN_BUDGET_MS)
    keys = page.keys
    with client.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.type(key)
            pipe.strlen(key)
        replies = pipe.execute(raise_on_error=False)
    candidates = [k for k, kind, size in zip(keys, replies[::2], replies[1::2], strict=True)
                  if kind == b"string" and isinstance(size, int) and 2 < size <= MAX_JSON_BYTES]
    with client.pipeline(transaction=False) as pipe:
        for key in candidates:
            pipe.getrange(key, 0, MAX_JSON_BYTES - 1)
        values = pipe.execute(raise_on_error=False)
    found = []
    for key, value in zip(candidates, values, strict=True):
        if isinstance(value, bytes) and (size := listpack_size(value)) is not None:
            found.append(SampledJson(key, len(value), size))
    return len(keys), page.total_keys, found


def listpack_size(value: bytes) -> int | None:
    """The bytes of a listpack hash holding this flat JSON object, or None when it is not one
    (or would not stay a listpack)."""
    if value[:1] != b"{":
        return None
    try:
        data = json.loads(value)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or not data or len(data) > LISTPACK_ENTRIES:
        return None
    size = 7  # header and end byte
    for name, item in data.items():
        if isinstance(item, dict | list) or item is None:
            return None
        text = json.dumps(item) if not isinstance(item, str) else item
        if isinstance(item, bool):
            text = "1" if item else "0"
        entries = (name.encode(), text.encode())
        if any(len(e) > LISTPACK_VALUE for e in entries):
            return None
        size += sum(_entry_size(e) for e in entries)
    return size


def _entry_size(entry: bytes) -> int:
    """One listpack entry: encoding, data and back-length; small integers are stored as such."""
    if entry.isdigit() and len(entry) <= 18 and (entry == b"0" or not entry.startswith(b"0")):
        number = int(entry)
        for limit, size in ((127, 1), (4095, 2), (32767, 3), (8388607, 4), (2**31 - 1, 5)):
            if number <= limit:
                return size + 1
        return 10
    return 1 + len(entry) + 1 if len(entry) < 64 else 2 + len(entry) + 1


def json_as_hashes(sources: Sources, db: int):
    sampled, total, found = sources.sample
    smaller = [s for s in found if s.as_hash <= s.size * (1 - SAVING)]
    if not smaller or not sampled:
        return None
    scale = total / sampled
    saved = sum(s.size - s.as_hash for s in smaller)
    return Recommendation(
        code="json-as-hashes", title="JSON strings that would be smaller as hashes",
        severity=LOW,
        why=f"{len(smaller)} of {sampled:,} keys sampled are flat JSON objects that a hash "
            "would hold in less memory (a small hash is one compact listpack, without JSON's "
            "quotes, spaces and numbers as text), and a hash can change one field without "
            "rewriting the whole value.",
        advice="Store such objects with HSET (one field per property), read them with HGET or "
               "HMGET; keep them under 128 fields of at most 64 bytes so they stay compact.",
        sources=(SAMPLE,), keys=round(len(smaller) * scale), keys_estimated=True,
        memory=round(saved * scale), memory_estimated=True,
        items=tuple(Item(bytes_to_text(s.key), key_url(db, s.key), memory=s.size - s.as_hash,
                         note=f"{s.size:,} bytes as JSON, about {s.as_hash:,} as a hash")
                    for s in smaller[:SHOWN]),
    )


CHECKS = (Check("JSON strings smaller as hashes", (SAMPLE,), json_as_hashes),)
