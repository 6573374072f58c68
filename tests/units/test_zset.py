"""Sorted sets: by rank with scores (highest first by default, the true top), ZSCAN when
filtered."""

from __future__ import annotations

import pytest

from keyspace.units import registry
from keyspace.units.zset import ZsetUnit
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
    seed_huge_zset,
)

pytestmark = pytest.mark.servers  # the server matrix: tests/support/servers.py


def ranked(page_rows) -> list[tuple[str, str, float]]:
    return [(row.cells[0], row.elements[0], float(row.cells[2])) for row in page_rows]


def scores(n: int) -> dict[str, float]:
    # Insertion order and member order both differ from score order.
    return {f"m{i:04d}": float((i * 7919) % 1009) + i / 10_000 for i in range(n)}


def test_registered_for_the_zset_type_reply():
    assert isinstance(registry.unit_for("zset"), ZsetUnit)


def test_small_zset_in_every_htmx_mode(client, r):
    r.zadd("board", {"ann": 10, "bob": 30, "cat": 20})
    page = assert_htmx_modes(client, "board")
    assert ranked(rows(page)) == [("1", "bob", 30.0), ("2", "cat", 20.0), ("3", "ann", 10.0)]
    assert more_params(page) is None
    assert '<option value="desc" selected>' in page
    assert "3 members" in page


def test_default_order_is_the_true_top_by_score_in_pages(client, r):
    data = scores(250)
    r.zadd("z", data)
    by_score = sorted(data.items(), key=lambda item: (-item[1], item[0]))
    first = fetch(client, "z", count=100)
    assert ranked(rows(first)) == [
        (str(rank), member, score) for rank, (member, score) in enumerate(by_score[:100], 1)
    ]
    assert more_params(first)["cursor"] == "100"

    collected, pages = page_through(client, "z", count=100)
    assert pages == 3
    assert ranked(collected) == [
        (str(rank), member, score) for rank, (member, score) in enumerate(by_score, 1)
    ]


def test_ascending_order_with_scores(client, r):
    data = scores(250)
    r.zadd("z", data)
    by_score = sorted(data.items(), key=lambda item: (item[1], item[0]))
    second = fetch(client, "z", headers=HX_MORE, order="asc", count=100, cursor=100)
    assert ranked(rows(second)) == [
        (str(rank), member, score)
        for rank, (member, score) in enumerate(by_score[100:200], 101)
    ]
    assert more_params(second) == {"order": "asc", "count": "100", "cursor": "200"}
    collected, _ = page_through(client, "z", order="asc", count=100)
    assert [member for _, member, _ in ranked(collected)] == [m for m, _ in by_score]


def test_scores_are_shown_exactly(client, r):
    r.zadd("z", {"pi": 3.141592653589793, "top": float("inf"), "low": float("-inf"), "n": -2})
    assert ranked(rows(fetch(client, "z"))) == [
        ("1", "top", float("inf")),
        ("2", "pi", 3.141592653589793),
        ("3", "n", -2.0),
        ("4", "low", float("-inf")),
    ]


def test_filter_uses_zscan_without_ranks(client, r):
    r.zadd("z", {f"user:{i}": i for i in range(1, 301)} | {f"bot:{i}": i for i in range(1, 301)})
    with RedisWork(r) as work:
        first = fetch(client, "z", match="user:1?", count=20)
    assert work.count("zscan") == 1 and work.count("zrevrange") == 0
    assert "Filtered members come in scan order, not by rank." in first
    collected, _ = page_through(client, "z", match="user:1?", count=20)
    assert {member: score for _, member, score in ranked(collected)} == {
        f"user:{i}": float(i) for i in range(10, 20)
    }
    assert {rank for rank, _, _ in ranked(collected)} == {"—"}


def test_members_are_escaped(client, r):
    r.zadd("z", {XSS: 1, b"\xff": 2})
    body = fetch(client, "z")
    assert XSS not in body and XSS_ESCAPED in body
    assert [member for _, member, _ in ranked(rows(body))] == [r"\xff", XSS]


def test_unknown_order_is_a_400(client, r):
    r.zadd("z", {"a": 1})
    assert "cannot be ordered by" in fetch(client, "z", status=400, order="random")


@pytest.mark.parametrize("cursor", ["abc", "-1", "9" * 30])
def test_garbage_rank_position_is_a_400(client, r, cursor):
    r.zadd("z", {"a": 1})
    assert "not a position" in fetch(client, "z", status=400, cursor=cursor)


@pytest.mark.parametrize("cursor", ["abc", "-1", "9" * 30])
def test_garbage_scan_cursor_is_a_400(client, r, cursor):
    r.zadd("z", {"a": 1})
    assert "not a scan cursor" in fetch(client, "z", status=400, cursor=cursor, match="a*")


@pytest.mark.one_server  # seeds a big key: boundedness, not the server, is tested
@pytest.mark.parametrize(("order", "command"), [("desc", "zrevrange"), ("asc", "zrange")])
def test_200k_member_zset_opens_with_one_bounded_range(client, r, order, command):
    seed_huge_zset(r)
    with RedisWork(r) as work:
        body = fetch(client, "huge", headers=HX_MORE, order=order, count=100)
    assert_bounded(work, expected=command)
    assert work.count("zrange" if command == "zrevrange" else "zrevrange") == 0
    found = ranked(rows(body))
    assert len(found) == 100
    top = 199_999 if order == "desc" else 0
    assert found[0] == ("1", f"member:{top}", float(top))
    assert "200,000 members" in fetch(client, "huge")
