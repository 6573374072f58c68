"""The shared subscription hub against a real Redis: viewers share one connection, each keeps
its own pace, the per-batch cap scales with lateness, a cut-off connection is reported with a
count of what was lost."""

from __future__ import annotations

import asyncio
import threading
import time

from keyspace.services.pubsub.feed import Allowance
from keyspace.services.pubsub.hub import hub
from keyspace.services.pubsub.messages import Batch, Status
from keyspace.services.pubsub.reader import SharedReader
from keyspace.services.pubsub.wire import FEED_SLICE, READ_SIZE
from tests.services.pubsub.support import dashboard_clients, numsub, run_async


def subscribed_connections(r) -> list[dict]:
    return [c for c in dashboard_clients(r) if int(c.get("sub", 0)) or int(c.get("psub", 0))]


async def next_status(feed_items) -> Status:
    while not isinstance(item := await asyncio.wait_for(anext(feed_items), 5), Status):
        pass
    return item


async def next_messages(feed_items, count: int) -> list:
    """Messages (shown or skipped) until `count` have come: (data of the shown, skipped)."""
    shown, skipped = [], 0
    while len(shown) + skipped < count:
        item = await asyncio.wait_for(anext(feed_items), 5)
        if isinstance(item, Batch):
            shown += [m.data for m in item.messages]
            skipped += item.skipped
    return shown, skipped


def test_two_viewers_share_one_connection_and_the_second_leaving_keeps_the_first(r):
    async def run():
        async with hub.subscribe(0, channels=[b"orders"]) as first:
            one = first.batches(interval=0.05, max_batch=100)
            assert await next_status(one) == Status("subscribed")
            async with hub.subscribe(0, channels=["orders", b"orders"]) as second:
                two = second.batches(interval=0.05, max_batch=100)
                assert await next_status(two) == Status("subscribed")  # told at once
                assert hub.connections() == 1
                assert len(subscribed_connections(r)) == 1 and numsub(r, "orders") == 1
                assert first.client_id == second.client_id is not None
                assert r.publish("orders", "both see this") == 1
                assert (await next_messages(one, 1))[0] == [b"both see this"]
                assert (await next_messages(two, 1))[0] == [b"both see this"]
                await two.aclose()
            assert hub.connections() == 1 and numsub(r, "orders") == 1
            assert r.publish("orders", "still watched") == 1
            assert (await next_messages(one, 1))[0] == [b"still watched"]
            await one.aclose()
        assert hub.connections() == 0
        assert subscribed_connections(r) == []

    run_async(run())


def test_different_sets_get_their_own_connection_and_a_late_viewer_sees_only_new(r):
    async def run():
        async with hub.subscribe(0, channels=[b"a"]) as a, \
                hub.subscribe(0, channels=[b"a"], patterns=[b"b*"]) as ab:
            items_a = a.batches(interval=0.05, max_batch=10)
            items_ab = ab.batches(interval=0.05, max_batch=10)
            await next_status(items_a)
            await next_status(items_ab)
            assert hub.connections() == 2 and numsub(r, "a") == 2
            r.publish("a", "early")
            assert (await next_messages(items_a, 1))[0] == [b"early"]
            async with hub.subscribe(0, channels=[b"a"]) as late:
                items_late = late.batches(interval=0.05, max_batch=10)
                await next_status(items_late)
                r.publish("a", "late")
                assert (await next_messages(items_late, 1)) == ([b"late"], 0)
                await items_late.aclose()
            await items_a.aclose()
            await items_ab.aclose()

    run_async(run())


def test_the_cap_scales_with_the_time_since_the_last_batch_and_keeps_what_was_unused():
    now = [0.0]
    allowance = Allowance(200, 0.125, clock=lambda: now[0])  # binary fractions: exact sums
    now[0] = 0.125
    assert allowance.budget(4000) == 200
    allowance.spend(200)
    now[0] = 0.1875
    assert allowance.budget(4000) == 200  # an early batch still gets the cap
    allowance.spend(200)
    now[0] = 1.1875
    assert allowance.budget(4000) == 1600  # a second late
    allowance.spend(5)  # the reader had read only 5 of the backlog when the batch was due
    now[0] = 1.3125
    assert allowance.budget(4000) == 1795  # the rest of it fits in the next one
    now[0] = 100.0
    assert allowance.budget(4000) == 4000  # no more than the ring holds


def test_a_stall_of_a_second_at_1000_per_second_skips_nothing(r):
    """The page stops reading for 1 s while 1,000 messages arrive: the next batch hands all
    of them out (a cap fixed per batch would have skipped 800)."""

    async def run():
        async with hub.subscribe(0, channels=[b"steady"]) as feed:
            items = feed.batches(interval=0.1, max_batch=200)
            await next_status(items)
            await asyncio.to_thread(_publish_for_a_second, r, "steady", 1000)
            shown, skipped = await next_messages(items, 1000)
            await items.aclose()
            return shown, skipped

    shown, skipped = run_async(run())
    assert skipped == 0
    assert shown == [str(n).encode() for n in range(1000)]


def test_a_stalled_process_at_1000_per_second_skips_nothing(r):
    """The whole event loop stops for a second (reader included) while 1,000 messages are
    published: the batch due at once finds only part of the backlog read; the rest still fits
    the next ones."""

    async def run():
        async with hub.subscribe(0, channels=[b"stalled"]) as feed:
            items = feed.batches(interval=0.1, max_batch=200)
            await next_status(items)
            publisher = threading.Thread(target=_publish_for_a_second, args=(r, "stalled", 1000))
            publisher.start()
            publisher.join()  # the event loop is held meanwhile
            shown, skipped = await next_messages(items, 1000)
            await items.aclose()
            return shown, skipped

    shown, skipped = run_async(run())
    assert skipped == 0
    assert shown == [str(n).encode() for n in range(1000)]


def _publish_for_a_second(r, channel: str, count: int) -> None:
    started = time.monotonic()
    for start in range(0, count, 100):
        with r.pipeline(transaction=False) as pipe:
            for n in range(start, start + 100):
                pipe.publish(channel, str(n))
            pipe.execute()
        time.sleep(max(0.0, started + (start + 100) / count - time.monotonic()))


def test_skipped_counts_stay_exact_for_viewers_at_different_paces(r):
    async def run():
        async with hub.subscribe(0, channels=[b"f"]) as quick, \
                hub.subscribe(0, channels=[b"f"]) as slow:
            fast_items = quick.batches(interval=0.02, max_batch=5)
            slow_items = slow.batches(interval=0.3, max_batch=3)
            await next_status(fast_items)
            await next_status(slow_items)
            with r.pipeline(transaction=False) as pipe:
                for n in range(500):
                    pipe.publish("f", str(n))
                pipe.execute()
            fast = await next_messages(fast_items, 500)
            slow_seen = await next_messages(slow_items, 500)
            await fast_items.aclose()
            await slow_items.aclose()
            return fast, slow_seen

    for shown, skipped in run_async(run()):
        assert len(shown) + skipped == 500
        assert shown[-1] == b"499"


def test_a_subscriber_cut_off_for_reading_slowly_is_told_how_many_were_lost(
    r, tight_pubsub_buffer
):
    """The event loop stalls while 16 MB are published: Redis disconnects the dashboard at its
    output buffer limit. The reconnect says how many messages never arrived, exactly (only
    this test publishes)."""
    payload = b"x" * 1024
    published = 16_000  # 16 MB: more than loopback socket buffers can absorb

    async def run():
        async with hub.subscribe(0, channels=[b"slow"]) as feed:
            items = feed.batches(interval=0.05, max_batch=100)
            await next_status(items)
            old = feed.client_id
            flood = threading.Thread(target=_flood, args=(r, payload, published))
            flood.start()
            flood.join()  # blocks the event loop: nothing is read meanwhile
            received = 0
            while True:
                item = await asyncio.wait_for(anext(items), 10)
                if isinstance(item, Batch):
                    received += len(item.messages) + item.skipped
                elif item.text.startswith("reconnected"):
                    break
                else:
                    lost = item
            await items.aclose()
            return old, feed.client_id, lost, item, received

    old, new, lost, back, received = run_async(run())
    assert "lost the connection to redis" in lost.text and lost.level == "error"
    assert new != old
    assert received < published
    assert back.lost == published - received
    assert f"not received: up to {published - received:,} " in back.text
    assert back.level == "error"


def _flood(r, payload: bytes, count: int) -> None:
    with r.pipeline(transaction=False) as pipe:
        for _ in range(count):
            pipe.publish("slow", payload)
        pipe.execute()


def test_viewers_of_one_subscription_take_on_the_same_tick_and_share_the_messages(r):
    """Batches fall on a grid shared by the process: both viewers are handed the very same
    Message objects (and the page renders them once)."""

    async def run():
        async with hub.subscribe(0, channels=[b"tick"]) as one, \
                hub.subscribe(0, channels=[b"tick"]) as two:
            items = [one.batches(interval=0.1, max_batch=50), two.batches(interval=0.1,
                                                                          max_batch=50)]
            for feed_items in items:
                await next_status(feed_items)
            with r.pipeline(transaction=False) as pipe:
                for n in range(5):
                    pipe.publish("tick", str(n))
                pipe.execute()
            batches = []
            for feed_items in items:
                while not isinstance(item := await anext(feed_items), Batch) or not item.messages:
                    pass
                batches.append(item)
                await feed_items.aclose()
            return batches

    first, second = run_async(run())
    assert [m.data for m in first.messages] == [b"0", b"1", b"2", b"3", b"4"]
    assert all(a is b for a, b in zip(first.messages, second.messages, strict=True))
    assert (first.source, first.first_seq) == (second.source, second.first_seq)


def test_the_budget_is_the_cap_under_a_flood_and_a_tenth_of_it_while_the_reader_is_behind(r):
    shared = SharedReader(0, (b"x",), ())
    feed = shared.join(4000)
    now = [0.0]
    allowance = Allowance(200, 0.1, clock=lambda: now[0])
    now[0] = 1.0
    assert feed._budget(allowance, 200, 0.1) == 2000  # quiet channel, a late batch: saved up
    allowance.spend(0)
    shared.rate.count(10_000)  # arrivals far above 2,000/s: a flood
    now[0] = 2.0
    assert feed._budget(allowance, 200, 0.1) == 200
    assert allowance.saved == 0  # nothing saved for a catch-up batch that would only cost

    async def run():
        # A real backlog: the reader stops reading its socket while Redis sends 300 KB.
        async with hub.subscribe(0, channels=[b"flood"]) as feed:
            items = feed.batches(interval=0.05, max_batch=200)
            await next_status(items)
            shared = feed.shared
            assert not shared.lagging
            shared.wire.transport.pause_reading()
            with r.pipeline(transaction=False) as pipe:
                for n in range(300):
                    pipe.publish("flood", b"%04d" % n + b"x" * 1020)
                pipe.execute()
            deadline = time.monotonic() + 5
            while not shared.lagging and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            # No flood yet (nothing was read): a backlog alone is a pause, and a batch
            # after a 1 s stall still gets everything saved meanwhile.
            clock = [0.0]
            stalled = Allowance(200, 0.1, clock=lambda: clock[0])
            clock[0] = 1.0
            paused = feed._budget(stalled, 200, 0.1)
            shared.rate.count(10_000)
            behind = shared.lagging, feed._budget(Allowance(200, 0.1), 200, 0.1)
            shared.wire.transport.resume_reading()
            while shared.total < 300 and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            caught_up = shared.lagging, feed._budget(Allowance(200, 0.1), 200, 0.1), shared.total
            await items.aclose()
            return paused, behind, caught_up

    paused, behind, caught_up = run_async(run())
    assert paused == 2000
    assert behind == (True, 20)  # unread bytes wait in the socket: a tenth of the cap
    assert caught_up == (False, 200, 300)  # all read: the socket is empty again


def test_without_info_the_loss_is_said_to_be_unknown(r, redis_server, settings):
    """A user who may subscribe but not run INFO: the reconnect says the count is unknown
    rather than guessing."""
    r.acl_setuser("noinfo", enabled=True, passwords=["+pw"], keys=["*"], channels=["*"],
                  commands=["+@all", "-info"])
    settings.REDIS_URL = f"redis://noinfo:pw@127.0.0.1:{redis_server.port}/0"

    async def run():
        async with hub.subscribe(0, channels=[b"blind"]) as feed:
            items = feed.batches(interval=0.05, max_batch=10)
            await next_status(items)
            assert r.client_kill_filter(_type="pubsub") == 1
            lost = await next_status(items)
            back = await next_status(items)
            await items.aclose()
            return lost, back

    try:
        lost, back = run_async(run())
    finally:
        r.acl_deluser("noinfo")
    assert "lost the connection" in lost.text
    assert back.text.endswith("were not received: how many is unknown")
    assert back.lost is None and back.level == "error"


def test_messages_cut_across_parse_slices_and_socket_reads_arrive_whole_and_in_order(
        r, settings):
    """The reader feeds hiredis a socket read a slice at a time (wire.FEED_SLICE): replies
    that span slices, reads, or both, from 1 byte to many slices long, come out exact. (The
    preview is set larger than the largest, so that the reader keeps them whole.)"""
    settings.DASHBOARD_PUBSUB_PREVIEW_BYTES = 2 * READ_SIZE
    sizes = [1, FEED_SLICE - 40, FEED_SLICE, 3 * FEED_SLICE + 7, 0, 5, READ_SIZE + 11, 2]
    sizes += [997] * 300
    payloads = [bytes([n % 251]) * size + b"|%d" % n for n, size in enumerate(sizes)]

    async def run():
        async with hub.subscribe(0, channels=[b"sizes"], keep=len(payloads)) as feed:
            items = feed.batches(interval=0.05, max_batch=len(payloads))
            await next_status(items)
            with r.pipeline(transaction=False) as pipe:
                for payload in payloads:
                    pipe.publish("sizes", payload)
                pipe.execute()
            shown, skipped = await next_messages(items, len(payloads))
            await items.aclose()
            return shown, skipped

    shown, skipped = run_async(run())
    assert skipped == 0
    assert shown == payloads


def test_viewers_wait_for_the_reader_while_it_is_behind(r):
    """Reading comes before rendering: with a backlog unread on the socket, a viewer about to
    take waits for the reader's reads until it has caught up (or until its deadline, if the
    reader cannot read), so ten viewers' writes do not keep the reader from its socket."""

    async def run():
        async with hub.subscribe(0, channels=[b"first"]) as feed:
            items = feed.batches(interval=0.05, max_batch=200)
            await next_status(items)
            shared = feed.shared
            shared.wire.transport.pause_reading()
            with r.pipeline(transaction=False) as pipe:
                for n in range(600):
                    pipe.publish("first", b"%04d" % n + b"x" * 1020)
                pipe.execute()
            deadline = time.monotonic() + 5
            while not shared.lagging and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            loop = asyncio.get_running_loop()
            # The reader cannot read: the wait ends at its deadline, still behind.
            await shared.read_first(loop.time() + 0.1)
            stuck = shared.lagging, shared.total
            waiting = asyncio.create_task(shared.read_first(loop.time() + 10))
            await asyncio.sleep(0.2)
            waited = not waiting.done()
            shared.wire.transport.resume_reading()
            await asyncio.wait_for(waiting, 10)
            after = shared.lagging, shared.total
            await items.aclose()
            return stuck, waited, after

    stuck, waited, after = run_async(run())
    assert stuck == (True, 0)
    assert waited  # behind: the viewer waits for the reader
    assert after[0] is False and after[1] > 0  # it returned once the reader had caught up


def test_missed_keyspace_notifications_are_said_to_be_unknown_not_none(r, notifications):
    """Keyspace notifications are not PUBLISH calls: INFO commandstats cannot count those
    missed while away, so a subscription that may receive them (a key's channel, a pattern
    that may match one) says the count is unknown rather than 'up to 0'."""
    r.set(b"watched", b"1")

    async def run(channels, patterns):
        async with hub.subscribe(0, channels=channels, patterns=patterns) as feed:
            items = feed.batches(interval=0.05, max_batch=10)
            await next_status(items)
            assert r.client_kill_filter(_type="pubsub") == 1
            lost = await next_status(items)
            r.set(b"watched", b"2")  # while away, or just after: unknown either way
            back = await next_status(items)
            await items.aclose()
            return lost, back

    for channels, patterns in (([b"__keyspace@0__:watched"], []), ([], [b"*"]),
                               ([], [b"__keyevent@0__:*"])):
        lost, back = run_async(run(channels, patterns))
        assert "lost the connection" in lost.text
        assert back.lost is None, (channels, patterns, back.text)
        assert "how many is unknown" in back.text and "notifications" in back.text
    lost, back = run_async(run([b"plain"], [b"orders.*"]))
    assert back.lost == 0 and "up to 0" in back.text


def test_a_long_message_is_kept_only_as_far_as_it_can_be_shown(r, settings):
    """The ring holds thousands of messages: each is kept up to KEEP_BYTES (or a larger
    preview), with its whole size, so that big messages cannot fill the process's memory."""
    from keyspace.services.pubsub.messages import KEEP_BYTES, present

    settings.DASHBOARD_PUBSUB_PREVIEW_BYTES = 100

    async def run():
        async with hub.subscribe(0, channels=[b"big"]) as viewer:
            items = viewer.batches(interval=0.05, max_batch=10)
            assert await next_status(items) == Status("subscribed")
            reader = next(iter(hub._shared.values()))
            assert r.publish("big", b"x" * 3_000_000) == 1
            assert r.publish("big", b"y" * KEEP_BYTES) == 1
            while True:
                item = await asyncio.wait_for(anext(items), 5)
                if isinstance(item, Batch) and item.messages:
                    break
            for _ in range(100):
                if len(reader.ring) >= 2:
                    break
                await asyncio.sleep(0.05)
            assert [len(reply[-1]) for reply in reader.ring] == [KEEP_BYTES, KEEP_BYTES]
            shown = present(reader.recent(2)[0], 100)
            assert (shown.size, shown.cut, shown.body) == (3_000_000, True, "x" * 100)
            whole = present(reader.recent(2)[1], KEEP_BYTES)
            assert (whole.size, whole.cut) == (KEEP_BYTES, False)
            await items.aclose()
        # A pattern lets the publisher name the channel: its name is kept as far too.
        async with hub.subscribe(0, patterns=[b"long:*"]) as viewer:
            items = viewer.batches(interval=0.05, max_batch=10)
            assert await next_status(items) == Status("subscribed")
            reader = next(iter(hub._shared.values()))
            assert r.publish(b"long:" + b"c" * 3_000_000, b"m") == 1
            for _ in range(100):
                if reader.ring:
                    break
                await asyncio.sleep(0.05)
            assert len(reader.ring[-1][-2]) == KEEP_BYTES
            shown = present(reader.recent(1)[0], 100)
            assert shown.channel.startswith("long:ccc") and shown.channel.endswith("…")
            await items.aclose()

    run_async(run())
