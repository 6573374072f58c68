"""Entries by ID range, newest or oldest first, paged both ways, with a jump to a time.

One request is one pipeline of four commands, whatever the stream's length: TYPE, XLEN, the
page (XRANGE or XREVRANGE with COUNT page size + 1, the extra entry saying whether a next
page exists) and a one-entry probe on the other side of where the page starts (whether a
previous page exists). Each costs O(log N + COUNT) in Redis."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms

from keyspace.exceptions import BadRequest, KeyNotFound
from keyspace.redis.key_types import queue_type, type_reply
from keyspace.units.stream import ids
from keyspace.units.stream.ids import StreamId
from keyspace.units.stream.unit import StreamRow, stream_rows
from keyspace.views.query import ClampedCount, QueryForm

ORDERS = (("newest", "Newest first"), ("oldest", "Oldest first"))
BOUND_HELP = "an ID, milliseconds, or a UTC date and time"


class BoundField(forms.CharField):
    """One end of a range (or a time to jump to), typed as `ids.parse_bound` reads it."""

    def __init__(self, *, upper: bool, **kwargs):
        self.upper = upper
        super().__init__(required=False, max_length=64, **kwargs)

    def clean(self, value):
        text = super().clean(value)
        try:
            return text, ids.parse_bound(text, upper=self.upper)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


class CursorField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(required=False, max_length=41, **kwargs)

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return None
        try:
            return ids.parse_id(text)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


class EntriesQuery(QueryForm):
    start = BoundField(upper=False, label="From", help_text=BOUND_HELP)
    end = BoundField(upper=True, label="To", help_text=BOUND_HELP)
    order = forms.ChoiceField(choices=ORDERS, required=False)
    count = ClampedCount(required=False)
    at = forms.CharField(required=False, max_length=64, label="Jump to")
    after = CursorField()  # the next page: past this ID, in the order shown
    before = CursorField()  # the previous page: short of this ID, in the order shown

    def clean_order(self) -> str:
        return self.cleaned_data["order"] or "newest"

    def clean(self):
        data = super().clean()
        if "start" in data and "end" in data and data["start"][1] > data["end"][1]:
            self.add_error("end", "the range ends before it starts")
        text = (data.get("at") or "").strip()
        if text and "order" in data:
            try:
                # Newest first jumps to the time and what came before it; oldest first, to the
                # time and what came after.
                data["at_id"] = ids.parse_bound(text, upper=data["order"] == "newest")
            except ValueError as exc:
                self.add_error("at", str(exc))
        return data


@dataclass(frozen=True)
class EntriesPage:
    rows: list[StreamRow]
    length: int
    order: str
    next_after: str | None  # query value of `after` for the next page, None at the end
    previous_before: str | None  # query value of `before` for the previous page

    @property
    def newest(self) -> bool:
        return self.order == "newest"


@dataclass(frozen=True)
class _Plan:
    """Where a page starts and which way it reads, in ID order."""

    start: StreamId | None  # None: nothing lies that way
    ascending: bool  # the direction of the main read
    flipped: bool  # the rows are shown in the other order (a previous page)


def _plan(query: dict) -> _Plan:
    low, high = query["start"][1], query["end"][1]
    newest = query["order"] == "newest"
    if query["before"] is not None:
        edge = (ids.after if newest else ids.before)(query["before"])
        start = None if edge is None else (max(edge, low) if newest else min(edge, high))
        return _Plan(start, ascending=newest, flipped=True)
    if query["after"] is not None:
        start = (ids.before if newest else ids.after)(query["after"])
    elif query.get("at_id") is not None:
        start = query["at_id"]
    else:
        start = high if newest else low
    if start is not None:
        start = min(start, high) if newest else max(start, low)
    return _Plan(start, ascending=not newest, flipped=False)


def read_entries(client, key: bytes, query: dict) -> EntriesPage:
    low, high = query["start"][1], query["end"][1]
    count = query["count"]
    plan = _plan(query)
    with client.pipeline(transaction=False) as pipe:
        queue_type(pipe, key)
        pipe.xlen(key)
        _queue_read(pipe, key, plan.start, plan.ascending, low, high, count + 1)
        behind = None if plan.start is None else (
            ids.before if plan.ascending else ids.after)(plan.start)
        _queue_read(pipe, key, behind, not plan.ascending, low, high, 1)
        key_type, length, page, probe = pipe.execute(raise_on_error=False)
    _check(type_reply(key_type, b"stream"), [length, page, probe])
    rows = stream_rows(page or [])
    more_ahead, more_behind = len(rows) > count, bool(probe)
    rows = rows[:count]
    if plan.flipped:
        rows.reverse()
        more_ahead, more_behind = more_behind, more_ahead
    return EntriesPage(rows, length, query["order"],
                       next_after=_next(rows, more_ahead, plan),
                       previous_before=_previous(rows, more_behind, plan))


def _next(rows, more: bool, plan: _Plan) -> str | None:
    """`after` for the next page. After an empty previous page, the next one starts where it
    did: `after` the plan's start is the entry `before` named."""
    if not more:
        return None
    return rows[-1].entry_id if rows else ids.format_id(plan.start)


def _previous(rows, more: bool, plan: _Plan) -> str | None:
    """`before` for the previous page: short of the first row, or of where an empty page
    started (a jump past the last entry)."""
    if not more:
        return None
    return rows[0].entry_id if rows else ids.format_id(plan.start)


def _queue_read(pipe, key, start, ascending: bool, low, high, count: int) -> None:
    """Entries from `start` (inclusive) towards the range's end in one direction."""
    if start is None or (start > high if ascending else start < low):
        pipe.xrange(key, min="0-0", max="0-0", count=1)  # nothing: no entry has ID 0-0
    elif ascending:
        pipe.xrange(key, min=ids.format_id(start), max=ids.format_id(high), count=count)
    else:
        pipe.xrevrange(key, max=ids.format_id(start), min=ids.format_id(low), count=count)


def _check(key_type, replies: list) -> None:
    if isinstance(key_type, Exception):
        raise key_type
    if key_type == b"none":
        raise KeyNotFound("this key no longer exists")
    if key_type != b"stream":
        raise BadRequest(f"this key is a {key_type.decode('ascii', 'replace')}, not a stream")
    for reply in replies:
        if isinstance(reply, Exception):
            raise reply
