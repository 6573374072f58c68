"""Reading stored analyses: the one way into `AnalysisRun.result` (stable for other features).

    from keyspace.services.analysis.results import latest_report
    report = latest_report(db=0)        # newest finished run for the Redis shown, or None
    report.keys, report.memory          # totals (scaled up when the run was a sample)
    report.types, report.encodings      # [Share(name, keys, memory, length)], largest first
    report.ttl_buckets                  # [Share(label, keys, memory)] from "no TTL" to "more"
    report.namespace(b"user:")          # a NamespaceNode and its .children (one level)
    report.top_by_memory, report.top_by_length, report.expiring_soonest   # [RankedKey]

Counts of a sampled run are estimates: `report.estimated` says so, `report.scale` is what a
sampled count was multiplied by, and `report.margin(count)` is its 95% margin of error. Sizes
are estimates too when the server refused MEMORY USAGE (`report.memory_estimated`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

from keyspace.models import AnalysisRun
from keyspace.redis import profiles
from keyspace.redis.keynames import decode_key

from .tally import (
    DIRECT_KEYS,
    DIRECT_MEMORY,
    KEYS,
    MEMORY,
    OTHER_KEYS,
    OTHER_MEMORY,
    TTL0,
    TTL_LABELS,
)

RESULT_VERSION = 1
Z95 = 1.96


@dataclass(frozen=True)
class Share:
    name: str
    keys: int
    memory: int
    length: int = 0


@dataclass(frozen=True)
class RankedKey:
    key: bytes
    type_name: str
    memory: int
    length: int | None
    ttl_ms: int  # -1: no TTL


@dataclass(frozen=True)
class NamespaceNode:
    prefix: bytes  # the whole prefix, delimiter included (b"" for the database)
    keys: int
    memory: int
    ttl: tuple[int, ...]  # keys per TTL bucket (TTL_LABELS)
    direct_keys: int  # keys at this level (no further delimiter)
    direct_memory: int
    other_keys: int  # keys under children not tracked (past the caps)
    other_memory: int
    children: tuple[NamespaceNode, ...] = ()

    @property
    def name(self) -> bytes:
        """The last segment with its delimiter (the prefix itself at the top)."""
        return self.prefix

    @property
    def ttl_shares(self) -> list[tuple[str, int]]:
        return list(zip(TTL_LABELS, self.ttl, strict=True))


class AnalysisReport:
    """A finished run's findings, with key names as bytes and counts scaled for samples."""

    def __init__(self, run: AnalysisRun):
        self.run = run
        self.data = run.result or {}
        self.scale = float(self.data.get("scale", 1.0))

    @property
    def estimated(self) -> bool:
        return bool(self.data.get("sampled"))

    @property
    def memory_estimated(self) -> bool:
        return bool(self.data.get("memory_estimated"))

    @property
    def sample_keys(self) -> int:
        return int(self.data.get("keys", 0))

    @property
    def keys(self) -> int:
        return self._scaled(self.data.get("keys", 0))

    @property
    def memory(self) -> int:
        return self._scaled(self.data.get("memory", 0))

    @property
    def delimiter(self) -> bytes:
        return decode_key(self.data.get("delimiter", ""))

    @property
    def info_memory(self) -> dict:
        """`INFO memory` fields read at the end of the run (empty if refused)."""
        return self.data.get("info_memory") or {}

    @property
    def types(self) -> list[Share]:
        return self._shares(self.data.get("types", {}))

    @property
    def encodings(self) -> list[Share]:
        return self._shares(self.data.get("encodings", {}))

    @property
    def ttl_buckets(self) -> list[Share]:
        rows = self.data.get("ttl") or [[0, 0] for _ in TTL_LABELS]
        return [Share(label, self._scaled(k), self._scaled(m))
                for label, (k, m) in zip(TTL_LABELS, rows, strict=True)]

    @property
    def top_by_memory(self) -> list[RankedKey]:
        return _ranked(self.data.get("top_memory", []))

    @property
    def top_by_length(self) -> list[RankedKey]:
        return _ranked(self.data.get("top_length", []))

    @property
    def expiring_soonest(self) -> list[RankedKey]:
        return _ranked(self.data.get("expiring", []))

    def namespace(self, prefix: bytes = b"") -> NamespaceNode | None:
        """The namespace `prefix` with its direct children (largest memory first), or None
        when the run did not track it."""
        row = self._nodes.get(prefix)
        if row is None:
            return None
        children = sorted((self._node(child, self._nodes[child])
                           for child in self._children.get(prefix, ())),
                          key=lambda node: (-node.memory, node.prefix))
        return self._node(prefix, row, tuple(children))

    def namespaces(self) -> list[NamespaceNode]:
        """Every namespace tracked (without children), largest memory first."""
        return sorted((self._node(p, row) for p, row in self._nodes.items() if p),
                      key=lambda node: (-node.memory, node.prefix))

    def margin(self, count: int) -> int:
        """The 95% margin of error of a scaled count (0 for a full pass)."""
        if not self.estimated or not self.keys:
            return 0
        n, population = self.sample_keys, self.keys
        share = min(1.0, count / population)
        return round(Z95 * population * math.sqrt(share * (1 - share) / n) * _fpc(n, population))

    @property
    def memory_margin(self) -> int:
        """The 95% margin of error of the total memory (0 for a full pass)."""
        n = self.sample_keys
        if not self.estimated or n < 2:
            return 0
        mean = self.data.get("memory", 0) / n
        variance = max(0.0, int(self.data.get("memory_squares", "0")) / n - mean * mean)
        spread = math.sqrt(variance * n / (n - 1))
        return round(Z95 * self.keys * spread / math.sqrt(n) * _fpc(n, self.keys))

    def _scaled(self, value: int) -> int:
        return round(value * self.scale) if self.estimated else int(value)

    def _shares(self, table: dict) -> list[Share]:
        """Rows [keys, memory, length summed] by name, largest memory first."""
        rows = [Share(name, *(self._scaled(value) for value in row[:3]))
                for name, row in table.items()]
        return sorted(rows, key=lambda share: (-share.memory, share.name))

    @cached_property
    def _nodes(self) -> dict[bytes, list[int]]:
        return {decode_key(token): row for token, *row in self.data.get("namespaces", [])}

    @cached_property
    def _children(self) -> dict[bytes, list[bytes]]:
        delimiter, found = self.delimiter, {}
        for prefix in self._nodes:
            if prefix:
                found.setdefault(parent_prefix(prefix, delimiter), []).append(prefix)
        return found

    def _node(self, prefix: bytes, row: list[int], children=()) -> NamespaceNode:
        s = self._scaled
        return NamespaceNode(
            prefix=prefix, keys=s(row[KEYS]), memory=s(row[MEMORY]),
            ttl=tuple(s(v) for v in row[TTL0:TTL0 + len(TTL_LABELS)]),
            direct_keys=s(row[DIRECT_KEYS]), direct_memory=s(row[DIRECT_MEMORY]),
            other_keys=s(row[OTHER_KEYS]), other_memory=s(row[OTHER_MEMORY]),
            children=children,
        )


def parent_prefix(prefix: bytes, delimiter: bytes) -> bytes:
    """`a:b:` -> `a:`; `a:` -> b""."""
    inner = prefix[:-len(delimiter)]
    found = inner.rfind(delimiter)
    return b"" if found < 0 else inner[:found + len(delimiter)]


def _fpc(n: int, population: int) -> float:
    """Finite population correction: a sample of every key has no error."""
    return math.sqrt(max(0.0, 1 - n / population)) if population else 0.0


def _ranked(rows: list) -> list[RankedKey]:
    return [RankedKey(decode_key(token), type_name, memory, length, pttl)
            for token, type_name, memory, length, pttl in rows]


def report_for(run: AnalysisRun) -> AnalysisReport | None:
    """The report of a finished run (None while it runs, or if it failed)."""
    if run.state != AnalysisRun.DONE or not run.result:
        return None
    return AnalysisReport(run)


def latest_report(db: int, *, server: str | None = None) -> AnalysisReport | None:
    """The newest finished analysis of `db` on `server` (the Redis shown by default)."""
    run = finished_runs(db, server=server).first()
    return report_for(run) if run else None


def finished_runs(db: int, *, server: str | None = None):
    scope = {"server": server} if server else profiles.job_scope()
    return AnalysisRun.objects.filter(**scope, db=db, state=AnalysisRun.DONE)
