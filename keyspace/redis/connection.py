"""The only place that builds Redis connections.

One connection pool per (REDIS_URL, db): the db number is part of the connection and the
dashboard never SELECTs on a shared one. Settings are read when a client is asked for, so
tests and the run command can point the dashboard elsewhere without a restart.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import redis
import redis.asyncio
from redis.backoff import NoBackoff
from redis.connection import parse_url
from redis.retry import Retry

from keyspace.conf import app_settings

_pools: dict[tuple, redis.ConnectionPool] = {}
_pools_lock = threading.Lock()


class RedisNotConfigured(redis.ConnectionError):
    """REDIS_URL is empty: nothing to connect to."""


@dataclass(frozen=True)
class RedisTarget:
    """Where the dashboard points, described without credentials."""

    url: str

    @property
    def _parts(self) -> dict:
        return parse_url(self.url)

    @property
    def address(self) -> str:
        parts = self._parts
        if "path" in parts:
            return f"unix:{parts['path']}"
        host = parts.get("host", "localhost")
        if ":" in host:
            host = f"[{host}]"
        return f"{host}:{parts.get('port', 6379)}"

    @property
    def uses_tls(self) -> bool:
        return self.url.startswith("rediss://")

    @property
    def default_db(self) -> int:
        return int(self._parts.get("db", 0) or 0)


def current_target() -> RedisTarget:
    if not app_settings.REDIS_URL:
        raise RedisNotConfigured("REDIS_URL is not set")
    return RedisTarget(app_settings.REDIS_URL)


NOT_CONFIGURED = "(not configured)"


def target_address() -> str:
    """The address of the Redis shown, for headers, messages and the audit log; never raises
    (an unset or unreadable REDIS_URL is said as such)."""
    try:
        return current_target().address
    except (RedisNotConfigured, ValueError):
        return NOT_CONFIGURED


def _connection_settings() -> tuple:
    return (
        app_settings.CLIENT_NAME,
        app_settings.REDIS_CONNECT_TIMEOUT,
        app_settings.REDIS_SOCKET_TIMEOUT,
    )


def _connection_options() -> dict:
    return {
        # RESP2 works with every Redis the dashboard may meet, HELLO-less ones included.
        "protocol": 2,
        "client_name": app_settings.CLIENT_NAME,
        "socket_connect_timeout": app_settings.REDIS_CONNECT_TIMEOUT,
        "socket_timeout": app_settings.REDIS_SOCKET_TIMEOUT,
        # One immediate retry on a broken connection (e.g. after a Redis restart), none on
        # timeouts: a slow Redis should produce an error page, not a doubled wait.
        "retry": Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
    }


def get_client(db: int | None = None) -> redis.Redis:
    """A client for `db` (the URL's own db when None) that returns bytes, never str."""
    target = current_target()
    db = target.default_db if db is None else db
    pool_key = (target.url, db, _connection_settings())
    with _pools_lock:
        pool = _pools.get(pool_key)
        if pool is None:
            pool = redis.ConnectionPool.from_url(target.url, **_connection_options())
            pool.connection_kwargs["db"] = db  # from_url lets the URL's own db win otherwise
            _pools[pool_key] = pool
    return redis.Redis(connection_pool=pool)


def get_async_client(db: int | None = None, *, subscriber: bool = False) -> redis.asyncio.Redis:
    """A fresh asyncio client; the caller closes it with `aclose()` (it is bound to a loop).

    A `subscriber` client waits for messages as long as it takes and never reconnects
    silently: redis-py would resubscribe by itself, and the messages lost meanwhile would go
    unnoticed, so a dropped connection must reach the caller as an error.
    """
    target = current_target()
    db = target.default_db if db is None else db
    options = _connection_options()
    # redis-py calls its reconnect handler (reconnect, then resubscribe) on a supported error
    # even with zero retries: a subscriber supports none, so the error reaches the caller and
    # no connection is opened behind its back.
    supported = () if subscriber else (redis.ConnectionError,)
    retries = 0 if subscriber else 1
    options["retry"] = redis.asyncio.retry.Retry(NoBackoff(), retries, supported)
    if subscriber:
        options["socket_timeout"] = None
    pool = redis.asyncio.ConnectionPool.from_url(target.url, **options)
    pool.connection_kwargs["db"] = db
    return redis.asyncio.Redis.from_pool(pool)


def reset_pools() -> None:
    """Drop every pooled connection (used by tests that restart Redis)."""
    with _pools_lock:
        for pool in _pools.values():
            pool.disconnect()
        _pools.clear()
    _overview_cache.clear()
    from keyspace.redis import capabilities  # it asks through these connections

    capabilities.forget()


@dataclass(frozen=True)
class DatabaseInfo:
    number: int
    keys: int
    expires: int


@dataclass(frozen=True)
class ServerOverview:
    address: str
    version: str
    mode: str
    databases: tuple[DatabaseInfo, ...]
    product: str = "Redis"  # or "Valkey"


def server_identity(server: dict) -> tuple[str, str, str]:
    """(product, version, mode) from INFO server. Valkey reports `redis_version:7.2.4` for
    clients that compare versions, its own in `valkey_version`, and `server_mode` where Redis
    has `redis_mode`."""
    if str(server.get("server_name", "")).lower() == "valkey":
        version = server.get("valkey_version", server.get("redis_version", "?"))
        return "Valkey", str(version), str(server.get("server_mode", "standalone"))
    return "Redis", str(server.get("redis_version", "?")), str(server.get("redis_mode",
                                                                         "standalone"))


_overview_cache: dict[str, tuple[float, ServerOverview]] = {}
OVERVIEW_TTL_SECONDS = 5.0


def server_overview() -> ServerOverview:
    """Version, mode and per-db key counts, cached for a few seconds per target."""
    target = current_target()
    cached = _overview_cache.get(target.url)
    if cached and time.monotonic() - cached[0] < OVERVIEW_TTL_SECONDS:
        return cached[1]
    client = get_client()
    with client.pipeline(transaction=False) as pipe:
        pipe.info("server")
        pipe.info("keyspace")
        pipe.config_get("databases")
        server, keyspace, config = pipe.execute(raise_on_error=False)
    if isinstance(server, Exception):
        raise server
    product, version, mode = server_identity(server)
    overview = ServerOverview(
        address=target.address,
        version=version,
        mode=mode,
        databases=_databases(keyspace, config),
        product=product,
    )
    _overview_cache[target.url] = (time.monotonic(), overview)
    return overview


def _databases(keyspace, config) -> tuple[DatabaseInfo, ...]:
    counts = {}
    if isinstance(keyspace, dict):
        for name, stats in keyspace.items():
            if str(name).startswith("db") and isinstance(stats, dict):
                counts[int(str(name)[2:])] = (
                    int(stats.get("keys", 0)),
                    int(stats.get("expires", 0)),
                )
    # CONFIG may be refused to an ACL user: then show the usual 16 plus any non-empty db.
    configured = config.get("databases") if isinstance(config, dict) else None
    total = int(configured) if configured else 16
    numbers = sorted(set(range(total)) | set(counts))
    return tuple(DatabaseInfo(n, *counts.get(n, (0, 0))) for n in numbers)
