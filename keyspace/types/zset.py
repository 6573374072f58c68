"""Sorted sets: by rank in either direction with scores (the true top by score), or filtered
with ZSCAN when the user gives a member pattern."""

from __future__ import annotations

from dataclasses import dataclass

from .base import (
    Element,
    PageRequest,
    TypeUnit,
    ValuePage,
    parse_offset,
    parse_scan_cursor,
    registry,
)


@dataclass(frozen=True)
class ZsetRow:
    rank: int | None
    member: Element
    score: float


@registry.register
class ZsetUnit(TypeUnit):
    type_name = "zset"
    label = "Sorted set"
    length_command = "ZCARD"
    length_label = "members"
    orders = (("desc", "Highest score first"), ("asc", "Lowest score first"))
    filterable = True

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
            rows = [ZsetRow(None, Element.of(member), score) for member, score in pairs]
            note = ("Filtered members come in scan order, not by rank.",)
            return ValuePage(rows=rows, next_cursor=str(cursor) if cursor else None, notes=note)
        offset = parse_offset(request.cursor)
        rows = [
            ZsetRow(offset + i, Element.of(member), score)
            for i, (member, score) in enumerate(reply)
        ]
        more = offset + len(rows) < (length or 0)
        return ValuePage(rows=rows, next_cursor=str(offset + len(rows)) if more else None)
