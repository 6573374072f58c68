"""A leaderboard of any sorted set: the top N, the members around one member, or a score
range, each read with one or two round trips of O(log N + shown) commands (ZREVRANGE,
ZRANGEBYSCORE ... LIMIT, ZCOUNT, ZREVRANK), never the whole set."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

from django import forms

from keyspace.exceptions import BadRequest, KeyNotFound
from keyspace.redis.capabilities import reading_pipeline
from keyspace.redis.key_types import queue_type, type_reply
from keyspace.redis.keynames import decode_key, encode_key
from keyspace.units.base import Element
from keyspace.units.zset.scores import Bound, member_candidates, member_label, parse_bound
from keyspace.units.zset.unit import ORDERS
from keyspace.views.query import QueryForm

DEFAULT_COUNT = 10
MAX_COUNT = 1000
DEFAULT_AROUND = 5
MAX_AROUND = 100
MAX_OFFSET = 10**15
LINKABLE_MEMBER_BYTES = 4096


def _clamp(value: int | None, default: int, low: int, high: int) -> int:
    return default if value is None else max(low, min(value, high))


class LeaderboardQuery(QueryForm):
    count = forms.IntegerField(required=False)
    order = forms.ChoiceField(choices=ORDERS, required=False)
    offset = forms.IntegerField(required=False, min_value=0, max_value=MAX_OFFSET)
    member = forms.CharField(required=False, strip=False, max_length=100_000)
    # The exact member as a key token: what links carry, so no text is read two ways.
    at = forms.CharField(required=False, max_length=200_000)
    around = forms.IntegerField(required=False)
    min = forms.CharField(required=False, max_length=110)
    max = forms.CharField(required=False, max_length=110)
    min_open = forms.BooleanField(required=False)
    max_open = forms.BooleanField(required=False)

    def clean_at(self) -> bytes | None:
        token = self.cleaned_data["at"]
        if not token:
            return None
        try:
            return decode_key(token)
        except ValueError:
            raise forms.ValidationError("not a member token") from None

    def clean_count(self) -> int:
        return _clamp(self.cleaned_data["count"], DEFAULT_COUNT, 1, MAX_COUNT)

    def clean_around(self) -> int:
        return _clamp(self.cleaned_data["around"], DEFAULT_AROUND, 1, MAX_AROUND)

    def clean_order(self) -> str:
        return self.cleaned_data["order"] or "desc"

    def clean_offset(self) -> int:
        return self.cleaned_data["offset"] or 0

    def clean(self):
        data = super().clean()
        data["ranged"] = bool((data.get("min") or "").strip() or (data.get("max") or "").strip())
        for end, default in (("min", -math.inf), ("max", math.inf)):
            if end in data:
                try:
                    data[f"{end}_bound"] = parse_bound(data[end], data[f"{end}_open"], default)
                except forms.ValidationError as exc:
                    self.add_error(end, exc)
        return data


@dataclass(frozen=True)
class BoardRow:
    rank: int  # 1-based, in the order shown
    member: Element
    score: float
    bar: float  # 0-100: the score's size relative to the largest shown
    current: bool = False

    @cached_property
    def token(self) -> str:
        return encode_key(self.member.raw)

    @property
    def negative(self) -> bool:
        return self.score < 0

    @property
    def bar_width(self) -> str:
        return f"{self.bar:.1f}"

    @property
    def linkable(self) -> bool:
        """Small enough to jump to by a link (its token goes in the URL)."""
        return len(self.member.raw) <= LINKABLE_MEMBER_BYTES


@dataclass(frozen=True)
class Board:
    mode: str  # "top", "member" or "range"
    order: str
    rows: list[BoardRow]
    size: int  # members in the whole set
    total: int  # members this mode can page through (the set, or those in the range)
    start: int  # position of the first row shown among those `total`
    count: int
    low: Bound | None = None
    high: Bound | None = None
    member: bytes | None = None
    missing: str | None = None  # a member asked for that is not in the set

    @property
    def previous_offset(self) -> int | None:
        return max(0, self.start - self.count) if self.start > 0 else None

    @property
    def next_offset(self) -> int | None:
        after = self.start + len(self.rows)
        return after if self.rows and after < self.total else None

    @property
    def first_rank(self) -> int | None:
        return self.rows[0].rank if self.rows else None

    @property
    def last_rank(self) -> int | None:
        return self.rows[-1].rank if self.rows else None

    @property
    def member_text(self) -> str:
        return member_label(self.member or b"", 200)

    @property
    def descending(self) -> bool:
        return self.order == "desc"


def read_board(client, key: bytes, query: dict) -> Board:
    if query.get("at") is not None or query.get("member"):
        return _around_member(client, key, query)
    if query["ranged"]:
        return _score_range(client, key, query)
    return _top(client, key, query, query["offset"])


def _checked(replies: list) -> list:
    """The replies of a pipeline that began with TYPE: 404/400 unless the key is a zset."""
    key_type = type_reply(replies[0], b"zset")
    if isinstance(key_type, Exception):
        raise key_type
    key_type = key_type.decode() if isinstance(key_type, bytes) else str(key_type)
    if key_type == "none":
        raise KeyNotFound("this key does not exist (it may have expired or been deleted)")
    if key_type != "zset":
        raise BadRequest(
            f"this key is a {key_type}, not a sorted set: only sorted sets have a leaderboard"
        )
    for reply in replies:
        if isinstance(reply, Exception):
            raise reply
    return replies


def _queue_ranks(pipe, key: bytes, start: int, stop: int, descending: bool) -> None:
    if descending:
        pipe.zrevrange(key, start, stop, withscores=True)
    else:
        pipe.zrange(key, start, stop, withscores=True)


def _top(client, key: bytes, query: dict, offset: int, missing: str | None = None) -> Board:
    descending = query["order"] == "desc"
    with reading_pipeline(client) as pipe:
        queue_type(pipe, key)
        pipe.zcard(key)
        _queue_ranks(pipe, key, offset, offset + query["count"] - 1, descending)
        _, size, pairs = _checked(pipe.execute(raise_on_error=False))
    return Board(
        "top",
        query["order"],
        _rows(pairs, offset),
        size,
        size,
        offset,
        query["count"],
        missing=missing,
    )


def _around_member(client, key: bytes, query: dict) -> Board:
    descending = query["order"] == "desc"
    exact = query.get("at")
    candidates = [exact] if exact is not None else member_candidates(query["member"])
    with reading_pipeline(client) as pipe:
        queue_type(pipe, key)
        pipe.zcard(key)
        for member in candidates:
            (pipe.zrevrank if descending else pipe.zrank)(key, member)
        replies = _checked(pipe.execute(raise_on_error=False))
    found = [(m, rank) for m, rank in zip(candidates, replies[2:], strict=True) if rank is not None]
    if not found:
        missing = query["member"] if exact is None else member_label(exact, 200)
        return _top(client, key, query, 0, missing=missing)
    member, rank = found[0]
    start = max(0, rank - query["around"])
    with reading_pipeline(client) as pipe:
        queue_type(pipe, key)
        pipe.zcard(key)
        _queue_ranks(pipe, key, start, rank + query["around"], descending)
        _, size, pairs = _checked(pipe.execute(raise_on_error=False))
    rows = _rows(pairs, start, current=member)
    return Board("member", query["order"], rows, size, size, start, query["count"], member=member)


def _score_range(client, key: bytes, query: dict) -> Board:
    descending = query["order"] == "desc"
    low, high = query["min_bound"], query["max_bound"]
    offset, count = query["offset"], query["count"]
    with reading_pipeline(client) as pipe:
        queue_type(pipe, key)
        pipe.zcard(key)
        pipe.zcount(key, low.arg, high.arg)
        if descending:  # ahead of the range: everything above its top end
            pipe.zcount(key, high.complement, "+inf")
            pipe.zrevrangebyscore(key, high.arg, low.arg, start=offset, num=count, withscores=True)
        else:
            pipe.zcount(key, "-inf", low.complement)
            pipe.zrangebyscore(key, low.arg, high.arg, start=offset, num=count, withscores=True)
        _, size, in_range, ahead, pairs = _checked(pipe.execute(raise_on_error=False))
    return Board(
        "range",
        query["order"],
        _rows(pairs, ahead + offset),
        size,
        in_range,
        offset,
        count,
        low=low,
        high=high,
    )


def _rows(pairs, first: int, current: bytes | None = None) -> list[BoardRow]:
    """Rows ranked from `first` (0-based), with bars scaled to the largest finite |score|
    shown: zero and negative scores get sane bars, and an all-zero page no division."""
    scale = max((abs(score) for _, score in pairs if math.isfinite(score)), default=0.0)

    def bar(score: float) -> float:
        if math.isinf(score):
            return 100.0
        return abs(score) / scale * 100 if scale > 0 else 0.0

    return [
        BoardRow(first + i + 1, Element.of(member), score, bar(score), member == current)
        for i, (member, score) in enumerate(pairs)
    ]
