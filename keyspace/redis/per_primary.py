"""Whole-keyspace work in a Redis Cluster, one primary at a time: the passes of namespace
counts, the analysis, bulk jobs and exports.

A pass SCANs each primary through the plain client redis-py keeps for it (replicas are never
scanned, so no key is seen twice), in slot order, and adds up what each finds. Writes go per
key to the primary owning its slot; a transaction holds keys of one slot only (Redis refuses
a MULTI over several slots, even on one node), so `by_slot` groups them.

On a standalone server the same calls see one "node": the client itself. A primary that stops
answering during a pass raises `NodeStopped`, which names it; the cluster client is asked to
read the slot map again, so the next pass finds the replica that took over.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis
from redis.cluster import RedisCluster

from keyspace.redis import cluster_nodes
from keyspace.redis.cluster import is_cluster_client

_DOWN = (redis.ConnectionError, redis.TimeoutError, OSError)


@dataclass(frozen=True)
class Node:
    """What a pass scans: a primary's name (host:port; "" on a standalone server) and a plain
    client to it."""

    name: str
    client: redis.Redis


class NodeStopped(redis.ConnectionError):
    """A primary stopped answering during a pass (a node down, or failing over)."""

    def __init__(self, name: str, cause: BaseException):
        self.name = name
        where = f"the cluster's primary {name}" if name else "Redis"
        super().__init__(f"{where} stopped answering ({cause.__class__.__name__}: {cause}); "
                         "the work stopped there")


def nodes(client) -> list[Node]:
    """The nodes a pass scans, in slot order: every primary of a cluster, or the server."""
    if not is_cluster_client(client):
        return [Node("", client)]
    return [Node(primary.name, primary.client) for primary in cluster_nodes.primaries(client)]


def sizes(client, scanned: list[Node]) -> list[int]:
    """DBSIZE of each node; NodeStopped for one that does not answer."""
    if not is_cluster_client(client):
        return [int(client.dbsize())]
    counts = cluster_nodes.node_key_counts(client)
    missing = [node.name for node in scanned if counts.get(node.name) is None]
    if missing:
        stopped(client, missing[0], redis.ConnectionError("no answer to DBSIZE"))
    return [int(counts[node.name]) for node in scanned]


def population(client) -> int:
    """Keys in the database: DBSIZE, summed over the primaries of a cluster."""
    return sum(sizes(client, nodes(client)))


def refresh(client: RedisCluster) -> None:
    """Ask the cluster for its slot map again (at most once a second)."""
    cluster_nodes.refresh_after_failure(client)


def stopped(client, name: str, cause: BaseException):
    """Raise NodeStopped for `name`, after asking the cluster for its slot map again."""
    if is_cluster_client(client):
        cluster_nodes.refresh_after_failure(client, name)
    raise NodeStopped(name, cause) from cause


class watching:  # noqa: N801 - used as a context manager, read as a phrase
    """`with watching(client, node): ...` turns a dropped connection into NodeStopped."""

    def __init__(self, client, node: Node):
        self.client, self.node = client, node

    def __enter__(self) -> Node:
        return self.node

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc is not None and isinstance(exc, _DOWN) and not isinstance(exc, NodeStopped):
            stopped(self.client, self.node.name, exc)
        return False


def slot_of(key: bytes) -> int:
    return cluster_nodes.slot_of(key)


def by_slot(client: RedisCluster, keys: list[bytes]) -> list[tuple[redis.Redis, list[bytes]]]:
    """`keys` grouped by slot (in first-seen order), each group with the plain client of the
    primary serving that slot."""
    groups: dict[int, list[bytes]] = {}
    for key in keys:
        groups.setdefault(slot_of(key), []).append(key)
    return [(cluster_nodes.node_client(client, group[0]), group) for group in groups.values()]


def owner(client: RedisCluster, key: bytes) -> redis.Redis:
    """The plain client of the primary serving `key`'s slot."""
    return cluster_nodes.node_client(client, key)


def by_node(client: RedisCluster, keys: list[bytes]) -> list[tuple[redis.Redis, list[bytes]]]:
    """`keys` grouped by the primary holding them, each group with that primary's client."""
    return cluster_nodes.by_node(client, keys)
