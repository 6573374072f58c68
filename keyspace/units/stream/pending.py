"""Pending entries of one consumer group: who holds what, for how long, delivered how often.

Everything here is bounded: the summary is one XPENDING (O(consumers) in Redis), a page is one
XPENDING with a COUNT (O(count)) walked by entry ID, plus one XRANGE of a single ID per row
shown (the entry's fields, if it still exists). A group with millions of pending entries
costs the same per page as one with ten.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cached_property

import redis
from django import forms

from keyspace.exceptions import BadRequest
from keyspace.redis.keynames import encode_key
from keyspace.services.editing.guard import Refused, refused
from keyspace.units.base import Element
from keyspace.units.stream.group_guard import LISTING_LIMIT, find_group
from keyspace.units.stream.inputs import MAX_ID_PART, NameField, id_key, parse_id

PAGE_SIZES = (25, 100, 500)
MAX_FIELDS_SHOWN = 4


@dataclass(frozen=True)
class PendingEntry:
    entry_id: str
    consumer: bytes
    idle_ms: int
    deliveries: int
    # The entry's first fields (None: the entry was deleted from the stream while pending).
    fields: tuple[tuple[Element, Element], ...] | None = None
    more_fields: bool = False

    @cached_property
    def selection(self) -> str:
        """What a tick box carries: the entry as shown (see claims.Selected)."""
        return f"{self.entry_id}:{self.deliveries}:{encode_key(self.consumer)}"

    @property
    def consumer_element(self) -> Element:
        return Element.of(self.consumer)

    @property
    def age_ms(self) -> int:
        """How long ago the entry was added (its ID's time part)."""
        return max(0, int(time.time() * 1000) - id_key(self.entry_id)[0])


@dataclass(frozen=True)
class PendingSummary:
    count: int
    first_id: str | None
    last_id: str | None
    consumers: tuple[tuple[Element, int], ...]
    oldest: PendingEntry | None  # the first pending entry by ID, the longest-held as a rule
    consumers_withheld: int = 0  # consumers not listed: more than the listing limit


@dataclass(frozen=True)
class PendingPage:
    rows: list[PendingEntry]
    next_after: str | None


class PendingQuery(forms.Form):
    """What the pending page shows: from which ID, how many, at least how idle, whose."""

    after = forms.CharField(required=False, max_length=45, widget=forms.HiddenInput)
    count = forms.TypedChoiceField(choices=[(n, n) for n in PAGE_SIZES], coerce=int,
                                   required=False, empty_value=PAGE_SIZES[0], label="Show")
    idle = forms.IntegerField(required=False, min_value=0, max_value=10**12,
                              label="Idle at least (ms)")
    consumer = NameField(required=False, label="Consumer", help_text="")

    def parsed(self) -> dict:
        if not self.is_valid():
            field, errors = next(iter(self.errors.items()))
            raise BadRequest(f"{field}: {errors[0]}")
        data = self.cleaned_data
        after = data["after"] and _parse_after(data["after"])
        return {"after": after or None, "count": data["count"] or PAGE_SIZES[0],
                "idle": data["idle"], "consumer": data["consumer"]}


def _parse_after(text: str) -> str:
    try:
        return parse_id(text)
    except forms.ValidationError:
        raise BadRequest(f"not an entry ID: {text[:40]!r}") from None


def _no_group(exc: redis.ResponseError, group: bytes) -> Refused:
    if "NOGROUP" in str(exc):
        return Refused("there is no such consumer group on this stream (it was deleted?)")
    return refused(exc)


def read_summary(client, key: bytes, group: bytes) -> PendingSummary:
    """XPENDING's summary (one row per consumer holding entries), asked only when the group
    has at most LISTING_LIMIT consumers; otherwise the count and the oldest entry alone."""
    row = find_group(client, key, group)
    if row is None:
        raise Refused("there is no such consumer group on this stream (it was deleted?)")
    try:
        first = client.xpending_range(key, group, min="-", max="+", count=1)
        if row["consumers"] > LISTING_LIMIT:
            return PendingSummary(int(row["pending"]), _entries(first)[0].entry_id if first
                                  else None, None, (), _entries(first)[0] if first else None,
                                  consumers_withheld=int(row["consumers"]))
        summary = client.xpending(key, group)
    except redis.ResponseError as exc:
        raise _no_group(exc, group) from None
    consumers = tuple((Element.of(c["name"]), int(c["pending"]))
                      for c in summary.get("consumers") or [])
    oldest = _entries(first)[0] if first else None
    return PendingSummary(int(summary.get("pending") or 0), _text(summary.get("min")),
                          _text(summary.get("max")), consumers, oldest)


def read_page(client, key: bytes, group: bytes, *, after: str | None, count: int,
              idle: int | None = None, consumer: bytes | None = None) -> PendingPage:
    """One page of pending entries in ID order, after the ID `after` (exclusive)."""
    if after and id_key(after) == (MAX_ID_PART, MAX_ID_PART):
        return PendingPage([], None)
    start = f"({after}" if after else "-"
    try:
        rows = client.xpending_range(key, group, min=start, max="+", count=count,
                                     consumername=consumer or None, idle=idle)
    except redis.ResponseError as exc:
        raise _no_group(exc, group) from None
    entries = _with_fields(client, key, _entries(rows))
    more = len(entries) == count
    return PendingPage(entries, entries[-1].entry_id if more and entries else None)


def read_selected(client, key: bytes, group: bytes, ids: list[str]) -> dict[str, PendingEntry]:
    """The pending state of exactly these IDs, one bounded XPENDING each in one round trip;
    IDs no longer pending are absent."""
    with client.pipeline(transaction=False) as pipe:
        for entry_id in ids:
            pipe.xpending_range(key, group, min=entry_id, max=entry_id, count=1)
        try:
            replies = pipe.execute()
        except redis.ResponseError as exc:
            raise _no_group(exc, group) from None
    return {entry.entry_id: entry for rows in replies for entry in _entries(rows)}


def _entries(rows) -> list[PendingEntry]:
    return [PendingEntry(_text(row["message_id"]), row["consumer"],
                         int(row["time_since_delivered"]), int(row["times_delivered"]))
            for row in rows]


def _with_fields(client, key: bytes, entries: list[PendingEntry]) -> list[PendingEntry]:
    """Each entry with its first fields, read by its own ID (one XRANGE id id per row)."""
    if not entries:
        return entries
    with client.pipeline(transaction=False) as pipe:
        for entry in entries:
            pipe.xrange(key, min=entry.entry_id, max=entry.entry_id, count=1)
        replies = pipe.execute()
    shown = []
    for entry, reply in zip(entries, replies, strict=True):
        fields = list(reply[0][1].items()) if reply else None
        pairs = None if fields is None else tuple(
            (Element.of(f), Element.of(v)) for f, v in fields[:MAX_FIELDS_SHOWN])
        shown.append(PendingEntry(entry.entry_id, entry.consumer, entry.idle_ms,
                                  entry.deliveries, pairs,
                                  bool(fields) and len(fields) > MAX_FIELDS_SHOWN))
    return shown


def _text(value) -> str | None:
    if value is None:
        return None
    return value.decode("ascii") if isinstance(value, bytes) else str(value)
