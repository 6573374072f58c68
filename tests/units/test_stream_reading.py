"""A stream's entries page: ID ranges (IDs, milliseconds or times), newest or oldest first,
paged both ways from the start, the end and the middle, and a jump to a time."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.support.htmx import HTMX
from tests.support.urls import key_url
from tests.units.helpers import XSS, XSS_ESCAPED, rows

pytestmark = pytest.mark.servers  # the server matrix: tests/support/servers.py

T0 = 1_700_000_000_000  # 2023-11-14 22:13:20 UTC


def entries_url(name="s", **params) -> str:
    url = key_url(name) + "stream/entries/"
    return url + ("?" + urlencode(params) if params else "")


def get(client, status=200, headers=None, **params) -> str:
    response = client.get(entries_url(**params), headers=headers or {})
    body = response.content.decode()
    assert response.status_code == status, body[-3000:]
    return body


def ids(body: str) -> list[str]:
    return [row.cells[0] for row in rows(body)]


def link(body: str, rel: str) -> dict | None:
    """The query of the pager's `rel` ("prev"/"next") link, or None."""
    found = re.search(rf'rel="{rel}" href="([^"]*)"', body)
    if not found:
        return None
    query = parse_qs(urlsplit(html.unescape(found.group(1))).query, keep_blank_values=True)
    return {name: values[-1] for name, values in query.items()}


@pytest.fixture
def stream(r) -> list[str]:
    """30 entries, two per millisecond: T0-0, T0-1, T0+1-0, ..."""
    made = []
    with r.pipeline(transaction=False) as pipe:
        for i in range(30):
            entry_id = f"{T0 + i // 2}-{i % 2}"
            pipe.xadd("s", {"n": i}, id=entry_id)
            made.append(entry_id)
        pipe.execute()
    return made


def test_first_page_is_the_newest_and_pages_back_and_forth(client, stream):
    first = get(client, count=10)
    assert ids(first) == stream[::-1][:10]
    assert link(first, "prev") is None
    assert link(first, "next")["after"] == stream[20]
    second = get(client, **link(first, "next"))
    assert ids(second) == stream[::-1][10:20]
    assert link(second, "prev")["before"] == stream[19]
    back = get(client, **link(second, "prev"))
    assert ids(back) == ids(first)
    assert link(back, "prev") is None
    last = get(client, **link(second, "next"))
    assert ids(last) == stream[::-1][20:]
    assert link(last, "next") is None
    assert ids(get(client, **link(last, "prev"))) == ids(second)


def test_oldest_first_pages_both_ways(client, stream):
    first = get(client, count=12, order="oldest")
    assert ids(first) == stream[:12]
    assert link(first, "prev") is None
    second = get(client, **link(first, "next"))
    assert ids(second) == stream[12:24]
    third = get(client, **link(second, "next"))
    assert ids(third) == stream[24:] and link(third, "next") is None
    assert ids(get(client, **link(third, "prev"))) == stream[12:24]
    assert ids(get(client, **link(second, "prev"))) == stream[:12]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (f"{T0 + 2}-1", f"{T0 + 4}-0", slice(5, 9)),  # full IDs, inclusive
        (str(T0 + 2), str(T0 + 4), slice(4, 10)),  # milliseconds: every entry of them
        ("2023-11-14 22:13:20.002", "2023-11-14T22:13:20.004Z", slice(4, 10)),  # UTC times
        ("2023-11-14T23:13:20.002+01:00", "", slice(4, 30)),  # an offset; open end
        ("-", str(T0 + 1), slice(0, 4)),
        (str(T0 + 14), "+", slice(28, 30)),
    ],
)
def test_ranges_by_id_milliseconds_and_time(client, stream, start, end, expected):
    body = get(client, start=start, end=end, order="oldest")
    assert ids(body) == stream[expected]


def test_a_range_pages_within_its_ends(client, stream):
    params = {"start": str(T0 + 2), "end": str(T0 + 9), "count": 5}  # entries 4..19
    first = get(client, **params)
    assert ids(first) == stream[4:20][::-1][:5]
    middle = get(client, **link(first, "next"))
    assert ids(middle) == stream[4:20][::-1][5:10]
    assert link(middle, "next")["start"] == str(T0 + 2)  # the range travels with the pager
    end = get(client, **link(get(client, **link(middle, "next")), "next"))
    assert ids(end) == [stream[4]] and link(end, "next") is None


def test_jump_to_a_time(client, stream):
    # Newest first: the time and what came before it.
    body = get(client, at="2023-11-14 22:13:20.005", count=4)
    assert ids(body) == [stream[11], stream[10], stream[9], stream[8]]
    assert link(body, "prev")["before"] == stream[11]
    assert ids(get(client, **link(body, "prev"))) == stream[12:16][::-1]
    # Oldest first: the time and what came after it.
    body = get(client, at=str(T0 + 5), count=3, order="oldest")
    assert ids(body) == stream[10:13]
    assert ids(get(client, **link(body, "prev"))) == stream[7:10]


def test_a_jump_past_the_end_is_empty_and_pages_back(client, stream):
    body = get(client, at="2030-01-01 00:00", order="oldest", count=5)
    assert ids(body) == [] and "No entry at this position" in body
    assert link(body, "next") is None
    assert ids(get(client, **link(body, "prev"))) == stream[-5:]
    body = get(client, at="2000-01-01", count=5)  # newest first, before every entry
    assert ids(body) == [] and link(body, "prev") is not None
    assert ids(get(client, **link(body, "prev"))) == stream[:5][::-1]


def test_an_empty_previous_page_leads_back(client, stream):
    body = get(client, before=stream[-1], order="newest", count=5)  # nothing newer
    assert ids(body) == [] and link(body, "prev") is None
    assert ids(get(client, **link(body, "next"))) == stream[::-1][:5]


def test_the_edges_of_the_id_space(client, r):
    r.xadd("s", {"a": 1}, id="0-1")
    r.xadd("s", {"a": 2}, id="18446744073709551615-18446744073709551615")
    assert ids(get(client)) == ["18446744073709551615-18446744073709551615", "0-1"]
    assert ids(get(client, after="0-1")) == []
    assert ids(get(client, after="0-0")) == []
    assert ids(get(client, before="18446744073709551615-18446744073709551615")) == []
    assert ids(get(client, order="oldest", after="18446744073709551615-18446744073709551615")) == []
    assert ids(get(client, order="oldest", before="0-1")) == []
    assert ids(get(client, order="oldest", before="18446744073709551615-18446744073709551615")) \
        == ["0-1"]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"start": "yesterday"}, "start", "not an ID, milliseconds or a date and time"),
        ({"end": "1969-12-31 23:59"}, "end", "before 1970"),
        ({"start": "99999999999999999999"}, "start", "past the largest stream ID"),
        ({"start": "20", "end": "10"}, "end", "the range ends before it starts"),
        ({"at": "noon"}, "at", "not an ID"),
        ({"after": "1-2-3"}, None, None),
    ],
)
def test_bad_input_is_a_400_with_the_message_by_its_field(client, stream, params, field, message):
    body = get(client, status=400, **params)
    assert rows(body) == []
    if field:
        assert f'id="{field}-error"' in body and message in body


def test_values_are_escaped_and_binary_safe(client, r):
    r.xadd("s", {XSS: XSS, b"\xff": b"\x00"}, id="5-1")
    body = get(client)
    assert XSS not in body and body.count(XSS_ESCAPED) == 2
    assert rows(body)[0].elements == [XSS, XSS, r"\xff", r"\0"]


def test_htmx_gets_the_entries_fragment(client, stream):
    body = get(client, headers={**HTMX, "HX-Target": "entries"}, count=5)
    assert body.lstrip().startswith('<section id="entries"') and "<html" not in body
    assert len(rows(body)) == 5


def test_times_are_shown_for_clock_ids(client, stream):
    body = get(client, count=1, order="oldest")
    assert rows(body)[0].cells[1] == "2023-11-14 22:13:20.000"


def test_not_a_stream(client, r):
    r.set("s", "x")
    assert "not a stream" in get(client, status=400)
    r.delete("s")
    get(client, status=404)
