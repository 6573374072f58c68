"""Walking the keyspace with SCAN, a bounded amount of work per request.

A cursor is an opaque string to everyone outside this module, so a cluster (one scan per
primary) can later encode its node in it without the views noticing.

A page never holds more than its size. One SCAN step can return more keys than are left to
fill (COUNT is a hint, and a filtered step examines many keys), and SCAN cannot resume
inside a step, so the page's token then names the step instead: where it started, its
COUNT, where it ended, and a digest of the last key shown from it (the step's keys are shown
in digest order). The next page runs that step again and shows its keys past the digest,
then goes on from where the step ended. If the keyspace changed and the step now ends
elsewhere, it goes on from the earlier of the two ends: a key can then appear twice (as SCAN
itself allows), but a key present throughout is never skipped.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import redis
from django.conf import settings

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


@dataclass(frozen=True)
class _Position:
    """Where a page starts: a SCAN cursor, or a step shown in part (see the module doc)."""

    cursor: int
    count: int = 0
    step_end: int = 0
    after: str | None = None  # digest of the last key shown from the step

    def scanned(self) -> float:
        # A step shown in part has been scanned to its end; only its rows are still to come.
        reached = self.cursor if self.after is None else self.step_end
        return 1.0 if reached == 0 else scanned_fraction(reached)

    def token(self) -> str:
        if self.after is None:
            return str(self.cursor)
        return f"{self.cursor}.{self.count}.{self.step_end}.{self.after}"


def _parse_position(raw: str | None) -> _Position:
    parts = (raw or "").split(".")
    if len(parts) == 1:
        return _Position(parse_cursor(raw))
    count_text = parts[1] if len(parts) == 4 else ""
    if not (_is_digest(parts[-1]) and count_text.isascii() and count_text.isdigit()
            and len(count_text) <= 6):
        raise BadRequest(f"not a scan cursor: {(raw or '')[:40]!r}")
    count = int(count_text)
    # A COUNT this module could have used: a forged token cannot ask Redis for a longer step.
    if not 1 <= count <= max(FILTERED_MAX_COUNT, settings.DASHBOARD_MAX_PAGE_SIZE):
        raise BadRequest(f"not a scan cursor: {(raw or '')[:40]!r}")
    return _Position(parse_cursor(parts[0]), count, parse_cursor(parts[2]), parts[3])


def _is_digest(text: str) -> bool:
    return len(text) == 16 and all(ch in "0123456789abcdef" for ch in text)


def _digest(key: bytes) -> str:
    return hashlib.blake2b(key, digest_size=8).hexdigest()


def scan_keys(
    client: redis.Redis,
    *,
    cursor: str,
    page_size: int,
    match: bytes | None = None,
    type_name: str | None = None,
    budget_ms: float = 50.0,
) -> ScanPage:
    """Scan until `page_size` keys are found, the keyspace ends, or the time budget is spent.

    Never returns more than `page_size` keys; a step that overflows the page is carried on in
    the returned cursor."""
    start = _parse_position(cursor)
    filtered = bool(match and match != b"*") or bool(type_name)
    step_count = start.count or (FILTERED_FIRST_COUNT if filtered else page_size)
    started = time.perf_counter()
    with client.pipeline(transaction=False) as pipe:
        pipe.scan(start.cursor, match=match, count=step_count, _type=type_name)
        pipe.dbsize()
        (step_end, batch), total = pipe.execute()
    if start.after is not None:
        batch = [key for key in batch if _digest(key) > start.after]
        step_end = _earlier(step_end, start.step_end)
    found: dict[bytes, None] = {}
    position, step_start = _Position(step_end), start.cursor
    last_call = time.perf_counter() - started
    while True:
        room = page_size - len(found)
        fresh = [key for key in dict.fromkeys(batch) if key not in found]
        if len(fresh) > room:
            shown = _by_digest(fresh)[:room]
            found.update(dict.fromkeys(shown))
            position = _Position(step_start, step_count, step_end, _digest(shown[-1]))
            break
        found.update(dict.fromkeys(fresh))
        position = _Position(step_end)
        if not step_end or len(found) >= page_size:
            break
        # Stop before a call that would likely overrun the budget, not after it.
        if (time.perf_counter() - started + last_call) * 1000 > budget_ms:
            break
        step_count = min(step_count * 2, FILTERED_MAX_COUNT) if filtered else room
        step_start, call_started = step_end, time.perf_counter()
        step_end, batch = client.scan(step_start, match=match, count=step_count,
                                      _type=type_name)
        last_call = time.perf_counter() - call_started
    return ScanPage(
        keys=list(found),
        next_cursor=position.token(),
        total_keys=total,
        scanned_fraction=position.scanned(),
        budget_exhausted=position.token() != "0" and len(found) < page_size,
    )


def _earlier(one: int, other: int) -> int:
    """The end cursor that comes first in SCAN order (0, the end of the scan, comes last)."""
    def order(cursor: int) -> float:
        return 2.0 if cursor == 0 else scanned_fraction(cursor)

    return min(one, other, key=order)


def _by_digest(keys: list[bytes]) -> list[bytes]:
    return sorted(keys, key=_digest)
