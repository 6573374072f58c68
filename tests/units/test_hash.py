"""Hashes: HSCAN pages with a cursor and a MATCH filter, never HGETALL."""

from __future__ import annotations

import pytest

from keyspace.units import registry
from keyspace.units.hash import HashUnit
from tests.support.urls import key_url
from tests.units.helpers import (
    HX_MORE,
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


def test_registered_for_the_hash_type_reply():
    assert isinstance(registry.unit_for(b"hash"), HashUnit)


def test_small_hash_in_every_htmx_mode(client, r):
    r.hset("user:1", mapping={"name": "Ada", "lang": "en", "visits": "3"})
    page = assert_htmx_modes(client, "user:1")
    found = {row.elements[0]: row.elements[1] for row in rows(page)}
    assert found == {"name": "Ada", "lang": "en", "visits": "3"}
    assert more_params(page) is None
    assert "3 fields" in page
    assert "<th scope=\"col\">Field</th>" in page


def test_hscan_cursor_pages_reach_every_field(client, r):
    # Past hash-max-listpack-entries (512): a hashtable, which HSCAN walks in steps.
    fields = {f"f{i:04d}": f"v{i}" for i in range(1000)}
    r.hset("big", mapping=fields)
    assert r.object("encoding", "big") == b"hashtable"
    first = fetch(client, "big", count=100)
    query = more_params(first)
    assert query is not None and query["count"] == "100"
    assert int(query["cursor"]) > 0
    assert 100 <= len(rows(first)) < 200

    collected, pages = page_through(client, "big", count=100)
    assert pages > 2
    assert {row.elements[0]: row.elements[1] for row in collected} == fields


def test_match_filter_pages_through_matching_fields_only(client, r):
    mapping = {f"user:{i}": str(i) for i in range(1, 601)}
    mapping.update({f"other:{i}": str(i) for i in range(1, 601)})
    r.hset("h", mapping=mapping)
    collected, _ = page_through(client, "h", match="user:1*", count=20)
    expected = {name for name in mapping if name.startswith("user:1")}
    assert {row.elements[0] for row in collected} == expected
    first = fetch(client, "h", match="user:1*", count=20)
    query = more_params(first)
    assert query is not None and query["match"] == "user:1*"  # the filter travels on


def test_filter_with_no_match_says_so(client, r):
    r.hset("h", mapping={"a": "1"})
    body = fetch(client, "h", match="zzz*")
    assert rows(body) == []
    assert "Nothing matches this filter." in body
    assert 'value="zzz*"' in body  # the filter box keeps the pattern


def test_filter_accepts_escaped_binary_patterns(client, r):
    r.hset("h", mapping={b"\xffbin": b"1", b"text": b"2"})
    body = fetch(client, "h", match=r"\xff*")
    assert [row.elements[0] for row in rows(body)] == [r"\xffbin"]
    assert 'class="element binary"' in body


def test_fields_and_values_are_escaped(client, r):
    r.hset("h", XSS, XSS)
    body = fetch(client, "h")
    assert XSS not in body
    assert body.count(XSS_ESCAPED) == 2
    assert rows(body)[0].elements == [XSS, XSS]


def test_long_values_are_previewed_with_their_size(client, r, settings):
    settings.DASHBOARD_ELEMENT_PREVIEW_BYTES = 100
    r.hset("h", "f", "x" * 5000)
    body = fetch(client, "h")
    assert rows(body)[0].elements[1] == "x" * 100
    assert "… of 4.9 KiB" in body


@pytest.mark.parametrize("cursor", ["abc", "-1", "9" * 30, "1.5", "0x10"])
def test_garbage_cursor_is_a_400(client, r, cursor):
    r.hset("h", "a", "1")
    body = fetch(client, "h", status=400, cursor=cursor)
    assert "not a scan cursor" in body


def test_superscript_digit_cursor_is_a_400(client, r):
    r.hset("h", "a", "1")
    assert "not a scan cursor" in fetch(client, "h", status=400, cursor="\u00b2")


def test_bad_cursor_from_htmx_goes_to_the_error_banner(client, r):
    r.hset("h", "a", "1")
    response = client.get(key_url("h", cursor="abc"), headers=HX_MORE)
    assert response.status_code == 400
    assert response["HX-Retarget"] == "#error-banner"
    assert b"not a scan cursor" in response.content
    assert b"<html" not in response.content


def test_hash_cannot_be_ordered(client, r):
    # Hashes have no orders: an order parameter is ignored rather than refused.
    r.hset("h", "a", "1")
    assert rows(fetch(client, "h", order="whatever"))[0].elements == ["a", "1"]


@pytest.mark.one_server  # seeds a big key: boundedness, not the server, is tested
def test_200k_field_hash_opens_with_one_bounded_hscan(client, r):
    items = []
    for i in range(200_000):
        items += [f"field:{i}", f"value:{i}"]
    seed(r, "HSET", "huge", items)
    with RedisWork(r) as work:
        body = fetch(client, "huge", headers=HX_VALUE, count=100)
    assert_bounded(work, expected="hscan")
    assert 100 <= len(rows(body)) <= 150
    assert more_params(body) is not None
    full = fetch(client, "huge")
    assert "200,000 fields" in full
    assert "hashtable" in full
