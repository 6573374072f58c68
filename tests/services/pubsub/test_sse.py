"""SSE framing (keyspace/sse.py), what a message looks like on the page (`present`), and the
event generators driven in process against the session's Redis."""

from __future__ import annotations

import asyncio
import json
import random
import re

import pytest
import redis
from asgiref.sync import sync_to_async

from keyspace.services.pubsub import slots
from keyspace.services.pubsub.live import (
    Batch,
    Message,
    Status,
    Subscription,
    present,
    stream_messages,
)
from keyspace.services.pubsub.sse import sse_comment, sse_event, sse_retry
from keyspace.views import pubsub as views
from tests.services.pubsub.support import dashboard_clients, run_async
from tests.support.sse import SSEParser, parse_all


def normalized(data: str) -> str:
    """What EventSource hands to the page for `data`."""
    return re.sub(r"\r\n|\r", "\n", data).replace("\x00", "\ufffd")


# --- framing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "frame"),
    [
        ("plain", b"data: plain\n\n"),
        ("", b"data: \n\n"),
        ("a\nb", b"data: a\ndata: b\n\n"),
        ("a\rb", b"data: a\ndata: b\n\n"),
        ("a\r\nb", b"data: a\ndata: b\n\n"),
        ("a\n\rb", b"data: a\ndata: \ndata: b\n\n"),  # LF then CR: two breaks, not one
        ("\r\n\r\n", b"data: \ndata: \ndata: \n\n"),
        ("end\n", b"data: end\ndata: \n\n"),
        ("a\x00b", "data: a\ufffdb\n\n".encode()),
        ("x\r\nevent: status\r\ndata: pwned",
         b"data: x\ndata: event: status\ndata: data: pwned\n\n"),
        ("\n\nretry: 1\n\n", b"data: \ndata: \ndata: retry: 1\ndata: \ndata: \n\n"),
        ("\u2028\x85\x0b\x0c", "data: \u2028\x85\x0b\x0c\n\n".encode()),  # not SSE line breaks
    ],
)
def test_every_line_break_starts_a_data_line_and_nul_is_replaced(data, frame):
    assert sse_event(data) == frame
    events, parser = parse_all(frame)
    assert [(e.name, e.data) for e in events] == [("message", normalized(data))]
    assert parser.lines.count("") == 1  # exactly one blank line: the end of the event


def test_a_named_event_carries_its_name_once():
    frame = sse_event("<li>x</li>\n<li>y</li>", "batch")
    assert frame == b"event: batch\ndata: <li>x</li>\ndata: <li>y</li>\n\n"
    events, _ = parse_all(frame + sse_event("z", "stats"))
    assert [(e.name, e.data) for e in events] == [("batch", "<li>x</li>\n<li>y</li>"),
                                                  ("stats", "z")]


def test_any_data_makes_exactly_one_event_with_its_text():
    rng = random.Random(1234)
    alphabet = ["a", " ", ":", "\r", "\n", "\r\n", "\x00", "é", "\u2028", "event: status",
                "data:", "retry: 1", "id: 1", "\ufeff"]
    for _ in range(3000):
        data = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12)))
        name = rng.choice([None, "batch", "status"])
        frame = sse_event(data, name)
        assert b"\r" not in frame and b"\x00" not in frame
        events, parser = parse_all(frame)
        assert [(e.name, e.data) for e in events] == [(name or "message", normalized(data))], data
        assert parser.retry is None


def test_unencodable_text_does_not_break_the_frame():
    frame = sse_event("lone \ud800 surrogate\nnext", "batch")
    events, _ = parse_all(frame)
    assert [(e.name, e.data) for e in events] == [("batch", "lone ? surrogate\nnext")]


@pytest.mark.parametrize("name", ["batch", "status", "a", "A-b_9", "x" * 40])
def test_valid_event_names(name):
    assert sse_event("d", name).startswith(f"event: {name}\n".encode())


@pytest.mark.parametrize(
    "name", ["", "x" * 41, "a b", "a\nb", "batch\n", "a\rb", "a:b", "é", "status\x00", "<b>"]
)
def test_invalid_event_names_are_refused(name):
    with pytest.raises(ValueError, match="not an SSE event name"):
        sse_event("d", name)


def test_comments_stay_on_one_line_and_retry_is_a_whole_number():
    assert sse_comment("heartbeat") == b": heartbeat\n\n"
    assert sse_comment() == b": \n\n"
    frame = sse_comment("a\r\nevent: x\rdata: y\nz")
    assert frame == b": a event: x data: y z\n\n"
    events, parser = parse_all(frame)
    assert events == [] and parser.comments == [" a event: x data: y z"]
    assert sse_retry(2000) == b"retry: 2000\n\n"
    assert sse_retry(2.9) == b"retry: 2\n\n"
    parser = SSEParser()
    parser.feed(sse_retry(30_000).decode())
    assert parser.retry == 30_000


def test_the_parser_joins_a_crlf_split_across_reads():
    parser = SSEParser()
    assert parser.feed("data: a\r") == []
    assert parser.feed("\ndata: b\r") == []
    got = parser.feed("\n\r\n")
    assert [(e.name, e.data) for e in got] == [("message", "a\nb")]


# --- how a message is shown ---------------------------------------------------------------------


def message(data: bytes, channel: bytes = b"c", pattern: bytes | None = None) -> Message:
    return Message(received=1_700_000_000.123, channel=channel, pattern=pattern, data=data)


def test_present_json_text_binary_and_cut():
    shown = present(message(b' {"a": [1, {"b": null}], "c": "\\u00e9"} '), 4096)
    assert (shown.kind, shown.cut, shown.size) == ("json", False, 40)
    assert shown.body == json.dumps({"a": [1, {"b": None}], "c": "é"}, indent=2,
                                    ensure_ascii=False)
    assert shown.time.endswith(".123")

    assert present(message(b"plain words"), 4096).kind == "text"
    assert present(message(b"42"), 4096).kind == "text"  # a JSON scalar is just text
    binary = present(message(b"\x00\xff", channel=b"\xfe", pattern=b"*"), 4096)
    assert (binary.kind, binary.body, binary.channel, binary.pattern) == (
        "binary", "\\0\\xff", "\\xfe", "*")

    cut = present(message(b'{"k": "' + b"v" * 100 + b'"}'), 16)
    assert (cut.kind, cut.body, cut.cut, cut.size) == ("text", '{"k": "vvvvvvvvv', True, 109)
    # A cut in the middle of a UTF-8 character shows the bytes that are there.
    split = present(message("ééé".encode()), 3)
    assert (split.kind, split.body, split.cut) == ("binary", "é\\xc3", True)


# --- the generators, in process -----------------------------------------------------------------


async def _next_batch(gen, timeout: float = 2.0) -> Batch:
    async def find():
        async for item in gen:
            if isinstance(item, Batch) and (item.messages or item.skipped):
                return item
        raise AssertionError("the stream ended")

    return await asyncio.wait_for(find(), timeout)


def test_stream_messages_says_subscribed_then_keeps_only_the_newest_of_a_flood(r):
    async def run():
        gen = stream_messages(Subscription(channels=(b"g",), patterns=(b"g.*",)), 0,
                              interval=0.2, max_batch=3)
        try:
            first = await asyncio.wait_for(gen.__anext__(), 2)
            assert first == Status("subscribed")
            await asyncio.to_thread(_publish_many, r)
            batch = await _next_batch(gen)
            while batch.skipped + len(batch.messages) < 11:
                more = await _next_batch(gen)
                batch = Batch(more.messages, batch.skipped + len(batch.messages) + more.skipped)
            assert [m.data for m in batch.messages] == [b"8", b"9", b"p"]
            assert batch.skipped == 8
            assert batch.messages[-1].pattern == b"g.*"
            assert batch.messages[-1].channel == b"g.x"
            assert batch.messages[0].pattern is None
        finally:
            await gen.aclose()
        assert not dashboard_clients(r)  # closing the generator closed its connection

    run_async(run())


def _publish_many(client: redis.Redis) -> None:
    with client.pipeline(transaction=False) as pipe:
        for n in range(10):
            pipe.publish("g", str(n))
        pipe.publish("g.x", "p")
        pipe.execute()


def test_a_cancelled_stream_closes_its_connection_and_frees_its_slot(r, transactional_db):
    """The slot is a lease row in the database (shared by every worker process): taken while
    the stream runs, given back when it is cancelled."""
    held = sync_to_async(slots.open_count)

    async def run():
        chunks = []

        async def consume():
            async for chunk in views._events(Subscription(channels=(b"s",)), 0, None):
                chunks.append(chunk)

        task = asyncio.create_task(consume())
        while not any(b"subscribed" in c for c in chunks):
            await asyncio.sleep(0.01)
        assert await held() == 1
        assert chunks[0] == b"retry: 2000\n\n"
        assert len(dashboard_clients(r)) == 1
        task.cancel()  # what the ASGI handler does when the browser goes away
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await held() == 0
        assert not dashboard_clients(r)  # closed before the cancellation finished

    assert slots.open_count() == 0
    run_async(run())


def test_a_quiet_stream_sends_heartbeats_with_the_totals(r, monkeypatch, settings):
    monkeypatch.setattr(views, "HEARTBEAT_SECONDS", 0.3)
    settings.DASHBOARD_PUBSUB_INTERVAL = 0.05

    async def run():
        gen = views._stream(Subscription(channels=(b"quiet",)), 0)
        chunks = []
        try:
            async def read():
                async for chunk in gen:
                    chunks.append(chunk)
                    if chunk.startswith(b":"):
                        chunks.append(await gen.__anext__())
                        return

            await asyncio.wait_for(read(), 2)
        finally:
            await gen.aclose()
        return chunks

    chunks = run_async(run())
    events, _ = parse_all(b"".join(chunks))
    assert chunks[-2] == b": heartbeat\n\n"
    assert [e.name for e in events] == ["status", "stats"]
    assert "0 received" in events[-1].data and "0 msg/s" in events[-1].data

