"""Streams: newest or oldest first, each page starting after the last ID shown (exclusive)."""

from __future__ import annotations

import pytest

from keyspace.units import registry
from keyspace.units.stream import StreamUnit
from tests.units.helpers import (
    HX_MORE,
    XSS,
    XSS_ESCAPED,
    assert_htmx_modes,
    fetch,
    more_params,
    page_through,
    rows,
)

pytestmark = pytest.mark.servers  # the server matrix: tests/support/servers.py


def ids(page_rows) -> list[str]:
    return [row.cells[0] for row in page_rows]


def add_entries(r, key: str, n: int) -> list[str]:
    with r.pipeline(transaction=False) as pipe:
        for i in range(1, n + 1):
            pipe.xadd(key, {"n": i, "kind": "even" if i % 2 == 0 else "odd"}, id=f"{i}-0")
        pipe.execute()
    return [f"{i}-0" for i in range(1, n + 1)]


def test_registered_for_the_stream_type_reply():
    assert isinstance(registry.unit_for(b"stream"), StreamUnit)


def test_small_stream_in_every_htmx_mode(client, r):
    r.xadd("events", {"user": "ada", "action": "login"}, id="1700000000000-0")
    r.xadd("events", {"user": "bob", "action": "logout"}, id="1700000000000-1")
    page = assert_htmx_modes(client, "events")
    found = rows(page)
    assert ids(found) == ["1700000000000-1", "1700000000000-0"]
    assert found[0].elements == ["user", "bob", "action", "logout"]
    assert more_params(page) is None
    assert "2 entries" in page
    assert '<option value="newest" selected>' in page


def test_newest_first_pages_by_exclusive_last_id(client, r):
    all_ids = add_entries(r, "s", 250)
    first = fetch(client, "s", count=100)
    assert ids(rows(first)) == all_ids[::-1][:100]
    assert more_params(first) == {"count": "100", "cursor": "151-0"}

    second = fetch(client, "s", headers=HX_MORE, count=100, cursor="151-0")
    assert ids(rows(second)) == all_ids[::-1][100:200]  # 151-0 itself is not shown again

    collected, pages = page_through(client, "s", count=100)
    assert pages == 3
    assert ids(collected) == all_ids[::-1]


def test_oldest_first_pages_by_exclusive_last_id(client, r):
    all_ids = add_entries(r, "s", 250)
    first = fetch(client, "s", order="oldest", count=100)
    assert ids(rows(first)) == all_ids[:100]
    assert more_params(first)["cursor"] == "100-0"
    collected, pages = page_through(client, "s", order="oldest", count=100)
    assert pages == 3
    assert ids(collected) == all_ids


def test_page_that_ends_exactly_at_the_last_entry(client, r):
    all_ids = add_entries(r, "s", 10)
    collected, _ = page_through(client, "s", order="oldest", count=5)
    assert ids(collected) == all_ids
    # The page after the last entry is empty and offers no more, without an "Empty." row.
    body = fetch(client, "s", headers=HX_MORE, order="oldest", count=5, cursor="10-0")
    assert rows(body) == [] and more_params(body) is None and "Empty." not in body


def test_entry_fields_are_escaped(client, r):
    r.xadd("s", {XSS: XSS, b"\xff": b"\x00"}, id="5-1")
    body = fetch(client, "s")
    assert XSS not in body and body.count(XSS_ESCAPED) == 2
    assert rows(body)[0].elements == [XSS, XSS, r"\xff", r"\0"]


def test_empty_stream(client, r):
    r.xadd("s", {"a": 1}, id="1-1")
    r.xdel("s", "1-1")
    body = fetch(client, "s")
    assert rows(body) == [] and "Empty." in body and "0 entries" in body


@pytest.mark.parametrize(
    "cursor",
    [
        "abc",
        "1-2-3",
        "-1",
        "1-",
        "\u0661-\u0661",  # Arabic-Indic digits: \d in a str regex, but not an ID to Redis
        "99999999999999999999-0",  # past 2**64 - 1
        "1-18446744073709551616",
    ],
)
def test_bad_stream_id_is_a_400(client, r, cursor):
    add_entries(r, "s", 3)
    body = fetch(client, "s", status=400, cursor=cursor)
    assert "not a stream entry ID" in body


def test_large_ids_are_accepted(client, r):
    add_entries(r, "s", 3)
    body = fetch(client, "s", cursor="18446744073709551615-9")
    assert ids(rows(body)) == ["3-0", "2-0", "1-0"]


def test_largest_possible_id_is_accepted(client, r):
    add_entries(r, "s", 3)
    body = fetch(client, "s", cursor="18446744073709551615-18446744073709551615")
    assert ids(rows(body)) == ["3-0", "2-0", "1-0"]


def test_unknown_order_and_filters_are_400s(client, r):
    add_entries(r, "s", 1)
    assert "cannot be ordered by" in fetch(client, "s", status=400, order="random")
    assert "Stream values cannot be filtered" in fetch(client, "s", status=400, match="*a*")


@pytest.mark.parametrize(("order", "cursor"), [("newest", "0-0"), ("newest", "000-0")])
def test_nothing_lies_past_the_first_possible_id(client, r, order, cursor):
    add_entries(r, "s", 3)
    body = fetch(client, "s", order=order, cursor=cursor)
    assert rows(body) == [] and more_params(body) is None


def test_oldest_after_0_0_is_everything(client, r):
    all_ids = add_entries(r, "s", 3)
    assert ids(rows(fetch(client, "s", order="oldest", cursor="0-0"))) == all_ids
