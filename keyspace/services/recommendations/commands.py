"""Commands the applications run that hurt: what INFO commandstats has counted since the last
restart (or CONFIG RESETSTAT). The dashboard itself never sends KEYS, SMEMBERS or HGETALL."""

from __future__ import annotations

from keyspace.display import bytes_to_text
from keyspace.services.recommendations.base import (
    ANALYSIS,
    HIGH,
    INFO,
    MEDIUM,
    Check,
    Item,
    Recommendation,
    Sources,
)
from keyspace.services.recommendations.links import key_url
from keyspace.services.recommendations.server import keyspace_counts

BIG_COLLECTION = 10_000
SLOW_CALL_USEC = 1_000


def _stats(info: dict, command: str) -> dict | None:
    found = info.get(f"cmdstat_{command}")
    return found if isinstance(found, dict) and int(found.get("calls", 0)) else None


def _calls_item(command: str, stats: dict) -> Item:
    return Item(command.upper(), "", keys=None,
                note=f"{int(stats['calls']):,} calls, {float(stats['usec_per_call']):,.0f} µs "
                     "each on average")


def keys_command(sources: Sources, db: int):
    stats = _stats(sources.info, "keys")
    if stats is None:
        return None
    total = sum(keys for keys, _ in keyspace_counts(sources.info).values())
    return Recommendation(
        code="keys-command", title="KEYS is being called", severity=HIGH,
        why="KEYS walks the whole keyspace in one command: Redis answers nobody else until it "
            f"has looked at every key ({total:,} now), so every client waits.",
        advice="Use SCAN with MATCH (it walks in small steps), or keep an index (a set of the "
               "names) for what the application looks up; block KEYS with an ACL (-keys) or "
               "rename-command.",
        sources=(INFO,), keys=total, items=(_calls_item("keys", stats),),
    )


def flush_commands(sources: Sources, db: int):
    found = [(c, s) for c in ("flushall", "flushdb") if (s := _stats(sources.info, c))]
    if not found:
        return None
    return Recommendation(
        code="flush-commands", title="FLUSHALL or FLUSHDB has been run", severity=MEDIUM,
        why="One command deletes every key of the server (or of a database), and without ASYNC "
            "it blocks Redis while it frees them. If an application or a script runs it, one "
            "mistake empties production.",
        advice="Find who sends it (CLIENT LIST, the ACL log); deny it to application users "
               "with an ACL (-flushall -flushdb) and use FLUSHDB ASYNC where it is meant.",
        sources=(INFO,), items=tuple(_calls_item(c, s) for c, s in found),
    )


def whole_reads(sources: Sources, db: int):
    found = [(c, s) for c in ("smembers", "hgetall") if (s := _stats(sources.info, c))]
    big = _big_sets_and_hashes(sources, db)
    slow = any(float(s.get("usec_per_call", 0)) >= SLOW_CALL_USEC for _, s in found)
    if not found or not (big or slow):
        return None
    return Recommendation(
        code="whole-reads", title="SMEMBERS / HGETALL on big keys", severity=MEDIUM,
        why="SMEMBERS and HGETALL read a whole set or hash in one command: on a key of "
            f"{BIG_COLLECTION:,}+ elements Redis is busy with that one reply, and it can be "
            "megabytes.",
        advice="Read big keys in steps with SSCAN/HSCAN, read only what is needed (SISMEMBER, "
               "HMGET), or split the key.",
        sources=(INFO, ANALYSIS) if big else (INFO,),
        keys=len(big) or None, memory=sum(i.memory or 0 for i in big) or None,
        items=tuple(_calls_item(c, s) for c, s in found) + tuple(big),
    )


def _big_sets_and_hashes(sources: Sources, db: int) -> list[Item]:
    if sources.report is None:
        return []
    return [Item(bytes_to_text(k.key), key_url(db, k.key), memory=k.memory,
                 note=f"{k.type_name}, {k.length:,} elements")
            for k in sources.report.top_by_length
            if k.type_name in ("set", "hash") and (k.length or 0) > BIG_COLLECTION]


CHECKS = (
    Check("KEYS in commandstats", (INFO,), keys_command),
    Check("FLUSHALL / FLUSHDB in commandstats", (INFO,), flush_commands),
    Check("SMEMBERS / HGETALL on big keys", (INFO,), whole_reads),
)
