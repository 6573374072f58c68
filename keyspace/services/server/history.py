"""INFO readings shared by every worker process and every viewer, in the database.

A reading belongs to a slot of the refresh interval (`taken_at // interval`); the database
keeps one per (target, slot), a target being one server as one connection sees it, so Redis
answers INFO once a slot however many pages poll, and a page polling within a slot gets the
stored reading. Readings older than the history window
are deleted when a new one is stored (whichever Redis they are of): the table stays at
window / interval rows per Redis shown in that window.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import redis

from keyspace.conf import app_settings
from keyspace.models import ServerSample
from keyspace.redis import profiles
from keyspace.redis.connection import current_target
from keyspace.services.server.access import Refusal, attempt

SERIES_FIELDS = ("taken_at", "commands", "hits", "misses", "used_memory", "clients")


@dataclass(frozen=True)
class Window:
    now: float
    interval: int
    seconds: int

    @property
    def start(self) -> float:
        return self.now - self.seconds

    @property
    def slot(self) -> int:
        return int(self.now // self.interval)

    @property
    def gap(self) -> float:
        """Readings further apart than this have no reading between them drawn as a line."""
        return 3 * self.interval


def current_window(now: float | None = None) -> Window:
    return Window(time.time() if now is None else now, app_settings.SERVER_REFRESH_SECONDS,
                  60 * app_settings.SERVER_HISTORY_MINUTES)


def reading_target() -> str:
    """What the current connection's readings are stored under: its server, and the
    connection and Redis user asking. Two connections to one server as different ACL users
    keep apart, so a user who may not run INFO is never shown a reading another one took."""
    profile = profiles.current()
    user = profile.username or urlsplit(profile.url).username or ""
    return f"{current_target().address} {profile.name} {user}"[:300]


def latest_reading(client: redis.Redis, target: str,
                   window: Window) -> tuple[ServerSample | None, Refusal | None]:
    """This slot's reading: the stored one if a worker already took it, else INFO now."""
    stored = ServerSample.objects.filter(target=target).order_by("-taken_at").first()
    if stored is not None and stored.slot == window.slot:
        return stored, None
    info, refusal = attempt("INFO", client.info)
    if refusal is not None:
        return None, refusal
    sample = _sample(target, info, window)
    # Another worker may have stored this slot meanwhile: its row stays, this one is shown.
    ServerSample.objects.bulk_create([sample], ignore_conflicts=True)
    # Every Redis's old readings go, so one the dashboard no longer shows leaves none behind.
    ServerSample.objects.filter(taken_at__lt=window.start).delete()
    return sample, None


def _sample(target: str, info: dict, window: Window) -> ServerSample:
    def number(name: str) -> int:
        value = info.get(name, 0)
        return int(value) if isinstance(value, int | float) else 0

    return ServerSample(
        target=target, slot=window.slot, taken_at=window.now, info=info,
        commands=number("total_commands_processed"), hits=number("keyspace_hits"),
        misses=number("keyspace_misses"), used_memory=number("used_memory"),
        clients=number("connected_clients"),
    )


def readings(target: str, window: Window) -> list[dict]:
    """The numbers of every reading in the window, oldest first (at most window / interval)."""
    rows = (ServerSample.objects.filter(target=target, taken_at__gte=window.start)
            .order_by("taken_at").values(*SERIES_FIELDS))
    return list(rows)


def levels(rows: list[dict], field: str) -> list[tuple[float, float]]:
    return [(row["taken_at"], float(row[field])) for row in rows]


def rates(rows: list[dict], window: Window) -> list[tuple[float, float]]:
    """Commands per second between consecutive readings (none across a gap or a restart)."""
    points = []
    for before, after in zip(rows, rows[1:], strict=False):
        elapsed = after["taken_at"] - before["taken_at"]
        done = after["commands"] - before["commands"]
        if 0 < elapsed <= window.gap and done >= 0:
            points.append((after["taken_at"], done / elapsed))
    return points


def hit_ratios(rows: list[dict], window: Window) -> list[tuple[float, float]]:
    """Keyspace hits / (hits + misses) between consecutive readings, in percent."""
    points = []
    for before, after in zip(rows, rows[1:], strict=False):
        hits = after["hits"] - before["hits"]
        misses = after["misses"] - before["misses"]
        close = 0 < after["taken_at"] - before["taken_at"] <= window.gap
        if close and hits >= 0 and misses >= 0 and hits + misses > 0:
            points.append((after["taken_at"], 100.0 * hits / (hits + misses)))
    return points
