"""A real Redis Cluster for the tests: 3 primaries and 3 replicas of the system's
redis-server (Debian 12: Redis 7.0) on free loopback ports, created with `redis-cli --cluster
create` in fresh directories, and stopped by PID at the session's end (on failure too).

Tests marked `cluster` use the `redis_cluster` fixture (started once per session, on first
use). Where redis-server or redis-cli is missing they are skipped with the reason, or fail
when DASHBOARD_REQUIRE_CLUSTER (or CI) is set, as .ci/run does.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
from redis.crc import key_slot

from dashboard.local_redis import PortTaken, free_port, wait_until_serving

PRIMARIES = 3
REPLICAS_PER_PRIMARY = 1
NODE_TIMEOUT_MS = 2000
BUS_PORT_OFFSET = 10000  # Redis's default: a node's bus listens at port + 10000


def cluster_required() -> bool:
    return bool(os.environ.get("DASHBOARD_REQUIRE_CLUSTER") or os.environ.get("CI"))


def binaries(search_path: str | None = None) -> tuple[str, str] | str:
    """(redis-server, redis-cli) found on `search_path` (PATH when None), or why the cluster
    cannot be started here."""
    server = shutil.which("redis-server", path=search_path)
    cli = shutil.which("redis-cli", path=search_path)
    if not server or not cli:
        return ("a Redis Cluster needs redis-server and redis-cli "
                "(apt-get install redis-server redis-tools, or run .ci/run)")
    return server, cli


def _free_ports(count: int) -> list[int]:
    """Ports free now whose cluster bus port (port + 10000) is free too, both outside the
    kernel's ephemeral range (see free_port)."""
    return [free_port(with_offset=BUS_PORT_OFFSET) for _ in range(count)]


@dataclass
class ClusterNode:
    port: int
    directory: Path
    process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_connect_timeout=0.5, socket_timeout=5)

    def start(self, server: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        log = open(self.directory / "redis.log", "ab")  # noqa: SIM115 - the process owns it
        self.process = subprocess.Popen(
            [server, "--port", str(self.port), "--bind", "127.0.0.1",
             "--cluster-enabled", "yes",
             "--cluster-config-file", str(self.directory / "nodes.conf"),
             "--cluster-node-timeout", str(NODE_TIMEOUT_MS),
             "--dir", str(self.directory), "--save", "", "--appendonly", "no",
             # A fresh cluster is whole in about two seconds, not ten: replicas sync at once
             # (no diskless-sync delay, 5 s by default), and are listed in CLUSTER SLOTS as
             # soon as their replication offset is past 0, which the primary's replication
             # PING moves (every 10 s by default, here every second).
             "--repl-diskless-sync-delay", "0", "--repl-ping-replica-period", "1",
             "--daemonize", "no"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
        log.close()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL by PID (a crash, as a test may want one), and reap it."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class LocalCluster:
    """3 primaries + 3 replicas on loopback; `nodes[:3]` are created as the primaries."""

    root: Path
    nodes: list[ClusterNode] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.nodes[0].url

    def start(self, timeout: float = 30.0) -> LocalCluster:
        found = binaries()
        if isinstance(found, str):
            raise RuntimeError(found)
        server, cli = found
        for attempt in range(3):
            if self.root.exists():
                shutil.rmtree(self.root)  # a stale nodes.conf makes `create` fail
            count = PRIMARIES * (1 + REPLICAS_PER_PRIMARY)
            self.nodes = [ClusterNode(port, self.root / str(port))
                          for port in _free_ports(count)]
            try:
                for node in self.nodes:
                    node.start(server)
                for node in self.nodes:
                    _wait_for_ping(node, timeout)
                break
            except PortTaken:
                # Another process bound a port (or bus port) first: other ports, once more.
                self.stop()
                if attempt == 2:
                    raise
            except BaseException:
                self.stop()
                raise
        try:
            subprocess.run(
                [cli, "--cluster", "create", *(node.address for node in self.nodes),
                 "--cluster-replicas", str(REPLICAS_PER_PRIMARY), "--cluster-yes"],
                check=True, capture_output=True, timeout=timeout,
            )
            self.wait_until_healthy(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def wait_until_healthy(self, timeout: float = 30.0) -> None:
        """Every running node says cluster_state:ok and every replica is in sync."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(_healthy(node) for node in self.nodes if node.running):
                return
            time.sleep(0.1)
        raise TimeoutError("the local Redis Cluster did not become healthy")

    def primaries(self) -> list[ClusterNode]:
        """The nodes that are primaries now (a failover may have changed which)."""
        found = []
        for node in self.nodes:
            if not node.running:
                continue
            with node.client() as client:
                if client.info("replication").get("role") == "master":
                    found.append(node)
        return found

    def cluster_client(self) -> redis.RedisCluster:
        return redis.RedisCluster(host="127.0.0.1", port=self.primaries()[0].port)

    def begin_moving(self, key: bytes) -> ClusterNode:
        """Start moving `key`'s slot from its primary to another one and move the slot's keys
        there: the state between `MIGRATE` and the final `CLUSTER SETSLOT ... NODE`, where the
        old owner answers ASK for them and the new one (returned) serves them after ASKING.
        Left so: a test doing this asks for a fresh cluster after (`cluster_holder.discard`)."""
        slot = key_slot(key)
        nodes = self.primaries()
        owner = next(node for node in nodes if _serves(node, slot))
        target = next(node for node in nodes if node is not owner)
        with owner.client() as source, target.client() as destination:
            destination.execute_command("CLUSTER", "SETSLOT", slot, "IMPORTING", _id(owner))
            source.execute_command("CLUSTER", "SETSLOT", slot, "MIGRATING", _id(target))
            keys = source.execute_command("CLUSTER", "GETKEYSINSLOT", slot, 1000)
            source.execute_command("MIGRATE", "127.0.0.1", target.port, "", 0, 5000, "KEYS",
                                   *keys)
        return target

    def flush(self) -> None:
        """Empty every primary (replicas follow)."""
        for node in self.primaries():
            with node.client() as client:
                client.flushall()
        for node in self.nodes:
            if node.running:
                with node.client() as client:
                    _wait_for_offsets(client)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


def cluster_info(client: redis.Redis) -> dict[str, str]:
    text = client.execute_command("CLUSTER", "INFO").decode()
    return dict(line.split(":", 1) for line in text.split() if ":" in line)


def _wait_for_ping(node: ClusterNode, timeout: float) -> None:
    """Until the node's own process says it serves (see wait_until_serving)."""
    log = node.directory / "redis.log"  # a fresh directory: all of it is this start's
    wait_until_serving(node.process,
                       lambda: log.read_text(errors="replace") if log.exists() else "",
                       node.port, timeout)


def _healthy(node: ClusterNode) -> bool:
    try:
        with node.client() as client:
            if cluster_info(client).get("cluster_state") != "ok":
                return False
            # Every node knows every slot range's primary and replicas (gossip takes a moment).
            ranges = client.execute_command("CLUSTER", "SLOTS")
            if len(ranges) != PRIMARIES or any(
                    len(entry) < 3 + REPLICAS_PER_PRIMARY for entry in ranges):
                return False
            replication = client.info("replication")
    except redis.RedisError:
        return False
    if replication.get("role") == "slave":
        return replication.get("master_link_status") == "up"
    return True


def _wait_for_offsets(client: redis.Redis, timeout: float = 5.0) -> None:
    """A replica has applied all its primary sent (nothing to wait for on a primary)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = client.info("replication")
        if info.get("role") != "slave" or info.get("master_link_status") != "up":
            return
        with redis.Redis(host=info["master_host"], port=info["master_port"]) as primary:
            offset = primary.info("replication").get("master_repl_offset", 0)
        if int(info.get("slave_repl_offset", 0)) >= int(offset):
            return
        time.sleep(0.02)


def _serves(node: ClusterNode, slot: int) -> bool:
    with node.client() as client:
        return any(first <= slot <= last and owner[1] == node.port
                   for first, last, owner, *_ in client.execute_command("CLUSTER", "SLOTS"))


def _id(node: ClusterNode) -> str:
    with node.client() as client:
        found = client.execute_command("CLUSTER", "MYID")
    return found.decode() if isinstance(found, bytes) else found


class ClusterHolder:
    """The session's cluster, started on first use; a test that kills a node asks for a
    fresh one afterwards (`discard`)."""

    def __init__(self, scratch: Path, search_path: str | None = None):
        self.scratch = scratch
        self.search_path = search_path
        self.cluster: LocalCluster | None = None
        self.generation = 0

    def get(self) -> LocalCluster:
        if self.cluster is None:
            found = binaries(self.search_path)
            if isinstance(found, str):
                if cluster_required():
                    pytest.fail(f"cluster tests are required but {found}")
                pytest.skip(found)
            self.generation += 1
            self.cluster = LocalCluster(self.scratch / f"cluster-{self.generation}").start()
        return self.cluster

    def discard(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()
            shutil.rmtree(self.cluster.root, ignore_errors=True)
            self.cluster = None



@pytest.fixture(scope="session")
def cluster_holder(tmp_path_factory) -> ClusterHolder:
    found = ClusterHolder(tmp_path_factory.mktemp("clusters"))
    yield found
    found.discard()


@pytest.fixture
def fresh_cluster_after(cluster_holder):
    """The next test gets a cluster of its own (this one leaves the cluster changed: a slot
    half moved, say)."""
    yield
    cluster_holder.discard()


@pytest.fixture
def redis_cluster(request, cluster_holder) -> LocalCluster:
    """The session's cluster, healthy and empty; tests using it are marked `cluster`."""
    if request.node.get_closest_marker("cluster") is None:
        pytest.fail("tests that use redis_cluster are marked `cluster`")
    cluster = cluster_holder.get()
    cluster.flush()
    return cluster


@pytest.fixture
def cluster_dashboard(redis_cluster, settings) -> LocalCluster:
    """The dashboard pointed at the cluster (through its first node), with fresh pools."""
    from keyspace.redis.connection import reset_pools

    settings.REDIS_URL = redis_cluster.url
    reset_pools()
    yield redis_cluster
    reset_pools()
