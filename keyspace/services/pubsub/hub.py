"""Shared subscriptions: one Redis subscription per distinct set of channels and patterns in a
process, read by one task, watched by any number of viewers.

API (everything runs on the event loop of the ASGI server)::

    from keyspace.services.pubsub.hub import hub
    from keyspace.services.pubsub.messages import Batch, Message, Status

    async with hub.subscribe(db, channels=[b"orders"], patterns=[b"__keyspace@0__:*"]) as feed:
        async for item in feed.batches(interval=0.1, max_batch=200):
            if isinstance(item, Status):   # "subscribed", lost, reconnected (with a count)...
                ...                        # item.final: the stream ends after this one
            else:                          # a Batch (possibly empty: a heartbeat)
                item.messages              # list[Message], oldest first (channel, pattern,
                                           # data as bytes, received as a wall-clock time)
                item.skipped               # messages received but not handed out (older)
                item.per_second            # the subscription's arrival rate lately

- `shards`: sharded channels (SSUBSCRIBE), all served by one primary in a cluster (see
  shards.by_primary); a reader subscribes to them on that primary.
- Viewers of the same (Redis target, db, channels, patterns) share one connection and one
  parse; the first viewer opens it, the last one to leave closes it (`hub.connections()`
  counts the open ones in this process). Channel and pattern order and repeats do not matter.
- A viewer sees messages received after it joined. Its own pace, filter and pause are its
  own: each `take` hands out the newest messages since its last one and counts the rest as
  skipped, exactly (`delivered + skipped` = received).
- `feed.take(budget)` and `feed.new_statuses()` are the non-blocking pieces `batches` uses.
- `batches` hands out what arrived since the last batch, newest first kept: after a stall
  up to the allowance saved meanwhile (a stall of 1 s at 1,000 msg/s skips nothing; the
  ring keeps the newest `keep` messages, by default PUBSUB_MAX_BATCH for every
  PUBSUB_INTERVAL in CATCH_UP_SECONDS); under a flood `max_batch` per interval, and while
  the reader is also behind Redis (a backlog unread on its socket), it holds off up to 1 s
  and then hands out a tenth of that, so reading always comes before rendering; at any rate
  a viewer about to take waits for the reader's reads while it is behind (until the next
  tick at most: `SharedReader.read_first`). Batches fall on a process-wide tick grid, so
  the viewers of one subscription are handed the same Message objects (and the page makes
  one SSE event of them for all: views/pubsub.py).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import math
from collections.abc import AsyncIterator, Iterable

from keyspace.conf import app_settings
from keyspace.redis.connection import current_target
from keyspace.services.pubsub.feed import Feed
from keyspace.services.pubsub.reader import SharedReader

CATCH_UP_SECONDS = 2.0


def default_keep() -> int:
    intervals = math.ceil(CATCH_UP_SECONDS / app_settings.PUBSUB_INTERVAL)
    return app_settings.PUBSUB_MAX_BATCH * max(1, intervals)


def _names(names: Iterable[bytes | str]) -> tuple[bytes, ...]:
    return tuple(sorted({n.encode() if isinstance(n, str) else bytes(n) for n in names}))


class Hub:
    """The process's shared subscriptions, by (event loop, target, db, channels, patterns)."""

    def __init__(self) -> None:
        self._shared: dict[tuple, SharedReader] = {}

    @contextlib.asynccontextmanager
    async def subscribe(self, db: int, *, channels: Iterable[bytes | str] = (),
                        patterns: Iterable[bytes | str] = (),
                        shards: Iterable[bytes | str] = (),
                        keep: int | None = None) -> AsyncIterator[Feed]:
        channels, patterns, shards = _names(channels), _names(patterns), _names(shards)
        if not (channels or patterns or shards):
            raise ValueError("subscribe to at least one channel or pattern")
        key = (id(asyncio.get_running_loop()), current_target().key, db, channels, patterns,
               shards)
        shared = self._shared.get(key)
        if shared is None or shared.finished:
            shared = self._shared[key] = SharedReader(db, channels, patterns, shards)
            shared.start()
        feed = shared.join(keep or default_keep())
        try:
            yield feed
        finally:
            shared.leave(feed)
            if not shared.viewers:
                if self._shared.get(key) is shared:
                    del self._shared[key]
                await shared.stop()

    def connections(self) -> int:
        """Shared subscriptions open (or reconnecting) in this process."""
        return sum(1 for shared in self._shared.values() if not shared.finished)

    def viewers(self) -> collections.Counter:
        """Viewers per (db, channels, patterns), for the curious and for tests."""
        return collections.Counter({key[2:]: len(s.viewers) for key, s in self._shared.items()})


hub = Hub()
