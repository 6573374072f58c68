"""The primaries of a Redis Cluster as the cluster client maps them, and the work done on
each one directly, through the plain client redis-py keeps for it: a SCAN step, DBSIZE, a
page's metadata are one node's commands, with no slot lookup or cluster pipeline per command.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass

import redis
from redis.cluster import RedisCluster
from redis.crc import key_slot
from redis.exceptions import RedisClusterException

from keyspace.redis import key_counts

_lock = threading.Lock()


def forget() -> None:
    with _lock:
        _primaries_cache.clear()
        _refreshed_at.clear()


SLOTS = 16384

@dataclass(frozen=True)
class Primary:
    """A primary as the cluster client sees it: its name (host:port), the slot ranges it
    serves (first slot, last slot), and the plain client redis-py keeps for it."""

    name: str
    ranges: tuple[tuple[int, int], ...]
    client: redis.Redis

    @property
    def first_slot(self) -> int:
        return self.ranges[0][0]

    @property
    def slot_count(self) -> int:
        return sum(last - first + 1 for first, last in self.ranges)


_primaries_cache: dict[int, tuple[dict, tuple[Primary, ...]]] = {}


def primaries(cluster: RedisCluster) -> tuple[Primary, ...]:
    """Every primary serving slots, in slot order; worked out again only after the cluster
    client has refreshed its slot map (a new map object)."""
    slots_map = cluster.nodes_manager.slots_cache
    cached = _primaries_cache.get(id(cluster))
    if cached is not None and cached[0] is slots_map:
        return cached[1]
    ranges: dict[str, list[list[int]]] = {}
    nodes = {}
    for slot in range(SLOTS):
        owners = slots_map.get(slot)
        if not owners:
            continue
        node = owners[0]
        nodes[node.name] = node
        spans = ranges.setdefault(node.name, [])
        if spans and spans[-1][1] == slot - 1:
            spans[-1][1] = slot
        else:
            spans.append([slot, slot])
    found = tuple(sorted(
        (Primary(name, tuple(map(tuple, spans)), cluster.get_redis_connection(nodes[name]))
         for name, spans in ranges.items()),
        key=lambda primary: primary.first_slot,
    ))
    with _lock:
        _primaries_cache[id(cluster)] = (slots_map, found)
    return found


def slot_of(key: bytes) -> int:
    return key_slot(key)


def node_client(cluster: RedisCluster, key: bytes) -> redis.Redis:
    """The plain client of the primary that holds `key` (per the cluster client's map)."""
    node = cluster.nodes_manager.get_node_from_slot(key_slot(key), False)
    return cluster.get_redis_connection(node)


def databases(cluster: RedisCluster):
    """The db picker's one database, with the keys of every primary (DBSIZE each; replicas
    hold the same keys and are not counted)."""
    from keyspace.redis.connection import DatabaseInfo

    counts = node_key_counts(cluster)
    keys = sum(count for count in counts.values() if count is not None)
    note = "A Redis Cluster has database 0 only."
    if any(count is None for count in counts.values()):
        note += " Some primaries did not answer: their keys are not counted."
    return (DatabaseInfo(0, keys, 0),), note


def node_key_counts(cluster: RedisCluster) -> dict[str, int | None]:
    """DBSIZE of each primary by name; None for one that did not answer. The commands are
    sent to every primary before any reply is read, so this costs one round trip."""
    return read_key_counts(ask_key_counts(cluster))


def ask_key_counts(cluster: RedisCluster, *, leave_out: Collection[str] = ()) -> list:
    """Send DBSIZE to every primary (but those named in `leave_out`, whose counts the caller
    has from elsewhere); `read_key_counts` reads the replies (always call it, it gives the
    connections back). Other work may run in between, hiding the round trip."""
    sent = []
    for primary in primaries(cluster):
        if primary.name in leave_out:
            continue
        pool = primary.client.connection_pool
        try:
            connection = pool.get_connection()
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            sent.append((primary, None, None))
            continue
        try:
            connection.send_command("DBSIZE")
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            connection.disconnect()
            pool.release(connection)
            connection = None
        sent.append((primary, pool, connection))
    return sent


def read_key_counts(sent: list) -> dict[str, int | None]:
    counts: dict[str, int | None] = {}
    for primary, pool, connection in sent:
        counts[primary.name] = None
        if connection is None:
            continue
        try:
            counts[primary.name] = int(connection.read_response())
            key_counts.remember(primary.client, counts[primary.name])
        except (redis.RedisError, OSError):
            connection.disconnect()
        finally:
            pool.release(connection)
    return counts


def by_node(cluster: RedisCluster, keys: list[bytes]) -> list[tuple[redis.Redis, list[bytes]]]:
    """`keys` grouped by the primary holding them, each group with that primary's client."""
    groups: dict[str, tuple[redis.Redis, list[bytes]]] = {}
    slots_map = cluster.nodes_manager.slots_cache
    for key in keys:
        owners = slots_map.get(key_slot(key))
        if not owners:  # a slot no node serves (a primary down): the cluster client says so
            owners = [cluster.nodes_manager.get_node_from_slot(key_slot(key), False)]
        node = owners[0]
        if node.name not in groups:
            groups[node.name] = (cluster.get_redis_connection(node), [])
        groups[node.name][1].append(key)
    return list(groups.values())


REFRESH_INTERVAL_SECONDS = 1.0
_refreshed_at: dict[int, float] = {}


def refresh_after_failure(cluster: RedisCluster, failed: str = "") -> None:
    """Ask the cluster again which node serves which slots, after a node reached directly
    (not through the cluster client, which does this itself) did not answer: once its
    replica takes over, the next request goes there. At most once a second per client."""
    now = time.monotonic()
    if now - _refreshed_at.get(id(cluster), 0.0) < REFRESH_INTERVAL_SECONDS:
        return
    _refreshed_at[id(cluster)] = now
    # No node answering leaves the map as it was: the page says Redis cannot be reached.
    with contextlib.suppress(redis.RedisError, RedisClusterException, OSError):
        cluster.nodes_manager.initialize(last_failed_node_name=failed or None)


# What redis.asyncio's RedisCluster takes of the standalone options (it makes its own
# connections: no connection class, so no declared renames there).
