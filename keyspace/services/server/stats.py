"""LATENCY LATEST and INFO commandstats as tables: both small replies (one row per latency
event, one per command Redis has run), sorted here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from django.http import QueryDict

from keyspace.conf import app_settings
from keyspace.display import bytes_to_text
from keyspace.services.server import charts
from keyspace.services.server.access import Refusal, attempt, config_values
from keyspace.services.server.tables import Column, Sorted, sort_rows


@dataclass(frozen=True)
class LatencyEvent:
    event: str
    when: datetime
    latest_ms: int
    max_ms: int
    history: charts.Sparkline | None = None  # LATENCY HISTORY: its last 160 spikes at most


@dataclass(frozen=True)
class CommandStat:
    name: str
    calls: int
    usec: int
    usec_per_call: float
    rejected: int
    failed: int
    share: float  # of all the time spent in commands, in percent


@dataclass(frozen=True)
class TablePanel:
    refusal: Refusal | None = None
    table: Sorted | None = None
    config: dict | None = None
    config_refusal: Refusal | None = None
    history_note: str = ""


LATENCY_COLUMNS = (
    Column("event", "Event", lambda e: e.event, numeric=False),
    Column("when", "Latest spike", lambda e: e.when),
    Column("latest", "Latest (ms)", lambda e: e.latest_ms),
    Column("max", "Highest (ms)", lambda e: e.max_ms),
)

COMMAND_COLUMNS = (
    Column("command", "Command", lambda c: c.name, numeric=False),
    Column("calls", "Calls", lambda c: c.calls),
    Column("usec", "Total time (µs)", lambda c: c.usec),
    Column("per-call", "Per call (µs)", lambda c: c.usec_per_call),
    Column("share", "Share of time", lambda c: c.share),
    Column("rejected", "Rejected", lambda c: c.rejected),
    Column("failed", "Failed", lambda c: c.failed),
)


def latency_panel(client: redis.Redis, query: QueryDict) -> TablePanel:
    raw, refusal = attempt("LATENCY LATEST",
                           lambda: client.execute_command("LATENCY", "LATEST"))
    if refusal is not None:
        return TablePanel(refusal=refusal)
    config, config_refusal = config_values(client, "latency-monitor-threshold")
    names = [bytes(e[0]) for e in raw]
    histories, history_refusal = attempt("LATENCY HISTORY", lambda: _histories(client, names))
    events = [LatencyEvent(bytes_to_text(name), datetime.fromtimestamp(int(e[1]), UTC),
                           int(e[2]), int(e[3]), (histories or {}).get(name))
              for name, e in zip(names, raw, strict=True)]
    table = sort_rows(events, LATENCY_COLUMNS, query, default="-max",
                      limit=app_settings.SERVER_TABLE_ROWS)
    note = f"{history_refusal.command} is refused" if history_refusal else ""
    return TablePanel(None, table, config, config_refusal, note)


def _histories(client: redis.Redis, names: list[bytes]) -> dict[bytes, charts.Sparkline]:
    """Each event's spikes (Redis keeps 160 a event), in one round trip."""
    with client.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.execute_command("LATENCY", "HISTORY", name)
        replies = pipe.execute()
    return {name: _spikes(name, reply) for name, reply in zip(names, replies, strict=True)}


def _spikes(name: bytes, reply: list) -> charts.Sparkline:
    points = [(float(at), float(ms)) for at, ms in reply]
    start = points[0][0] if points else 0.0
    end = max(points[-1][0], start + 1) if points else 1.0
    return charts.sparkline(f"{bytes_to_text(name)} spikes (ms)", points, start=start,
                            end=end, gap=float("inf"), shown=lambda ms: f"{ms:g} ms")


def commandstats_panel(client: redis.Redis, query: QueryDict) -> TablePanel:
    raw, refusal = attempt("INFO commandstats", lambda: client.info("commandstats"))
    if refusal is not None:
        return TablePanel(refusal=refusal)
    stats = {name.removeprefix("cmdstat_"): s for name, s in raw.items()
             if name.startswith("cmdstat_") and isinstance(s, dict)}
    total = sum(int(s.get("usec", 0)) for s in stats.values()) or 1
    rows = [CommandStat(name, int(s.get("calls", 0)), int(s.get("usec", 0)),
                        float(s.get("usec_per_call", 0)), int(s.get("rejected_calls", 0)),
                        int(s.get("failed_calls", 0)), 100.0 * int(s.get("usec", 0)) / total)
            for name, s in stats.items()]
    table = sort_rows(rows, COMMAND_COLUMNS, query, default="-usec",
                      limit=app_settings.SERVER_TABLE_ROWS)
    return TablePanel(None, table)
