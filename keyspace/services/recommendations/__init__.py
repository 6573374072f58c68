"""Recommendations for a Redis and one of its databases, from INFO, CONFIG GET, the stored
analysis and a small sample of keys. Each says why it matters, how many keys and how much
memory are at stake, and links to the keys.

Adding one: a function `(sources, db) -> Recommendation | None` in the module of its source
and a `Check` line in that module's CHECKS (with the sources it needs); tests in
tests/services/recommendations/.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis

from keyspace.redis.cluster import is_cluster_client
from keyspace.services.recommendations import analysed, commands, json_values, server
from keyspace.services.recommendations.base import (
    SEVERITY_ORDER,
    NotChecked,
    Recommendation,
    Sources,
)
from keyspace.services.recommendations.sources import read_sources

CHECKS = (*server.CHECKS, *commands.CHECKS, *analysed.CHECKS, *json_values.CHECKS)


@dataclass(frozen=True)
class Recommendations:
    found: list[Recommendation]
    not_checked: list[NotChecked]
    sources: Sources


def recommendations_for(client: redis.Redis, db: int) -> Recommendations:
    if is_cluster_client(client):
        from keyspace.services.recommendations.in_cluster import cluster_recommendations

        found, not_checked, sources = cluster_recommendations(
            client, db, CHECKS, json_values.sample_json, _run_checks)
        return Recommendations(found, not_checked, sources)
    sources = read_sources(client, db, sample=json_values.sample_json)
    return evaluate(sources, db)


def evaluate(sources: Sources, db: int) -> Recommendations:
    found, not_checked = _run_checks(sources, db, CHECKS)
    return Recommendations(found, not_checked, sources)


def _run_checks(sources: Sources, db: int, checks) -> tuple[list, list]:
    found, not_checked = [], []
    for check in checks:
        if not sources.has(*check.needs):
            reasons = tuple(f"{n}: {sources.missing[n]}" for n in check.needs
                            if n in sources.missing)
            not_checked.append(NotChecked(check.title, check.needs, reasons))
            continue
        result = check.run(sources, db)
        if result is not None:
            found.append(result)
    found.sort(key=lambda rec: SEVERITY_ORDER[rec.severity])
    return found, not_checked
