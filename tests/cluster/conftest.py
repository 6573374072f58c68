"""Cluster tests: the dashboard points at the session's local cluster (tests/support/cluster.py)
and `r` is a cluster client of its own for arranging and checking data."""

import pytest

from keyspace.redis import cluster


@pytest.fixture
def r(cluster_dashboard):
    client = cluster_dashboard.cluster_client()
    yield client
    client.close()


def reader_with(cluster_dashboard, settings, *rules: str):
    """The dashboard as the user "reader" of every node, with ACL `rules`; removed after."""
    from keyspace.redis import capabilities
    from keyspace.redis.connection import reset_pools

    for node in cluster_dashboard.nodes:
        with node.client() as admin:
            admin.execute_command("ACL", "SETUSER", "reader", "reset", "on", ">pw", "~*", "&*",
                                  *rules)
    settings.REDIS_URL = f"redis://reader:pw@127.0.0.1:{cluster_dashboard.nodes[0].port}/0"
    reset_pools()
    cluster.forget()
    capabilities.forget()
    yield
    for node in cluster_dashboard.nodes:
        with node.client() as admin:
            admin.execute_command("ACL", "DELUSER", "reader")
    cluster.forget()
    capabilities.forget()


@pytest.fixture
def reader_on_cluster(cluster_dashboard, settings):
    """A +@read user: CLUSTER SLOTS is not a read command."""
    yield from reader_with(cluster_dashboard, settings, "+@read")


@pytest.fixture
def reader_with_slots(cluster_dashboard, settings):
    """A +@read user that may ask for the cluster's map, but not COMMAND (the table of every
    command's key positions that redis-py's cluster client reads on start)."""
    yield from reader_with(cluster_dashboard, settings, "+@read", "+cluster|slots")
