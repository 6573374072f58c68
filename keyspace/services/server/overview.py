"""The Server overview: one INFO reading (shared, see history.py) turned into the facts a
person looks for, and the sparklines of the readings kept for the last minutes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import redis

from keyspace.display import human_bytes, human_ttl
from keyspace.redis.connection import server_identity
from keyspace.services.server import charts, history
from keyspace.services.server.access import Refusal

FRAGMENTATION_MIN_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Fact:
    label: str
    value: str
    warn: bool = False  # something a person should look at (a failed save, a down link)


@dataclass(frozen=True)
class Section:
    title: str
    facts: tuple[Fact, ...]


@dataclass(frozen=True)
class Overview:
    refusal: Refusal | None = None
    taken_at: datetime | None = None
    sections: tuple[Section, ...] = ()
    databases: tuple[dict, ...] = ()
    replicas: tuple[dict, ...] = ()
    charts: tuple[charts.Sparkline, ...] = field(default=())


def server_overview(client: redis.Redis, target: str, now: float | None = None) -> Overview:
    window = history.current_window(now)
    reading, refusal = history.latest_reading(client, target, window)
    if refusal is not None:
        return Overview(refusal=refusal)
    info = reading.info
    return Overview(
        taken_at=datetime.fromtimestamp(reading.taken_at, UTC),
        sections=(_server(info), _memory(info), _activity(info), _persistence(info),
                  _replication(info)),
        databases=_databases(info),
        replicas=_replicas(info),
        charts=_charts(history.readings(target, window), window),
    )


def _charts(rows: list[dict], window: history.Window) -> tuple[charts.Sparkline, ...]:
    # While the history is shorter than the window, it fills the chart's width.
    start = max(window.start, rows[0]["taken_at"]) if rows else window.start
    place = {"start": start, "end": window.now, "gap": window.gap}
    return (
        charts.sparkline("Commands per second", history.rates(rows, window),
                         shown=_per_second, **place),
        charts.sparkline("Used memory", history.levels(rows, "used_memory"),
                         shown=human_bytes, **place),
        charts.sparkline("Connected clients", history.levels(rows, "clients"),
                         shown=_whole, **place),
        charts.sparkline("Keyspace hit ratio", history.hit_ratios(rows, window),
                         shown=_percent, empty=_no_reads(rows), **place),
    )


def _no_reads(rows: list[dict]) -> str:
    return "No key was read in this time." if len(rows) > 1 else ""


def _whole(value: float) -> str:
    return f"{round(value):,}"


def _per_second(value: float) -> str:
    return f"{value:,.1f}/s" if value < 10 else f"{round(value):,}/s"


def _percent(value: float) -> str:
    return f"{value:.1f}%"


def _get(info: dict, name: str, default="—"):
    value = info.get(name)
    return default if value is None or value == "" else value


def uptime(seconds) -> str:
    if not isinstance(seconds, int | float):
        return "—"
    return human_ttl(int(seconds) * 1000)  # "3 d 4 h": a TTL's two largest units


def moment(timestamp) -> str:
    if not isinstance(timestamp, int | float) or timestamp <= 0:
        return "never"
    return f"{datetime.fromtimestamp(timestamp, UTC):%Y-%m-%d %H:%M:%S} UTC"


def _server(info: dict) -> Section:
    product, version, mode = server_identity(info)
    return Section("Server", (
        Fact("Version", f"{product} {version}" if "redis_version" in info else "—"),
        Fact("Mode", mode),
        Fact("Role", str(_get(info, "role"))),
        Fact("Uptime", uptime(info.get("uptime_in_seconds"))),
        Fact("Process id", str(_get(info, "process_id"))),
    ))


def _memory(info: dict) -> Section:
    maxmemory = info.get("maxmemory")
    fragmentation = info.get("mem_fragmentation_ratio")
    # Like MEMORY DOCTOR: the ratio means nothing while Redis holds only a few megabytes.
    worth_a_look = (isinstance(fragmentation, int | float) and fragmentation > 1.5
                    and info.get("used_memory", 0) >= FRAGMENTATION_MIN_BYTES)
    return Section("Memory", (
        Fact("Used", human_bytes(info.get("used_memory"))),
        Fact("Peak", human_bytes(info.get("used_memory_peak"))),
        Fact("RSS", human_bytes(info.get("used_memory_rss"))),
        Fact("Fragmentation", f"{fragmentation:.2f}" if isinstance(fragmentation, int | float)
             else "—", warn=worth_a_look),
        Fact("Max memory", human_bytes(maxmemory) if maxmemory else "no limit"),
        Fact("Eviction policy", str(_get(info, "maxmemory_policy"))),
    ))


def _activity(info: dict) -> Section:
    hits, misses = info.get("keyspace_hits", 0), info.get("keyspace_misses", 0)
    ratio = _percent(100 * hits / (hits + misses)) if hits + misses else "no reads yet"
    return Section("Clients and traffic", (
        Fact("Connected clients", _whole(info.get("connected_clients", 0))),
        Fact("Blocked clients", _whole(info.get("blocked_clients", 0))),
        Fact("Commands per second", _whole(info.get("instantaneous_ops_per_sec", 0))),
        Fact("Hit ratio since start", ratio),
        Fact("Evicted keys", _whole(info.get("evicted_keys", 0))),
        Fact("Rejected connections", _whole(info.get("rejected_connections", 0)),
             warn=bool(info.get("rejected_connections"))),
    ))


def _persistence(info: dict) -> Section:
    rdb_status = str(_get(info, "rdb_last_bgsave_status"))
    aof_on = bool(info.get("aof_enabled"))
    aof_status = str(_get(info, "aof_last_write_status")) if aof_on else "off"
    return Section("Persistence", (
        Fact("Last save", moment(info.get("rdb_last_save_time"))),
        Fact("Changes since last save", _whole(info.get("rdb_changes_since_last_save", 0))),
        Fact("RDB status", rdb_status + (" (saving now)" if info.get("rdb_bgsave_in_progress")
                                         else ""), warn=rdb_status not in ("ok", "—")),
        Fact("AOF", aof_status + (" (rewriting)" if info.get("aof_rewrite_in_progress")
                                  else ""), warn=aof_on and aof_status != "ok"),
        Fact("Loading", "yes" if info.get("loading") else "no", warn=bool(info.get("loading"))),
    ))


def _replication(info: dict) -> Section:
    facts = [Fact("Role", str(_get(info, "role"))),
             Fact("Connected replicas", _whole(info.get("connected_slaves", 0)))]
    if info.get("role") == "slave":
        link = str(_get(info, "master_link_status"))
        facts += [Fact("Primary", f"{_get(info, 'master_host')}:{_get(info, 'master_port')}"),
                  Fact("Link", link, warn=link != "up")]
    facts.append(Fact("Replication offset", _whole(info.get("master_repl_offset", 0))))
    return Section("Replication", tuple(facts))


def _databases(info: dict) -> tuple[dict, ...]:
    found = []
    for name, stats in info.items():
        if name.startswith("db") and name[2:].isdigit() and isinstance(stats, dict):
            found.append({"number": int(name[2:]), "keys": stats.get("keys", 0),
                          "expires": stats.get("expires", 0),
                          "avg_ttl": stats.get("avg_ttl", 0)})
    return tuple(sorted(found, key=lambda db: db["number"]))


def _replicas(info: dict) -> tuple[dict, ...]:
    found = []
    for name, value in info.items():
        if name.startswith("slave") and name[5:].isdigit() and isinstance(value, dict):
            found.append({"address": f"{value.get('ip', '?')}:{value.get('port', '?')}",
                          "state": value.get("state", "?"), "offset": value.get("offset", 0),
                          "lag": value.get("lag", "?")})
    return tuple(found)
