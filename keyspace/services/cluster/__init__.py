"""Redis Cluster pages: the topology (nodes, roles, slot ranges, health, replication lag)."""
