"""Sets: SSCAN pages with a cursor and a MATCH filter, never SMEMBERS."""

from __future__ import annotations

import pytest

from keyspace.units import registry
from keyspace.units.set import SetUnit
from tests.units.helpers import (
    HX_VALUE,
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


def members(page_rows) -> list[str]:
    return [row.elements[0] for row in page_rows]


def test_registered_for_the_set_type_reply():
    assert isinstance(registry.unit_for(b"set"), SetUnit)


def test_small_set_in_every_htmx_mode(client, r):
    r.sadd("tags", "red", "green", "blue")
    page = assert_htmx_modes(client, "tags")
    assert sorted(members(rows(page))) == ["blue", "green", "red"]
    assert more_params(page) is None
    assert "3 members" in page


def test_sscan_cursor_pages_reach_every_member(client, r):
    expected = {f"m{i:04d}" for i in range(1000)}
    r.sadd("s", *expected)
    assert r.object("encoding", "s") == b"hashtable"
    first = fetch(client, "s", count=100)
    assert 100 <= len(rows(first)) < 200
    assert int(more_params(first)["cursor"]) > 0
    collected, pages = page_through(client, "s", count=100)
    assert pages > 2
    assert set(members(collected)) == expected


def test_match_filter_pages_through_matching_members_only(client, r):
    r.sadd("s", *[f"user:{i}" for i in range(1, 601)], *[f"bot:{i}" for i in range(1, 601)])
    collected, pages = page_through(client, "s", match="user:2?", count=20)
    assert pages > 1
    assert set(members(collected)) == {f"user:{i}" for i in range(20, 30)}


def test_filter_with_no_match_says_so(client, r):
    r.sadd("s", "a")
    body = fetch(client, "s", match="nothing*")
    assert rows(body) == [] and "Nothing matches this filter." in body


def test_intset_members(client, r):
    r.sadd("ints", 3, 1, 2)
    body = fetch(client, "ints")
    assert sorted(members(rows(body))) == ["1", "2", "3"]
    assert "intset" in body


def test_members_are_escaped(client, r):
    r.sadd("s", XSS, b"\xfe\xff")
    body = fetch(client, "s")
    assert XSS not in body and XSS_ESCAPED in body
    assert sorted(members(rows(body))) == sorted([XSS, r"\xfe\xff"])


@pytest.mark.parametrize("cursor", ["abc", "-1", "1" * 30])
def test_garbage_cursor_is_a_400(client, r, cursor):
    r.sadd("s", "a")
    assert "not a scan cursor" in fetch(client, "s", status=400, cursor=cursor)


@pytest.mark.one_server  # seeds a big key: boundedness, not the server, is tested
def test_200k_member_set_opens_with_one_bounded_sscan(client, r):
    seed(r, "SADD", "huge", [f"member:{i}" for i in range(200_000)])
    with RedisWork(r) as work:
        body = fetch(client, "huge", headers=HX_VALUE, count=100)
    assert_bounded(work, expected="sscan")
    assert 100 <= len(rows(body)) <= 150
    assert more_params(body) is not None
    assert "200,000 members" in fetch(client, "huge")
