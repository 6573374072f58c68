"""Walking the keyspace with SCAN, a bounded amount of work per request.

A cursor is an opaque string to everyone outside this module, so a cluster (one scan per
primary) can later encode its node in it without the views noticing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis

from .errors import BadRequest

MAX_CURSOR = 2**64 - 1
FILTERED_FIRST_COUNT = 1000
# About a millisecond of Redis time per call at a million keys: no call blocks Redis for long.
FILTERED_MAX_COUNT = 2_000


@dataclass(frozen=True)
class ScanPage:
    keys: list[bytes]
    next_cursor: str
    total_keys: int
    scanned_fraction: float
    budget_exhausted: bool

    @property
    def complete(self) -> bool:
        return self.next_cursor == "0"

    @property
    def scanned_keys(self) -> int:
        return round(self.total_keys * self.scanned_fraction)


def parse_cursor(raw: str | None) -> int:
    if raw in (None, ""):
        return 0
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_CURSOR:
        raise BadRequest(f"not a scan cursor: {raw[:40]!r}")
    return int(raw)


def scanned_fraction(cursor: int) -> float:
    """How far through the keyspace a SCAN cursor is.

    Redis walks its hash table in reverse-binary order, so the cursor's bits read backwards
    are a position in the table whatever its size.
    """
    if cursor == 0:
        return 0.0
    reversed_bits = int(f"{cursor:064b}"[::-1], 2)
    return reversed_bits / 2**64


def scan_keys(
    client: redis.Redis,
    *,
    cursor: str,
    page_size: int,
    match: bytes | None = None,
    type_name: str | None = None,
    budget_ms: float = 50.0,
) -> ScanPage:
    """Scan until `page_size` keys are found, the keyspace ends, or the time budget is spent."""
    position = parse_cursor(cursor)
    filtered = bool(match and match != b"*") or bool(type_name)
    count = FILTERED_FIRST_COUNT if filtered else page_size
    started = time.perf_counter()
    with client.pipeline(transaction=False) as pipe:
        pipe.scan(position, match=match, count=count, _type=type_name)
        pipe.dbsize()
        (position, batch), total = pipe.execute()
    found = dict.fromkeys(batch)
    last_call = time.perf_counter() - started
    while position and len(found) < page_size:
        # Stop before a call that would likely overrun the budget, not after it.
        if (time.perf_counter() - started + last_call) * 1000 > budget_ms:
            break
        if filtered:
            count = min(count * 2, FILTERED_MAX_COUNT)
        call_started = time.perf_counter()
        position, batch = client.scan(position, match=match, count=count, _type=type_name)
        last_call = time.perf_counter() - call_started
        found.update(dict.fromkeys(batch))
    return ScanPage(
        keys=list(found),
        next_cursor=str(position),
        total_keys=total,
        scanned_fraction=1.0 if position == 0 else scanned_fraction(position),
        budget_exhausted=bool(position) and len(found) < page_size,
    )
