"""Recommendations for a Redis Cluster: each primary is its own server (its INFO and CONFIG),
the data is one keyspace (the stored analysis, a sample of keys over every primary).

The checks that read INFO or CONFIG run once per primary, through its plain client; a finding
says on which primaries it holds (one recommendation, not one per node). The others run once,
on the shared sources. Replicas are not asked: they serve no writes, and follow their
primary's data.
"""

from __future__ import annotations

import dataclasses

import redis
from redis.cluster import RedisCluster

from keyspace.redis import per_primary
from keyspace.services.recommendations.base import (
    CONFIG,
    INFO,
    SAMPLE,
    SEVERITY_ORDER,
    NotChecked,
    Recommendation,
    Sources,
)
from keyspace.services.recommendations.sources import read_sources


def per_node(check) -> bool:
    return INFO in check.needs or CONFIG in check.needs


def cluster_recommendations(client: RedisCluster, db: int, checks, sample, evaluate):
    """`evaluate(sources, db, checks)` -> (found, not_checked), as for one server."""
    taken = _sample(client, sample)
    nodes = per_primary.nodes(client)
    by_node = [(node.name, read_sources(node.client, db, sample=taken)) for node in nodes]
    shared = by_node[0][1]
    found, not_checked = evaluate(shared, db, [c for c in checks if not per_node(c)])
    held: dict[str, tuple[Recommendation, list[str]]] = {}
    reasons: dict[str, tuple[NotChecked, list[str]]] = {}
    node_checks = [c for c in checks if per_node(c)]
    for name, sources in by_node:
        node_found, node_not_checked = evaluate(sources, db, node_checks)
        for rec in node_found:
            held.setdefault(rec.code, (rec, []))[1].append(name)
        for item in node_not_checked:
            reasons.setdefault(item.title, (item, []))[1].append(name)
    for rec, names in held.values():
        found.append(dataclasses.replace(rec, title=f"{rec.title} ({_where(names, nodes)})"))
    for item, names in reasons.values():
        not_checked.append(dataclasses.replace(
            item, reasons=tuple(f"{reason} ({_where(names, nodes)})" for reason in item.reasons)))
    found.sort(key=lambda rec: SEVERITY_ORDER[rec.severity])
    return found, not_checked, _summary(by_node)


def _where(names: list[str], nodes: list) -> str:
    if len(names) == len(nodes):
        return f"on every primary: {', '.join(names)}"
    return f"on primar{'y' if len(names) == 1 else 'ies'} {', '.join(names)}"


def _sample(client: RedisCluster, sample):
    """The sample of keys, read once over the whole cluster (the cluster client scans every
    primary); a refusal is kept and raised again for each primary's sources."""
    try:
        taken = sample(client)
    except redis.ResponseError as exc:
        refusal = exc

        def refused(_client):
            raise refusal

        return refused
    return lambda _client: taken


def _summary(by_node: list[tuple[str, Sources]]) -> Sources:
    """What the page says of the sources: the shared ones, and each primary's missing ones."""
    first = by_node[0][1]
    missing = {name: reason for name, reason in first.missing.items()
               if name not in (INFO, CONFIG)}
    for node, sources in by_node:
        for name in (INFO, CONFIG):
            if name in sources.missing:
                missing.setdefault(name, f"{sources.missing[name]} ({node})")
    if SAMPLE in first.missing:
        missing[SAMPLE] = first.missing[SAMPLE]
    return Sources(report=first.report, sample=first.sample, missing=missing)
