"""The Cluster tab: every node with its role, slot ranges, keys, health and replication lag;
a node killed is shown down (no 500), and the key list then says so clearly."""

import html
import re

import pytest

from keyspace.redis.connection import get_client
from keyspace.services.cluster.topology import cluster_topology, parse_nodes

pytestmark = pytest.mark.cluster


def node_rows(body: str) -> dict[str, str]:
    rows = re.findall(r'<tr class="cluster-node ([^"]*)" data-node="([^"]*)">(.*?)</tr>', body,
                      re.S)
    return {address: (classes, html.unescape(re.sub(r"<[^>]+>", " ", cells)))
            for classes, address, cells in rows}


def test_topology_lists_primaries_replicas_slots_and_keys(cluster_dashboard, r, client):
    for n in range(300):
        r.set(f"k:{n}", n)
    body = client.get("/c/default/db/0/cluster/").content.decode()
    assert 'aria-current="page">Cluster</a>' in body
    rows = node_rows(body)
    assert set(rows) == {node.address for node in cluster_dashboard.nodes}
    primaries = {a: text for a, (classes, text) in rows.items() if "primary" in classes}
    assert len(primaries) == 3 and len(rows) - len(primaries) == 3
    assert "0-5460" in " ".join(primaries.values())
    topology = cluster_topology(get_client(0))
    assert sum(node.keys for node in topology.primaries) == 300
    assert sum(node.slot_count for node in topology.primaries) == 16384
    assert all(len(node.replicas) == 1 for node in topology.primaries)
    assert all(replica.lag_bytes is not None for p in topology.primaries for replica in p.replicas)
    assert topology.healthy and "State <strong>ok</strong>" in body


def test_standalone_has_no_cluster_tab(client):
    body = client.get("/c/default/db/0/cluster/").content.decode()
    assert "not a cluster" in body
    assert 'aria-current="page">Cluster</a>' not in body


def test_cluster_nodes_parsing_keeps_ranges_and_skips_migrations():
    text = ("abc 127.0.0.1:7000@17000,host myself,master - 0 0 1 connected 0-10 12 "
            "[13->-def]\n"
            "def 127.0.0.1:7001@17001 slave,fail abc 0 0 1 disconnected\n")
    primary, replica = parse_nodes(text)
    assert (primary.address, primary.ranges, primary.flags) == ("127.0.0.1:7000",
                                                                ((0, 10), (12, 12)), ("master",))
    assert replica.primary_id == "abc" and replica.failing and replica.link == "disconnected"
