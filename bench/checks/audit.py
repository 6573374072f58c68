"""What the dashboard asked of Redis over the whole run (INFO commandstats deltas around
each of its requests, summed), SLOWLOG entries of its connections, and its memory."""

from __future__ import annotations

import redis
from context import Bench
from report import Row, section, value_row

# Commands whose cost grows with the size of a key or of the keyspace.
O_N_COMMANDS = (
    "keys",
    "hgetall",
    "hkeys",
    "hvals",
    "smembers",
    "sinter",
    "sunion",
    "sdiff",
    "sort",
    "dump",
    "lpos",
    "zrangebyscore",
    "zrevrangebyscore",
)
RANGE_COMMANDS = ("lrange", "zrange", "zrevrange", "xrange", "xrevrange")
RANGE_LIMIT_USEC = 1000.0
SLOW_USEC = 10_000
RSS_LIMIT_MB = 50.0
DASHBOARD_CLIENT = b"redis-dashboard"


def command_rows(bench: Bench) -> list[Row]:
    tally = bench.probe.tally
    forbidden = {name: tally.calls[name] for name in O_N_COMMANDS if tally.calls.get(name)}
    ranges = {n: tally.worst_usec_per_call[n] for n in RANGE_COMMANDS if n in tally.calls}
    worst_range = max(ranges.values(), default=0.0)
    slowest = max(tally.worst_usec_per_call.items(), key=lambda item: item[1])
    bench.note(
        "dashboard commands over the run: "
        + ", ".join(f"{name}={calls:,}" for name, calls in sorted(tally.calls.items()))
    )
    return [
        section("commands over every dashboard request of the run (commandstats deltas)"),
        value_row(
            "O(N) commands (KEYS, HGETALL, HKEYS, HVALS, SMEMBERS, SORT, …)",
            ", ".join(f"{n}×{c}" for n, c in forbidden.items()) or "none",
            "none",
            not forbidden,
        ),
        value_row(
            "GET calls (strings are read with GETRANGE)",
            str(tally.calls.get("get", 0)),
            "0",
            not tally.calls.get("get"),
        ),
        value_row(
            "worst µs/call of " + "/".join(n.upper() for n in ranges),
            f"{worst_range:.1f}",
            f"≤ {RANGE_LIMIT_USEC:g} µs",
            worst_range <= RANGE_LIMIT_USEC,
        ),
        value_row(
            "slowest command, µs/call within one request",
            f"{slowest[0]} {slowest[1]:.0f}",
            "",
            None,
        ),
    ]


def reset_slowlog(client: redis.Redis) -> None:
    client.config_set("slowlog-log-slower-than", SLOW_USEC)
    client.config_set("slowlog-max-len", 1024)
    client.slowlog_reset()


def slowlog_row(client: redis.Redis) -> Row:
    entries = [e for e in client.slowlog_get(1024) if e.get("client_name") == DASHBOARD_CLIENT]
    measured = str(len(entries))
    if entries:
        longest = max(entries, key=lambda e: e["duration"])
        command = longest["command"].decode("utf-8", "replace")[:40]
        measured += f", longest {longest['duration'] / 1000:.1f} ms: {command}"
    return value_row(
        f"dashboard commands over {SLOW_USEC // 1000} ms (SLOWLOG)", measured, "", None
    )


def memory_rows(start: dict[str, int], end: dict[str, int]) -> list[Row]:
    growth = (end["VmRSS"] - start["VmRSS"]) / 1024
    peak = (end["VmHWM"] - start["VmRSS"]) / 1024
    limit = f"< {RSS_LIMIT_MB:g} MB"
    return [
        section("dashboard process memory (/proc/<uvicorn pid>/status)"),
        value_row(
            "VmRSS growth, after warm-up → end of run",
            f"{growth:+.1f} MB",
            limit,
            growth < RSS_LIMIT_MB,
            floor=f"{start['VmRSS'] / 1024:.0f} MB at start",
        ),
        value_row(
            "peak VmHWM above the warm-up VmRSS", f"{peak:+.1f} MB", limit, peak < RSS_LIMIT_MB
        ),
    ]
