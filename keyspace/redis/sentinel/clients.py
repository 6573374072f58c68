"""Clients of the service's current primary: redis-py's Sentinel pools with the dashboard's
connection classes (renamed commands, client name, refreshed credentials), one sync pool per
URL, db and settings, a fresh asyncio client (and Sentinel clients) per stream."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import redis
import redis.asyncio
import redis.asyncio.sentinel
import redis.sentinel
from redis.backoff import NoBackoff

from keyspace.conf import app_settings
from keyspace.redis import credentials
from keyspace.redis.commands import _Async, _Sync
from keyspace.redis.sentinel.spec import SentinelSpec, host_port_text, parse


class UnknownService(redis.sentinel.MasterNotFoundError):
    """Every Sentinel that answered monitors no service of that name (a mistyped
    master_name): unlike a failover, it never ends by itself."""


class _Search:
    """One search for a service's primary, Sentinel after Sentinel (redis-py's own order:
    one SENTINEL MASTERS each until one names a usable primary), keeping what tells a
    service no Sentinel monitors from one that has no primary right now."""

    def __init__(self, manager, service: str):
        self.manager, self.service = manager, service
        self.errors: list[str] = []
        self.known = False

    def answer(self, number: int, masters: dict) -> tuple | None:
        """The primary's (ip, port) from Sentinel `number`'s SENTINEL MASTERS, or None; the
        Sentinel that named it is asked first next time."""
        state = masters.get(self.service)
        self.known = self.known or state is not None
        if not (state and self.manager.check_master_state(state, self.service)):
            return None
        sentinels = self.manager.sentinels
        sentinels[0], sentinels[number] = sentinels[number], sentinels[0]
        return state["ip"], state["port"]

    def failed(self, sentinel, exc: Exception) -> None:
        self.errors.append(f"{sentinel} - {exc!r}" + (f": {exc}" if str(exc) else ""))

    def not_found(self) -> redis.sentinel.MasterNotFoundError:
        """UnknownService when some Sentinel answered and none of those that did knows the
        service, else redis-py's MasterNotFoundError (its message, listing each Sentinel that
        could not be asked, is kept: failover.py counts them)."""
        if not self.known and len(self.errors) < len(self.manager.sentinels):
            return UnknownService(f"no Sentinel monitors a service named {self.service!r}")
        said = f" : {', '.join(self.errors)}" if self.errors else ""
        return redis.sentinel.MasterNotFoundError(f"No master found for {self.service!r}{said}")


_ASK_ERRORS = (redis.ConnectionError, redis.ResponseError, redis.TimeoutError)


class _Sentinel(redis.sentinel.Sentinel):
    """redis-py's Sentinel client, telling a service no Sentinel monitors from one that has
    no primary right now (`_Search`)."""

    def discover_master(self, service_name: str):
        search = _Search(self, service_name)
        for number, sentinel in enumerate(self.sentinels):
            try:
                if found := search.answer(number, sentinel.sentinel_masters()):
                    return found
            except _ASK_ERRORS as exc:
                search.failed(sentinel, exc)
        raise search.not_found()


class _AsyncSentinel(redis.asyncio.sentinel.Sentinel):
    """`_Sentinel` for asyncio clients."""

    async def discover_master(self, service_name: str):
        search = _Search(self, service_name)
        for number, sentinel in enumerate(self.sentinels):
            try:
                if found := search.answer(number, await sentinel.sentinel_masters()):
                    return found
            except _ASK_ERRORS as exc:
                search.failed(sentinel, exc)
        raise search.not_found()


class SentinelConnection(_Sync, redis.sentinel.SentinelManagedConnection):
    pass


class SentinelSSLConnection(_Sync, redis.sentinel.SentinelManagedSSLConnection):
    pass


class AsyncSentinelConnection(_Async, redis.asyncio.sentinel.SentinelManagedConnection):
    pass


class AsyncSentinelSSLConnection(_Async, redis.asyncio.sentinel.SentinelManagedSSLConnection):
    pass


def _sentinel_options(spec: SentinelSpec) -> dict:
    """How the Sentinels themselves are asked: the dashboard's timeouts, their own password,
    no retries (redis-py moves on to the next Sentinel instead)."""
    options = {"socket_connect_timeout": app_settings.REDIS_CONNECT_TIMEOUT,
               "socket_timeout": app_settings.REDIS_SOCKET_TIMEOUT,
               "client_name": app_settings.CLIENT_NAME}
    if spec.sentinel_password:
        options["password"] = spec.sentinel_password
        if spec.sentinel_username:
            options["username"] = spec.sentinel_username
    return options


def _data_options(spec: SentinelSpec, base: dict, tls_options: dict, *,
                  asynchronous: bool) -> dict:
    """The dashboard's connection options (`base`, as for a plain URL) made Sentinel's: the
    connection classes follow the primary, and no command is retried, so a write cut off by a
    failover is never sent twice."""
    options = dict(base)
    options.pop("connection_class", None)
    if spec.tls:
        options.update(tls_options)
        options["connection_class"] = (AsyncSentinelSSLConnection if asynchronous
                                       else SentinelSSLConnection)
    else:
        options["connection_class"] = (AsyncSentinelConnection if asynchronous
                                       else SentinelConnection)
    retry_class = redis.asyncio.retry.Retry if asynchronous else redis.retry.Retry
    options["retry"] = retry_class(NoBackoff(), 0, supported_errors=(redis.ConnectionError,))
    options["db"] = spec.db
    provider = credentials.provider_for(spec.username or None)
    if provider is not None:
        options["credential_provider"] = provider
    else:
        if spec.username:
            options["username"] = spec.username
        if spec.password:
            options["password"] = spec.password
    return options


_lock = threading.Lock()
_managers: dict[tuple, redis.sentinel.Sentinel] = {}
_pools: dict[tuple, redis.sentinel.SentinelConnectionPool] = {}


def _manager(spec: SentinelSpec, settings_key: tuple) -> redis.sentinel.Sentinel:
    key = (spec, settings_key)
    manager = _managers.get(key)
    if manager is None:
        manager = _Sentinel(list(spec.sentinels),
                                          sentinel_kwargs=_sentinel_options(spec))
        _managers[key] = manager
    return manager


def get_client(url: str, db: int, options: Callable[[], tuple[dict, dict]],
               settings_key: tuple) -> redis.Redis:
    """A client of the service's current primary, db `db`; one pool per (URL, db, settings).
    `options()` gives the dashboard's connection and TLS options, asked for a new pool only."""
    key = (url, db, settings_key)
    pool = _pools.get(key)
    if pool is not None:
        return redis.Redis(connection_pool=pool)
    spec = parse(url)
    with _lock:
        pool = _pools.get(key)
        if pool is None:
            options = _data_options(spec, *options(), asynchronous=False)
            options["db"] = db
            pool = redis.sentinel.SentinelConnectionPool(
                spec.service, _manager(spec, settings_key), **options)
            _pools[key] = pool
    return redis.Redis(connection_pool=pool)


class _AsyncSentinelRedis(redis.asyncio.Redis):
    """An asyncio client that owns its Sentinel clients too: they are bound to the event loop
    like it, so `aclose()` closes them with it."""

    sentinel_manager: redis.asyncio.sentinel.Sentinel | None = None

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        try:
            await super().aclose(close_connection_pool)
        finally:
            if self.sentinel_manager is not None:
                manager, self.sentinel_manager = self.sentinel_manager, None
                await manager.aclose()


def get_async_client(url: str, db: int, base: dict, tls_options: dict) -> redis.asyncio.Redis:
    """A fresh asyncio client of the current primary with Sentinel clients of its own; `base`
    is decided by the caller (a subscriber's retry and timeout), except that commands are
    never retried here."""
    spec = parse(url)
    options = _data_options(spec, base, tls_options, asynchronous=True)
    subscriber_retry = base.get("retry")
    if subscriber_retry is not None and subscriber_retry.get_retries() == 0:
        options["retry"] = subscriber_retry  # a subscriber's: supports no error at all
    options["db"] = db
    manager = _AsyncSentinel(list(spec.sentinels),
                                              sentinel_kwargs=_sentinel_options(spec))
    pool = redis.asyncio.sentinel.SentinelConnectionPool(spec.service, manager, **options)
    client = _AsyncSentinelRedis.from_pool(pool)
    client.sentinel_manager = manager
    return client


@dataclass(frozen=True)
class SentinelStatus:
    """For the header and the Server page."""

    service: str
    sentinels: str
    primary: str | None  # None: no primary known right now (failing over, Sentinels down)
    replicas: tuple[str, ...] = ()
    unknown: bool = False  # no Sentinel that answered monitors the service


def status(url: str, settings_key: tuple) -> SentinelStatus:
    """The service, its Sentinels and the current primary, as the Sentinels say now (one
    SENTINEL MASTERS to the first that answers: redis-py moves it to the front); never raises
    for a Sentinel that is down or a failover."""
    spec = parse(url)
    with _lock:
        manager = _manager(spec, settings_key)
    try:
        host, port = manager.discover_master(spec.service)
    except UnknownService:
        return SentinelStatus(spec.service, spec.sentinel_list, None, unknown=True)
    except (redis.RedisError, OSError):
        return SentinelStatus(spec.service, spec.sentinel_list, None)
    return SentinelStatus(spec.service, spec.sentinel_list, host_port_text(str(host), int(port)))


def replicas(url: str, settings_key: tuple) -> tuple[str, ...]:
    """The replicas the Sentinels consider up (for the Server page); empty when unknown."""
    spec = parse(url)
    with _lock:
        manager = _manager(spec, settings_key)
    try:
        found = manager.discover_slaves(spec.service)
    except (redis.RedisError, OSError):
        return ()
    return tuple(host_port_text(str(host), int(port)) for host, port in found)


def forget() -> None:
    """Drop every pool and Sentinel client (tests that restart servers)."""
    with _lock:
        for pool in _pools.values():
            pool.disconnect()
        for manager in _managers.values():
            manager.close()
        _pools.clear()
        _managers.clear()
