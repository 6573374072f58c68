"""The leaderboard of a sorted set: the true top by score, a member's neighbourhood, score
ranges with exclusive and infinite bounds, paging, bars, and bounded work on a big set."""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest

from keyspace.redis.keynames import encode_key
from tests.support.htmx import HTMX
from tests.units.helpers import XSS, XSS_ESCAPED, RedisWork, rows, seed_huge_zset


def board_url(key: bytes | str, db: int = 0) -> str:
    key = key.encode() if isinstance(key, str) else key
    return f"/c/default/db/{db}/key/{encode_key(key)}/leaderboard/"


def fetch(client, key, *, headers=None, status=200, **params) -> str:
    response = client.get(board_url(key), params, headers=headers or {})
    body = response.content.decode()
    assert response.status_code == status, body[-2000:]
    return body


@dataclass
class Entry:
    rank: int
    member: str
    score: float
    bar: float
    negative: bool
    current: bool


ROW_TAG = re.compile(r'<tr id="board-[A-Za-z0-9_-]*"([^>]*)>(.*?)</tr>', re.S)
# The bar is a <meter> on a 0-100 scale: its value is the percentage drawn.
BAR = re.compile(r'<meter class="bar( negative)?" min="0" max="100" value="([0-9.]+)"')


def entries(body: str) -> list[Entry]:
    found = []
    for (attrs, inner), row in zip(ROW_TAG.findall(body), rows(body), strict=True):
        bar = BAR.search(inner)
        found.append(
            Entry(
                rank=int(row.cells[0].replace(",", "")),
                member=row.elements[0],
                score=float(row.cells[2]),
                bar=float(bar.group(2)),
                negative=bool(bar.group(1)),
                current='aria-current="true"' in attrs,
            )
        )
    return found


def ranked(body: str) -> list[tuple[int, str, float]]:
    return [(e.rank, e.member, e.score) for e in entries(body)]


def link(body: str, rel: str) -> dict[str, str] | None:
    found = re.search(rf'<a class="button secondary" rel="{rel}" href="([^"]*)"', body)
    if not found:
        return None
    query = parse_qs(urlsplit(html.unescape(found.group(1))).query, keep_blank_values=True)
    return {name: values[-1] for name, values in query.items()}


def scores(n: int) -> dict[str, float]:
    # Insertion order and member order both differ from score order.
    return {f"m{i:04d}": float((i * 7919) % 1009) + i / 10_000 for i in range(n)}


def by_score(data: dict[str, float], descending: bool = True) -> list[tuple[int, str, float]]:
    ordered = sorted(data.items(), key=lambda item: (item[1], item[0]), reverse=descending)
    return [(rank, member, score) for rank, (member, score) in enumerate(ordered, 1)]


@pytest.fixture
def data(r) -> dict[str, float]:
    data = scores(250)
    r.zadd("z", data)
    return data


# --- the top ---------------------------------------------------------------------------------


def test_top_ten_highest_first_by_default(client, r, data):
    body = fetch(client, "z")
    assert body.lstrip().lower().startswith("<!doctype html>")
    assert ranked(body) == by_score(data)[:10]
    assert "Top 10 of 250 members, highest score first." in body
    assert link(body, "prev") is None and link(body, "next")["offset"] == "10"


def test_bars_are_relative_to_the_top_score_shown(client, r, data):
    shown = entries(fetch(client, "z", count=20))
    top = shown[0].score
    assert shown[0].bar == 100.0
    for entry in shown:
        assert entry.bar == pytest.approx(entry.score / top * 100, abs=0.05)
        assert not entry.negative


def test_lowest_first(client, r, data):
    body = fetch(client, "z", order="asc", count=25)
    assert ranked(body) == by_score(data, descending=False)[:25]
    assert "lowest score first" in body


@pytest.mark.parametrize(
    ("count", "expected"), [("0", 1), ("-3", 1), ("1", 1), ("", 10), ("37", 37), ("5000", 1000)]
)
def test_count_is_clamped(client, r, count, expected):
    r.zadd("big", {f"m{i}": i for i in range(1200)})
    assert len(entries(fetch(client, "big", count=count))) == expected


def test_paging_through_everything(client, r, data):
    collected, pages, params = [], 0, {"count": "100"}
    while params is not None:
        body = fetch(client, "z", headers=HTMX, **params)
        assert body.lstrip().startswith('<section id="board"')
        collected += ranked(body)
        pages += 1
        if pages == 2:
            assert link(body, "prev")["offset"] == "0"
        params = link(body, "next")
    assert pages == 3
    assert collected == by_score(data)


def test_paging_lowest_first_from_an_offset(client, r, data):
    body = fetch(client, "z", order="asc", count=50, offset=200)
    assert ranked(body) == by_score(data, descending=False)[200:]
    assert link(body, "next") is None
    assert link(body, "prev") == {"order": "asc", "count": "50", "offset": "150"}
    assert "Ranks 201–250 of 250 members" in body


def test_an_offset_past_the_end_shows_nothing(client, r, data):
    body = fetch(client, "z", offset=1000)
    assert entries(body) == [] and "Nothing at this position." in body


# --- jump to a member ------------------------------------------------------------------------


def test_jump_to_a_member_shows_five_above_and_five_below(client, r, data):
    expected = by_score(data)
    rank, member, _ = expected[49]
    shown = entries(fetch(client, "z", member=member))
    assert [(e.rank, e.member, e.score) for e in shown] == expected[44:55]
    assert [e.member for e in shown if e.current] == [member]
    assert shown[5].member == member and shown[5].rank == rank == 50


def test_jump_lowest_first_and_with_a_smaller_neighbourhood(client, r, data):
    expected = by_score(data, descending=False)
    _, member, _ = expected[100]
    shown = entries(fetch(client, "z", member=member, order="asc", around=2))
    assert [(e.rank, e.member, e.score) for e in shown] == expected[98:103]
    assert shown[2].current and shown[2].rank == 101


def test_jump_near_either_end(client, r, data):
    expected = by_score(data)
    top = entries(fetch(client, "z", member=expected[1][1]))
    assert [e.rank for e in top] == list(range(1, 8)) and top[1].current
    bottom = entries(fetch(client, "z", member=expected[-1][1]))
    assert [e.rank for e in bottom] == list(range(245, 251)) and bottom[-1].current


def test_jump_to_a_binary_member_by_its_escapes_and_by_its_link(client, r):
    r.zadd("bin", {b"\xff\x00": 5, "a": 1, "b": 9})
    body = fetch(client, "bin", member=r"\xff\x00")
    current = [e for e in entries(body) if e.current]
    assert [(e.rank, e.member) for e in current] == [(2, r"\xff\0")]
    # Every member links to its own neighbourhood, binary ones included.
    href = re.search(r'<a href="([^"]*)"><span class="element binary">', body).group(1)
    again = html.unescape(href)
    response = client.get(again)
    assert [e.member for e in entries(response.content.decode()) if e.current] == [r"\xff\0"]


def test_a_member_that_is_not_there(client, r, data):
    body = fetch(client, "z", member="nobody")
    assert "is not a member of this sorted set" in body
    assert ranked(body) == by_score(data)[:10]
    assert not any(e.current for e in entries(body))


def test_member_links_keep_the_order_and_size(client, r, data):
    body = fetch(client, "z", order="asc", count=3)
    hrefs = [html.unescape(h) for h in re.findall(r'<td><a href="([^"]*)">', body)]
    member = by_score(data, descending=False)[0][1]
    assert hrefs[0] == f"{board_url('z')}?order=asc&count=3&at={encode_key(member.encode())}"


# --- score ranges ----------------------------------------------------------------------------


@pytest.fixture
def steps(r):
    r.zadd("s", {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5})


@pytest.mark.parametrize(
    ("params", "members"),
    [
        ({"min": "2", "max": "4"}, ["d", "c", "b"]),
        ({"min": "2", "max": "4", "min_open": "on"}, ["d", "c"]),
        ({"min": "(2", "max": "4"}, ["d", "c"]),
        ({"min": "2", "max": "4", "max_open": "on"}, ["c", "b"]),
        ({"min": "(2", "max": "(4"}, ["c"]),
        ({"min": "2", "max": "2", "min_open": "on"}, []),
        ({"min": "4"}, ["e", "d"]),
        ({"max": "1.5"}, ["a"]),
        ({"min": "-inf", "max": "+inf"}, ["e", "d", "c", "b", "a"]),
        ({"min": "5", "max": "1"}, []),
    ],
)
def test_score_range_bounds(client, r, steps, params, members):
    body = fetch(client, "s", **params)
    assert [e.member for e in entries(body)] == members
    if not members:
        assert "No member scores in this range." in body


def test_ranks_in_a_range_are_the_members_true_ranks(client, r, steps):
    assert ranked(fetch(client, "s", min="2", max="(4")) == [(3, "c", 3.0), (4, "b", 2.0)]
    assert ranked(fetch(client, "s", min="2", max="4", order="asc", min_open="on")) == [
        (3, "c", 3.0),
        (4, "d", 4.0),
    ]


def test_infinite_scores_and_bounds(client, r):
    r.zadd("inf", {"low": -math.inf, "mid": 1, "top": math.inf, "zero": 0})
    assert ranked(fetch(client, "inf", min="-inf", max="inf")) == [
        (1, "top", math.inf),
        (2, "mid", 1.0),
        (3, "zero", 0.0),
        (4, "low", -math.inf),
    ]
    assert ranked(fetch(client, "inf", max="(+inf")) == [
        (2, "mid", 1.0),
        (3, "zero", 0.0),
        (4, "low", -math.inf),
    ]
    assert ranked(fetch(client, "inf", min="(-inf", max="+inf", max_open="on")) == [
        (2, "mid", 1.0),
        (3, "zero", 0.0),
    ]
    assert ranked(fetch(client, "inf", min="(-inf", order="asc")) == [
        (2, "zero", 0.0),
        (3, "mid", 1.0),
        (4, "top", math.inf),
    ]
    bars = {e.member: (e.bar, e.negative) for e in entries(fetch(client, "inf"))}
    assert bars == {
        "top": (100.0, False),
        "mid": (100.0, False),
        "zero": (0.0, False),
        "low": (100.0, True),
    }


def test_paging_a_score_range_with_limit(client, r, data):
    in_range = [row for row in by_score(data) if 200 <= row[2] < 700]
    collected, params = [], {"min": "200", "max": "700", "max_open": "on", "count": "40"}
    first = fetch(client, "z", **params)
    assert f"{len(in_range)} of 250 members score in" in first
    while params is not None:
        body = fetch(client, "z", headers=HTMX, **params)
        collected += ranked(body)
        params = link(body, "next")
    assert collected == in_range


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"min": "abc"}, "min"),
        ({"max": "nan"}, "NaN"),
        ({"min": "1e999"}, "out of range"),
        ({"offset": "-1"}, "offset"),
        ({"offset": "x"}, "offset"),
        ({"count": "many"}, "count"),
        ({"order": "sideways"}, "order"),
        ({"around": "x"}, "around"),
    ],
)
def test_bad_parameters_are_a_400_with_a_message(client, r, steps, params, message):
    assert message in fetch(client, "s", status=400, **params)


# --- bars for zero and negative scores -------------------------------------------------------


def test_all_zero_scores_have_empty_bars(client, r):
    r.zadd("zeros", {"a": 0, "b": 0, "c": -0.0})
    shown = entries(fetch(client, "zeros"))
    assert [e.bar for e in shown] == [0.0, 0.0, 0.0]


def test_negative_scores_get_bars_by_size(client, r):
    r.zadd("neg", {"a": -10, "b": -5, "c": 2.5})
    shown = {e.member: (e.bar, e.negative) for e in entries(fetch(client, "neg"))}
    assert shown == {"c": (25.0, False), "b": (50.0, True), "a": (100.0, True)}


# --- errors, fragments, links, safety --------------------------------------------------------


def test_a_key_of_another_type_is_a_400(client, r):
    r.hset("h", "f", "v")
    body = fetch(client, "h", status=400)
    assert "not a sorted set" in body


def test_a_missing_key_is_a_404(client, r):
    assert "does not exist" in fetch(client, "nothing", status=404)


def test_htmx_errors_go_to_the_error_banner(client, r):
    r.set("str", "v")
    response = client.get(board_url("str"), headers=HTMX)
    assert response.status_code == 400 and response["HX-Retarget"] == "#error-banner"


def test_full_page_and_fragment(client, r, data):
    full = client.get(board_url("z"))
    assert "HX-Request" in full["Vary"]
    page = full.content.decode()
    assert '<form class="filters' in page and '<section id="board"' in page
    fragment = fetch(client, "z", headers=HTMX)
    assert fragment.strip().startswith('<section id="board"')
    assert fragment.strip().endswith("</section>")
    assert "<html" not in fragment and "<form" not in fragment
    for headers in (
        {**HTMX, "HX-Boosted": "true"},
        {**HTMX, "HX-History-Restore-Request": "true"},
    ):
        assert fetch(client, "z", headers=headers).lstrip().lower().startswith("<!doctype html>")


def test_the_key_page_links_to_it(client, r, data):
    page = client.get(f"/c/default/db/0/key/{encode_key(b'z')}/").content.decode()
    assert f'href="{board_url("z")}"' in page


def test_members_are_escaped(client, r):
    r.zadd("x", {XSS: 1, b"\xff": 2})
    body = fetch(client, "x")
    assert XSS not in body and XSS_ESCAPED in body
    assert [e.member for e in entries(body)] == [r"\xff", XSS]


def test_other_databases(client, r, r1):
    r1.zadd("z", {"only-in-db1": 3})
    response = client.get(board_url("z", db=1))
    assert response.status_code == 200
    assert "only-in-db1" in response.content.decode()


def test_read_only_mode_still_shows_the_leaderboard(client, r, data, settings):
    settings.DASHBOARD_READONLY = True
    body = fetch(client, "z", member=by_score(data)[3][1])
    assert len(entries(body)) == 9
    assert "/edit/" not in body


def test_nothing_is_written(client, r, data):
    with RedisWork(r) as work:
        fetch(client, "z")
        fetch(client, "z", member="m0001")
        fetch(client, "z", min="1", max="500")
    writes = {
        "zadd",
        "zincrby",
        "zrem",
        "del",
        "unlink",
        "zremrangebyscore",
        "zremrangebyrank",
        "zpopmin",
        "zpopmax",
        "set",
        "expire",
    }
    assert not writes & set(work.calls), work.calls


# --- bounded work on a big set ---------------------------------------------------------------

WHOLE_SET = (
    "zrangebylex",
    "zscan",
    "zunion",
    "zinter",
    "zdiff",
    "zunionstore",
    "zrangestore",
    "dump",
    "sort",
    "sort_ro",
    "keys",
    "scan",
)


def assert_bounded(work: RedisWork, limit_bytes: int = 48 * 1024, **expected: int) -> None:
    for command in WHOLE_SET:
        assert work.count(command) == 0, (command, work.calls)
    for command, count in expected.items():
        assert work.count(command) == count, (command, work.calls)
    assert work.output_bytes < limit_bytes, work.output_bytes


@pytest.fixture
def huge(r):
    seed_huge_zset(r)
    return "huge"


def test_a_200k_member_zset_costs_what_is_shown(client, r, huge):
    with RedisWork(r) as work:
        body = fetch(client, huge)
    assert_bounded(work, zrevrange=1, zrange=0, zcard=1)
    assert ranked(body)[0] == (1, "member:199999", 199999.0)

    with RedisWork(r) as work:
        body = fetch(client, huge, member="member:50000")
    assert_bounded(work, zrevrank=1, zrevrange=1, zrange=0)
    assert [e.rank for e in entries(body) if e.current] == [150_000]
    assert len(entries(body)) == 11

    with RedisWork(r) as work:
        body = fetch(client, huge, min="1000", max="(2000", count=100, offset=300)
    assert_bounded(work, zrevrangebyscore=1, zcount=2, zrange=0, zrevrange=0)
    assert ranked(body)[0] == (198_000 + 300 + 1, "member:1699", 1699.0)

    with RedisWork(r) as work:
        body = fetch(client, huge, min="-inf", max="+inf", order="asc", offset=199_990)
    assert_bounded(work, zrangebyscore=1, zcount=2, zrange=0, zrevrange=0)
    assert [e.rank for e in entries(body)] == list(range(199_991, 200_001))

    with RedisWork(r) as work:
        body = fetch(client, huge, count=1000, offset=123_456, order="asc")
    assert_bounded(work, zrange=1, limit_bytes=96 * 1024)
    assert len(entries(body)) == 1000
    assert ranked(body)[0] == (123_457, "member:123456", 123456.0)


def test_a_member_link_lands_on_exactly_that_member(client, r):
    r.zadd("twins", {b"\n": 0.0, b"\\n": 0.0, b"x": 1.0})  # both shown as \n
    for member in (b"\n", b"\\n"):
        jumped = client.get(board_url("twins"), {"at": encode_key(member)}).content.decode()
        current = re.findall(r'<tr id="board-([^"]*)" class="current"', jumped)
        assert current == [encode_key(member)]
