"""One pass over the keys a selection matches: SCAN paced as every scan is, each step's keys
checked against the selection, then counted (a dry run) or changed in small pipelined
batches. Nothing grows with the number of keys but the sample and the undo copies, both
bounded.

In a Redis Cluster the pass scans each primary in turn (keyspace.redis.per_primary); the
progress adds the primaries up, and changes go to each key's slot (see changes.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import redis

from keyspace.redis import per_primary
from keyspace.redis.capabilities import limited_keys
from keyspace.redis.pacing import Pacer
from keyspace.redis.scan_tokens import scanned_fraction
from keyspace.redis.scanning import readable_keys
from keyspace.redis.typed_scan import filters_here, scan_step
from keyspace.services.bulk.changes import Change
from keyspace.services.bulk.selection import Selection

FIRST_COUNT = 100
PROGRESS_SECONDS = 0.5
SAMPLE_SIZE = 20


@dataclass
class Progress:
    population: int = 0
    scanned: int = 0
    matched: int = 0
    changed: int = 0
    sample: list[bytes] = field(default_factory=list)
    cancelled: bool = False


def walk(client: redis.Redis, selection: Selection, change: Change | None,
         on_progress: Callable[[Progress], bool], progress: Progress | None = None) -> Progress:
    """Count (no `change`) or change every key `selection` matches. `on_progress` is called
    about every PROGRESS_SECONDS and stops the pass by returning True. `progress` (filled in
    as the pass goes) says how far it got when it raises."""
    progress = progress if progress is not None else Progress()
    nodes = per_primary.nodes(client)
    sizes = per_primary.sizes(client, nodes)
    progress.population = sum(sizes)
    # A user whose ACL key patterns leave keys out: SCAN names them all the same, so each
    # step's names are checked, as the key list checks them, before any is counted or changed.
    readable_only = limited_keys()
    if selection.mode == "exact":
        _step(client, selection, change, progress, [selection.text], typed=False,
              readable_only=readable_only)
        progress.scanned = progress.population
        return progress
    clock = [time.perf_counter()]
    before = 0
    for node, size in zip(nodes, sizes, strict=True):
        with per_primary.watching(client, node):
            if _walk_node(client, node.client, selection, change, progress, on_progress,
                          before, size, clock, readable_only):
                return progress
        before += size
    progress.scanned = progress.population
    return progress


def _walk_node(client, node: redis.Redis, selection: Selection, change: Change | None,
               progress: Progress, on_progress, before: int, size: int, clock: list,
               readable_only: bool) -> bool:
    """One node's scan (`node` is `client` on a standalone server); True when cancelled."""
    pacer, cursor = Pacer(FIRST_COUNT), 0
    type_name = selection.type_name or None
    here = bool(type_name) and filters_here()  # no TYPE option on this server's SCAN
    while True:
        cursor, keys = pacer.call(lambda count, at=cursor: scan_step(
            node, at, match=selection.pattern, count=count, type_name=type_name, here=here))
        _step(client, selection, change, progress, keys, typed=True,
              readable_only=readable_only)
        progress.scanned = before + int(size * (scanned_fraction(cursor) if cursor else 1))
        if cursor == 0:
            return False
        if time.perf_counter() - clock[0] >= PROGRESS_SECONDS:
            clock[0] = time.perf_counter()
            if on_progress(progress):
                progress.cancelled = True
                return True


def _step(client, selection, change, progress, keys, *, typed: bool,
          readable_only: bool) -> None:
    keys = [key for key in keys if selection.matches(key)]
    if readable_only:
        keys = readable_keys(client, keys)
    if not typed:
        keys = _present(client, keys, selection.type_name)
    progress.matched += len(keys)
    if change is None:
        progress.sample.extend(keys[: SAMPLE_SIZE - len(progress.sample)])
    elif keys:
        change.apply(client, keys)
        progress.changed = change.changed


def _present(client, keys: list[bytes], type_name: str) -> list[bytes]:
    """The keys that exist (and are of `type_name`, when given): for an exact name, which
    SCAN did not look up."""
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.type(key)
    found = pipe.execute()
    return [key for key, kind in zip(keys, found, strict=True)
            if kind != b"none" and (not type_name or kind.decode() == type_name)]
