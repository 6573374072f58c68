"""Streams (read-only): entries by ID, newest or oldest first, paged by the last ID shown."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import BadRequest
from .base import Element, PageRequest, TypeUnit, ValuePage, registry

STREAM_ID = re.compile(r"^\d{1,20}-\d{1,20}$")


@dataclass(frozen=True)
class StreamRow:
    entry_id: str
    fields: list[tuple[Element, Element]]


@registry.register
class StreamUnit(TypeUnit):
    type_name = "stream"
    label = "Stream"
    length_command = "XLEN"
    length_label = "entries"
    orders = (("newest", "Newest first"), ("oldest", "Oldest first"))

    def validate(self, request: PageRequest) -> PageRequest:
        if request.cursor and not STREAM_ID.match(request.cursor):
            raise BadRequest(f"not a stream entry ID: {request.cursor[:40]!r}")
        return super().validate(request)

    def queue_page(self, pipe, key: bytes, request: PageRequest) -> None:
        after = f"({request.cursor}" if request.cursor else None
        if request.order == "oldest":
            pipe.xrange(key, min=after or "-", max="+", count=request.count)
        else:
            pipe.xrevrange(key, max=after or "+", min="-", count=request.count)

    def parse_page(self, reply, request: PageRequest, length: int | None) -> ValuePage:
        rows = [
            StreamRow(
                entry_id=entry_id.decode("ascii"),
                fields=[(Element.of(f), Element.of(v)) for f, v in fields.items()],
            )
            for entry_id, fields in reply
        ]
        full = len(rows) == request.count
        return ValuePage(rows=rows, next_cursor=rows[-1].entry_id if full and rows else None)
