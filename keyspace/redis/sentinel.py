"""A Redis run behind Sentinel: REDIS_URL names the service and its Sentinels, and every
client follows the primary the Sentinels report, through a failover.

    sentinel://[[user]:password@]host1:26379[,host2:26380...]/DB?master_name=NAME
        [&sentinel_password=...][&sentinel_username=...][&tls=true]

(`redis+sentinel://` is the same; `service_name=` or `master=`, the form the integrations
page writes, may stand for `master_name=`.) The URL's
user and password are the data nodes' (primary and replicas); `sentinel_password` (and
`sentinel_username`) are the Sentinels' own, when they have `requirepass` set. `tls=true`
reaches the data nodes over TLS with the DASHBOARD_TLS_* settings; the Sentinels are asked
unencrypted. A URL that names no service stops start-up.

Commands on the primary are never retried: a write cut off by a failover is reported, not
sent again to the new primary (`is_failover` tells the error pages which errors mean that).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote

import redis
import redis.asyncio
import redis.asyncio.sentinel
import redis.sentinel
from redis.backoff import NoBackoff

from keyspace.conf import app_settings
from keyspace.redis import credentials
from keyspace.redis.commands import _Async, _Sync

SCHEMES = ("sentinel://", "redis+sentinel://")
DEFAULT_PORT = 26379
_OPTIONS = frozenset({"master_name", "service_name", "master", "sentinel_password",
                      "sentinel_username", "tls", "db"})
_TRUE, _FALSE = frozenset({"true", "yes", "1", "on"}), frozenset({"false", "no", "0", "off"})


def is_sentinel_url(url: str) -> bool:
    return url.lower().startswith(SCHEMES)


@dataclass(frozen=True)
class SentinelSpec:
    """What a sentinel:// URL says, passwords kept out of `repr` and every display form."""

    sentinels: tuple[tuple[str, int], ...]
    service: str
    db: int = 0
    username: str = ""
    password: str = field(default="", repr=False)
    sentinel_username: str = ""
    sentinel_password: str = field(default="", repr=False)
    tls: bool = False

    @property
    def sentinel_list(self) -> str:
        return ",".join(_address(host, port) for host, port in self.sentinels)

    @property
    def address(self) -> str:
        """The service's name for headers, messages and the audit log: stable through a
        failover (the primary's own address is not)."""
        return f"{self.service} via Sentinel {self.sentinel_list}"


def parse(url: str) -> SentinelSpec:
    """The spec of a sentinel:// URL; ValueError says what is wrong without quoting the URL
    (it may hold a password)."""
    scheme, _, rest = url.partition("://")
    if scheme.lower() not in {s[:-3] for s in SCHEMES}:
        raise ValueError("not a sentinel:// URL")
    rest, _, fragment = rest.partition("#")
    rest, _, query_text = rest.partition("?")
    netloc, _, path = rest.partition("/")
    userinfo, at, hosts = netloc.rpartition("@")
    username, _, password = userinfo.partition(":") if at else ("", "", "")
    query = dict(parse_qsl(query_text, keep_blank_values=True))
    unknown = sorted(name for name in query if name not in _OPTIONS
                     and not name.lower().startswith("ssl"))  # ssl_*: conf says to use TLS_*
    if unknown:
        raise ValueError(f"unknown sentinel URL option(s) {', '.join(unknown)} (known: "
                         f"{', '.join(sorted(_OPTIONS))})")
    service = query.get("master_name") or query.get("service_name") or query.get("master", "")
    if not service:
        raise ValueError("a sentinel URL must name the service: ?master_name=NAME")
    return SentinelSpec(
        sentinels=tuple(_host_port(item) for item in hosts.split(",")),
        service=service,
        db=_db(query.get("db") or path.strip("/") or "0"),
        username=unquote(username),
        password=unquote(password),
        sentinel_username=query.get("sentinel_username", ""),
        sentinel_password=query.get("sentinel_password", ""),
        tls=_flag(query.get("tls", "false")),
    )


def problems(url: str) -> list[str]:
    """For start-up validation: why this sentinel URL cannot be used (empty when it can)."""
    try:
        parse(url)
    except ValueError as exc:
        return [f"REDIS_URL: {exc}"]
    return []


def _host_port(text: str) -> tuple[str, int]:
    text = text.strip()
    if text.startswith("["):
        host, _, port = text[1:].partition("]")
        port = port.removeprefix(":")
    else:
        host, _, port = text.rpartition(":") if ":" in text else (text, "", "")
    if not host or any(c.isspace() or c in "/@?#" for c in host):
        raise ValueError("each Sentinel must be host:port (several separated by commas)")
    if not port:
        return host, DEFAULT_PORT
    if not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        raise ValueError("a Sentinel's port is not a number from 1 to 65535")
    return host, int(port)


def _db(text: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise ValueError("the db in the sentinel URL is not a number")
    return int(text)


def _flag(text: str) -> bool:
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise ValueError("the sentinel URL's tls option is not true or false")


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


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
        manager = redis.sentinel.Sentinel(list(spec.sentinels),
                                          sentinel_kwargs=_sentinel_options(spec))
        _managers[key] = manager
    return manager


def get_client(url: str, db: int, base: dict, tls_options: dict,
               settings_key: tuple) -> redis.Redis:
    """A client of the service's current primary, db `db`; one pool per (URL, db, settings)."""
    spec = parse(url)
    with _lock:
        key = (spec, db, settings_key)
        pool = _pools.get(key)
        if pool is None:
            options = _data_options(spec, base, tls_options, asynchronous=False)
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
    manager = redis.asyncio.sentinel.Sentinel(list(spec.sentinels),
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


def status(url: str, settings_key: tuple) -> SentinelStatus:
    """The service, its Sentinels and the current primary, as the Sentinels say now (one
    SENTINEL MASTERS to the first that answers: redis-py moves it to the front); never raises
    for a Sentinel that is down or a failover."""
    spec = parse(url)
    with _lock:
        manager = _manager(spec, settings_key)
    try:
        host, port = manager.discover_master(spec.service)
        primary = _address(str(host), int(port))
    except (redis.RedisError, OSError):
        primary = None
    return SentinelStatus(spec.service, spec.sentinel_list, primary)


def replicas(url: str, settings_key: tuple) -> tuple[str, ...]:
    """The replicas the Sentinels consider up (for the Server page); empty when unknown."""
    spec = parse(url)
    with _lock:
        manager = _manager(spec, settings_key)
    try:
        found = manager.discover_slaves(spec.service)
    except (redis.RedisError, OSError):
        return ()
    return tuple(_address(str(host), int(port)) for host, port in found)


def forget() -> None:
    """Drop every pool and Sentinel client (tests that restart servers)."""
    with _lock:
        for pool in _pools.values():
            pool.disconnect()
        for manager in _managers.values():
            manager.close()
        _pools.clear()
        _managers.clear()


FAILOVER_TITLE = "Failing over"
NO_SENTINEL_TITLE = "Cannot reach Sentinel"


def is_failover(exc: BaseException) -> bool:
    """True for the errors a failover shows (REDIS_URL being a sentinel one): no primary
    known (MasterNotFoundError), the old primary refusing writes as a replica now (READONLY,
    which redis-py turns into a ConnectionError) or not answering at all."""
    if not is_sentinel_url(app_settings.REDIS_URL):
        return False
    return isinstance(exc, redis.ConnectionError | redis.TimeoutError | redis.ReadOnlyError)


def describe_failover(exc: BaseException) -> tuple[str, str]:
    """(title, message) of the page shown while `is_failover(exc)`."""
    try:
        spec = parse(app_settings.REDIS_URL)
    except ValueError:
        return FAILOVER_TITLE, "the Redis service is failing over"
    service = f"the Redis service {spec.service!r} (via Sentinel {spec.sentinel_list})"
    retry = ("This page retries by itself; an edit sent now is not done, and the dashboard "
             "never sends it again (if one was cut off mid-way, check the key once the new "
             "primary is up).")
    if isinstance(exc, redis.sentinel.MasterNotFoundError):
        text = str(exc)
        # redis-py lists each Sentinel it could not ask as "<its client> - <the error>".
        if text.count("> - ") >= len(spec.sentinels):
            lowered = text.lower()
            refused = any(word in lowered for word in ("authentication", "wrongpass", "noauth",
                                                       "invalid password"))
            hint = (" (they refused the password: check sentinel_password in REDIS_URL)"
                    if refused else "")
            return NO_SENTINEL_TITLE, f"no Sentinel of {service} answered{hint}. {retry}"
        why = "the Sentinels know no primary right now"
    elif isinstance(exc, redis.ReadOnlyError) or "now a slave" in str(exc):
        why = "the old primary is a replica now"
    else:
        why = "the primary is not answering"
    return FAILOVER_TITLE, f"{service} is failing over: {why}. {retry}"


def check_primary(client: redis.Redis) -> None:
    """Raise the failover's error unless `client` reaches a primary that takes writes (ROLE,
    or a PING where ROLE is refused or renamed away)."""
    try:
        role = client.execute_command("ROLE")
    except redis.ResponseError:
        client.ping()
        return
    first = role[0] if role else b""
    if (first.decode() if isinstance(first, bytes) else str(first)) != "master":
        raise redis.ReadOnlyError("the service's primary answers as a replica")
