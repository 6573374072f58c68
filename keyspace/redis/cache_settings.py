"""Redis caches in CACHES: Django's own RedisCache and django-redis's, read from settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from keyspace.redis.endpoints import Endpoint, Unrecognised, endpoint_from_url, sentinel_endpoint
from keyspace.redis.findings import Findings, Source

DJANGO_CACHE = "django.core.cache.backends.redis.RedisCache"
DJANGO_REDIS_CACHE = "django_redis.cache.RedisCache"

# (endpoint, which part of the setting, note)
Located = tuple[Endpoint, str, str]


def read_caches(settings_obj: Any, findings: Findings) -> None:
    caches = getattr(settings_obj, "CACHES", None)
    if caches is None:
        return
    if not isinstance(caches, Mapping):
        findings.skip("CACHES", "not a dictionary")
        return
    for alias, config in caches.items():
        setting = f'CACHES["{alias}"]'
        with findings.reading(setting):
            for endpoint, part, note in cache_endpoints(config):
                backend = config["BACKEND"]
                source = Source(setting, "cache", f"{backend}{part}")
                findings.add(endpoint, source, f"Cache “{alias}”", note)


def cache_endpoints(config: object) -> list[Located]:
    """Where a cache lives; [] for a backend that is not Redis."""
    if not isinstance(config, Mapping):
        raise Unrecognised("not a dictionary")
    backend = config.get("BACKEND")
    options = config.get("OPTIONS") or {}
    if not isinstance(options, Mapping):
        raise Unrecognised("OPTIONS is not a dictionary")
    if backend == DJANGO_CACHE:
        return _django_cache(_locations(config), options)
    if backend == DJANGO_REDIS_CACHE:
        return _django_redis(_locations(config), options)
    if isinstance(backend, str) and "redis" in backend.lower():
        raise Unrecognised(f"the backend {backend} is not one this page reads")
    return []


def cache_writer(settings_obj: Any, alias: object) -> Endpoint:
    """The server a cache alias writes to (RQ's USE_REDIS_CACHE names one)."""
    caches = getattr(settings_obj, "CACHES", None)
    config = caches.get(alias) if isinstance(caches, Mapping) else None
    if config is None:
        raise Unrecognised("it names a cache that CACHES does not have")
    located = cache_endpoints(config)
    if not located:
        raise Unrecognised("it names a cache that is not a Redis cache")
    return located[0][0]


def _locations(config: Mapping) -> list[str]:
    """The LOCATION servers, split on , and ; as Django and django-redis split them."""
    location = config.get("LOCATION")
    if isinstance(location, str):
        servers = location.replace(";", ",").split(",")
    elif isinstance(location, list | tuple) and all(isinstance(s, str) for s in location):
        servers = list(location)
    else:
        raise Unrecognised("LOCATION is neither a URL nor a list of URLs")
    servers = [server.strip() for server in servers if server.strip()]
    if not servers:
        raise Unrecognised("LOCATION is empty")
    return servers


def _django_cache(servers: list[str], options: Mapping) -> list[Located]:
    """Django's RedisCache passes OPTIONS to redis-py; it writes to the first server."""
    writer = endpoint_from_url(servers[0], db=options.get("db"),
                               username=options.get("username"),
                               password=options.get("password"))
    return [(writer, "", not_listed(servers, "read replica"))]


def _django_redis(servers: list[str], options: Mapping) -> list[Located]:
    """django-redis: PASSWORD, then CONNECTION_POOL_KWARGS over it; the URL wins over both.
    Its ShardClient spreads keys over every server; its other clients write to the first."""
    pool = options.get("CONNECTION_POOL_KWARGS") or {}
    if not isinstance(pool, Mapping):
        raise Unrecognised("CONNECTION_POOL_KWARGS is not a dictionary")
    password = pool.get("password") or options.get("PASSWORD")
    client = str(options.get("CLIENT_CLASS") or "")
    if "SENTINELS" in options or client.endswith("SentinelClient"):
        return [(_django_redis_sentinel(servers[0], options, pool, password), "", "")]

    def located(server: str) -> Endpoint:
        return endpoint_from_url(server, db=pool.get("db"), username=pool.get("username"),
                                 password=password)

    if client.endswith("ShardClient") and len(servers) > 1:
        return [(located(server), f", shard {n}", "") for n, server in enumerate(servers, 1)]
    return [(located(servers[0]), "", not_listed(servers, "read replica"))]


def _django_redis_sentinel(location: str, options: Mapping, pool: Mapping,
                           password: object) -> Endpoint:
    """django-redis names the master in LOCATION's host part: redis://mymaster/0."""
    named = endpoint_from_url(location, db=pool.get("db"), password=password)
    try:
        master = unquote(urlsplit(location).netloc.rpartition("@")[2].split(":")[0])
    except ValueError:
        raise Unrecognised("LOCATION does not name the Sentinel master") from None
    return sentinel_endpoint(options.get("SENTINELS"), master, named.db,
                             username=named.username or None, password=named.password or None)


def not_listed(servers: list[str], what: str) -> str:
    """A note that the servers after the first are not listed (`what` names one of them)."""
    others = len(servers) - 1
    if not others:
        return ""
    return f"The first of {len(servers)}; {others} {what}{'s' if others > 1 else ''} not listed."
