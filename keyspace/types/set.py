"""Sets: paged with SSCAN (which also filters members by glob)."""

from __future__ import annotations

from .base import Element, PageRequest, TypeUnit, ValuePage, parse_scan_cursor, registry


@registry.register
class SetUnit(TypeUnit):
    type_name = "set"
    label = "Set"
    length_command = "SCARD"
    length_label = "members"
    filterable = True

    def queue_page(self, pipe, key: bytes, request: PageRequest) -> None:
        cursor = parse_scan_cursor(request.cursor)
        pipe.sscan(key, cursor, match=request.match, count=request.count)

    def parse_page(self, reply, request: PageRequest, length: int | None) -> ValuePage:
        cursor, members = reply
        rows = [Element.of(member) for member in members]
        return ValuePage(rows=rows, next_cursor=str(cursor) if cursor else None)
