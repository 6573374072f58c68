"""Sorted sets: by rank in either direction with scores (the true top by score), or filtered
with ZSCAN when the user gives a member pattern."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import path

from keyspace.redis.capabilities import reading_pipeline
from keyspace.services.editing.guard import allow_list
from keyspace.units.base import (
    CreateField,
    Element,
    PageRequest,
    TemplateLookups,
    TypeUnit,
    ValuePage,
    elements,
    parse_offset,
    parse_scan_cursor,
    registry,
)
from keyspace.units.zset.edits import AddMany, AddMember, IncrementScore, RemoveMember, SetScore
from keyspace.units.zset.lookup import LookUp
from keyspace.units.zset.scores import parse_score

ORDERS = (("desc", "Highest score first"), ("asc", "Lowest score first"))
ORDER_TITLES = {"desc": "rank by highest score first", "asc": "rank by lowest score first"}


# Slotted, not frozen, like Element: a page builds a thousand (read-only all the same).
@dataclass(slots=True)
class ZsetRow(TemplateLookups):
    rank: int | None  # 0-based, counted in `order`; None for rows found by a filter scan
    member: Element
    score: float
    order: str = "desc"
    # Read twice per row (data-row and the opener): encoded once, when the row is made.
    token: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.token = ZsetUnit.row_token(self.member.raw)

    @property
    def rank_title(self) -> str:
        return ORDER_TITLES.get(self.order, "") if self.rank is not None else "not ranked"

    # The cells' text, for the template to print rather than compute a thousand times.
    @property
    def place(self) -> str:
        return "—" if self.rank is None else str(self.rank + 1)

    @property
    def score_text(self) -> str:
        return repr(self.score)  # the shortest text that reads back as the same float


@registry.register
class ZsetUnit(TypeUnit):
    type_name = "zset"
    label = "Sorted set"
    length_command = "ZCARD"
    length_label = "members"
    orders = ORDERS
    filterable = True
    operations = allow_list(AddMember, AddMany, SetScore, IncrementScore, RemoveMember)
    tools = allow_list(LookUp)
    # The leaderboard was served at the key's own URL before units declared their URLs.
    url_prefix = ""
    create_fields = (CreateField("value", "Member"),
                     CreateField("score", "Score", kind="text", parse=parse_score))

    def queue_create(self, pipe, key: bytes, data: dict) -> None:
        pipe.zadd(key, {data["value"]: data["score"]})

    def get_urls(self) -> list:
        from keyspace.views.leaderboard import leaderboard_view  # the views import the units

        return [path("leaderboard/", leaderboard_view, name="key-leaderboard")]

    def fingerprint_parts(self, reader, key: bytes) -> list:
        """The length and the members with their scores at both ends."""
        n = self.fingerprint_sample
        return [
            reader.zcard(key),
            reader.zrange(key, 0, n - 1, withscores=True),
            reader.zrange(key, -n, -1, withscores=True),
        ]

    def queue_page(self, pipe, key: bytes, request: PageRequest) -> None:
        if request.match:
            cursor = parse_scan_cursor(request.cursor)
            pipe.zscan(key, cursor, match=request.match, count=request.count)
            return
        offset = parse_offset(request.cursor)
        last = offset + request.count - 1
        if request.order == "asc":
            pipe.zrange(key, offset, last, withscores=True)
        else:
            pipe.zrevrange(key, offset, last, withscores=True)

    def parse_page(self, reply, request: PageRequest, length: int | None) -> ValuePage:
        if request.match:
            cursor, pairs = reply
            shown = elements(member for member, _ in pairs)
            rows = [ZsetRow(None, element, score)
                    for element, (_, score) in zip(shown, pairs, strict=True)]
            note = ("Filtered members come in scan order, not by rank.",)
            return ValuePage(rows=rows, next_cursor=str(cursor) if cursor else None, notes=note)
        offset = parse_offset(request.cursor)
        shown = elements(member for member, _ in reply)
        rows = [
            ZsetRow(offset + i, element, score, request.order)
            for i, (element, (_, score)) in enumerate(zip(shown, reply, strict=True))
        ]
        more = offset + len(rows) < (length or 0)
        return ValuePage(rows=rows, next_cursor=str(offset + len(rows)) if more else None)

    def read_row(self, client, key: bytes, row_id: bytes) -> ZsetRow | None:
        """The member's row now: its score and its rank from the top (ZSCORE and ZREVRANK,
        both O(log N) at most, read together in one transaction)."""
        with reading_pipeline(client) as pipe:
            pipe.zscore(key, row_id)
            pipe.zrevrank(key, row_id)
            score, rank = pipe.execute()
        if score is None or rank is None:
            return None
        return ZsetRow(rank, Element.of(row_id), score, "desc")
