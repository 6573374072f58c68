"""The cluster's topology as one node sees it (CLUSTER NODES and CLUSTER INFO), with what each
node says of itself (INFO replication, DBSIZE) where it answers.

Nothing here needs every node: CLUSTER NODES comes from the first node that answers (the one
REDIS_URL names, then the others the cluster client knows), and a node that does not answer
is shown as such, with what the others say about it (`fail`, `fail?` flags). Work per page is
bounded by the number of nodes: a handful of small replies from each.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import redis
from redis.cluster import RedisCluster

from keyspace.redis.cluster_nodes import node_key_counts

UNREACHABLE = (redis.ConnectionError, redis.TimeoutError, OSError)


@dataclass
class Node:
    node_id: str
    address: str  # host:port
    flags: tuple[str, ...]
    primary_id: str | None  # a replica's primary
    link: str  # connected / disconnected, as the asked node sees it
    ranges: tuple[tuple[int, int], ...] = ()
    reachable: bool | None = None  # None: not tried (the client does not know the node)
    problem: str = ""
    keys: int | None = None
    replicas: list[Node] = field(default_factory=list)
    lag_seconds: int | None = None  # a replica's, as its primary reports it
    lag_bytes: int | None = None  # how far its offset is behind its primary's

    @property
    def is_primary(self) -> bool:
        return "master" in self.flags

    @property
    def role(self) -> str:
        return "primary" if self.is_primary else "replica"

    @property
    def failing(self) -> str:
        if "fail" in self.flags:
            return "failed (agreed by the cluster)"
        if "fail?" in self.flags:
            return "suspected down"
        return ""

    @property
    def slot_count(self) -> int:
        return sum(last - first + 1 for first, last in self.ranges)

    @property
    def ranges_text(self) -> str:
        return ", ".join(str(first) if first == last else f"{first}-{last}"
                         for first, last in self.ranges)


@dataclass
class Topology:
    asked: str  # the node whose view this is
    info: dict[str, str]
    primaries: list[Node]
    orphans: list[Node]  # replicas whose primary is not listed
    unanswered: list[str]  # nodes asked for CLUSTER NODES that did not answer

    @property
    def healthy(self) -> bool:
        return self.info.get("cluster_state") == "ok" and not any(
            node.failing or node.reachable is False for node in self.nodes)

    @property
    def nodes(self) -> list[Node]:
        return [n for p in self.primaries for n in (p, *p.replicas)] + self.orphans


def parse_nodes(text: str) -> list[Node]:
    """CLUSTER NODES: one line per node; slots as ranges, migrating/importing entries left out."""
    nodes = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 8:
            continue
        address = parts[1].split("@", 1)[0]
        flags = tuple(flag for flag in parts[2].split(",") if flag)
        ranges = []
        for slot in parts[8:]:
            if slot.startswith("["):
                continue
            first, _, last = slot.partition("-")
            if first.isdigit() and (not last or last.isdigit()):
                ranges.append((int(first), int(last or first)))
        nodes.append(Node(
            node_id=parts[0], address=address,
            flags=tuple(flag for flag in flags if flag != "myself"),
            primary_id=None if parts[3] == "-" else parts[3],
            link=parts[7], ranges=tuple(sorted(ranges)),
        ))
    return nodes


def _text(reply) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _info_pairs(text: str) -> dict[str, str]:
    return dict(line.split(":", 1) for line in text.split() if ":" in line)


def _known_clients(cluster: RedisCluster) -> dict[str, redis.Redis]:
    """Each node the cluster client knows, by address, default node first."""
    default = cluster.get_default_node()
    nodes = [default, *(n for n in cluster.get_nodes() if n.name != default.name)]
    return {node.name: cluster.get_redis_connection(node) for node in nodes}


def cluster_topology(cluster: RedisCluster) -> Topology:
    """Raises redis.ConnectionError only when no node answers at all."""
    clients = _known_clients(cluster)
    unanswered = []
    for address, client in clients.items():
        try:
            with client.pipeline(transaction=False) as pipe:
                pipe.execute_command("CLUSTER", "NODES")
                pipe.execute_command("CLUSTER", "INFO")
                nodes_text, info_text = pipe.execute()
            break
        except UNREACHABLE:
            unanswered.append(address)
    else:
        raise redis.ConnectionError("no node of the cluster answered: " + ", ".join(unanswered))
    nodes = parse_nodes(_text(nodes_text))
    _probe(nodes, clients, node_key_counts(cluster))
    by_id = {node.node_id: node for node in nodes}
    primaries, orphans = [], []
    for node in nodes:
        if node.is_primary:
            primaries.append(node)
        elif node.primary_id in by_id:
            by_id[node.primary_id].replicas.append(node)
        else:
            orphans.append(node)
    primaries.sort(key=lambda node: (not node.ranges, node.ranges[:1], node.address))
    return Topology(address, _info_pairs(_text(info_text)), primaries, orphans, unanswered)


def _probe(nodes: list[Node], clients: dict[str, redis.Redis], counts: dict) -> None:
    """What each reachable node says of itself: INFO replication (a primary lists its
    replicas' offsets and lag), and for a primary its key count."""
    replication: dict[str, dict] = {}
    for node in nodes:
        client = clients.get(node.address)
        if client is None:
            continue  # not in the client's map (yet): shown as the asked node sees it
        try:
            replication[node.address] = client.info("replication")
            node.reachable = True
        except UNREACHABLE as exc:
            node.reachable, node.problem = False, f"does not answer ({exc})"
        except redis.ResponseError as exc:
            node.reachable, node.problem = True, f"INFO refused ({exc})"
        if node.is_primary:
            node.keys = counts.get(node.address)
    for primary in (n for n in nodes if n.is_primary and n.address in replication):
        info = replication[primary.address]
        offset = int(info.get("master_repl_offset", 0))
        for name, entry in info.items():
            if not (name.startswith("slave") and isinstance(entry, dict)):
                continue
            address = f"{entry.get('ip')}:{entry.get('port')}"
            for replica in nodes:
                if replica.address == address:
                    replica.lag_seconds = int(entry.get("lag", 0))
                    replica.lag_bytes = max(0, offset - int(entry.get("offset", 0)))
