"""Following a stream: XREAD BLOCK on the follower's own connection, bounded batches that
skip (and say so) under a flood, and the Server-Sent Events served by uvicorn, with their
slot among DASHBOARD_MAX_STREAMS and the connection closed when the browser goes away."""

from __future__ import annotations

import asyncio
import re

import pytest

from keyspace.redis.connection import get_async_client
from keyspace.redis.keynames import encode_key
from keyspace.units.stream.follow import Arrivals, Status, follow_entries, read_arrivals
from keyspace.views.stream_follow import _latest
from tests.services.pubsub.support import Dashboard, dashboard_clients, run_async, wait_until
from tests.support.sse import SSEStream


def ids(arrivals: Arrivals) -> list[str]:
    return [row.entry_id for row in arrivals.rows]


def arrivals(after: str, max_batch: int) -> Arrivals:
    async def read():
        client = get_async_client(0, subscriber=True)
        try:
            return await read_arrivals(client, b"s", after, max_batch)
        finally:
            await client.aclose()

    return run_async(read())


def add(r, first: int, last: int) -> None:
    with r.pipeline(transaction=False) as pipe:
        for i in range(first, last + 1):
            pipe.xadd("s", {"n": i}, id=f"{i}-0")
        pipe.execute()


def test_new_entries_after_the_last_one_seen(r):
    add(r, 1, 5)
    got = arrivals("3-0", 10)
    assert ids(got) == ["4-0", "5-0"] and got.skipped is None and got.last_id == "5-0"


def test_a_backlog_a_little_over_a_batch_skips_exactly_the_oldest(r):
    add(r, 1, 15)
    got = arrivals("0-0", 10)
    assert ids(got) == [f"{i}-0" for i in range(6, 16)]
    assert (got.skipped.first, got.skipped.last, got.skipped.count, got.skipped.at_least) == (
        "1-0", "5-0", 5, False)


def test_a_flood_shows_the_newest_batch_and_the_range_skipped(r):
    add(r, 1, 35)
    got = arrivals("0-0", 10)
    assert ids(got) == [f"{i}-0" for i in range(26, 36)]
    # The first read's 10 entries were seen; what lies between was never read.
    assert (got.skipped.first, got.skipped.last, got.skipped.count, got.skipped.at_least) == (
        "1-0", "25-18446744073709551615", 10, True)


def test_an_empty_read_waits_then_returns_nothing(r, monkeypatch):
    monkeypatch.setattr("keyspace.units.stream.follow.BLOCK_MS", 50)
    add(r, 1, 1)
    assert ids(arrivals("1-0", 10)) == []


def first_items(n: int, after: str | None, then=None) -> list:
    async def collect():
        """The first `n` items; `then` runs in a thread once the first has come, while the
        follow carries on."""
        items, side = [], None
        stream = follow_entries(b"s", 0, after=after, max_batch=10, interval=0.01)
        try:
            async for item in stream:
                items.append(item)
                if then and len(items) == 1:
                    side = asyncio.create_task(asyncio.to_thread(then))
                if len(items) == n:
                    break
        finally:
            await stream.aclose()
            if side:
                await side
        return items

    return run_async(collect())


def test_following_starts_after_the_newest_entry_when_not_told(r):
    add(r, 1, 3)
    status, batch = first_items(2, None, then=lambda: r.xadd("s", {"n": 4}, id="4-0"))
    assert isinstance(status, Status) and status.text == "following"
    assert ids(batch) == ["4-0"]


def test_a_key_replaced_by_another_type_ends_the_follow(r):
    add(r, 1, 1)

    def replace():
        r.delete("s")
        r.set("s", "now a string")
        r.xadd("other", {"a": 1})  # wakes nothing: only "s" is read

    items = first_items(3, "1-0", then=replace)
    final = [i for i in items if isinstance(i, Status) and i.final]
    assert final and final[0].text.startswith("redis refused to read this stream")


def test_the_browser_resumes_after_the_last_entry_it_was_sent():
    assert _latest("5-0", "12-3") == "12-3"
    assert _latest("100-0", "12-3") == "100-0"  # by number, not as text
    assert _latest(None, "7-0") == "7-0" and _latest(None, None) is None


# --- served: uvicorn, a raw SSE client ---------------------------------------------------------


@pytest.fixture(scope="module")
def dashboard(redis_server, tmp_path_factory):
    server = Dashboard(redis_server.url, tmp_path_factory.mktemp("follow"),
                       DASHBOARD_MAX_STREAMS="1")
    yield server.start()
    server.stop()


def follow(dashboard, key: bytes = b"s", **params) -> SSEStream:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    path = f"/c/default/db/0/key/{encode_key(key)}/stream/follow/events/?{query}"
    stream = SSEStream("127.0.0.1", dashboard.port, path)
    dashboard.streams.append(stream)
    return stream


def blocked_readers(r) -> list:
    return [c for c in dashboard_clients(r) if c.get("cmd") in ("xread", "xread|")]


def test_entries_arrive_as_events_newest_first_with_their_id(dashboard, r):
    add(r, 1, 2)
    stream = follow(dashboard, after="2-0")
    try:
        assert stream.status == 200 and stream.headers["content-type"].startswith(
            "text/event-stream")
        assert "following" in stream.next_event(5, name="status").data
        wait_until(lambda: blocked_readers(r), 5, message="the follower blocks in XREAD")
        with r.pipeline(transaction=True) as pipe:
            pipe.xadd("s", {"n": 3}, id="3-0")
            pipe.xadd("s", {"<b>": "<script>"}, id="4-0")
            pipe.execute()
        event = stream.next_event(5, name="entries")
        assert re.findall(r'<tr id="row-([0-9-]+)"', event.data) == ["4-0", "3-0"]
        assert "<script>" not in event.data and "&lt;script&gt;" in event.data
        assert "id: 4-0" in stream.parser.lines
    finally:
        stream.close()
    wait_until(lambda: not blocked_readers(r), 5, message="the follower's connection closed")


def test_one_slot_per_follow_shared_with_pubsub(dashboard, r):
    add(r, 1, 1)
    first = follow(dashboard, after="1-0")
    try:
        assert "following" in first.next_event(5, name="status").data
        second = follow(dashboard, after="1-0")
        refused = second.next_event(5, name="status")
        assert "too many open streams (the limit is 1)" in refused.data
        second.wait_until_closed(5)
    finally:
        first.close()
    wait_until(lambda: not blocked_readers(r), 5, message="the follower's connection closed")
    again = follow(dashboard, after="1-0")
    assert "following" in again.next_event(5, name="status").data
    again.close()


def test_a_bad_after_is_a_400(dashboard):
    stream = follow(dashboard, after="nope")
    assert stream.status == 400
    stream.close()


# --- the panel on the key page --------------------------------------------------------------


def panel_url(**params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"/c/default/db/0/key/{encode_key(b's')}/stream/follow/?{query}"


def test_the_key_page_offers_to_follow_after_the_newest_entry(client, r):
    add(r, 1, 3)
    page = client.get(f"/c/default/db/0/key/{encode_key(b's')}/").content.decode()
    assert f'hx-get="{panel_url(on=1).replace("&", "&amp;")}&amp;after=3-0"' in page
    oldest = client.get(f"/c/default/db/0/key/{encode_key(b's')}/?order=oldest").content.decode()
    assert "Follow new entries" not in oldest  # new entries would belong at the bottom


def test_an_emptied_stream_is_followed_from_its_last_generated_id(client, r):
    add(r, 1, 3)
    r.xdel("s", "1-0", "2-0", "3-0")
    page = client.get(f"/c/default/db/0/key/{encode_key(b's')}/").content.decode()
    assert "on=1&amp;after=3-0" in page


def test_the_panel_connects_and_disconnects(client, r):
    add(r, 1, 1)
    on = client.get(panel_url(on=1, after="1-0")).content.decode()
    events = f"/c/default/db/0/key/{encode_key(b's')}/stream/follow/events/?after=1-0"
    assert f'sse-connect="{events}"' in on and "Stop following" in on
    off = client.get(panel_url()).content.decode()
    assert "sse-connect" not in off and "Follow new entries" in off
    assert client.get(panel_url(on=1, after="x")).status_code == 400


def test_a_dropped_connection_reconnects_and_loses_nothing(r):
    """CLIENT KILL of the follower's blocked connection: it says so, reconnects, and the
    entries added while it was away arrive (a stream keeps them)."""
    add(r, 1, 1)

    def kill_and_add():
        wait_until(lambda: blocked_readers(r), 5, message="the follower blocks in XREAD")
        for reader in blocked_readers(r):
            r.client_kill_filter(_id=reader["id"])
        add(r, 2, 3)

    items = first_items(4, "1-0", then=kill_and_add)
    texts = [i.text for i in items if isinstance(i, Status)]
    assert texts[0] == "following"
    assert texts[1].startswith("lost the connection to redis")
    assert texts[2].startswith("reconnected to redis after")
    [batch] = [i for i in items if isinstance(i, Arrivals)]
    assert ids(batch) == ["2-0", "3-0"]
