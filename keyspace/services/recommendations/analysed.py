"""Checks of the stored analysis (keyspace.services.analysis.results): keys without a TTL where
keys should expire, values over 1 MB, collections over 10,000 elements. The analysis keeps the
100 largest and longest keys, so counts past that are "at least"."""

from __future__ import annotations

from keyspace.display import bytes_to_text
from keyspace.services.recommendations.base import (
    ANALYSIS,
    HIGH,
    MEDIUM,
    Check,
    Item,
    Link,
    Recommendation,
    Sources,
)
from keyspace.services.recommendations.links import key_url, keys_url, namespace_url

EXPIRING_WORDS = {"cache", "caches", "cached", "session", "sessions", "sess", "tmp", "temp",
                  "otp", "token", "tokens", "csrf", "nonce", "lock", "locks", "ratelimit",
                  "throttle", "verification", "reset"}
BIG_VALUE_BYTES = 1024 * 1024
BIG_COLLECTION = 10_000
TOP_KEPT = 100  # the analysis's TOP_KEYS
SHOWN = 20


def _words(prefix: bytes) -> set[str]:
    text = prefix.decode("utf-8", "replace").lower()
    return set("".join(ch if ch.isalpha() else " " for ch in text).split())


def no_ttl_in_cache_namespaces(sources: Sources, db: int):
    report = sources.report
    items = []
    # Shallow first, so a namespace inside one already listed is not counted twice.
    for node in sorted(report.namespaces(), key=lambda n: len(n.prefix)):
        if not (_words(node.prefix) & EXPIRING_WORDS) or not node.ttl[0] or not node.keys:
            continue
        if any(node.prefix.startswith(item[0]) for item in items):
            continue  # a parent namespace already counts these keys
        share = node.ttl[0] / node.keys
        items.append((node.prefix, Item(bytes_to_text(node.prefix) + "*",
                                        namespace_url(db, node.prefix), keys=node.ttl[0],
                                        memory=round(node.memory * share),
                                        note=f"{node.ttl[0]:,} of {node.keys:,} keys")))
    if not items:
        return None
    found = sorted((item for _, item in items), key=lambda i: -i.keys)
    return Recommendation(
        code="no-ttl-cache", title="Keys without a TTL in cache-like namespaces", severity=HIGH,
        why="Names like cache, session, token or lock say these keys are meant to go away, but "
            "these never expire: they pile up until memory runs out (and with a volatile-* "
            "policy they cannot even be evicted).",
        advice="Set a TTL when writing them (SET … EX, or EXPIRE after HSET); clean up what is "
               "there (a SCAN over the namespace that sets EXPIRE).",
        sources=(ANALYSIS,), keys=sum(i.keys for i in found), keys_estimated=report.estimated,
        memory=sum(i.memory for i in found), memory_estimated=True, items=tuple(found[:SHOWN]),
    )


def big_values(sources: Sources, db: int):
    big = [k for k in sources.report.top_by_memory if k.memory > BIG_VALUE_BYTES]
    if not big:
        return None
    return Recommendation(
        code="big-values", title="Values over 1 MB", severity=MEDIUM,
        why="Reading, writing or deleting a big value holds Redis up for the whole value, "
            "fills the network and client buffers, and makes replication and failover slower.",
        advice="Split big values (chunks, or a hash read by field), compress them, or keep "
               "them outside Redis; delete with UNLINK.",
        sources=(ANALYSIS,), keys=len(big), keys_estimated=len(big) >= TOP_KEPT,
        memory=sum(k.memory for k in big), memory_estimated=sources.report.memory_estimated,
        items=tuple(_key_item(db, k, f"{k.type_name}") for k in big[:SHOWN]),
        links=(Link("Key list sorted by memory", keys_url(db, sort="-memory")),),
    )


def big_collections(sources: Sources, db: int):
    big = [k for k in sources.report.top_by_length
           if k.type_name != "string" and (k.length or 0) > BIG_COLLECTION]
    if not big:
        return None
    return Recommendation(
        code="big-collections", title="Collections over 10,000 elements", severity=MEDIUM,
        why="Commands that touch a whole collection (SMEMBERS, HGETALL, LRANGE 0 -1, ZRANGE 0 "
            "-1, DEL without UNLINK) take time in proportion to it while Redis serves nobody "
            "else, and one big key cannot be spread over a cluster.",
        advice="Read them in steps (SSCAN, HSCAN, ranges), trim what is no longer needed, or "
               "split them by a part of the element (bucketing).",
        sources=(ANALYSIS,), keys=len(big), keys_estimated=len(big) >= TOP_KEPT,
        memory=sum(k.memory for k in big), memory_estimated=sources.report.memory_estimated,
        items=tuple(_key_item(db, k, f"{k.type_name}, {k.length:,} elements")
                    for k in big[:SHOWN]),
        links=(Link("Key list sorted by length", keys_url(db, sort="-length")),),
    )


def _key_item(db: int, ranked, note: str) -> Item:
    return Item(bytes_to_text(ranked.key), key_url(db, ranked.key), memory=ranked.memory,
                note=note)


CHECKS = (
    Check("Keys without TTL in cache/session namespaces", (ANALYSIS,), no_ttl_in_cache_namespaces),
    Check("Values over 1 MB", (ANALYSIS,), big_values),
    Check("Collections over 10,000 elements", (ANALYSIS,), big_collections),
)
