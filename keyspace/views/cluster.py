"""The Cluster tab: nodes, roles, slot ranges, health and replication lag."""

from __future__ import annotations

from keyspace.access.permissions import VIEW, dashboard_view
from keyspace.redis.cluster import is_cluster_client
from keyspace.redis.connection import get_client
from keyspace.services.cluster.topology import cluster_topology
from keyspace.views.rendering import render_page


@dashboard_view(VIEW)
def cluster_page(request, db: int):
    client = get_client(db)
    topology = cluster_topology(client) if is_cluster_client(client) else None
    return render_page(request, "keyspace/cluster.html",
                       {"db": db, "tab": "cluster", "topology": topology})
