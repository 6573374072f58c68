"""Lists: LRANGE windows from the head or from the tail, with both indices on every row."""

from __future__ import annotations

import pytest

from keyspace.units import registry
from keyspace.units.list import ListUnit
from tests.units.helpers import (
    HX_MORE,
    XSS,
    XSS_ESCAPED,
    RedisWork,
    assert_bounded,
    assert_htmx_modes,
    fetch,
    more_params,
    page_through,
    rows,
    seed,
)

pytestmark = pytest.mark.servers  # the server matrix: tests/support/servers.py


def indexed(page_rows) -> list[tuple[int, int, str]]:
    return [(int(row.cells[0]), int(row.cells[1]), row.elements[0]) for row in page_rows]


def test_registered_for_the_list_type_reply():
    assert isinstance(registry.unit_for("list"), ListUnit)


def test_small_list_in_every_htmx_mode(client, r):
    r.rpush("queue", "a", "b", "c")
    page = assert_htmx_modes(client, "queue")
    assert indexed(rows(page)) == [(0, -3, "a"), (1, -2, "b"), (2, -1, "c")]
    assert more_params(page) is None
    assert "3 elements" in page
    assert '<option value="head" selected>' in page


def test_from_the_head_in_pages(client, r):
    r.rpush("l", *[f"e{i}" for i in range(250)])
    first = fetch(client, "l", count=100)
    assert indexed(rows(first)) == [(i, i - 250, f"e{i}") for i in range(100)]
    assert more_params(first)["cursor"] == "100"

    third = fetch(client, "l", headers=HX_MORE, count=100, cursor=200)
    assert indexed(rows(third)) == [(i, i - 250, f"e{i}") for i in range(200, 250)]
    assert more_params(third) is None

    collected, pages = page_through(client, "l", count=100)
    assert pages == 3
    assert indexed(collected) == [(i, i - 250, f"e{i}") for i in range(250)]


def test_from_the_tail_in_pages_with_a_partial_last_page_at_the_head(client, r):
    r.rpush("l", *[f"e{i}" for i in range(250)])
    first = fetch(client, "l", order="tail", count=100)
    assert indexed(rows(first)) == [(i, i - 250, f"e{i}") for i in range(249, 149, -1)]
    assert more_params(first) == {"order": "tail", "count": "100", "cursor": "100"}
    assert '<option value="tail" selected>' in first

    last = fetch(client, "l", headers=HX_MORE, order="tail", count=100, cursor=200)
    assert indexed(rows(last)) == [(i, i - 250, f"e{i}") for i in range(49, -1, -1)]
    assert more_params(last) is None

    collected, pages = page_through(client, "l", order="tail", count=100)
    assert pages == 3
    assert indexed(collected) == [(i, i - 250, f"e{i}") for i in range(249, -1, -1)]


def test_tail_window_shorter_than_a_page(client, r):
    r.rpush("l", *"abcdefg")
    first = fetch(client, "l", order="tail", count=5)
    assert indexed(rows(first)) == [(6, -1, "g"), (5, -2, "f"), (4, -3, "e"), (3, -4, "d"),
                                    (2, -5, "c")]
    rest = fetch(client, "l", order="tail", count=5, cursor=5)
    assert indexed(rows(rest)) == [(1, -6, "b"), (0, -7, "a")]
    assert more_params(rest) is None
    assert indexed(rows(fetch(client, "l", order="tail", count=50))) == [
        (i, i - 7, ch) for i, ch in reversed(list(enumerate("abcdefg")))
    ]


def test_position_past_the_end_is_an_empty_page(client, r):
    r.rpush("l", "a")
    for order in ("head", "tail"):
        body = fetch(client, "l", order=order, cursor=5)
        assert rows(body) == [] and more_params(body) is None


def test_elements_are_escaped(client, r):
    r.rpush("l", XSS, b"\x00\xff")
    body = fetch(client, "l")
    assert XSS not in body and XSS_ESCAPED in body
    assert [row.elements[0] for row in rows(body)] == [XSS, r"\0\xff"]


def test_lists_cannot_be_filtered(client, r):
    r.rpush("l", "a")
    body = fetch(client, "l", status=400, match="a*")
    assert "List values cannot be filtered" in body


def test_unknown_order_is_a_400(client, r):
    r.rpush("l", "a")
    body = fetch(client, "l", status=400, order="sideways")
    assert "List values cannot be ordered by &#x27;sideways&#x27;" in body


@pytest.mark.parametrize("cursor", ["abc", "-1", "9" * 30, "1e3", " 1 2", "\u00b2", "\u0661"])
def test_garbage_position_is_a_400(client, r, cursor):
    r.rpush("l", "a")
    body = fetch(client, "l", status=400, cursor=cursor)
    assert "not a position" in body


def test_huge_count_is_clamped(client, r, settings):
    r.rpush("l", *range(1500))
    body = fetch(client, "l", count=10**12)
    assert len(rows(body)) == settings.DASHBOARD_MAX_PAGE_SIZE == 1000
    assert more_params(body)["cursor"] == "1000"


@pytest.mark.one_server  # seeds a big key: boundedness, not the server, is tested
@pytest.mark.parametrize("order", ["head", "tail"])
def test_200k_element_list_opens_with_one_bounded_lrange(client, r, order):
    seed(r, "RPUSH", "huge", [f"element:{i}" for i in range(200_000)])
    with RedisWork(r) as work:
        body = fetch(client, "huge", headers=HX_MORE, order=order, count=100)
    assert_bounded(work, expected="lrange")
    found = indexed(rows(body))
    assert len(found) == 100
    first = 0 if order == "head" else 199_999
    assert found[0] == (first, first - 200_000, f"element:{first}")
    assert "200,000 elements" in fetch(client, "huge")
