"""The live message stream, end to end: a real uvicorn, a real Redis, a raw SSE client."""

from __future__ import annotations

import json
import re
import time
from html.parser import HTMLParser

import redis

from dashboard.local_redis import LocalRedis, free_port
from keyspace.display import bytes_to_text, human_bytes
from keyspace.redis.keynames import to_escaped
from keyspace.services.pubsub.hub import CATCH_UP_SECONDS
from tests.services.pubsub.support import (
    dashboard_clients,
    messages,
    numsub,
    skipped,
    status_texts,
    text_of,
    wait_until,
)

SSE_LINE = re.compile(r"(event: [A-Za-z0-9_-]+|data: [^\r\n]*|retry: [0-9]+|:[^\r\n]*|)")


def collect(stream, count: int, timeout: float = 5.0) -> list:
    """Batch events until `count` messages (shown or skipped) have arrived."""
    batches, seen = [], 0
    deadline = time.monotonic() + timeout
    while seen < count:
        left = deadline - time.monotonic()
        assert left > 0, f"only {seen} of {count} messages within {timeout} s"
        event = stream.next_event(left, name="batch")
        batches.append(event)
        seen += len(messages(event)) + skipped(event)
    assert seen == count, f"{seen} messages arrived, {count} were published"
    return batches


def shown(batches) -> list:
    """All shown messages, oldest first."""
    return [m for event in batches for m in reversed(messages(event))]


# --- delivery -----------------------------------------------------------------------------------


def test_a_published_message_arrives_as_a_batch_with_its_channel(dashboard, r):
    stream = dashboard.open(channel="orders", pattern="news.*")
    assert stream.status == 200
    assert stream.headers["content-type"].startswith("text/event-stream")
    assert stream.headers["cache-control"] == "no-cache"
    first = stream.next_event(5)
    assert (first.name, text_of(first)) == ("status", "subscribed")
    assert stream.parser.retry == 2000

    sent = time.monotonic()
    assert r.publish("orders", "order 1 placed") == 1
    event = stream.next_event(2, name="batch")
    assert event.at - sent < 1.0
    [message] = messages(event)
    assert (message.channel, message.pattern, message.body, message.kind) == (
        "orders", None, "order 1 placed", "text")

    assert r.publish("news.eu", "hello europe") == 1
    assert r.publish("sports", "not subscribed") == 0
    [message] = messages(stream.next_event(2, name="batch"))
    assert (message.channel, message.pattern, message.body) == ("news.eu", "news.*", "hello europe")
    assert "via <code>news.*</code>" in message.html
    # Each batch is followed by the running totals.
    stats = stream.next_event(2)
    assert stats.name == "stats"
    assert text_of(stats).startswith("2 received · 0 skipped")


def test_messages_of_one_interval_come_as_one_batch_newest_first(dashboard, r):
    stream = dashboard.subscribed(channel="q")
    with r.pipeline(transaction=False) as pipe:
        for n in range(5):
            pipe.publish("q", f"m{n}")
        pipe.execute()
    batches = collect(stream, 5, timeout=3)
    assert [m.body for m in shown(batches)] == [f"m{n}" for n in range(5)]
    assert len(batches) <= 2  # published at once: one interval, at most split across two


def test_a_channel_given_with_escapes_subscribes_to_the_bytes(dashboard, r):
    stream = dashboard.subscribed(channel=to_escaped(b"bin\xff\x00chan"))
    assert r.publish(b"bin\xff\x00chan", "x") == 1
    [message] = messages(stream.next_event(2, name="batch"))
    assert message.channel == bytes_to_text(b"bin\xff\x00chan") == "bin\\xff\\0chan"


# --- escaping and framing -----------------------------------------------------------------------


class TagCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, tuple]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, tuple(name for name, _ in attrs)))


ALLOWED_TAGS = {
    ("li", ("class",)), ("span", ("class",)), ("span", ("class", "title")),
    ("code", ()), ("code", ("class",)), ("pre", ("class",)),
}

HOSTILE_CHANNEL = "<img src=x onerror=alert(1)>\"'&"
HOSTILE = [
    b"<script>alert(1)</script>",
    b"<img src=x onerror=alert(document.cookie)>",
    b"\"' onmouseover=alert(1) x=\"",
    b"\xff\xfe<b>not utf-8</b>\x00",
    b"nul\x00inside",
    b"\x1b[31mred\x1b[0m\x07 and \x7f",
    "bidi \u202e<svg onload=alert(1)>".encode(),
    b"</pre></li><script>alert(2)</script>",
    b"&lt;already&gt; &amp;",
]


def test_binary_and_hostile_payloads_and_channel_names_are_escaped(dashboard, r):
    stream = dashboard.subscribed(channel=HOSTILE_CHANNEL, pattern="<*")
    for payload in HOSTILE:
        assert r.publish(HOSTILE_CHANNEL, payload) == 2  # the channel and the pattern
    batches = collect(stream, 2 * len(HOSTILE))
    got = shown(batches)
    assert [m.body for m in got[::2]] == [bytes_to_text(p) for p in HOSTILE]
    assert [m.body for m in got[1::2]] == [bytes_to_text(p) for p in HOSTILE]
    assert {m.channel for m in got} == {HOSTILE_CHANNEL}
    assert {m.pattern for m in got} == {None, "<*"}
    for event in batches:
        collector = TagCollector()
        collector.feed(event.data)
        assert set(collector.tags) <= ALLOWED_TAGS, collector.tags
        for raw_tag in ("<script", "<img", "<svg", "<b>", "</b>"):
            assert raw_tag not in event.data
    kinds = {bytes_to_text(p): m.kind for p, m in zip(HOSTILE, got[::2], strict=True)}
    assert kinds[r"\xff\xfe<b>not utf-8</b>\0"] == "binary"
    assert kinds[r"nul\0inside"] == "binary"
    assert kinds["<script>alert(1)</script>"] == "text"
    assert r"\x1b[31mred\x1b[0m\x07 and \x7f" in kinds
    assert r"bidi \xe2\x80\xae<svg onload=alert(1)>" in kinds
    # A payload that is already escaped is escaped again: shown as the text it is.
    assert "&amp;lt;already&amp;gt; &amp;amp;" in stream.raw.decode()


LINE_BREAKING = [
    b"x\r\nevent: status\r\ndata: pwned",
    b"x\revent: status\rdata: pwned\r\r",
    b"x\nevent: status\ndata: pwned\n\n",
    b"\r\n\r\n",
    b"\n",
    b"\r",
    b"a\x00b\x00",
    b"\x00",
    b"retry: 1\n\nid: 7\n\n: comment",
    json.dumps({"a": "\r\n\nevent: status\ndata: pwned\n\n", "b": "\u2028\u2029\x85\x00"}).encode(),
    b'{\r\n"k":\r"v"\n}',
]


def test_line_breaks_and_nul_in_payloads_never_split_or_inject_events(dashboard, r):
    channel = "lines\r\nevent: status\r\ndata: pwned"
    stream = dashboard.subscribed(channel=to_escaped(channel.encode()))
    before = len(stream.raw)
    for payload in LINE_BREAKING:
        assert r.publish(channel, payload) == 1
    batches = collect(stream, len(LINE_BREAKING))
    stream.pump(0.3)  # anything more (a stray status, a stats event) arrives by now

    got = shown(batches)
    assert len(got) == len(LINE_BREAKING)
    for payload, message in zip(LINE_BREAKING, got, strict=True):
        expected = json.loads(payload) if payload.startswith(b"{") else None
        if expected is not None:
            assert message.kind == "json" and json.loads(message.body) == expected
        else:
            assert message.body == bytes_to_text(payload)
        assert message.channel == r"lines\r\nevent: status\r\ndata: pwned"
    # Exactly: one "subscribed" status, then one batch and one stats event per batch.
    names = [e.name for e in stream.events]
    assert names == ["status"] + ["batch", "stats"] * len(batches), names
    assert status_texts(stream) == ["subscribed"]
    # No CR (a line break to EventSource) and no NUL in the bytes on the wire; every line
    # is a field the stream means to send.
    tail = stream.raw[before:]
    assert b"\r" not in tail and b"\x00" not in tail
    for line in tail.decode().split("\n"):
        assert SSE_LINE.fullmatch(line), line
    assert sum(line.startswith("event: ") for line in tail.decode().split("\n")) == len(
        stream.events) - 1


def test_json_is_pretty_printed_and_large_payloads_are_cut(dashboard, r):
    stream = dashboard.subscribed(channel="j")  # this server shows 256 bytes of a payload
    document = {"order": 7, "items": [{"sku": "A-1", "qty": 2}], "note": "<b>gift</b>"}
    big_text = b"0123456789" * 100
    big_json = json.dumps({"blob": "y" * 300}).encode()
    big_binary = b"\xff" * 300
    exactly = b"z" * 256
    payloads = [json.dumps(document, separators=(",", ":")).encode(), b"[1, 2]", b'{"broken": ',
                big_text, big_json, big_binary, exactly]
    for payload in payloads:
        r.publish("j", payload)
    pretty, short_list, broken, text, cut_json, binary, whole = shown(
        collect(stream, len(payloads)))

    assert pretty.kind == "json"
    assert pretty.body == json.dumps(document, indent=2, ensure_ascii=False)
    assert "\n" in pretty.body and "&lt;b&gt;gift&lt;/b&gt;" in pretty.html
    assert (short_list.kind, short_list.body) == ("json", "[\n  1,\n  2\n]")
    assert (broken.kind, broken.body, broken.cut) == ("text", '{"broken": ', None)

    assert text.kind == "text" and text.body == big_text[:256].decode()
    assert text.cut == f"cut, {human_bytes(1000)} in all" == "cut, 1000 B in all"
    # A cut JSON document is no longer JSON: shown as the text it starts with.
    assert cut_json.kind == "text" and cut_json.body == big_json[:256].decode()
    assert cut_json.cut == f"cut, {human_bytes(len(big_json))} in all"
    assert binary.kind == "binary" and binary.body == "\\xff" * 256
    assert binary.cut == "cut, 300 B in all"
    assert (whole.body, whole.cut) == (exactly.decode(), None)


# --- connections --------------------------------------------------------------------------------


def test_closing_the_stream_releases_its_redis_connection(dashboard, r):
    baseline = len(dashboard_clients(r))
    streams = [dashboard.subscribed(channel=f"c{n}") for n in range(3)]
    subscribers = [c for c in dashboard_clients(r) if int(c["sub"])]
    assert len(dashboard_clients(r)) == baseline + 3
    assert sorted(int(c["sub"]) for c in subscribers) == [1, 1, 1]

    streams[0].close()
    closed = time.monotonic()
    wait_until(lambda: len(dashboard_clients(r)) == baseline + 2, 2,
               message="one connection released")
    assert numsub(r, "c0") == 0 and numsub(r, "c1") == 1
    for stream in streams[1:]:
        stream.close()
    wait_until(lambda: len(dashboard_clients(r)) == baseline, 2, message="back to the baseline")
    assert time.monotonic() - closed < 3
    assert r.publish("c1", "anyone?") == 0


def test_a_reconnecting_browser_does_not_duplicate_its_subscription(dashboard, r):
    first = dashboard.subscribed(channel="dup", pattern="dup.*")
    assert numsub(r, "dup") == 1 and r.pubsub_numpat() == 1
    first.close()  # what EventSource does before it reconnects
    second = dashboard.subscribed(channel="dup", pattern="dup.*")
    wait_until(lambda: numsub(r, "dup") == 1 and r.pubsub_numpat() == 1, 2,
               message="one subscription")
    time.sleep(0.3)
    assert numsub(r, "dup") == 1 and r.pubsub_numpat() == 1
    assert r.publish("dup", "once") == 1
    [message] = messages(second.next_event(2, name="batch"))
    assert message.body == "once"
    second.pump(0.3)
    assert sum(len(messages(e)) for e in second.events if e.name == "batch") == 1


def test_the_stream_cap_holds_and_frees_up(start_dashboard, redis_server, r):
    dashboard = start_dashboard(redis_server.url, DASHBOARD_MAX_STREAMS="2")
    one = dashboard.subscribed(channel="cap")
    dashboard.subscribed(channel="cap")
    third = dashboard.open(channel="cap")
    assert third.status == 200
    event = third.next_event(5)
    assert event.name == "status"
    assert "too many open streams" in text_of(event) and "limit is 2" in text_of(event)
    assert 'class="status-error"' in event.data
    assert third.parser.retry == 30_000  # the browser waits long before trying again
    third.wait_until_closed(3)
    assert [e.name for e in third.events] == ["status"]
    assert numsub(r, "cap") == 1  # two streams, one shared subscription

    one.close()
    time.sleep(0.3)
    assert numsub(r, "cap") == 1  # the second stream still watches

    def another_stream_works():
        stream = dashboard.open(channel="cap")
        event = stream.next_event(5, name="status")
        if "too many" in event.data:  # the slot frees as the closed stream finishes
            stream.close()
            return None
        return stream

    fourth = wait_until(another_stream_works, 3, interval=0.1, message="a stream slot frees up")
    assert numsub(r, "cap") == 1
    assert r.publish("cap", "works") == 1
    [message] = messages(fourth.next_event(2, name="batch"))
    assert message.body == "works"


def test_a_redis_restart_mid_stream_is_reported_and_the_stream_resubscribes(
    start_dashboard, tmp_path
):
    server = LocalRedis(tmp_path / "restart", port=free_port()).start()
    try:
        dashboard = start_dashboard(server.url)
        stream = dashboard.subscribed(channel="live", pattern="live.*")
        client = redis.Redis(port=server.port)
        assert client.publish("live", "before") == 1
        [message] = messages(stream.next_event(2, name="batch"))
        assert message.body == "before"

        server.stop()
        stopped = time.monotonic()
        lost = stream.next_event(3, name="status")
        assert "lost the connection to redis" in text_of(lost), text_of(lost)
        assert 'class="status-error"' in lost.data
        time.sleep(1.0)
        server.start()  # the same port
        back = stream.next_event(10, name="status")
        text = text_of(back)
        assert re.fullmatch(r"reconnected to redis after [0-9.]+ s away; messages published "
                            r"(since [0-9]{2}:[0-9]{2}:[0-9]{2} )?until now were not received: "
                            r"how many is unknown", text), text  # a restart resets the counts
        away = float(re.search(r"after ([0-9.]+) s", text).group(1))
        assert 1.0 <= away <= time.monotonic() - stopped + 0.2

        client = redis.Redis(port=server.port)
        assert numsub(client, "live") == 1 and client.pubsub_numpat() == 1
        assert len(dashboard_clients(client)) == 1
        assert client.publish("live", "after") == 1
        assert client.publish("live.x", "via pattern") == 1
        batches = collect(stream, 2, timeout=2)
        stream.pump(0.5)
        delivered = [(m.body, m.pattern) for e in stream.events if e.name == "batch"
                     for m in reversed(messages(e))]
        assert delivered == [("before", None), ("after", None), ("via pattern", "live.*")]
        assert len(batches) >= 1
        assert status_texts(stream)[:2] == ["subscribed", text_of(lost)]
        assert len(status_texts(stream)) == 3
        client.close()
    finally:
        server.stop()


def test_a_subscriber_connection_killed_by_redis_is_noticed_not_silently_replaced(dashboard, r):
    """Redis drops slow subscribers (client-output-buffer-limit pubsub): messages are lost, so
    the stream must say so rather than let redis-py reconnect behind its back."""
    stream = dashboard.subscribed(channel="killed")
    [old] = [c for c in dashboard_clients(r) if int(c["sub"])]
    assert r.client_kill_filter(_type="pubsub") == 1
    lost = stream.next_event(2, name="status")
    assert "lost the connection to redis" in text_of(lost)
    back = stream.next_event(5, name="status")
    assert text_of(back).startswith("reconnected to redis after ")
    [new] = [c for c in dashboard_clients(r) if int(c["sub"])]
    assert new["id"] != old["id"]
    assert r.publish("killed", "after") == 1
    [message] = messages(stream.next_event(2, name="batch"))
    assert message.body == "after"


def test_a_flood_is_shown_in_bounded_batches_and_every_message_is_counted(dashboard, r):
    total, max_batch = 20_000, 50  # the shared server's DASHBOARD_PUBSUB_MAX_BATCH
    # A late batch may hand out more, in proportion to its lateness, up to what the ring keeps.
    ceiling = default_keep_for(max_batch)
    stream = dashboard.subscribed(channel="flood")
    with r.pipeline(transaction=False) as pipe:
        for start in range(0, total, 500):
            for n in range(start, start + 500):
                pipe.publish("flood", str(n))
            pipe.execute()
    batches = collect(stream, total, timeout=20)

    last = -1
    for event in batches:
        numbers = [int(m.body) for m in messages(event)]
        assert 1 <= len(numbers) <= ceiling or (not numbers and skipped(event))
        # newest first, consecutive: the newest of everything received in the interval
        assert numbers == list(range(numbers[0], numbers[0] - len(numbers), -1))
        assert skipped(event) == numbers[-1] - last - 1, "skipped = the messages in between"
        last = numbers[0]
    assert last == total - 1
    assert sum(skipped(e) for e in batches) > 0, "a flood this size must skip some"
    stream.pump(0.3)
    stats = [e for e in stream.events if e.name == "stats"][-1]
    shown_count = sum(len(messages(e)) for e in batches)
    assert text_of(stats).startswith(
        f"{total:,} received · {total - shown_count:,} skipped")


def default_keep_for(max_batch: int) -> int:
    return max_batch * round(CATCH_UP_SECONDS / 0.1)  # the default DASHBOARD_PUBSUB_INTERVAL


def test_keyspace_notifications_arrive_for_a_changed_key(dashboard, r):
    r.config_set("notify-keyspace-events", "KEA")
    try:
        stream = dashboard.subscribed(pattern="__keyspace@0__:*")
        r.set("k", "v")
        r.delete("k")
        got = shown(collect(stream, 2))
        assert [(m.channel, m.pattern, m.body) for m in got] == [
            ("__keyspace@0__:k", "__keyspace@0__:*", "set"),
            ("__keyspace@0__:k", "__keyspace@0__:*", "del"),
        ]
    finally:
        r.config_set("notify-keyspace-events", "")


def test_a_subscription_redis_refuses_is_reported_on_the_stream(start_dashboard, redis_server, r):
    """An ACL user without access to a channel: the stream says why, and does not crash and
    reconnect every two seconds."""
    r.acl_setuser("limited", enabled=True, passwords=["+pw"], keys=["*"],
                  channels=["allowed*"], commands=["+@all"])
    try:
        dashboard = start_dashboard(f"redis://limited:pw@127.0.0.1:{redis_server.port}/0")
        stream = dashboard.open(channel="forbidden")
        refused = stream.wait_for(lambda e: "status-error" in e.data, 3, name="status")
        assert "permission" in text_of(refused), text_of(refused)
        stream.pump(1.0)
        assert not stream.eof or (stream.parser.retry or 0) >= 30_000, (
            "the stream ended and the browser retries it every "
            f"{stream.parser.retry} ms")
        assert "Traceback" not in dashboard.log(), dashboard.log()
        assert r.publish("forbidden", "x") == 0
    finally:
        r.acl_deluser("limited")
