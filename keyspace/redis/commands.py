"""Commands a deployment renamed (`rename-command` on a managed service or a hardened
server), and connections that send them under their new names.

DASHBOARD_RENAMED_COMMANDS declares them, "NAME=NEWNAME" pairs separated by spaces (e.g.
"CONFIG=cfg-8c1e FLUSHALL="); an empty new name says the command is gone, so it is never
asked for. Every command the dashboard sends passes through `renamed`, in the one place that
packs commands (the connection classes below), so no caller needs to know.
"""

from __future__ import annotations

import contextlib
import re

import redis
import redis.asyncio

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
_NEW_NAME = re.compile(r"[!-~]*\Z")  # printable, no spaces: Redis reads one word


def parse_renames(text: str) -> dict[str, str]:
    """{"CONFIG": "cfg-8c1e", "FLUSHALL": ""} from the setting; ValueError names what is wrong."""
    found: dict[str, str] = {}
    for item in text.split():
        name, equals, new = item.partition("=")
        if not equals:
            raise ValueError(f"{item!r} is not NAME=NEWNAME (NAME= for a removed command)")
        if not _NAME.match(name) or not _NEW_NAME.match(new):
            raise ValueError(f"{item!r} is not a command name and its new name")
        if name.upper() in found:
            raise ValueError(f"{name.upper()} is renamed twice")
        found[name.upper()] = new
    return found


def renames() -> dict[str, str]:
    """The current connection's declared renames; validated at start-up (or when a
    connection is saved), so never raises here."""
    from keyspace.redis.profiles import current

    try:
        return parse_renames(current().renamed_commands)
    except ValueError:
        return {}


def removed(name: str) -> bool:
    """True when the deployment says `name` is gone (renamed to nothing)."""
    return renames().get(name.upper()) == ""


def renamed(args: tuple, table: dict[str, str]) -> tuple:
    """`args` with the command's name replaced by its declared new name (redis-py may pass a
    command and its subcommand as one word, "CONFIG GET")."""
    if not table or not args:
        return args
    first = args[0]
    text = first.decode("latin-1") if isinstance(first, bytes) else str(first)
    name, space, rest = text.partition(" ")
    new = table.get(name.upper())
    if not new:
        return args
    return (new + space + rest, *args[1:])


def _refreshable(connection):
    provider = getattr(connection, "credential_provider", None)
    return provider if hasattr(provider, "refused") else None


def _generation(connection) -> int | None:
    """Which fetch of refreshable credentials this connection is about to use (None: fixed
    credentials, nothing to refresh)."""
    provider = _refreshable(connection)
    return provider.fetched() if provider else None


async def _generation_async(connection) -> int | None:
    provider = _refreshable(connection)
    return await provider.fetched_async() if provider else None


def _record_transport(connection) -> None:
    """Note the TLS version a new connection negotiated, for the header and Server page."""
    sock = getattr(connection, "_sock", None)
    version = getattr(sock, "version", None)
    if callable(version):
        from keyspace.redis import transport

        transport.negotiated(version())


class _Renaming:
    """Wraps a redis-py command packer: renames the command, then packs as before."""

    def __init__(self, inner, table: dict[str, str]):
        self.inner = inner
        self.table = table

    def pack(self, *args):
        return self.inner.pack(*renamed(args, self.table))


class _Sync:
    """Mixed into each redis-py connection class (TCP, unix socket, TLS)."""

    def __init__(self, *args, renamed_commands: dict[str, str] | None = None, **kwargs):
        self._renames = renamed_commands or {}
        self._refreshing = False  # reconnecting once with fresh credentials
        super().__init__(*args, **kwargs)

    def _construct_command_packer(self, packer):
        inner = super()._construct_command_packer(packer)
        return _Renaming(inner, self._renames) if self._renames else inner

    def on_connect_check_health(self, check_health: bool = True):
        name, self.client_name = self.client_name, None
        try:
            generation = _generation(self)
            try:
                super().on_connect_check_health(check_health)
            except redis.AuthenticationError:
                # Redis refused the password (rotated, or a token past its lifetime): fetch
                # it anew and connect once more (redis-py has closed the socket); a second
                # refusal is the answer.
                if generation is None or self._refreshing:
                    raise
                self.credential_provider.refused(generation)
                self._refreshing = True
                try:
                    self.disconnect()
                    self.connect_check_health(check_health)
                finally:
                    self._refreshing = False
        finally:
            self.client_name = name
        _record_transport(self)
        if name:
            self.send_command("CLIENT", "SETNAME", name, check_health=False)
            with contextlib.suppress(redis.ResponseError):
                self.read_response()


class Connection(_Sync, redis.Connection):
    pass


class UnixConnection(_Sync, redis.UnixDomainSocketConnection):
    pass


class SSLConnection(_Sync, redis.SSLConnection):
    pass


class _Async:
    def __init__(self, *args, renamed_commands: dict[str, str] | None = None, **kwargs):
        self._renames = renamed_commands or {}
        self._refreshing = False  # reconnecting once with fresh credentials
        super().__init__(*args, **kwargs)

    def pack_command(self, *args):
        return super().pack_command(*renamed(args, self._renames))

    async def on_connect_check_health(self, check_health: bool = True) -> None:
        name, self.client_name = self.client_name, None
        try:
            generation = await _generation_async(self)
            try:
                await super().on_connect_check_health(check_health)
            except redis.AuthenticationError:
                if generation is None or self._refreshing:
                    raise
                self.credential_provider.refused(generation)
                self._refreshing = True
                try:
                    await self.disconnect()
                    await self.connect_check_health(check_health)
                finally:
                    self._refreshing = False
        finally:
            self.client_name = name
        if name:
            await self.send_command("CLIENT", "SETNAME", name, check_health=False)
            with contextlib.suppress(redis.ResponseError):
                await self.read_response()


class AsyncConnection(_Async, redis.asyncio.Connection):
    pass


class AsyncUnixConnection(_Async, redis.asyncio.UnixDomainSocketConnection):
    pass


class AsyncSSLConnection(_Async, redis.asyncio.SSLConnection):
    pass


def connection_class(url: str, *, asynchronous: bool = False) -> type:
    if url.startswith("unix://"):
        return AsyncUnixConnection if asynchronous else UnixConnection
    if url.startswith("rediss://"):
        return AsyncSSLConnection if asynchronous else SSLConnection
    return AsyncConnection if asynchronous else Connection
