"""Lists: index ranges read from the head or from the tail, never the whole list."""

from __future__ import annotations

from dataclasses import dataclass, field

from keyspace.decoders.tools import ViewListElement
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
    registry,
)
from keyspace.units.list.edits import Insert, Remove, SetElement
from keyspace.units.list.ends import PopHead, PopTail, Push
from keyspace.units.list.inputs import parse_index_token
from keyspace.units.list.trim import Trim


# Slotted, not frozen, like Element: a page builds a thousand (read-only all the same).
@dataclass(slots=True)
class ListRow(TemplateLookups):
    index: int
    from_tail: int
    value: Element
    # Read twice per row (data-row and the opener): encoded once, when the row is made.
    token: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.token = ListUnit.row_token(self.index)


@registry.register
class ListUnit(TypeUnit):
    type_name = "list"
    label = "List"
    length_command = "LLEN"
    orders = (("head", "From the head"), ("tail", "From the tail"))
    operations = allow_list(SetElement, Push, PopHead, PopTail, Insert, Remove, Trim)
    tools = allow_list(ViewListElement)
    create_fields = (CreateField("value", "Element"),)

    def queue_create(self, pipe, key: bytes, data: dict) -> None:
        pipe.rpush(key, data["value"])

    def fingerprint_parts(self, reader, key: bytes) -> list:
        """The length and the elements at both ends."""
        n = self.fingerprint_sample
        return [reader.llen(key), reader.lrange(key, 0, n - 1), reader.lrange(key, -n, -1)]

    @classmethod
    def row_token(cls, row_id: int) -> str:
        # Always the index from the head, whichever end the page is read from.
        return str(row_id)

    def row_from_token(self, token: str) -> int:
        return parse_index_token(token)

    def read_row(self, client, key: bytes, row_id: int) -> ListRow | None:
        with client.pipeline(transaction=False) as pipe:
            pipe.lindex(key, row_id)
            pipe.llen(key)
            value, length = pipe.execute()
        if value is None:
            return None
        return ListRow(row_id, row_id - length, Element.of(value))

    def queue_page(self, pipe, key: bytes, request: PageRequest) -> None:
        offset = parse_offset(request.cursor)
        if request.order == "tail":
            pipe.lrange(key, -(offset + request.count), -(offset + 1))
        else:
            pipe.lrange(key, offset, offset + request.count - 1)

    def parse_page(self, reply, request: PageRequest, length: int | None) -> ValuePage:
        offset = parse_offset(request.cursor)
        length = length or 0
        if request.order == "tail":
            # LRANGE with negative indices near the head returns fewer elements: place them by
            # counting back from the end of the window.
            first_from_tail = offset + len(reply)
            indices = [length - first_from_tail + i for i in range(len(reply))]
            pairs = list(zip(indices, reply, strict=True))[::-1]
        else:
            pairs = [(offset + i, value) for i, value in enumerate(reply)]
        shown = elements(value for _, value in pairs)
        rows = [ListRow(index, index - length, element)
                for (index, _), element in zip(pairs, shown, strict=True)]
        more = offset + len(reply) < length
        return ValuePage(rows=rows, next_cursor=str(offset + len(reply)) if more else None)
