"""Checks of the server's settings and counters: INFO and CONFIG GET."""

from __future__ import annotations

from keyspace.services.recommendations.base import (
    ANALYSIS,
    CONFIG,
    HIGH,
    INFO,
    LOW,
    MEDIUM,
    Check,
    Item,
    Link,
    Recommendation,
    Sources,
)
from keyspace.services.recommendations.links import keys_url

VOLATILE = ("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl")
FRAGMENTATION_RATIO = 1.5
FRAGMENTATION_MIN_BYTES = 64 * 1024 * 1024


def keyspace_counts(info: dict) -> dict[int, tuple[int, int]]:
    """{db: (keys, keys with a TTL)} from INFO keyspace."""
    return {int(name[2:]): (int(v.get("keys", 0)), int(v.get("expires", 0)))
            for name, v in info.items()
            if name.startswith("db") and name[2:].isdigit() and isinstance(v, dict)}


def _total_keys(info: dict) -> int:
    return sum(keys for keys, _ in keyspace_counts(info).values())


def maxmemory(sources: Sources, db: int):
    if int(sources.config.get("maxmemory", "0") or 0) != 0:
        return None
    return Recommendation(
        code="maxmemory-unset", title="maxmemory is not set", severity=HIGH,
        why="Without a limit Redis grows until the machine runs out of memory: then the "
            "operating system swaps (every command slows down) or kills Redis.",
        advice="Set maxmemory below the memory the machine can give Redis (leave room for "
               "fork copy-on-write during saves), e.g. CONFIG SET maxmemory 2gb, and write it "
               "to redis.conf.",
        sources=(CONFIG, INFO), keys=_total_keys(sources.info) if sources.info else None,
        memory=_int(sources.info.get("used_memory")),
    )


def eviction(sources: Sources, db: int):
    policy = sources.config.get("maxmemory-policy", "")
    counts = keyspace_counts(sources.info)
    without_ttl = {n: keys - expires for n, (keys, expires) in counts.items() if keys > expires}
    total = sum(without_ttl.values())
    if policy == "noeviction" and int(sources.config.get("maxmemory", "0") or 0):
        why = ("With noeviction, once maxmemory is reached every write fails with an OOM "
               "error instead of making room.")
    elif policy in VOLATILE and total:
        why = (f"{policy} only evicts keys that have a TTL: the {total:,} keys without one "
               "can never be evicted, so memory can still fill up and writes then fail.")
    else:
        return None
    items = tuple(Item(f"db{n}", keys_url(n, sort="ttl"), keys=count)
                  for n, count in sorted(without_ttl.items()))
    return Recommendation(
        code="eviction-policy", title=f"Eviction policy {policy} cannot free keys without a TTL",
        severity=MEDIUM, why=why,
        advice="Use an allkeys-* policy (allkeys-lru or allkeys-lfu) when Redis is a cache, or "
               "give the keys that may go a TTL.",
        sources=(CONFIG, INFO, ANALYSIS) if sources.report else (CONFIG, INFO), keys=total,
        # The analysis knows what the keys without a TTL of this db weigh.
        memory=sources.report.ttl_buckets[0].memory if sources.report else None,
        memory_estimated=True, items=items,
    )


def fragmentation(sources: Sources, db: int):
    info = sources.info
    ratio = float(info.get("mem_fragmentation_ratio", 0) or 0)
    rss, used = _int(info.get("used_memory_rss")), _int(info.get("used_memory"))
    if not rss or not used or ratio <= FRAGMENTATION_RATIO:
        return None
    wasted = rss - used
    if wasted < FRAGMENTATION_MIN_BYTES:
        return None
    defrag = sources.config.get("activedefrag", "")
    return Recommendation(
        code="fragmentation", title=f"Memory fragmentation ratio {ratio:.2f}", severity=MEDIUM,
        why="The process holds more memory from the system than its data needs: freed memory "
            "is scattered in pages the allocator cannot give back.",
        advice=("Turn on active defragmentation (CONFIG SET activedefrag yes; jemalloc builds "
                "only)" if defrag != "yes" else "Active defragmentation is on; if the ratio "
                "stays high, a restart (of a replica first, then a failover) gives it back")
               + ". A ratio that follows a large delete often settles by itself.",
        sources=(INFO,), memory=wasted,
    )


def persistence(sources: Sources, db: int):
    if sources.config.get("save", "x").strip() or sources.config.get("appendonly") != "no":
        return None
    return Recommendation(
        code="persistence-off", title="Persistence is off", severity=MEDIUM,
        why="No RDB snapshots (save is empty) and no AOF: a restart or a crash loses every "
            "key. Fine for a pure cache, not for sessions, queues or anything else kept only "
            "here.",
        advice="Turn on the AOF (CONFIG SET appendonly yes) or RDB snapshots (CONFIG SET save "
               "\"3600 1 300 100 60 10000\"), then CONFIG REWRITE, if the data must survive.",
        sources=(CONFIG, INFO), keys=_total_keys(sources.info) if sources.info else None,
        memory=_int(sources.info.get("used_memory")),
    )


def databases(sources: Sources, db: int):
    used = {n: keys for n, (keys, _) in keyspace_counts(sources.info).items() if keys}
    if len(used) < 2:
        return None
    return Recommendation(
        code="many-databases", title=f"{len(used)} logical databases in use", severity=LOW,
        why="Logical databases share one server, one thread and one memory limit: they do not "
            "isolate anything, Redis Cluster supports only db 0, and a FLUSHALL or a slow "
            "command in one affects all of them.",
        advice="Use one database per Redis instance, or key prefixes within db 0.",
        sources=(INFO,), keys=sum(used.values()),
        items=tuple(Item(f"db{n}", keys_url(n), keys=keys) for n, keys in sorted(used.items())),
        links=(Link("Key list of each database", keys_url(db)),),
    )


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


CHECKS = (
    Check("maxmemory set", (CONFIG,), maxmemory),
    Check("Eviction policy", (CONFIG, INFO), eviction),
    Check("Fragmentation", (INFO,), fragmentation),
    Check("Persistence", (CONFIG,), persistence),
    Check("Logical databases", (INFO,), databases),
)
