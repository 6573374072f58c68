"""Sharded pub/sub (Redis 7+): SSUBSCRIBE and SPUBLISH, whose channels live in hash slots as
keys do. In a Redis Cluster a shard channel's messages stay on the primary serving its slot
(and its replicas), so a subscriber connects there, and an SSUBSCRIBE holds channels of one
slot. A subscription's shard channels are grouped by the primary serving them: one
connection each. On a standalone server every channel is on the one server.

Everything here is synchronous (the slot map is the cluster client's); the asyncio reader
calls it in a thread.
"""

from __future__ import annotations

import redis

from keyspace.redis import per_primary
from keyspace.redis.cluster import is_cluster_client
from keyspace.redis.connection import get_client
from keyspace.redis.per_primary import slot_of


def by_slot(channels: tuple[bytes, ...]) -> tuple[tuple[bytes, ...], ...]:
    """`channels` as SSUBSCRIBE commands take them: one tuple per slot."""
    groups: dict[int, list[bytes]] = {}
    for channel in channels:
        groups.setdefault(slot_of(channel), []).append(channel)
    return tuple(tuple(group) for group in groups.values())


def by_primary(db: int, channels: tuple[bytes, ...]) -> list[tuple[bytes, ...]]:
    """`channels` grouped by the primary serving their slots (one group on a standalone
    server), in the order first seen."""
    client = get_client(db)
    if not channels or not is_cluster_client(client):
        return [channels] if channels else []
    groups: dict[str, list[bytes]] = {}
    for channel in channels:
        node = client.nodes_manager.get_node_from_slot(slot_of(channel), False)
        groups.setdefault(node.name, []).append(channel)
    return [tuple(group) for group in groups.values()]


def node_for(db: int, channels: tuple[bytes, ...],
             failed: bool = False) -> tuple[str, int] | None:
    """(host, port) of the primary serving `channels` (a group from `by_primary`); None on a
    standalone server. `failed`: the last connection there dropped, so the slot map is read
    again first (a replica may have taken over)."""
    client = get_client(db)
    if not is_cluster_client(client):
        return None
    if failed:
        per_primary.refresh(client)
    node = client.nodes_manager.get_node_from_slot(slot_of(channels[0]), False)
    return node.host, int(node.port)


def publish(client, channel: bytes, message: bytes) -> int:
    """SPUBLISH on the primary serving the channel's slot: how many subscribers received it."""
    target = per_primary.owner(client, channel) if is_cluster_client(client) else client
    return int(target.execute_command("SPUBLISH", channel, message))


def shard_channels(client, pattern: bytes | None) -> tuple[list[bytes], dict[bytes, int]]:
    """(names, subscribers by name) of the shard channels with subscribers: PUBSUB
    SHARDCHANNELS and SHARDNUMSUB asked of each primary (a channel lives on one)."""
    names: list[bytes] = []
    counts: dict[bytes, int] = {}
    for node in per_primary.nodes(client):
        with per_primary.watching(client, node):
            found = node.client.execute_command("PUBSUB", "SHARDCHANNELS", pattern or "*")
            if not found:
                continue
            reply = node.client.execute_command("PUBSUB", "SHARDNUMSUB", *found[:500])
        names.extend(found)
        counts.update(zip(reply[::2], (int(n) for n in reply[1::2]), strict=True))
    return names, counts


def refused(exc: redis.ResponseError) -> bool:
    """Whether the server does not know sharded pub/sub (before Redis 7)."""
    text = str(exc).lower()
    return "unknown command" in text or "unknown subcommand" in text
