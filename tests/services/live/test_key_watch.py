"""A live key page's redraws, against a real Redis with keyspace notifications on: for each
type, a change redraws only the rows it touched (or the value, where rows have no identity),
a TTL change only the metadata, and a key that expires or is deleted says so."""

from __future__ import annotations

import time

import pytest

from keyspace.units import PageRequest, registry
from tests.services.live.support import Watch

pytestmark = pytest.mark.django_db

KEY = b"live:key"


def tokens(update) -> list[str]:
    return [row.token for row in update.changes.rows]


def token(type_name: str, row_id) -> str:
    return registry.unit_for(type_name).row_token(row_id)


def test_the_opening_update_redraws_nothing_when_the_page_is_current(r, watching):
    r.hset(KEY, mapping={b"a": b"1", b"b": b"2"})
    opening = watching(KEY).subscribed()
    assert opening.changes.meta and not opening.changes.whole_value
    assert not opening.changes.rows


def test_a_page_out_of_date_when_the_stream_opens_is_redrawn(r, watching, notifications_on):
    r.hset(KEY, mapping={b"a": b"1"})
    w = Watch(0, KEY, registry.unit_for("hash").validate(PageRequest()), "stale-digest")
    try:
        assert w.subscribed().changes.whole_value
    finally:
        w.stop()


def test_hash_field_change_redraws_only_its_row(r, watching):
    r.hset(KEY, mapping={f"f{i}".encode(): b"v" for i in range(20)})
    w = watching(KEY)
    w.subscribed()
    r.hset(KEY, b"f7", b"changed")
    update = w.next()
    assert update.events == ("hset",)
    assert tokens(update) == [token("hash", b"f7")]
    assert update.changes.rows[0].value.raw == b"changed"
    assert not update.changes.whole_value and not update.changes.removed


def test_hash_new_field_is_appended_and_a_removed_one_dropped(r, watching):
    r.hset(KEY, mapping={b"a": b"1", b"b": b"2"})
    w = watching(KEY)
    w.subscribed()
    r.hset(KEY, b"c", b"3")
    assert tokens(w.next()) == [token("hash", b"c")]
    r.hdel(KEY, b"a")
    update = w.next()
    assert update.changes.removed == (token("hash", b"a"),) and not update.changes.rows
    assert update.now.detail.length == 2


def test_list_set_redraws_one_row_and_a_push_appends(r, watching):
    r.rpush(KEY, *[b"e%d" % i for i in range(10)])
    w = watching(KEY)
    w.subscribed()
    r.lset(KEY, 3, b"new")
    update = w.next()
    assert tokens(update) == ["3"] and update.changes.rows[0].value.raw == b"new"
    r.rpush(KEY, b"pushed")
    update = w.next()
    assert update.events == ("rpush",)
    # Every row's distance from the tail changed; the pushed element is a new row at the end.
    assert tokens(update)[-1] == "10" and update.changes.rows[-1].value.raw == b"pushed"
    assert not update.changes.whole_value


def test_set_member_added_and_removed(r, watching):
    r.sadd(KEY, b"x", b"y")
    w = watching(KEY)
    w.subscribed()
    r.sadd(KEY, b"z")
    update = w.next()
    # A set's SSCAN order is the hash table's: the new member lands anywhere. Placed at the
    # end it is appended; anywhere else the rows shown move, and the value is redrawn.
    if update.changes.whole_value:
        assert token("set", b"z") in update.now.rows
    else:
        assert tokens(update) == [token("set", b"z")]
    r.srem(KEY, b"x")
    assert w.next().changes.removed == (token("set", b"x"),)


def test_zset_score_change_redraws_its_row(r, watching):
    r.zadd(KEY, {b"m%d" % i: i * 10 for i in range(10)})
    w = watching(KEY)
    w.subscribed()
    r.zadd(KEY, {b"m5": 51})  # keeps its rank
    update = w.next()
    assert tokens(update) == [token("zset", b"m5")]
    assert update.changes.rows[0].score == 51


def test_zset_member_moving_rank_redraws_the_value(r, watching):
    r.zadd(KEY, {b"m%d" % i: i for i in range(10)})
    w = watching(KEY)
    w.subscribed()
    r.zincrby(KEY, 100, b"m0")
    assert w.next().changes.whole_value


def test_string_change_redraws_the_value(r, watching):
    r.set(KEY, b"before")
    w = watching(KEY)
    w.subscribed()
    r.set(KEY, b"after")
    update = w.next()
    assert update.changes.whole_value and update.changes.meta


def test_stream_entry_added_redraws_the_value(r, watching):
    r.xadd(KEY, {b"f": b"1"})
    w = watching(KEY)
    w.subscribed()
    r.xadd(KEY, {b"f": b"2"})
    update = w.next()
    assert update.events == ("xadd",) and update.changes.whole_value
    assert update.now.detail.length == 2


def test_a_new_ttl_redraws_only_the_metadata(r, watching):
    r.hset(KEY, b"a", b"1")
    w = watching(KEY)
    w.subscribed()
    r.config_resetstat()
    r.expire(KEY, 500)
    update = w.next()
    assert "cmdstat_hscan" not in r.info("commandstats")  # the rows were not read again
    assert update.events == ("expire",)
    assert update.changes.meta and not update.changes.rows and not update.changes.whole_value
    assert 0 < update.now.detail.ttl_ms <= 500_000
    assert update.now.detail.page is not None  # the rows read before, kept


def test_expiry_while_open(r, watching):
    r.set(KEY, b"soon gone")
    w = watching(KEY)
    w.subscribed()
    r.pexpire(KEY, 150)
    deadline = time.monotonic() + 5
    while True:
        update = w.next()
        if update.changes.gone or time.monotonic() > deadline:
            break
    assert update.changes.gone and "expired" in update.events


def test_deleted_then_created_again(r, watching):
    r.set(KEY, b"x")
    w = watching(KEY)
    w.subscribed()
    r.delete(KEY)
    gone = w.next()
    assert gone.changes.gone and gone.events == ("del",)
    r.set(KEY, b"again")
    back = w.next()
    assert back.changes.back and back.changes.whole_value


def test_nothing_is_sent_for_a_quiet_key(r, watching):
    r.set(KEY, b"x")
    r.set(b"other", b"y")
    w = watching(KEY)
    w.subscribed()
    r.set(b"other", b"z")
    assert [u for u in w.quiet(0.4) if not isinstance(u, type(None))] == []
