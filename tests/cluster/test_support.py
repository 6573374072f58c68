"""The local cluster the cluster tests run on is what it claims: 3 primaries covering every
slot, each with one replica, empty at the start of each test."""

import pytest

from tests.support.cluster import ClusterHolder, cluster_info

pytestmark = pytest.mark.cluster


def test_three_primaries_three_replicas_all_slots(redis_cluster):
    primaries = redis_cluster.primaries()
    assert len(primaries) == 3
    with primaries[0].client() as client:
        info = cluster_info(client)
        slots = client.execute_command("CLUSTER", "SLOTS")
    assert info["cluster_state"] == "ok"
    assert info["cluster_slots_assigned"] == "16384"
    assert len(slots) == 3
    assert all(len(entry[2:]) == 2 for entry in slots)  # primary + one replica each


def test_each_test_starts_empty(redis_cluster):
    client = redis_cluster.cluster_client()
    for n in range(50):
        client.set(f"leftover:{n}", b"x")
    redis_cluster.flush()
    assert sum(node.client().dbsize() for node in redis_cluster.primaries()) == 0
    client.close()


@pytest.mark.parametrize("required", [False, True])
def test_missing_binaries_skip_or_fail_as_ci_asks(tmp_path, monkeypatch, required):
    monkeypatch.delenv("CI", raising=False)
    if required:
        monkeypatch.setenv("DASHBOARD_REQUIRE_CLUSTER", "1")
    else:
        monkeypatch.delenv("DASHBOARD_REQUIRE_CLUSTER", raising=False)
    holder = ClusterHolder(tmp_path, search_path=str(tmp_path))  # no redis-server there
    expected = pytest.fail.Exception if required else pytest.skip.Exception
    with pytest.raises(expected, match="redis-server and redis-cli"):
        holder.get()


def test_a_node_whose_port_another_process_took_says_so(tmp_path):
    """LocalCluster.start tries other ports on PortTaken (a CI run once lost a node so)."""
    import socket

    from dashboard.local_redis import PortTaken, free_port, redis_server_binary
    from tests.support.cluster import BUS_PORT_OFFSET, ClusterNode, _wait_for_ping

    port = free_port(with_offset=BUS_PORT_OFFSET)
    node = ClusterNode(port, tmp_path / "node")
    with socket.socket() as other:
        other.bind(("127.0.0.1", port + BUS_PORT_OFFSET))
        other.listen()
        node.start(redis_server_binary())
        try:
            with pytest.raises(PortTaken):
                _wait_for_ping(node, timeout=10)
        finally:
            node.stop()


@pytest.mark.parametrize("others", [(), ("--rename-command", "INFO", "")])
def test_a_node_whose_port_another_redis_holds_is_not_taken_for_started(tmp_path, others):
    """The other server answers PING; the node's own process is what must say it serves."""
    from dashboard.local_redis import LocalRedis, PortTaken, redis_server_binary
    from tests.support.cluster import ClusterNode, _wait_for_ping

    other = LocalRedis(tmp_path / "other", extra_args=others).start()
    node = ClusterNode(other.port, tmp_path / "node")
    try:
        node.start(redis_server_binary())
        with pytest.raises(PortTaken):
            _wait_for_ping(node, timeout=10)
    finally:
        node.stop()
        other.stop()
