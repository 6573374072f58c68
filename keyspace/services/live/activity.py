"""The live activity view: what the db's keyspace events say about the last minute.

Every event of the db arrives on `__keyevent@<db>__:<event>` with the key as the message
(flag E). Keys and namespaces are counted in bounded windows (counters.Window: top-K with
space-saving), the command mix likewise, and events, expirations and evictions per second for
the last 60 seconds in a ring. Memory is the same for 10 keys or 10 million; under a flood the
subscription keeps a bounded batch per interval and the rest are counted as not seen."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass

from asgiref.sync import sync_to_async

from keyspace.conf import app_settings
from keyspace.decoders.memory import namespace_of
from keyspace.redis.capabilities import limited_keys
from keyspace.redis.connection import get_async_client
from keyspace.redis.scanning import readable_of
from keyspace.services.live import events, feed
from keyspace.services.live.counters import Counted, Window
from keyspace.services.pubsub.messages import CutData

SERIES_SECONDS = 60
COMMAND_KINDS = 64  # event names are Redis's own (a few dozen); modules may add some
SUMMARY_SECONDS = 1.0
MAX_BATCH = 5_000


@dataclass(frozen=True)
class Second:
    at: int  # wall-clock second
    events: int
    expired: int
    evicted: int


@dataclass(frozen=True)
class Summary:
    since: float
    total: int  # events in the last minute
    keys: list[Counted]
    namespaces: list[Counted]
    commands: list[Counted]
    series: list[Second]  # oldest first, one per second, zeros included
    not_seen: int  # events a flood made the subscription drop, since the start

    @property
    def per_second(self) -> float:
        return sum(s.events for s in self.series) / max(len(self.series), 1)


class Activity:
    def __init__(self, capacity: int, *, clock=time.monotonic, wall=time.time) -> None:
        self.wall = wall
        self.since = wall()
        self.keys = Window(capacity, clock=clock)
        self.namespaces = Window(capacity, clock=clock)
        self.commands = Window(COMMAND_KINDS, clock=clock)
        self.seconds: deque[list[int]] = deque(maxlen=SERIES_SECONDS)  # [at, events, exp, ev]
        self.not_seen = 0

    def record(self, event: str, key: bytes) -> None:
        self.keys.add(key)
        self.namespaces.add(namespace_of(key))
        self.commands.add(event.encode("ascii", "replace"))
        second = self._second()
        second[1] += 1
        second[2] += event == "expired"
        second[3] += event == "evicted"

    def _second(self) -> list[int]:
        now = int(self.wall())
        if not self.seconds or self.seconds[-1][0] != now:
            self.seconds.append([now, 0, 0, 0])
        return self.seconds[-1]

    def summary(self, top: int = 10) -> Summary:
        now = int(self.wall())
        by_second = {s[0]: s for s in self.seconds}
        series = [Second(at, *by_second.get(at, [at, 0, 0, 0])[1:])
                  for at in range(now - SERIES_SECONDS + 1, now + 1)]
        return Summary(since=self.since, total=self.keys.total, keys=self.keys.top(top),
                       namespaces=self.namespaces.top(top), commands=self.commands.top(20),
                       series=series, not_seen=self.not_seen)


async def watch_activity(db: int) -> AsyncIterator[Summary | feed.Status | None]:
    """A summary about once a second (None between them), and the subscription's statuses.
    A user whose ACL key patterns leave keys out is told only of keys it may read: events
    name every key all the same, so each batch's names are checked first (one pipelined
    EXISTS each, as the key list checks a SCAN step's)."""
    activity = Activity(app_settings.LIVE_ACTIVITY_COUNTERS)
    checker = get_async_client(db) if await sync_to_async(limited_keys)() else None
    stream = feed.notifications(db, patterns=(events.event_pattern(db),), max_batch=MAX_BATCH)
    sent_at = 0.0
    try:
        async for item in stream:
            if isinstance(item, feed.Status):
                yield item
                continue
            # A key name longer than the reader keeps (CutData) cannot be named: not counted.
            named = [message for message in item.messages if not isinstance(message.data, CutData)]
            allowed = None
            if checker is not None:
                allowed = await _readable(checker, {message.data for message in named})
            for message in named:
                if allowed is None or message.data in allowed:
                    activity.record(events.event_of(message.channel), message.data)
            activity.not_seen += item.skipped + len(item.messages) - len(named)
            if time.monotonic() - sent_at >= SUMMARY_SECONDS:
                sent_at = time.monotonic()
                yield activity.summary()
            else:
                yield None
    finally:
        await stream.aclose()
        if checker is not None:
            await checker.aclose()


async def _readable(client, names: set[bytes]) -> set[bytes]:
    """Those of `names` the user's ACL key patterns let it read."""
    if not names:
        return names
    ordered = list(names)
    async with client.pipeline(transaction=False) as pipe:
        for name in ordered:
            pipe.exists(name)
        replies = await pipe.execute(raise_on_error=False)
    return set(readable_of(ordered, replies))
