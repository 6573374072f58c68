"""Hashes: paged with HSCAN (which also filters fields by glob)."""

from __future__ import annotations

from dataclasses import dataclass

from .base import Element, PageRequest, TypeUnit, ValuePage, parse_scan_cursor, registry


@dataclass(frozen=True)
class HashRow:
    field: Element
    value: Element


@registry.register
class HashUnit(TypeUnit):
    type_name = "hash"
    label = "Hash"
    length_command = "HLEN"
    length_label = "fields"
    filterable = True

    def queue_page(self, pipe, key: bytes, request: PageRequest) -> None:
        cursor = parse_scan_cursor(request.cursor)
        pipe.hscan(key, cursor, match=request.match, count=request.count)

    def parse_page(self, reply, request: PageRequest, length: int | None) -> ValuePage:
        cursor, fields = reply
        rows = [HashRow(Element.of(f), Element.of(v)) for f, v in fields.items()]
        return ValuePage(rows=rows, next_cursor=str(cursor) if cursor else None)
