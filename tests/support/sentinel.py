"""A Redis replica set behind Sentinel, for the tests: a primary, a replica and three
Sentinels (quorum 2) on free loopback ports, each in a fresh directory, with passwords on the
data nodes and on the Sentinels. Short timings (down after 1 s, failover timeout 3 s), so a
killed primary is replaced within a few seconds.

With `tls` (a directory for certificates), the data nodes listen on TLS only and replicate
over TLS, and a single Sentinel (quorum 1) reaches them over TLS while it answers on a plain
port, as the dashboard's `tls=true` expects (Sentinels that talk TLS to each other would need
TLS ports of their own).

Every process is killed by its PID when the set stops, whatever happened. Skipped when no
redis-server binary is found, failed instead when DASHBOARD_REQUIRE_SENTINEL is set.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from dashboard.local_redis import LocalRedis, free_port, redis_server_binary

SERVICE = "dashboard-primary"
DATA_PASSWORD = "data-secret"
SENTINEL_PASSWORD = "sentinel-secret"
DOWN_AFTER_MS = 1000
FAILOVER_TIMEOUT_MS = 3000


class _DataNode(LocalRedis):
    """A LocalRedis that is polled without redis-py's backoff (its default retries turn a
    refused first connection into seconds of waiting), over TLS when `tls` options are set."""

    tls: dict = {}

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None:
            client = redis.Redis(port=self.port, password=DATA_PASSWORD, socket_timeout=1,
                                 retry=Retry(NoBackoff(), 0), **self.tls)
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.02)
            finally:
                client.close()
        raise RuntimeError(f"redis-server on port {self.port} did not start (see "
                           f"{self.data_dir / 'redis.log'})")


def sentinel_required() -> bool:
    return bool(os.environ.get("DASHBOARD_REQUIRE_SENTINEL"))


def binary_or_skip() -> str:
    try:
        return redis_server_binary()
    except FileNotFoundError as exc:
        if sentinel_required():
            pytest.fail(f"Sentinel tests are required but {exc}")
        pytest.skip(f"Sentinel tests need redis-server: {exc}")


class ReplicaSet:
    """Primary, replica and Sentinels; `url` is the dashboard's REDIS_URL for them."""

    def __init__(self, directory: Path, binary: str, *, sentinels: int = 3,
                 tls: Path | None = None):
        self.directory = directory
        self.binary = binary
        self.certs = _certificates(tls) if tls else None
        if self.certs:
            sentinels = 1
        self.sentinel_ports = [free_port() for _ in range(sentinels)]
        self.quorum = sentinels // 2 + 1
        # No diskless-sync delay (5 s by default): the replica is in sync at once.
        auth = ("--requirepass", DATA_PASSWORD, "--masterauth", DATA_PASSWORD,
                "--repl-diskless-sync-delay", "0")
        self.primary = _DataNode(directory / "primary", binary=binary, extra_args=auth)
        self.replica = _DataNode(directory / "replica", binary=binary, extra_args=auth)
        for node in (self.primary, self.replica):
            if self.certs:
                node.extra_args += ("--port", "0", "--tls-port", str(node.port),
                                    *self._tls_args())
                node.tls = self.tls_client_options
        self.sentinels: list[subprocess.Popen] = []

    def _tls_args(self) -> tuple[str, ...]:
        return ("--tls-replication", "yes", "--tls-auth-clients", "no",
                "--tls-cert-file", self.certs["cert"], "--tls-key-file", self.certs["key"],
                "--tls-ca-cert-file", self.certs["ca"])

    def _tls_config(self) -> list[str]:
        args = self._tls_args()
        return [f"{name.removeprefix('--')} {value}" for name, value in zip(args[::2], args[1::2],
                                                                          strict=True)]

    @property
    def tls_client_options(self) -> dict:
        return {"ssl": True, "ssl_ca_certs": self.certs["ca"]} if self.certs else {}

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{port}" for port in self.sentinel_ports)
        return (f"sentinel://:{DATA_PASSWORD}@{hosts}/0?master_name={SERVICE}"
                f"&sentinel_password={SENTINEL_PASSWORD}" + ("&tls=true" if self.certs else ""))

    def start(self) -> ReplicaSet:
        try:
            self.primary.start()
            self.replica.extra_args += ("--replicaof", "127.0.0.1", str(self.primary.port))
            self.replica.start()
            self._wait(lambda: self._link_up(self.replica.port), "the replica to sync")
            for port in self.sentinel_ports:
                self.sentinels.append(self._start_sentinel(port))
            self._wait(self._sentinels_ready, "the Sentinels to know each other and the "
                                              "replica")
        except BaseException:
            self.stop()
            raise
        return self

    def _start_sentinel(self, port: int) -> subprocess.Popen:
        directory = self.directory / f"sentinel-{port}"
        directory.mkdir(parents=True)
        config = directory / "sentinel.conf"
        config.write_text("\n".join([
            f"port {port}",
            "bind 127.0.0.1",
            f"dir {directory}",
            f"logfile {directory / 'sentinel.log'}",
            f"requirepass {SENTINEL_PASSWORD}",
            f"sentinel sentinel-pass {SENTINEL_PASSWORD}",
            f"sentinel monitor {SERVICE} 127.0.0.1 {self.primary.port} {self.quorum}",
            f"sentinel auth-pass {SERVICE} {DATA_PASSWORD}",
            f"sentinel down-after-milliseconds {SERVICE} {DOWN_AFTER_MS}",
            f"sentinel failover-timeout {SERVICE} {FAILOVER_TIMEOUT_MS}",
            f"sentinel parallel-syncs {SERVICE} 1",
            *(self._tls_config() if self.certs else ()),
            "",
        ]))
        return subprocess.Popen([self.binary, str(config), "--sentinel"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def sentinel_client(self, port: int) -> redis.Redis:
        return redis.Redis(port=port, password=SENTINEL_PASSWORD, socket_timeout=1,
                           socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))

    def data_client(self, port: int) -> redis.Redis:
        return redis.Redis(port=port, password=DATA_PASSWORD, socket_timeout=1,
                           socket_connect_timeout=1, retry=Retry(NoBackoff(), 0),
                           **self.tls_client_options)

    def _link_up(self, port: int) -> bool:
        with self.data_client(port) as client:
            return client.info("replication").get("master_link_status") == "up"

    def _sentinels_ready(self) -> bool:
        for port in self.sentinel_ports:
            with self.sentinel_client(port) as client:
                state = client.sentinel_master(SERVICE)
                if state.get("num-other-sentinels", 0) < len(self.sentinel_ports) - 1:
                    return False
                if state.get("num-slaves", 0) < 1:
                    return False
        return True

    def primary_port(self) -> int | None:
        """The primary's port as the first Sentinel that answers says."""
        for port in self.sentinel_ports:
            try:
                with self.sentinel_client(port) as client:
                    host_port = client.sentinel_get_master_addr_by_name(SERVICE)
                    return int(host_port[1]) if host_port else None
            except redis.ConnectionError:
                continue
        return None

    def kill_primary(self) -> None:
        """kill -9: no goodbye to the replica or the clients."""
        process = self.primary.process
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)

    def wait_for_new_primary(self, timeout: float = 30.0) -> int:
        """Until the Sentinels name the replica as primary and it takes writes."""
        old = self.primary.port

        def promoted() -> bool:
            port = self.primary_port()
            if port is None or port == old:
                return False
            with self.data_client(port) as client:
                return client.execute_command("ROLE")[0] == b"master"

        self._wait(promoted, "the replica to be promoted", timeout)
        return self.replica.port

    def _wait(self, ready, what: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if ready():
                    return
            except (redis.ConnectionError, redis.ResponseError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {what}")
            time.sleep(0.05)

    def stop(self) -> None:
        for process in self.sentinels:
            _kill(process)
        self.sentinels.clear()
        for server in (self.replica, self.primary):
            if server.process is not None:
                _kill(server.process)
                server.process = None


def _kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    process.wait(10)


def _certificates(directory: Path) -> dict[str, str]:
    """A CA and a server certificate for the names the replica set is reached by (the
    Sentinels report 127.0.0.1), made with the openssl command like tests/support/tls.py's."""
    from tests.support.tls import make_ca, sign

    directory.mkdir(parents=True, exist_ok=True)
    make_ca(directory, "ca")
    sign(directory, "ca", "node", "/CN=localhost",
         "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth")
    return {"ca": str(directory / "ca.crt"), "cert": str(directory / "node.crt"),
            "key": str(directory / "node.key")}


def start_replica_set(directory: Path, *, tls: bool = False) -> ReplicaSet:
    binary = binary_or_skip()
    return ReplicaSet(directory, binary, tls=directory / "certs" if tls else None).start()
