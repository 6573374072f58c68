"""Keys grouped into folders by prefix, counted progressively with bounded scans.

Counting a million keys takes seconds, so it never blocks a page: each step scans for a
fixed time and keeps its running totals (one number per folder, so memory follows the
number of namespaces, not keys) in Django's cache under a token the page passes back.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

import redis
from django.conf import settings
from django.core.cache import cache

from .keynames import escape_glob
from .scanning import scanned_fraction

FIRST_COUNT = 1000
MAX_COUNT = 10_000
LEAF_SAMPLE = 50
STATE_TIMEOUT_SECONDS = 600


@dataclass
class NamespaceCount:
    prefix: bytes
    delimiter: bytes
    db: int = 0
    token: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    cursor: int = 0
    started: bool = False
    folders: dict[bytes, int] = field(default_factory=dict)
    leaves: int = 0
    leaf_sample: list[bytes] = field(default_factory=list)
    untracked: int = 0
    total_keys: int = 0
    scan_count: int = FIRST_COUNT

    @property
    def complete(self) -> bool:
        return self.started and self.cursor == 0

    @property
    def fraction(self) -> float:
        return 1.0 if self.complete else scanned_fraction(self.cursor)

    @property
    def matched(self) -> int:
        return sum(self.folders.values()) + self.leaves + self.untracked

    def estimate(self, counted: int) -> int:
        """Scale a partial count by how much of the keyspace is scanned so far."""
        fraction = self.fraction
        return counted if self.complete or fraction <= 0 else round(counted / fraction)

    def sorted_folders(self) -> list[tuple[bytes, int]]:
        return sorted(self.folders.items())


def _cache_key(token: str) -> str:
    return f"namespace-count:{token}"


def load_count(token: str, prefix: bytes, delimiter: bytes, db: int = 0) -> NamespaceCount:
    """The running count for `token`, or a fresh one if it expired or belongs elsewhere."""
    state = cache.get(_cache_key(token)) if token else None
    wanted = (prefix, delimiter, db)
    if isinstance(state, NamespaceCount) and (state.prefix, state.delimiter, state.db) == wanted:
        return state
    return NamespaceCount(prefix=prefix, delimiter=delimiter, db=db)


def count_step(client: redis.Redis, state: NamespaceCount, budget_ms: float) -> NamespaceCount:
    """Scan for about `budget_ms`, fold the keys into the counts, and save the state."""
    match = escape_glob(state.prefix) + b"*" if state.prefix else None
    started = time.perf_counter()
    state.total_keys = client.dbsize()
    while not state.complete:
        state.cursor, keys = client.scan(state.cursor, match=match, count=state.scan_count)
        state.started = True
        _fold(state, keys)
        state.scan_count = min(state.scan_count * 2, MAX_COUNT)
        if (time.perf_counter() - started) * 1000 >= budget_ms:
            break
    cache.set(_cache_key(state.token), state, STATE_TIMEOUT_SECONDS)
    return state


def _fold(state: NamespaceCount, keys: list[bytes]) -> None:
    skip = len(state.prefix)
    folders = state.folders
    max_folders = settings.DASHBOARD_NAMESPACE_MAX_FOLDERS
    for key in keys:
        rest = key[skip:]
        segment, found, _ = rest.partition(state.delimiter)
        if not found:
            state.leaves += 1
            if len(state.leaf_sample) < LEAF_SAMPLE:
                state.leaf_sample.append(key)
        elif segment in folders:
            folders[segment] += 1
        elif len(folders) < max_folders:
            folders[segment] = 1
        else:
            state.untracked += 1


def breadcrumbs(prefix: bytes, delimiter: bytes) -> list[tuple[bytes, bytes]]:
    """(segment, prefix up to and including it) for each level of `prefix`."""
    crumbs = []
    position = 0
    while True:
        found = prefix.find(delimiter, position)
        if found < 0:
            break
        end = found + len(delimiter)
        crumbs.append((prefix[position:found], prefix[:end]))
        position = end
    return crumbs
