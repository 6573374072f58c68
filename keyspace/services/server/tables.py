"""Sorting the Server tables on the server: `?sort=name` or `?sort=-name` (descending), with
each header's link computed here so the page needs no script to sort."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.http import QueryDict

from keyspace.exceptions import BadRequest


@dataclass(frozen=True)
class Column:
    name: str  # in the query string
    label: str
    key: Callable[[Any], Any]  # sort key of a row (never None)
    numeric: bool = True  # numbers start descending, text ascending


@dataclass(frozen=True)
class Header:
    label: str
    href: str  # the query string that sorts by this column (the other way if it is active)
    numeric: bool
    aria_sort: str  # "ascending", "descending" or "none"


@dataclass(frozen=True)
class Sorted:
    rows: list
    total: int  # rows before the cap
    headers: list[Header]
    column: Column
    descending: bool

    @property
    def capped(self) -> bool:
        return self.total > len(self.rows)


def parse_sort(value: str, columns: Sequence[Column], default: str) -> tuple[Column, bool]:
    value = value or default
    descending = value.startswith("-")
    name = value.lstrip("-")
    for column in columns:
        if column.name == name:
            return column, descending
    names = ", ".join(c.name for c in columns)
    raise BadRequest(f"sort: no column {name!r} (one of {names}, with - for descending)")


def sort_rows(rows: list, columns: Sequence[Column], query: QueryDict, *, default: str,
              limit: int) -> Sorted:
    """`rows` sorted as the query asks, cut to `limit`, with the headers' links."""
    column, descending = parse_sort(query.get("sort", ""), columns, default)
    ordered = sorted(rows, key=column.key, reverse=descending)
    headers = [_header(c, c is column, descending, query) for c in columns]
    return Sorted(ordered[:limit], len(rows), headers, column, descending)


def _header(column: Column, active: bool, descending: bool, query: QueryDict) -> Header:
    params = query.copy()
    first_descending = column.numeric
    flipped = not descending if active else first_descending
    params["sort"] = f"-{column.name}" if flipped else column.name
    state = ("descending" if descending else "ascending") if active else "none"
    return Header(column.label, f"?{params.urlencode()}", column.numeric, state)
