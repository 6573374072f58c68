"""Sets: paged with SSCAN (which also filters members by glob); members added and removed one
request at a time, and read-only tools (random members, membership, comparisons) that never
load a whole set."""

from __future__ import annotations

from dataclasses import dataclass, field

from keyspace.services.editing.guard import allow_list
from keyspace.units.base import (
    CreateField,
    Element,
    PageRequest,
    TemplateLookups,
    TypeUnit,
    ValuePage,
    elements,
    parse_scan_cursor,
    registry,
)
from keyspace.units.set.edits import AddMembers, RemoveMember, StoreResult
from keyspace.units.set.tools import Compare, Membership, RandomMembers


# Slotted, not frozen, like Element: a page builds a thousand (read-only all the same).
@dataclass(slots=True)
class SetRow(TemplateLookups):
    member: Element
    # Read twice per row (data-row and the opener): encoded once, when the row is made.
    token: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.token = SetUnit.row_token(self.member.raw)


@registry.register
class SetUnit(TypeUnit):
    type_name = "set"
    label = "Set"
    length_command = "SCARD"
    length_label = "members"
    filterable = True
    operations = allow_list(AddMembers, RemoveMember, StoreResult)
    tools = allow_list(RandomMembers, Membership, Compare)
    create_fields = (CreateField("value", "Member"),)

    def queue_create(self, pipe, key: bytes, data: dict) -> None:
        pipe.sadd(key, data["value"])

    def fingerprint_parts(self, reader, key: bytes) -> list:
        """The size and the first SSCAN page (sorted: one page of a set has no order)."""
        _, members = reader.sscan(key, 0, count=2 * self.fingerprint_sample)
        return [reader.scard(key), sorted(members)]

    def queue_page(self, pipe, key: bytes, request: PageRequest) -> None:
        cursor = parse_scan_cursor(request.cursor)
        pipe.sscan(key, cursor, match=request.match, count=request.count)

    def parse_page(self, reply, request: PageRequest, length: int | None) -> ValuePage:
        cursor, members = reply
        rows = list(map(SetRow, elements(members)))
        return ValuePage(rows=rows, next_cursor=str(cursor) if cursor else None)

    def read_row(self, client, key: bytes, row_id: bytes) -> SetRow | None:
        return SetRow(Element.of(row_id)) if client.sismember(key, row_id) else None


__all__ = ["SetRow", "SetUnit"]
