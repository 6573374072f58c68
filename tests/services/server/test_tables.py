"""Server-side sorting: the query's column and direction, headers' links that flip it."""

from __future__ import annotations

import pytest
from django.http import QueryDict

from keyspace.exceptions import BadRequest
from keyspace.services.server.tables import Column, sort_rows

COLUMNS = (Column("n", "Number", lambda row: row[0]),
           Column("name", "Name", lambda row: row[1], numeric=False))
ROWS = [(2, "b"), (3, "a"), (1, "c")]


def sort(query: str, limit: int = 10):
    return sort_rows(ROWS, COLUMNS, QueryDict(query), default="-n", limit=limit)


def test_default_then_asked_order():
    assert sort("").rows == [(3, "a"), (2, "b"), (1, "c")]
    assert sort("sort=n").rows == [(1, "c"), (2, "b"), (3, "a")]
    assert sort("sort=-name").rows == [(1, "c"), (2, "b"), (3, "a")]


def test_headers_flip_the_active_column_and_start_others_their_natural_way():
    number, name = sort("sort=n&page=2").headers
    assert (number.aria_sort, number.href) == ("ascending", "?sort=-n&page=2")
    assert (name.aria_sort, name.href) == ("none", "?sort=name&page=2")
    number, _ = sort("sort=-n").headers
    assert number.href == "?sort=n"


def test_rows_are_capped_after_sorting():
    table = sort("sort=n", limit=2)
    assert table.rows == [(1, "c"), (2, "b")]
    assert (table.total, table.capped) == (3, True)


def test_an_unknown_column_is_refused_with_the_choices():
    with pytest.raises(BadRequest, match="one of n, name"):
        sort("sort=nope")
