"""The live event streams, served by uvicorn (streams only flow under ASGI) against the test
Redis with keyspace notifications on: what each page receives when its key changes, and the
stream limit live pages share with pub/sub."""

from __future__ import annotations

import html
from urllib.parse import urlencode

import pytest
import redis

from keyspace.redis.keynames import encode_key
from keyspace.services.live.lists import short_digest
from keyspace.services.live.snapshot import page_digest
from keyspace.units import PageRequest, registry
from tests.support.sse import SSEStream
from tests.support.uvicorn_dashboard import UvicornDashboard

pytestmark = pytest.mark.django_db
KEY = b"live:stream"


@pytest.fixture(scope="module")
def server(redis_server, tmp_path_factory):
    dashboard = UvicornDashboard(redis_server.url, tmp_path_factory.mktemp("live-streams"),
                                 ready_path="/c/default/db/0/live/notifications/",
                                 DASHBOARD_LIVE_INTERVAL="0.05")
    yield dashboard.start()
    dashboard.stop()


@pytest.fixture
def streams():
    opened: list[SSEStream] = []

    def open_stream(dashboard, path: str) -> SSEStream:
        stream = SSEStream("127.0.0.1", dashboard.port, path)
        opened.append(stream)
        return stream

    yield open_stream
    for stream in opened:
        stream.close()


def key_path(r: redis.Redis, key: bytes, **params) -> str:
    unit = registry.unit_for(r.type(key))
    from keyspace.redis.connection import get_client
    from keyspace.services.browse import key_detail

    detail = key_detail(get_client(0), key, unit.validate(PageRequest()))
    query = urlencode({"digest": page_digest(detail.page), **params})
    return f"/c/default/db/0/key/{encode_key(key)}/live/stream/?{query}"


def subscribed(stream: SSEStream) -> None:
    assert stream.status == 200, stream.raw
    stream.wait_for(lambda e: e.data == "subscribed", name="status")


def test_a_changed_field_arrives_as_its_row(server, notifications, streams, r):
    r.hset(KEY, mapping={b"a": b"1", b"b": b"2"})
    stream = streams(server, key_path(r, KEY))
    subscribed(stream)
    opening = stream.next_event(name="meta")
    assert 'id="key-meta"' in opening.data
    r.hset(KEY, b"b", b"<i>new</i>")
    row = stream.next_event(name="row")
    token = registry.unit_for("hash").row_token(b"b")
    assert f'data-row="{token}"' in row.data
    assert "&lt;i&gt;new&lt;/i&gt;" in row.data and "<i>" not in row.data
    r.hdel(KEY, b"a")
    gone = stream.next_event(name="row-gone")
    assert gone.data == f"row-{registry.unit_for('hash').row_token(b'a')}"


def test_expiry_while_open(server, notifications, streams, r):
    r.set(KEY, b"x")
    stream = streams(server, key_path(r, KEY))
    subscribed(stream)
    r.pexpire(KEY, 100)
    gone = stream.next_event(name="gone")
    assert "expired" in gone.data


def test_key_list_redraws_shown_rows_and_counts_others(server, notifications, streams, r):
    r.set(b"shown", b"1")
    r.set(b"other", b"1")
    stream = streams(server, "/c/default/db/0/live/keys/?"
                     + urlencode({"seen": short_digest(b"shown")}))
    subscribed(stream)
    r.expire(b"shown", 1000)
    row = stream.next_event(name="key-row")
    assert f'id="key-{encode_key(b"shown")}"' in row.data
    r.set(b"other", b"2")
    assert "1 other matching keys" in stream.next_event(name="new-keys").data
    r.delete(b"shown")
    assert stream.next_event(name="key-gone").data == f"key-{encode_key(b'shown')} deleted"


def test_leaderboard_is_redrawn(server, notifications, streams, r):
    r.zadd(KEY, {b"alice": 10, b"bob": 5})
    stream = streams(server, f"/c/default/db/0/key/{encode_key(KEY)}/live/board/?live=1")
    subscribed(stream)
    r.zadd(KEY, {b"carol": 50})
    board = html.unescape(stream.next_event(name="board").data)
    assert 'id="board"' in board and "carol" in board
    assert f"/c/default/db/0/key/{encode_key(KEY)}/leaderboard/?" in board  # links to the board


def test_activity_stream(server, notifications, streams, r):
    stream = streams(server, "/c/default/db/0/live/stream/")
    subscribed(stream)
    for i in range(5):
        r.set(b"act:%d" % i, b"v")
    event = stream.wait_for(lambda e: "act:0" in e.data, name="activity")
    assert "<svg" in event.data and "act:" in event.data


def test_live_pages_share_the_stream_limit_with_pubsub(redis_server, notifications, streams,
                                                       r, tmp_path):
    dashboard = UvicornDashboard(redis_server.url, tmp_path,
                                 ready_path="/c/default/db/0/live/notifications/",
                                 DASHBOARD_MAX_STREAMS="1").start()
    try:
        r.set(KEY, b"x")
        first = streams(dashboard, key_path(r, KEY))
        subscribed(first)
        pubsub = streams(dashboard, "/c/default/db/0/pubsub/stream/?channel=c")
        assert "too many open streams" in pubsub.next_event(name="status").data
        second = streams(dashboard, key_path(r, KEY))
        assert "too many open streams" in second.next_event(name="status").data
    finally:
        dashboard.stop()


def _subscribers(r: redis.Redis) -> int:
    return sum(1 for c in r.client_list()
               if c.get("name") == "redis-dashboard" and int(c.get("sub", 0)))


def test_pages_of_one_key_share_one_subscription(server, notifications, streams, r):
    from tests.services.pubsub.support import wait_until

    r.set(KEY, b"x")
    first, second = streams(server, key_path(r, KEY)), streams(server, key_path(r, KEY))
    subscribed(first)
    subscribed(second)
    assert _subscribers(r) == 1
    r.set(KEY, b"y")
    assert first.next_event(name="value") and second.next_event(name="value")
    first.close()
    second.close()
    wait_until(lambda: _subscribers(r) == 0, 5, message="the last page left: unsubscribed")


def test_key_list_without_notifications_is_told_to_check(server, streams, r):
    assert r.config_get("notify-keyspace-events")["notify-keyspace-events"] == ""
    stream = streams(server, "/c/default/db/0/live/keys/?seen=")
    status = stream.next_event(name="status")
    assert "notifications are off" in status.data
    assert stream.next_event(name="check-list").data == "5000"
    assert stream.parser.retry == 3_600_000  # the browser is not to come back soon
    stream.wait_until_closed()



def test_a_filtered_page_whose_key_becomes_an_unfilterable_type_says_so_and_ends(
        server, notifications, streams, r):
    """The page's filter does not apply to the key's new type: the stream says so and ends
    (it used to fail on the read, mid-stream, and fail again on every reconnect)."""
    logged = len(server.log(None))
    r.hset(KEY, mapping={b"a1": b"1", b"b": b"2"})
    stream = streams(server, key_path(r, KEY, match="a*"))
    subscribed(stream)
    r.delete(KEY)
    r.set(KEY, b"now a string")
    status = stream.next_event(name="status")
    assert "cannot be filtered" in status.data and "reload" in status.data
    assert stream.parser.retry == 3_600_000
    stream.wait_until_closed()
    assert "Traceback" not in server.log(None)[logged:]


def test_a_leaderboard_whose_key_becomes_a_hash_says_so_and_ends(server, notifications,
                                                                 streams, r):
    logged = len(server.log(None))
    r.zadd(KEY, {b"alice": 10})
    stream = streams(server, f"/c/default/db/0/key/{encode_key(KEY)}/live/board/?live=1")
    subscribed(stream)
    r.delete(KEY)
    r.hset(KEY, b"f", b"v")
    status = stream.next_event(name="status")
    assert "not a sorted set" in status.data and "reload" in status.data
    stream.wait_until_closed()
    assert "Traceback" not in server.log(None)[logged:]
