"""Stream entry IDs as numbers: parsing what people type (a full ID, milliseconds, a date and
time), the ID just before or after another, and the time an ID stands for.

Reads always send full `ms-seq` IDs computed here rather than Redis's `(` (exclusive) and
`-`/`+` forms: the neighbours of the first and last possible IDs are decided here, where
Redis would refuse them, and the same arithmetic serves every server version."""

from __future__ import annotations

import re
from datetime import UTC, datetime

MAX_PART = 2**64 - 1
MIN_ID = (0, 0)
MAX_ID = (MAX_PART, MAX_PART)
FULL_ID = re.compile(r"[0-9]{1,20}-[0-9]{1,20}")  # ASCII digits: Redis refuses others
MILLISECONDS = re.compile(r"[0-9]{1,20}")
# Times shown next to IDs only when the milliseconds look like a clock's (2000 to 2100):
# streams with hand-made IDs (1-1, 2-1) are not dated 1970.
PLAUSIBLE_MS = (946_684_800_000, 4_102_444_800_000)

StreamId = tuple[int, int]


def is_stream_id(text: str) -> bool:
    return bool(FULL_ID.fullmatch(text)) and all(
        int(part) <= MAX_PART for part in text.split("-")
    )


def parse_id(text: str) -> StreamId:
    """A full ID; ValueError if `text` is not one."""
    if not is_stream_id(text):
        raise ValueError(f"not a stream entry ID: {text[:40]!r}")
    ms, seq = text.split("-")
    return int(ms), int(seq)


def format_id(entry_id: StreamId) -> str:
    return f"{entry_id[0]}-{entry_id[1]}"


def after(entry_id: StreamId) -> StreamId | None:
    """The smallest ID above `entry_id`; None past the last possible one."""
    ms, seq = entry_id
    if seq < MAX_PART:
        return ms, seq + 1
    return (ms + 1, 0) if ms < MAX_PART else None


def before(entry_id: StreamId) -> StreamId | None:
    """The largest ID below `entry_id`; None before 0-0."""
    ms, seq = entry_id
    if seq > 0:
        return ms, seq - 1
    return (ms - 1, MAX_PART) if ms > 0 else None


def parse_bound(text: str, *, upper: bool) -> StreamId:
    """What a person types for one end of a range: `-` or `+`, a full ID, milliseconds since
    1970 (`1700000000000`: every entry of that millisecond), or a date and time in UTC
    (`2026-12-04 03:24:20.123`; an offset such as `+02:00` may follow). An `upper` end
    takes the last ID of its millisecond, a lower end the first. ValueError otherwise."""
    text = text.strip()
    if text in ("", "-", "+"):
        return MAX_ID if (text == "+" or (not text and upper)) else MIN_ID
    if FULL_ID.fullmatch(text):
        return parse_id(text)
    ms = int(text) if MILLISECONDS.fullmatch(text) else _datetime_ms(text)
    if ms > MAX_PART:
        raise ValueError("past the largest stream ID")
    return (ms, MAX_PART) if upper else (ms, 0)


def _datetime_ms(text: str) -> int:
    try:
        moment = datetime.fromisoformat(text.replace(" ", "T", 1).replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            "not an ID, milliseconds or a date and time (2026-12-04 03:24:20 UTC)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    ms = round(moment.timestamp() * 1000)
    if ms < 0:
        raise ValueError("before 1970: stream IDs start at 1970-01-01 00:00:00 UTC")
    return ms


def id_time(ms: int) -> str | None:
    """`2026-12-04 03:24:20.123` (UTC) for IDs made by a clock; None for hand-made ones."""
    if not PLAUSIBLE_MS[0] <= ms < PLAUSIBLE_MS[1]:
        return None
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return f"{moment:%Y-%m-%d %H:%M:%S}.{ms % 1000:03d}"
