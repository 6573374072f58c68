"""Cluster tests: the dashboard points at the session's local cluster (tests/support/cluster.py)
and `r` is a cluster client of its own for arranging and checking data."""

import pytest


@pytest.fixture
def r(cluster_dashboard):
    client = cluster_dashboard.cluster_client()
    yield client
    client.close()
