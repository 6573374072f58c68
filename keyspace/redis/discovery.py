"""Which Redis servers the host project already uses, read from its Django settings.

Reads the dashboard's own REDIS_URL, CACHES (Django's RedisCache and django-redis),
Celery's broker and result backend, Channels layers and django-rq's RQ_QUEUES. Only the
settings are read: celery, channels, rq and django_redis need not be installed, and nothing
here connects anywhere. A setting of a shape this does not know is skipped with the reason
recorded (never an exception); one URL named by several settings is one connection that
lists all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.text import slugify

from keyspace.redis.cache_settings import read_caches
from keyspace.redis.endpoints import Endpoint, endpoint_from_url
from keyspace.redis.findings import Findings, Found, Skipped, Source
from keyspace.redis.integrations import read_celery, read_channels, read_rq


@dataclass(frozen=True)
class DiscoveredConnection:
    slug: str  # unique among one discovery, from the first setting that names it
    name: str
    endpoint: Endpoint
    sources: tuple[Source, ...]
    supported: bool = True  # False: recognised, but the dashboard cannot open it yet
    note: str = ""

    @property
    def url(self) -> str:
        """The URL to connect with. It holds the password: show `display_url` instead."""
        return self.endpoint.url

    @property
    def display_url(self) -> str:
        return self.endpoint.display

    @property
    def source(self) -> str:
        return "; ".join(str(source) for source in self.sources)

    @property
    def kind(self) -> str:
        return ", ".join(dict.fromkeys(source.kind for source in self.sources))


@dataclass(frozen=True)
class Discovery:
    connections: tuple[DiscoveredConnection, ...]
    skipped: tuple[Skipped, ...]


def discover(settings_obj: Any = settings) -> list[DiscoveredConnection]:
    """Every Redis connection the settings name, one per URL."""
    return list(discover_all(settings_obj).connections)


def discover_all(settings_obj: Any = settings) -> Discovery:
    """The connections, and the settings that looked like Redis but could not be read."""
    findings = Findings()
    for reader in READERS:
        reader(settings_obj, findings)
    return Discovery(_merge(findings.found), tuple(findings.skipped))


def read_dashboard(settings_obj: Any, findings: Findings) -> None:
    url = getattr(settings_obj, "REDIS_URL", None)
    if url:
        with findings.reading("REDIS_URL"):
            source = Source("REDIS_URL", "dashboard", "this dashboard")
            findings.add(endpoint_from_url(url), source, "This dashboard")


READERS: tuple[Callable[[Any, Findings], None], ...] = (
    read_dashboard,
    read_caches,
    read_celery,
    read_channels,
    read_rq,
)


def _merge(found: list[Found]) -> tuple[DiscoveredConnection, ...]:
    by_url: dict[str, list[Found]] = {}
    for item in found:
        by_url.setdefault(item.endpoint.url, []).append(item)
    connections, slugs = [], set()
    for items in by_url.values():
        first = items[0]
        slug = _unique(slugify(first.name) or "connection", slugs)
        sources = tuple(dict.fromkeys(item.source for item in items))
        notes = " ".join(dict.fromkeys(item.note for item in items if item.note))
        connections.append(DiscoveredConnection(slug, first.name, first.endpoint, sources,
                                                first.supported, notes))
    return tuple(connections)


def _unique(slug: str, taken: set[str]) -> str:
    candidate, number = slug, 1
    while candidate in taken:
        number += 1
        candidate = f"{slug}-{number}"
    taken.add(candidate)
    return candidate
