"""The only place that builds Redis connections.

One connection pool per (connection, db): the db number is part of the connection and the
dashboard never SELECTs on a shared one. The connection is the current one (see
profiles.py: the request's, a job's, or REDIS_URL's), read when a client is asked for, so
tests and the run command can point the dashboard elsewhere without a restart.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass

import redis
import redis.asyncio
from redis.backoff import NoBackoff
from redis.connection import parse_url
from redis.retry import Retry

from keyspace.conf import app_settings
from keyspace.redis import capabilities as capability_cache
from keyspace.redis import cluster, cluster_nodes, credentials, profiles, sentinel, transport
from keyspace.redis.commands import connection_class, renames

_pools: dict[tuple, redis.ConnectionPool] = {}
_pools_lock = threading.Lock()


class RedisNotConfigured(redis.ConnectionError):
    """REDIS_URL is empty: nothing to connect to."""


@dataclass(frozen=True)
class RedisTarget:
    """Where the dashboard points, described without credentials."""

    profile: profiles.Profile

    @property
    def url(self) -> str:
        """The URL connected with (it may hold the password: never shown)."""
        return self.profile.connect_url

    @property
    def name(self) -> str:
        return self.profile.name

    @property
    def key(self) -> tuple:
        """What per-connection caches are kept under."""
        return self.profile.identity

    @property
    def sentinel(self) -> sentinel.SentinelSpec | None:
        return sentinel.parse(self.url) if sentinel.is_sentinel_url(self.url) else None

    @property
    def _parts(self) -> dict:
        return parse_url(self.url)

    @property
    def address(self) -> str:
        if self.sentinel:
            return self.sentinel.address
        parts = self._parts
        if "path" in parts:
            return f"unix:{parts['path']}"
        host = parts.get("host", "localhost")
        if ":" in host:
            host = f"[{host}]"
        return f"{host}:{parts.get('port', 6379)}"

    @property
    def uses_tls(self) -> bool:
        if self.sentinel:
            return self.sentinel.tls
        return self.url.startswith("rediss://")

    @property
    def default_db(self) -> int:
        if self.sentinel:
            return self.sentinel.db
        return int(self._parts.get("db", 0) or 0)


def current_target() -> RedisTarget:
    profile = profiles.current()
    if not profile.url:
        raise RedisNotConfigured("REDIS_URL is not set")
    return RedisTarget(profile)


NOT_CONFIGURED = "(not configured)"


def target_address() -> str:
    """The address of the Redis shown, for headers, messages and the audit log; never raises
    (an unset or unreadable REDIS_URL is said as such)."""
    try:
        return current_target().address
    except (RedisNotConfigured, ValueError):
        return NOT_CONFIGURED


def current_transport() -> transport.Transport | None:
    """Whether the connection is encrypted, for the header; None when nothing is set."""
    url = profiles.current().url
    if url and sentinel.is_sentinel_url(url):
        return _sentinel_transport(url)
    return transport.describe(url) if url else None


def _connection_settings(target: RedisTarget) -> tuple:
    return (
        target.key,
        app_settings.CLIENT_NAME,
        app_settings.REDIS_CONNECT_TIMEOUT,
        app_settings.REDIS_SOCKET_TIMEOUT,
    )


def _tls_options(url: str) -> dict:
    """redis-py's TLS options from the connection's settings, for rediss:// URLs (the URL's
    own ssl_* parameters, if any, still apply where a setting is unset)."""
    if not url.startswith("rediss://"):
        return {}
    profile = profiles.current()
    verify = profile.tls_verify
    options = {"ssl_cert_reqs": verify, "ssl_check_hostname": verify == "required"}
    for value, option in ((profile.tls_ca_file, "ssl_ca_certs"),
                          (profile.tls_cert_file, "ssl_certfile"),
                          (profile.tls_key_file, "ssl_keyfile")):
        if value:
            options[option] = value
    return options


def _use_credentials(pool) -> None:
    """A password command or provider replaces the URL's password; the URL's user stays."""
    kwargs = pool.connection_kwargs
    provider = credentials.provider_for(kwargs.get("username"))
    if provider is not None:
        kwargs.pop("username", None)
        kwargs.pop("password", None)
        kwargs["credential_provider"] = provider


def _connection_options(url: str, *, asynchronous: bool = False) -> dict:
    return {
        # RESP2 works with every Redis the dashboard may meet, HELLO-less ones included.
        "protocol": 2,
        # Set after connecting, where a refusal (CLIENT renamed away, NOPERM) is ignored.
        "client_name": app_settings.CLIENT_NAME,
        # Sends commands under the names the deployment declared (rename-command).
        "connection_class": connection_class(url, asynchronous=asynchronous),
        "renamed_commands": renames(),
        "socket_connect_timeout": app_settings.REDIS_CONNECT_TIMEOUT,
        "socket_timeout": app_settings.REDIS_SOCKET_TIMEOUT,
        # One immediate retry on a broken connection (e.g. after a Redis restart), none on
        # timeouts: a slow Redis should produce an error page, not a doubled wait.
        "retry": Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
        **_tls_options(url),
    }


def get_client(db: int | None = None) -> redis.Redis:
    """A client for `db` (the URL's own db when None) that returns bytes, never str: a
    RedisCluster (slot routing, keyspace.redis.cluster) when the URL names a cluster node."""
    target = current_target()
    db = target.default_db if db is None else int(db)
    if target.sentinel:
        return _sentinel_client(target, db)
    if _is_cluster(target):
        return _cluster_client(target, db)
    return _standalone_client(target, db)


def _is_cluster(target: RedisTarget) -> bool:
    return cluster.is_cluster(_connection_settings(target),
                              lambda: _standalone_client(target, target.default_db))


def cluster_known() -> bool:
    """Whether this process has found the connection to name a cluster node (never asks)."""
    try:
        target = current_target()
    except (RedisNotConfigured, ValueError):
        return False
    return cluster.known(_connection_settings(target))


def _cluster_client(target: RedisTarget, db: int):
    cluster.check_db(db)
    return cluster.client_for(_connection_settings(target), target.url,
                              _connection_options(target.url), _use_credentials)


def _standalone_client(target: RedisTarget, db: int) -> redis.Redis:
    pool_key = (db, _connection_settings(target))
    with _pools_lock:
        pool = _pools.get(pool_key)
        if pool is None:
            pool = redis.ConnectionPool.from_url(target.url, **_connection_options(target.url))
            pool.connection_kwargs["db"] = db  # from_url lets the URL's own db win otherwise
            _use_credentials(pool)
            _pools[pool_key] = pool
    return redis.Redis(connection_pool=pool)


def get_async_client(db: int | None = None, *, subscriber: bool = False,
                     node: tuple[str, int] | None = None) -> redis.asyncio.Redis:
    """A fresh asyncio client; the caller closes it with `aclose()` (it is bound to a loop).
    In a cluster, a redis.asyncio RedisCluster, except for a subscriber: classic pub/sub
    reaches every node's subscribers, so one node's connection serves it.

    A `subscriber` client waits for messages as long as it takes and never reconnects
    silently: redis-py would resubscribe by itself, and the messages lost meanwhile would go
    unnoticed, so a dropped connection must reach the caller as an error.

    `node` (host, port): a plain client to that node of the cluster instead of the URL's (a
    sharded subscriber, on the primary owning its channels' slot), with the same options.
    """
    target = current_target()
    db = target.default_db if db is None else int(db)
    if not subscriber and node is None and not target.sentinel and _is_cluster(target):
        cluster.check_db(db)
        return cluster.async_client_for(target.url, _connection_options(target.url),
                                        _use_credentials)
    options = _connection_options(target.url, asynchronous=True)
    # redis-py calls its reconnect handler (reconnect, then resubscribe) on a supported error
    # even with zero retries: a subscriber supports none, so the error reaches the caller and
    # no connection is opened behind its back.
    supported = () if subscriber else (redis.ConnectionError,)
    retries = 0 if subscriber else 1
    options["retry"] = redis.asyncio.retry.Retry(NoBackoff(), retries, supported)
    if subscriber:
        options["socket_timeout"] = None
    if target.sentinel:
        return sentinel.get_async_client(target.url, db, options, _tls_options("rediss://"))
    pool = redis.asyncio.ConnectionPool.from_url(target.url, **options)
    pool.connection_kwargs["db"] = db
    if node is not None:
        pool.connection_kwargs["host"], pool.connection_kwargs["port"] = node
    _use_credentials(pool)
    return redis.asyncio.Redis.from_pool(pool)


def _sentinel_client(target: RedisTarget, db: int) -> redis.Redis:
    """A Sentinel-managed primary (keyspace/redis/sentinel/): the same options as a plain
    URL's, TLS ones applied to the data nodes when the URL asks for TLS."""
    url = target.url
    return sentinel.get_client(
        url, db, lambda: (_connection_options(url), _tls_options("rediss://")),
        _connection_settings(target))


def _sentinel_transport(url: str) -> transport.Transport:
    try:
        tls = sentinel.parse(url).tls
    except ValueError:  # refused at start-up; never a failing header
        tls = False
    if tls:
        return transport.describe("rediss://")
    return transport.Transport(False, "not encrypted",
                               "The connections to the Sentinels and to Redis are not "
                               "encrypted (add tls=true to the sentinel URL for TLS to Redis).")


def current_sentinel(*, replicas: bool = False) -> sentinel.SentinelStatus | None:
    """The Sentinel service shown (name, Sentinels, current primary), None for a plain URL;
    never raises for Redis or the Sentinels being down."""
    try:
        target = current_target()
        url = target.url
        if not sentinel.is_sentinel_url(url):
            return None
        found = sentinel.status(url, _connection_settings(target))
    except (RedisNotConfigured, ValueError):
        return None
    if replicas:
        found = dataclasses.replace(
            found, replicas=sentinel.replicas(url, _connection_settings(target)))
    return found


def reset_pools() -> None:
    """Drop every pooled connection (used by tests that restart Redis)."""
    with _pools_lock:
        for pool in _pools.values():
            pool.disconnect()
        _pools.clear()
    _overview_cache.clear()
    profiles.forget_default()
    cluster.forget()
    sentinel.forget()
    capability_cache.forget()
    credentials.forget()
    transport.forget()


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
    # Why the list of databases may be incomplete or limited ("" when it is not).
    databases_note: str = ""


def server_identity(server: dict) -> tuple[str, str, str]:
    """(product, version, mode) from INFO server. Valkey reports `redis_version:7.2.4` for
    clients that compare versions, its own in `valkey_version`, and `server_mode` where Redis
    has `redis_mode`."""
    if str(server.get("server_name", "")).lower() == "valkey":
        version = server.get("valkey_version", server.get("redis_version", "?"))
        return "Valkey", str(version), str(server.get("server_mode", "standalone"))
    return "Redis", str(server.get("redis_version", "?")), str(server.get("redis_mode",
                                                                         "standalone"))


_overview_cache: dict[tuple, tuple[float, ServerOverview]] = {}
OVERVIEW_TTL_SECONDS = 5.0


def server_overview() -> ServerOverview:
    """Version, mode and per-db key counts, cached for a few seconds per target. Needs none
    of INFO, CONFIG or SELECT: HELLO (which every user may run) gives the version, and what
    is missing is said in `databases_note`."""
    target = current_target()
    cached = _overview_cache.get(target.key)
    if cached and time.monotonic() - cached[0] < OVERVIEW_TTL_SECONDS:
        return cached[1]
    client = get_client()
    node = cluster.default_node_client(client)  # the client itself when not a cluster
    facts = capability_cache.capabilities(node)
    product, version, mode = _identity(node)
    if node is not client:
        databases, note = cluster_nodes.databases(client)
    else:
        databases, note = _standalone_databases(client, facts, target)
    overview = ServerOverview(
        address=target.address,
        version=version,
        mode=mode,
        databases=databases,
        databases_note=note,
        product=product,
    )
    _overview_cache[target.key] = (time.monotonic(), overview)
    return overview


def _standalone_databases(client, facts, target) -> tuple[tuple[DatabaseInfo, ...], str]:
    keyspace = facts.keyspace or {}
    if facts.keyspace is None:
        # INFO refused: the key count of the db shown is still known to DBSIZE.
        dbsize = client.dbsize() if "DBSIZE" not in facts.missing else 0
        keyspace = {target.default_db: (int(dbsize), 0)}
    return _databases(keyspace, facts, target.default_db)


def _identity(client: redis.Redis) -> tuple[str, str, str]:
    """(product, version, mode) from HELLO 2 (no ACL needed; Valkey answers `server: valkey`
    with its own version there), else from INFO server."""
    try:
        reply = client.execute_command("HELLO", 2)
        pairs = dict(zip(reply[::2], reply[1::2], strict=False))
        text = {str(k, "latin-1") if isinstance(k, bytes) else str(k):
                v.decode() if isinstance(v, bytes) else v for k, v in pairs.items()}
        product = "Valkey" if str(text.get("server", "")).lower() == "valkey" else "Redis"
        return product, str(text.get("version", "?")), str(text.get("mode", "standalone"))
    except redis.ResponseError:
        pass
    try:
        server = client.info("server")
    except redis.ResponseError:
        return "Redis", "?", "standalone"
    return server_identity(server)


def _databases(counts: dict, facts, default_db: int) -> tuple[tuple[DatabaseInfo, ...], str]:
    """Every database the user can open, with why some may not be listed."""
    if not facts.can_select:
        info = DatabaseInfo(default_db, *counts.get(default_db, (0, 0)))
        return (info,), (f"Other databases are hidden: SELECT is {facts.missing['SELECT']}.")
    note = ""
    total = facts.databases or profiles.current().databases or None
    if total is None:
        numbers = sorted(set(counts) | {0, default_db})
        why = facts.reason("CONFIG") or "CONFIG GET databases gave no answer"
        note = (f"Only databases that hold keys are listed: {why}, so the number of "
                "databases is unknown (set DASHBOARD_DATABASES to list them all).")
    else:
        numbers = sorted(set(range(total)) | set(counts))
    return tuple(DatabaseInfo(n, *counts.get(n, (0, 0))) for n in numbers), note
