"""Streams: the key page shows entries by ID, newest or oldest first, paged by the last ID
shown, with the stream's summary and its consumer groups (`info.py`). Ranges, jumps to a
time and paging both ways are the entries page (`reading.py`); following new entries live is
`follow.py`."""

from __future__ import annotations

from dataclasses import dataclass, replace

from keyspace.exceptions import BadRequest
from keyspace.services.editing.guard import allow_list
from keyspace.units.base import CreateField, Element, PageRequest, TypeUnit, ValuePage, registry
from keyspace.units.stream.autoclaim import AutoClaim
from keyspace.units.stream.claims import Acknowledge, Claim
from keyspace.units.stream.edits import AddEntry, DeleteEntries, DeleteEntry
from keyspace.units.stream.entry_tool import ViewEntry
from keyspace.units.stream.groups import CreateGroup, DeleteConsumer, DestroyGroup, SetGroupId
from keyspace.units.stream.ids import MAX_ID, MIN_ID, id_time, is_stream_id, parse_id
from keyspace.units.stream.info import read_overview
from keyspace.units.stream.trim import Trim


@dataclass(frozen=True)
class StreamRow:
    entry_id: str
    fields: list[tuple[Element, Element]]

    @property
    def token(self) -> str:
        return self.entry_id  # digits and a dash: already safe in URLs and element ids

    @property
    def time(self) -> str | None:
        return id_time(int(self.entry_id.split("-")[0]))


def stream_rows(reply) -> list[StreamRow]:
    """Rows from an XRANGE/XREVRANGE/XREAD reply (entry IDs and field-value pairs)."""
    return [
        StreamRow(entry_id.decode("ascii"),
                  [(Element.of(f), Element.of(v)) for f, v in fields.items()])
        for entry_id, fields in reply
    ]


def _newest(page: ValuePage, overview) -> str:
    """Where following starts: after the newest entry shown, or after the last ID the stream
    generated when it shows none."""
    if page.rows and page.extra.get("order") == "newest":
        return page.rows[0].entry_id
    return overview.summary.last_generated_id if overview.summary else ""


@registry.register
class StreamUnit(TypeUnit):
    type_name = "stream"
    label = "Stream"
    length_command = "XLEN"
    length_label = "entries"
    orders = (("newest", "Newest first"), ("oldest", "Oldest first"))
    operations = allow_list(AddEntry, DeleteEntry, DeleteEntries, Trim, CreateGroup, SetGroupId,
                            DestroyGroup, DeleteConsumer, Acknowledge, Claim, AutoClaim)
    tools = allow_list(ViewEntry)
    create_fields = (
        CreateField("field", "Field", kind="line", required="a field is needed for this type"),
        CreateField("value", "Value"),
    )

    def get_urls(self) -> list:
        from keyspace.units.stream.urls import reading_urls  # the views import the units
        from keyspace.views.stream_pending import pending_urls

        return [*reading_urls(), *pending_urls()]

    def queue_create(self, pipe, key: bytes, data: dict) -> None:
        pipe.xadd(key, {data["field"]: data["value"]})

    def fingerprint_parts(self, reader, key: bytes) -> list:
        """The length and the entries at both ends."""
        n = self.fingerprint_sample // 5
        return [reader.xlen(key), reader.xrange(key, count=n), reader.xrevrange(key, count=n)]

    @classmethod
    def row_token(cls, row_id) -> str:
        return row_id.decode("ascii") if isinstance(row_id, bytes) else str(row_id)

    def row_from_token(self, token: str) -> str:
        if not is_stream_id(token):
            raise BadRequest(f"not a stream entry ID: {token[:40]!r}")
        return token

    def read_row(self, client, key: bytes, row_id) -> StreamRow | None:
        entry_id = self.row_token(row_id)
        found = stream_rows(client.xrange(key, min=entry_id, max=entry_id, count=1))
        return found[0] if found else None

    def validate(self, request: PageRequest) -> PageRequest:
        if request.cursor and not is_stream_id(request.cursor):
            raise BadRequest(f"not a stream entry ID: {request.cursor[:40]!r}")
        return super().validate(request)

    def queue_page(self, pipe, key: bytes, request: PageRequest) -> None:
        after = f"({request.cursor}" if request.cursor else None
        edge = MAX_ID if request.order == "oldest" else MIN_ID
        if request.cursor and parse_id(request.cursor) == edge:
            # Nothing lies past the first or last possible ID, and Redis refuses "(" there.
            # No entry can have ID 0-0, so this range is empty.
            pipe.xrange(key, min="0-0", max="0-0", count=1)
            return
        if request.order == "oldest":
            pipe.xrange(key, min=after or "-", max="+", count=request.count)
        else:
            pipe.xrevrange(key, max=after or "+", min="-", count=request.count)

    def parse_page(self, reply, request: PageRequest, length: int | None) -> ValuePage:
        rows = stream_rows(reply)
        full = len(rows) == request.count
        return ValuePage(rows=rows, next_cursor=rows[-1].entry_id if full and rows else None,
                         extra={"first": not request.cursor, "order": request.order})

    def complete_page(self, client, key: bytes, page: ValuePage) -> ValuePage:
        """The summary and consumer groups, on the first page only (not on *Load more*)."""
        if not page.extra.get("first"):
            return page
        overview = read_overview(client, key)
        return replace(page, extra=page.extra | {"overview": overview,
                                                 "follow_after": _newest(page, overview)})
