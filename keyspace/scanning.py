"""Walking the keyspace with SCAN, a bounded amount of work per request.

A cursor is an opaque string to everyone outside this module, so a cluster (one scan per
primary) can later encode its node in it without the views noticing.

A page never holds more than its size. One SCAN step can return more keys than are left to
fill (COUNT is a hint, and a filtered step examines many keys), and SCAN cannot resume
inside a step. The keys of the step not shown yet are then carried in the page's token
itself, with the cursor where the step ended: the next page shows them first and goes on
from there. Nothing is scanned twice, so this holds whatever Redis does to its table in
between (it finishes growing one within moments of a bulk insert).

Only when those keys do not fit in a token of MAX_TOKEN_CHARS (a filtered step can overflow
by hundreds) does the token name the step instead: where it started, its COUNT, where it
ended, and a digest of the last key shown from it (the step's keys are shown in digest
order). The next page runs that step again and shows its keys past the digest, then goes on
from where the step ended. If the table changed meanwhile the step may now cover other
buckets and end elsewhere; it goes on from the earlier of the two ends, so a key present
throughout is never skipped, but one can appear twice (as SCAN itself allows).
"""

from __future__ import annotations

import hashlib
import time
from collections import deque
from dataclasses import dataclass

import redis
from django.conf import settings

from .errors import BadRequest
from .keynames import decode_key, encode_key

MAX_CURSOR = 2**64 - 1
FILTERED_FIRST_COUNT = 1000
# About a millisecond of Redis time per call at a million keys: no call blocks Redis for long.
FILTERED_MAX_COUNT = 2_000
# A token travels in every "Load more" URL: keep it to about a kilobyte.
MAX_TOKEN_CHARS = 1024
MAX_CARRIED_KEYS = 200
CARRIED = "~"  # separates the end cursor and the carried keys (base64 never contains it)


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
    """Where a page starts: a SCAN cursor, keys carried from a step before it, or a step
    to run again (see the module doc)."""

    cursor: int
    count: int = 0
    step_end: int = 0
    after: str | None = None  # digest of the last key shown from the step
    carried: tuple[bytes, ...] = ()  # keys of the step ending at `cursor` not shown yet

    def scanned(self) -> float:
        # A step shown in part has been scanned to its end; only its rows are still to come.
        reached = self.cursor if self.after is None else self.step_end
        return 1.0 if reached == 0 else scanned_fraction(reached)

    def token(self) -> str:
        if self.carried:
            return CARRIED.join([str(self.cursor), *map(encode_key, self.carried)])
        if self.after is None:
            return str(self.cursor)
        return f"{self.cursor}.{self.count}.{self.step_end}.{self.after}"


def _refuse(raw: str | None) -> BadRequest:
    return BadRequest(f"not a scan cursor: {(raw or '')[:40]!r}")


def _parse_position(raw: str | None) -> _Position:
    if raw and CARRIED in raw:
        return _parse_carried(raw)
    parts = (raw or "").split(".")
    if len(parts) == 1:
        return _Position(parse_cursor(raw))
    count_text = parts[1] if len(parts) == 4 else ""
    if not (_is_digest(parts[-1]) and count_text.isascii() and count_text.isdigit()
            and len(count_text) <= 6):
        raise _refuse(raw)
    count = int(count_text)
    # A COUNT this module could have used: a forged token cannot ask Redis for a longer step.
    if not 1 <= count <= max(FILTERED_MAX_COUNT, settings.DASHBOARD_MAX_PAGE_SIZE):
        raise _refuse(raw)
    return _Position(parse_cursor(parts[0]), count, parse_cursor(parts[2]), parts[3])


def _parse_carried(raw: str) -> _Position:
    """The carried form, held to what this module writes: a bounded number of distinct keys,
    each in canonical unpadded base64. A forged one names keys, which are then looked up like
    any other (the exact-key lookup shows a viewer any key by name anyway)."""
    cursor_text, *encoded = raw.split(CARRIED)
    if len(raw) > MAX_TOKEN_CHARS or len(encoded) > MAX_CARRIED_KEYS or not cursor_text:
        raise _refuse(raw)
    try:
        keys = tuple(decode_key(text) for text in encoded)
    except ValueError:
        raise _refuse(raw) from None
    if [encode_key(key) for key in keys] != encoded or len(set(keys)) != len(keys):
        raise _refuse(raw)
    return _Position(parse_cursor(cursor_text), carried=keys)


def _is_digest(text: str) -> bool:
    return len(text) == 16 and all(ch in "0123456789abcdef" for ch in text)


def _digest(key: bytes) -> str:
    return hashlib.blake2b(key, digest_size=8).hexdigest()


@dataclass(frozen=True)
class _Step:
    """One SCAN call's keys; count 0 marks the keys a token carried (no call was made)."""

    start: int
    count: int
    end: int
    keys: list[bytes]


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
    started = time.perf_counter()
    total, steps = _first_steps(client, start, page_size, match, type_name, filtered)
    last_call = time.perf_counter() - started
    found: dict[bytes, None] = {}
    while True:
        step = steps.popleft()
        room = page_size - len(found)
        fresh = [key for key in dict.fromkeys(step.keys) if key not in found]
        if len(fresh) > room:
            ordered = _by_digest(fresh)
            found.update(dict.fromkeys(ordered[:room]))
            position = _overflow(step, ordered[:room], ordered[room:])
            break
        found.update(dict.fromkeys(fresh))
        position = _Position(step.end)
        if not step.end or len(found) >= page_size:
            break
        if steps:
            continue
        # Stop before a call that would likely overrun the budget, not after it.
        if (time.perf_counter() - started + last_call) * 1000 > budget_ms:
            break
        count = page_size - len(found)
        if filtered:
            count = min(step.count * 2, FILTERED_MAX_COUNT) if step.count else FILTERED_FIRST_COUNT
        call_started = time.perf_counter()
        end, keys = client.scan(step.end, match=match, count=count, _type=type_name)
        last_call = time.perf_counter() - call_started
        steps.append(_Step(step.end, count, end, keys))
    return ScanPage(
        keys=list(found),
        next_cursor=position.token(),
        total_keys=total,
        scanned_fraction=position.scanned(),
        budget_exhausted=position.token() != "0" and len(found) < page_size,
    )


def _first_steps(client, start: _Position, page_size: int, match, type_name, filtered):
    """DBSIZE, the carried keys (their TYPE too under a type filter), and the first SCAN
    step when there is room for it: one round trip."""
    carried = list(start.carried)
    scan_from = start.cursor if (not carried or len(carried) < page_size) else 0
    scanning = not carried or bool(scan_from)
    count = start.count or (FILTERED_FIRST_COUNT if filtered else page_size - len(carried))
    with client.pipeline(transaction=False) as pipe:
        pipe.dbsize()
        for key in carried if type_name else ():
            pipe.type(key)
        if scanning:
            pipe.scan(scan_from, match=match, count=count, _type=type_name)
        total, *replies = pipe.execute()
    steps: deque[_Step] = deque()
    if carried:
        if type_name:
            # A carried key that changed type or vanished since its step no longer matches:
            # dropped, as SCAN TYPE would have. Without a type filter a vanished carried key
            # is dropped later, where keys_metadata leaves out any key that vanished after SCAN.
            kept = [key for key, reply in zip(carried, replies, strict=False)
                    if reply == type_name.encode()]
            replies = replies[len(carried):]
            carried = kept
        steps.append(_Step(start.cursor, 0, start.cursor, carried))
    if scanning:
        end, keys = replies[-1]
        if start.after is not None:
            keys = [key for key in keys if _digest(key) > start.after]
            end = _earlier(end, start.step_end)
        steps.append(_Step(scan_from, count, end, keys))
    return total, steps


def _overflow(step: _Step, shown: list[bytes], rest: list[bytes]) -> _Position:
    """Carry the keys not shown when they fit in a token; otherwise name the step to run it
    again. Keys a token carried always fit again (fewer of them, and the same end)."""
    carried = _Position(step.end, carried=tuple(rest))
    if not step.count or (len(rest) <= MAX_CARRIED_KEYS
                          and len(carried.token()) <= MAX_TOKEN_CHARS):
        return carried
    return _Position(step.start, step.count, step.end, _digest(shown[-1]))


def _earlier(one: int, other: int) -> int:
    """The end cursor that comes first in SCAN order (0, the end of the scan, comes last)."""
    def order(cursor: int) -> float:
        return 2.0 if cursor == 0 else scanned_fraction(cursor)

    return min(one, other, key=order)


def _by_digest(keys: list[bytes]) -> list[bytes]:
    return sorted(keys, key=_digest)
