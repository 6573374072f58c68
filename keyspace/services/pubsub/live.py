"""Pub/sub: what channels exist, publishing, and the live stream a page reads.

A stream is a viewer of the process's shared subscription for its channels and patterns
(hub.py): one batch per short interval, the newest messages kept and the rest counted as
skipped, so memory stays flat whatever the publish rate. If the connection drops, the stream
says so, reconnects, resubscribes, and says how long it was away and what was lost.

In a Redis Cluster, classic channels and patterns are read on the node the connection names
(a PUBLISH reaches every node), sharded channels on the primary serving their slot: a stream
with shard channels on several primaries reads one subscription per primary and hands out
their batches as they come (shards.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass

import redis

from keyspace.redis.capabilities import note_refusal
from keyspace.redis.cluster import is_cluster_client
from keyspace.services.pubsub import shards as sharded
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
    shard_channels: list[ChannelInfo] = dataclasses.field(default_factory=list)
    in_cluster: bool = False  # sharded channels are listed (and offered) in a cluster


def channel_list(client: redis.Redis, pattern: bytes | None) -> ChannelList:
    """Active channels (matching `pattern`) with their subscriber counts, in two round trips.
    In a cluster each node counts its own subscribers: every node is asked and the counts
    added up; shard channels are asked of each primary (shards.py)."""
    if is_cluster_client(client):
        return _cluster_channel_list(client, pattern)
    names, numpat, counts = _node_channels(client, pattern)
    return _listing(names, counts, numpat)


def _node_channels(client: redis.Redis, pattern: bytes | None):
    with client.pipeline(transaction=False) as pipe:
        pipe.pubsub_channels(pattern or "*")
        pipe.pubsub_numpat()
        names, numpat = pipe.execute()
    shown = sorted(names)[:MAX_LISTED_CHANNELS]
    counts = dict(client.pubsub_numsub(*shown)) if shown else {}
    return names, numpat, counts


def _listing(names, counts: dict, numpat: int, **more) -> ChannelList:
    names = sorted(set(names))
    shown = names[:MAX_LISTED_CHANNELS]
    return ChannelList(
        channels=[ChannelInfo(name, counts.get(name, 0)) for name in shown],
        pattern_subscriptions=numpat,
        truncated=len(names) > len(shown),
        **more,
    )


def _cluster_channel_list(client, pattern: bytes | None) -> ChannelList:
    names, numpat, counts = [], 0, {}
    for node in client.get_nodes():  # replicas too: subscribers may be on any node
        plain = client.get_redis_connection(node)
        try:
            found, node_numpat, node_counts = _node_channels(plain, pattern)
        except (redis.ConnectionError, redis.TimeoutError):
            continue  # a node down: its subscribers are gone with it
        names += found
        numpat += node_numpat
        for name, count in node_counts.items():
            counts[name] = counts.get(name, 0) + count
    try:
        shard_names, shard_counts = sharded.shard_channels(client, pattern)
    except redis.ResponseError as exc:
        if not sharded.refused(exc):
            raise
        shard_names, shard_counts = [], {}  # a cluster of Redis 6: no sharded pub/sub
    shown = sorted(shard_names)[:MAX_LISTED_CHANNELS]
    return _listing(names, counts, numpat, in_cluster=True, shard_channels=[
        ChannelInfo(name, shard_counts.get(name, 0)) for name in shown])


def publish(client: redis.Redis, channel: bytes, message: bytes, *,
            sharded_channel: bool = False) -> int:
    """Publish (SPUBLISH for a shard channel); returns how many subscribers received it."""
    if sharded_channel:
        return sharded.publish(client, channel, message)
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
    subscription for these channels and patterns (see hub.py); with shard channels on several
    primaries, from one subscription per primary."""
    groups = [{"channels": subscription.channels, "patterns": subscription.patterns}]
    if subscription.shards:
        shard_groups = await asyncio.to_thread(sharded.by_primary, db, subscription.shards)
        if subscription.channels or subscription.patterns:
            groups += [{"shards": group} for group in shard_groups]
        else:
            groups = [{"shards": group} for group in shard_groups]
    if len(groups) == 1:
        async with hub.subscribe(db, **groups[0]) as feed:
            async for item in feed.batches(interval=interval, max_batch=max_batch):
                yield item
        return
    async for item in _merged(db, groups, interval, max_batch):
        yield item


async def _merged(db: int, groups: list[dict], interval: float, max_batch: int):
    """Several subscriptions' items as they come; a batch carries the rate of them all."""
    queue: asyncio.Queue = asyncio.Queue(maxsize=4 * len(groups))
    rates = [0.0] * len(groups)

    async def pump(index: int, group: dict) -> None:
        async with hub.subscribe(db, **group) as feed:
            async for item in feed.batches(interval=interval, max_batch=max_batch):
                await queue.put((index, item))

    tasks = [asyncio.create_task(pump(index, group)) for index, group in enumerate(groups)]
    running = set(tasks)
    getter = None
    try:
        while running or not queue.empty() or (getter is not None and getter.done()):
            if getter is None:  # one pending get at a time: an item taken is never dropped
                getter = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait([getter, *running], return_when=asyncio.FIRST_COMPLETED)
            for task in done - {getter}:
                running.discard(task)
                task.result()  # a subscription that ended by an error raises it here
            if getter not in done:
                continue
            index, item = getter.result()
            getter = None
            if isinstance(item, Batch):
                rates[index] = item.per_second
                item = dataclasses.replace(item, per_second=sum(rates))
            yield item
    finally:
        if getter is not None:
            getter.cancel()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
