"""Two runs of the same database side by side: what grew, what shrank, what appeared."""

from __future__ import annotations

from dataclasses import dataclass

from .results import AnalysisReport, NamespaceNode


@dataclass(frozen=True)
class Change:
    name: object  # a namespace prefix (bytes) or a type name
    keys_before: int
    keys_after: int
    memory_before: int
    memory_after: int

    @property
    def keys_change(self) -> int:
        return self.keys_after - self.keys_before

    @property
    def memory_change(self) -> int:
        return self.memory_after - self.memory_before


def compare_totals(new: AnalysisReport, old: AnalysisReport) -> Change:
    return Change("all keys", old.keys, new.keys, old.memory, new.memory)


def compare_namespaces(new: AnalysisReport, old: AnalysisReport,
                       prefix: bytes = b"") -> list[Change]:
    """The namespaces one level under `prefix` in either run, the largest change first."""
    after, before = _children(new, prefix), _children(old, prefix)
    changes = [
        Change(name, *_pair(before.get(name), after.get(name)))
        for name in after.keys() | before.keys()
    ]
    return sorted(changes, key=lambda c: (-abs(c.memory_change), c.name))


def compare_types(new: AnalysisReport, old: AnalysisReport) -> list[Change]:
    after = {share.name: share for share in new.types}
    before = {share.name: share for share in old.types}
    changes = []
    for name in after.keys() | before.keys():
        b, a = before.get(name), after.get(name)
        changes.append(Change(name, b.keys if b else 0, a.keys if a else 0,
                              b.memory if b else 0, a.memory if a else 0))
    return sorted(changes, key=lambda c: (-abs(c.memory_change), c.name))


def _children(report: AnalysisReport, prefix: bytes) -> dict[bytes, NamespaceNode]:
    node = report.namespace(prefix)
    return {child.prefix: child for child in node.children} if node else {}


def _pair(before: NamespaceNode | None, after: NamespaceNode | None) -> tuple[int, ...]:
    return (before.keys if before else 0, after.keys if after else 0,
            before.memory if before else 0, after.memory if after else 0)
