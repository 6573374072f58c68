"""What a recommendation says, and the sources recommendations are drawn from.

Each check reads the sources it needs (INFO, CONFIG GET, the stored analysis, a small sample of
keys) and returns a `Recommendation`, or None when all is well. A source that could not be read
(an ACL user without INFO or CONFIG, no analysis yet) is missing: checks that need it are listed
as not checked, with the reason, and the others still run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

HIGH, MEDIUM, LOW = "high", "medium", "low"
SEVERITY_ORDER = {HIGH: 0, MEDIUM: 1, LOW: 2}

INFO, CONFIG, ANALYSIS, SAMPLE = "INFO", "CONFIG GET", "the analysis", "a sample of keys"


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Item:
    """One key or namespace a recommendation is about."""

    label: str  # a key name or namespace as text (escaped by templates)
    url: str
    keys: int | None = None
    memory: int | None = None
    note: str = ""


@dataclass(frozen=True)
class Recommendation:
    code: str  # stable id ("maxmemory-unset"), used as the anchor on the page
    title: str
    severity: str
    why: str  # why it matters
    advice: str  # what to do
    sources: tuple[str, ...]
    keys: int | None = None  # how many keys are concerned (None: not known)
    keys_estimated: bool = False  # "at least" or "about"
    memory: int | None = None  # bytes at stake
    memory_estimated: bool = False
    items: tuple[Item, ...] = ()
    links: tuple[Link, ...] = ()


@dataclass
class Sources:
    """What was read, and why what is missing is missing ({source: reason})."""

    info: dict[str, Any] = field(default_factory=dict)
    config: dict[str, str] = field(default_factory=dict)
    report: Any = None  # keyspace.services.analysis.results.AnalysisReport
    sample: list = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)

    def has(self, *names: str) -> bool:
        return not any(name in self.missing for name in names)


@dataclass(frozen=True)
class NotChecked:
    title: str
    needs: tuple[str, ...]
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Check:
    """One recommendation's check: what it needs, and the function that decides."""

    title: str
    needs: tuple[str, ...]
    run: Any  # (sources, db) -> Recommendation | None
