"""Pub/sub: what channels exist, publishing, and the live stream a page reads.

A stream is a viewer of the process's shared subscription for its channels and patterns
(hub.py): one batch per short interval, the newest messages kept and the rest counted as
skipped, so memory stays flat whatever the publish rate. If the connection drops, the stream
says so, reconnects, resubscribes, and says how long it was away and what was lost.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import redis

from keyspace.redis.capabilities import note_refusal
from keyspace.services.pubsub.hub import hub
from keyspace.services.pubsub.messages import (  # noqa: F401 (the stream's vocabulary)
    Batch,
    Message,
    ShownMessage,
    Status,
    Subscription,
    present,
    present_all,
)

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


def keyspace_notifications(client: redis.Redis) -> tuple[str | None, str]:
    """(the server's notify-keyspace-events flags, "") or (None, why they cannot be read):
    CONFIG refused to this user, or renamed away by the server (managed services)."""
    try:
        flags = client.config_get("notify-keyspace-events").get("notify-keyspace-events", "")
    except redis.ResponseError as exc:
        kind = note_refusal("CONFIG", exc)
        return None, f"CONFIG is {kind}" if kind else f"CONFIG GET failed: {exc}"
    return flags, ""


async def stream_messages(
    subscription: Subscription, db: int, *, interval: float, max_batch: int
) -> AsyncIterator[Batch | Status]:
    """Batches of messages (possibly empty: a heartbeat) and status changes, from the shared
    subscription for these channels and patterns (see hub.py)."""
    async with hub.subscribe(db, channels=subscription.channels,
                             patterns=subscription.patterns) as feed:
        async for item in feed.batches(interval=interval, max_batch=max_batch):
            yield item
