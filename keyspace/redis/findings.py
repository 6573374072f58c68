"""What reading the settings yields: where a connection was named, and what was skipped."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from keyspace.redis.endpoints import Endpoint, Unrecognised

SENTINEL_NOTE = "Sentinel: the dashboard cannot open this one yet."


@dataclass(frozen=True)
class Source:
    """One setting that names a connection."""

    setting: str  # as written in settings.py: CACHES["default"], CELERY_BROKER_URL
    kind: str  # what the project uses it for: cache, Celery broker, ...
    detail: str = ""  # the backend class, or which part of the setting

    def __str__(self) -> str:
        return f"{self.setting} ({self.detail})" if self.detail else self.setting


@dataclass(frozen=True)
class Skipped:
    setting: str
    reason: str


@dataclass(frozen=True)
class Found:
    endpoint: Endpoint
    source: Source
    name: str
    note: str = ""

    @property
    def supported(self) -> bool:
        return self.endpoint.scheme != "sentinel"


class Findings:
    """What the readers found, in the order they found it, and what they had to skip."""

    def __init__(self) -> None:
        self.found: list[Found] = []
        self.skipped: list[Skipped] = []

    def add(self, endpoint: Endpoint, source: Source, name: str, note: str = "") -> None:
        if endpoint.scheme == "sentinel":
            note = " ".join(filter(None, [SENTINEL_NOTE, note]))
        self.found.append(Found(endpoint, source, name, note))

    def skip(self, setting: str, reason: str) -> None:
        self.skipped.append(Skipped(setting, reason))

    @contextmanager
    def reading(self, setting: str) -> Iterator[None]:
        """Read one entry of a setting; an entry of an unknown shape is skipped, not fatal."""
        try:
            yield
        except Unrecognised as problem:
            self.skip(setting, str(problem))
