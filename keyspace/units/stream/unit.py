"""Streams (read-only): entries by ID, newest or oldest first, paged by the last ID shown."""

from __future__ import annotations

import re
from dataclasses import dataclass

from keyspace.exceptions import BadRequest
from keyspace.services.editing.guard import allow_list
from keyspace.units.base import CreateField, Element, PageRequest, TypeUnit, ValuePage, registry
from keyspace.units.stream.autoclaim import AutoClaim
from keyspace.units.stream.claims import Acknowledge, Claim
from keyspace.units.stream.edits import AddEntry, DeleteEntries, DeleteEntry
from keyspace.units.stream.groups import CreateGroup, DeleteConsumer, DestroyGroup, SetGroupId
from keyspace.units.stream.trim import Trim

STREAM_ID = re.compile(r"[0-9]{1,20}-[0-9]{1,20}")  # ASCII digits: Redis refuses others
MAX_ID_PART = 2**64 - 1


def _is_stream_id(text: str) -> bool:
    return bool(STREAM_ID.fullmatch(text)) and all(
        int(part) <= MAX_ID_PART for part in text.split("-")
    )


def _id_parts(text: str) -> tuple[int, int]:
    ms, seq = text.split("-")
    return int(ms), int(seq)


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
    operations = allow_list(AddEntry, DeleteEntry, DeleteEntries, Trim, CreateGroup, SetGroupId,
                            DestroyGroup, DeleteConsumer, Acknowledge, Claim, AutoClaim)
    create_fields = (
        CreateField("field", "Field", kind="line", required="a field is needed for this type"),
        CreateField("value", "Value"),
    )

    def get_urls(self) -> list:
        from keyspace.views.stream_pending import pending_urls  # the views import the units

        return pending_urls()

    def queue_create(self, pipe, key: bytes, data: dict) -> None:
        pipe.xadd(key, {data["field"]: data["value"]})

    def fingerprint_parts(self, reader, key: bytes) -> list:
        """The length and the entries at both ends."""
        n = self.fingerprint_sample // 5
        return [reader.xlen(key), reader.xrange(key, count=n), reader.xrevrange(key, count=n)]

    def validate(self, request: PageRequest) -> PageRequest:
        if request.cursor and not _is_stream_id(request.cursor):
            raise BadRequest(f"not a stream entry ID: {request.cursor[:40]!r}")
        return super().validate(request)

    def queue_page(self, pipe, key: bytes, request: PageRequest) -> None:
        after = f"({request.cursor}" if request.cursor else None
        edge = (MAX_ID_PART, MAX_ID_PART) if request.order == "oldest" else (0, 0)
        if request.cursor and _id_parts(request.cursor) == edge:
            # Nothing lies past the first or last possible ID, and Redis refuses "(" there.
            # No entry can have ID 0-0, so this range is empty.
            pipe.xrange(key, min="0-0", max="0-0")
            return
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
