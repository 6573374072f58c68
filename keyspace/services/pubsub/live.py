"""Pub/sub: what channels exist, publishing, and a bounded, self-healing live stream.

A stream reads with its own `redis.asyncio` connection and hands out one batch per short
interval. Under a flood a batch keeps only the newest messages and counts the rest as
skipped, so memory stays flat whatever the publish rate. If the connection drops, the
stream says so, reconnects, resubscribes, and says how long it was away.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import redis
import redis.asyncio

from keyspace.conf import app_settings
from keyspace.display import bytes_to_text, is_printable_text, pretty_json
from keyspace.redis.connection import get_async_client
from keyspace.services.pubsub.rates import ArrivalRate

MAX_LISTED_CHANNELS = 500


@dataclass(frozen=True)
class ChannelInfo:
    name: bytes
    subscribers: int


@dataclass(frozen=True)
class ChannelList:
    channels: list[ChannelInfo]
    pattern_subscriptions: int
    truncated: bool


def channel_list(client: redis.Redis, pattern: bytes | None) -> ChannelList:
    """Active channels (matching `pattern`) with their subscriber counts, in two round trips."""
    with client.pipeline(transaction=False) as pipe:
        pipe.pubsub_channels(pattern or "*")
        pipe.pubsub_numpat()
        names, numpat = pipe.execute()
    names = sorted(names)
    shown = names[:MAX_LISTED_CHANNELS]
    counts = dict(client.pubsub_numsub(*shown)) if shown else {}
    return ChannelList(
        channels=[ChannelInfo(name, counts.get(name, 0)) for name in shown],
        pattern_subscriptions=numpat,
        truncated=len(names) > len(shown),
    )


def publish(client: redis.Redis, channel: bytes, message: bytes) -> int:
    """Publish; returns how many subscribers received it."""
    return client.publish(channel, message)


def keyspace_notifications(client: redis.Redis) -> str | None:
    """The server's notify-keyspace-events flags, or None if the user may not read them."""
    try:
        return client.config_get("notify-keyspace-events").get("notify-keyspace-events", "")
    except redis.ResponseError:
        return None


@dataclass(frozen=True)
class Subscription:
    channels: tuple[bytes, ...] = ()
    patterns: tuple[bytes, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.channels or self.patterns)


@dataclass(frozen=True)
class Message:
    received: float
    channel: bytes
    pattern: bytes | None
    data: bytes


@dataclass(frozen=True)
class ShownMessage:
    """A message as the page shows it: payload as JSON, text or escaped bytes, cut to size."""

    time: str
    channel: str
    pattern: str | None
    body: str
    kind: str
    size: int
    cut: bool


def present(message: Message, limit: int) -> ShownMessage:
    data = message.data
    shown, cut = data[:limit], len(data) > limit
    pretty = None if cut else pretty_json(data)
    if pretty is not None:
        body, kind = pretty, "json"
    else:
        body, kind = bytes_to_text(shown), "text" if is_printable_text(shown) else "binary"
    stamp = time.strftime("%H:%M:%S", time.localtime(message.received))
    return ShownMessage(
        time=f"{stamp}.{int(message.received * 1000) % 1000:03d}",
        channel=bytes_to_text(message.channel),
        pattern=None if message.pattern is None else bytes_to_text(message.pattern),
        body=body, kind=kind, size=len(data), cut=cut,
    )


@dataclass
class Batch:
    messages: list[Message] = field(default_factory=list)
    skipped: int = 0
    per_second: float = 0.0  # messages received per second lately, by their arrival times


@dataclass(frozen=True)
class Status:
    """Something to tell the user about the stream itself."""

    text: str
    level: str = "info"
    final: bool = False  # the stream ends here and the browser should not retry soon


class StreamCounter:
    """Open streams in this process, against DASHBOARD_MAX_STREAMS."""

    def __init__(self) -> None:
        self.open = 0

    def try_open(self) -> bool:
        if self.open >= app_settings.MAX_STREAMS:
            return False
        self.open += 1
        return True

    def close(self) -> None:
        self.open -= 1


open_streams = StreamCounter()


@dataclass
class _Inbox:
    """What the reader has taken off the connection since the last batch."""

    capacity: int
    messages: collections.deque = field(init=False)
    seen: int = 0
    last_message_at: float | None = None  # wall clock, for "not received since …"
    rate: ArrivalRate = field(default_factory=ArrivalRate)

    def __post_init__(self) -> None:
        self.messages = collections.deque(maxlen=self.capacity)

    def take(self, budget: int) -> Batch:
        kept = list(self.messages)[-budget:]
        batch = Batch(messages=kept, skipped=self.seen - len(kept),
                      per_second=self.rate.per_second())
        self.messages.clear()
        self.seen = 0
        return batch


async def stream_messages(
    subscription: Subscription, db: int, *, interval: float, max_batch: int
) -> AsyncIterator[Batch | Status]:
    """Batches of messages (possibly empty: a heartbeat) and status changes, forever."""
    lost_at: float | None = None
    inbox = _Inbox(capacity=max_batch)
    delay = 0.5
    while True:
        client = get_async_client(db, subscriber=True)
        pubsub = client.pubsub(ignore_subscribe_messages=True)
        try:
            if subscription.channels:
                await pubsub.subscribe(*subscription.channels)
            if subscription.patterns:
                await pubsub.psubscribe(*subscription.patterns)
            if lost_at is not None:
                yield Status(_reconnected(time.monotonic() - lost_at, inbox.last_message_at))
                lost_at, delay = None, 0.5
            else:
                yield Status("subscribed")
            async for batch in _batches(pubsub, inbox, interval, max_batch):
                yield batch
        except redis.ResponseError as exc:  # e.g. NOPERM for a channel or pattern
            yield Status(f"redis refused the subscription: {exc}", level="error", final=True)
            return
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            failure = exc
        finally:
            # Before any wait: a connection left open while the stream sleeps could hold a
            # subscription nobody reads, and Redis would buffer a flood for it.
            await _close(pubsub, client)
        if lost_at is None:
            lost_at = time.monotonic()
            yield Status(f"lost the connection to redis ({failure.__class__.__name__}); "
                         "reconnecting…", level="error")
        await asyncio.sleep(delay)
        delay = min(delay * 2, 5.0)


def _reconnected(away: float, last_message_at: float | None) -> str:
    # Redis may have dropped the connection well after it stopped delivering (a slow reader is
    # cut off with a full buffer): the last message received marks where the gap begins.
    since = ""
    if last_message_at is not None:
        since = f" since {time.strftime('%H:%M:%S', time.localtime(last_message_at))}"
    return (f"reconnected to redis after {away:.1f} s away; messages published{since} "
            "until now were not received")


async def _batches(pubsub, inbox: _Inbox, interval: float, max_batch: int):
    """One batch per `interval`, filled by a reader task that drains the connection as fast as
    messages come, so Redis never holds a backlog for this subscriber."""
    reader = asyncio.create_task(_read(pubsub, inbox))
    try:
        while True:
            await asyncio.wait({reader}, timeout=interval)
            if reader.done():
                reader.result()  # the connection failed: let the caller reconnect
            yield inbox.take(max_batch)
    finally:
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)


async def _read(pubsub, inbox: _Inbox) -> None:
    async for reply in pubsub.listen():
        if reply["type"] not in ("message", "pmessage"):
            continue
        inbox.seen += 1
        inbox.rate.count()
        inbox.last_message_at = time.time()
        inbox.messages.append(
            Message(inbox.last_message_at, reply["channel"], reply.get("pattern"), reply["data"])
        )
        if inbox.seen % 256 == 0:
            # Buffered replies parse without waiting on the socket: give the batcher its turn.
            await asyncio.sleep(0)


async def _close(pubsub, client) -> None:
    # Closing must finish even when the task is being cancelled (the browser went away):
    # finish the close, then let the cancellation carry on up.
    closing = asyncio.ensure_future(_close_both(pubsub, client))
    try:
        await asyncio.shield(closing)
    except asyncio.CancelledError:
        await closing
        raise


async def _close_both(pubsub, client) -> None:
    try:
        await pubsub.aclose()
    finally:
        await client.aclose()
