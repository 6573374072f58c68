"""Live pages cost Redis what drawing the page costs, whatever the key's size: the timed check
(notifications off) and a notification's re-read touch the visible page and the metadata only."""

from __future__ import annotations

import pytest

from keyspace.redis.connection import get_client
from keyspace.services.live.key_watch import check_key
from keyspace.services.live.snapshot import take
from keyspace.units import PageRequest, registry

pytestmark = pytest.mark.django_db

BIG = b"live:big"
# What drawing a key page sends: the type, then one pipeline of metadata, length and one page.
PAGE_COMMANDS = {"type", "pttl", "object|encoding", "memory|usage"}


def commands(r) -> dict[str, int]:
    stats = r.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()}


def fill_hash(r, key: bytes, n: int) -> None:
    with r.pipeline(transaction=False) as pipe:
        for start in range(0, n, 10_000):
            pipe.hset(key, mapping={b"f%d" % i: b"v" for i in range(start, start + 10_000)})
        pipe.execute()


def page_of(r, key: bytes) -> PageRequest:
    return registry.unit_for(r.type(key)).validate(PageRequest(count=100))


def test_the_timed_check_reads_the_visible_page_only(r):
    fill_hash(r, BIG, 200_000)
    request = page_of(r, BIG)
    shown = take(get_client(0), BIG, request)
    r.config_resetstat()
    update = check_key(0, BIG, request, shown.digest)
    used = commands(r)
    assert set(used) <= PAGE_COMMANDS | {"hlen", "hscan", "info", "config|resetstat"}, used
    assert used["hscan"] == 1 and used["type"] == 2
    assert update.changes.meta and not update.changes.whole_value
    assert update.now.detail.length == 200_000


def test_the_timed_check_sees_a_change_in_the_visible_rows(r):
    r.hset(BIG, mapping={b"a": b"1", b"b": b"2"})
    request = page_of(r, BIG)
    shown = take(get_client(0), BIG, request)
    r.hset(BIG, b"b", b"changed")
    assert check_key(0, BIG, request, shown.digest).changes.whole_value


def test_the_timed_check_of_a_gone_key(r):
    r.set(BIG, b"x")
    request = page_of(r, BIG)
    shown = take(get_client(0), BIG, request)
    r.delete(BIG)
    assert check_key(0, BIG, request, shown.digest).changes.gone


def test_a_change_to_a_huge_sorted_set_redraws_one_row(r, watching):
    with r.pipeline(transaction=False) as pipe:
        for start in range(0, 200_000, 10_000):
            pipe.zadd(BIG, {b"m%d" % i: i * 2 for i in range(start, start + 10_000)})
        pipe.execute()
    w = watching(BIG)
    w.subscribed()
    r.config_resetstat()
    r.zadd(BIG, {b"m199990": 399_981})  # a visible member (the top), keeping its rank
    update = w.next()
    assert [row.member.raw for row in update.changes.rows] == [b"m199990"]
    used = commands(r)
    assert used["zrevrange"] == 1 and "zrange" not in used and "zscan" not in used, used
