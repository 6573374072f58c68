"""The key list of a Redis Cluster: every primary scanned with a resumable cursor of its own,
all in one opaque page token, with the same bounds per request as a standalone scan.

Primaries are walked in slot order, one after another: the token is the node being scanned
(named by the first slot it serves, which a failover keeps: the promoted replica serves the
same slots) and that node's own position, in keyspace.redis.scanning's format (its cursor,
pace, or keys carried from a step shown in part). The nodes before it are done, the ones
after it not started, so the token holds every node's cursor while staying short. A page
that finishes one node goes on with the next in the same request while it has room (and,
filtered, budget); the next node starts at the pace (the SCAN COUNT) the one before
reached. Replicas are never scanned, so no key is counted twice; the total is the sum of
DBSIZE over the primaries, asked of all of them in one round trip (a page continuing a scan
takes the counts a page read seconds ago: keyspace.redis.key_counts).

Each node is scanned with the plain client redis-py keeps for it: a SCAN step is one command
to one node, with no slot lookup.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import NamedTuple

import redis
from redis.cluster import RedisCluster

from keyspace.exceptions import BadRequest
from keyspace.redis import cluster_nodes, key_counts
from keyspace.redis.capabilities import limited_keys
from keyspace.redis.scan_tokens import start_token
from keyspace.redis.scanning import (
    ScanPage,
    continues,
    followed_page,
    is_filtered,
    scan_keys,
)

SEPARATOR = ":"  # never in a standalone token (digits, '.', '~', base64url, hex)



class NodeCount(NamedTuple):
    name: str  # host:port
    keys: int | None  # DBSIZE; None when the node did not answer


@dataclass(frozen=True)
class ClusterScanPage(ScanPage):
    nodes: tuple[NodeCount, ...] = ()


def _start(token: str, primaries: tuple[cluster_nodes.Primary, ...]) -> tuple[int, str]:
    """(index of the primary to scan, its own token) from a page token."""
    if not continues(token):
        return 0, "0"
    first, separator, inner = token.partition(SEPARATOR)
    if not separator or not (first.isascii() and first.isdigit()) or not inner:
        raise BadRequest(f"not a cluster scan cursor: {token[:40]!r}")
    for index, primary in enumerate(primaries):
        if primary.first_slot == int(first):
            return index, inner
    raise BadRequest("the cluster's slots have moved since this page was drawn (no primary "
                     f"starts at slot {int(first)}): start the key list again")


def scan_cluster(
    client: RedisCluster,
    *,
    cursor: str,
    page_size: int,
    match: bytes | None = None,
    type_name: str | None = None,
    budget_ms: float = 50.0,
    readable_only: bool | None = None,
) -> ClusterScanPage:
    """scan_keys over every primary of the cluster (see the module's docstring). A primary
    that does not answer raises redis.ConnectionError (an error page) after asking the
    cluster for its slot map again, so that the next request finds its replica promoted."""
    if readable_only is None:  # asked once for the page, not once for each primary
        readable_only = limited_keys()
    try:
        return _scan(client, cursor=cursor, page_size=page_size, match=match,
                     type_name=type_name, budget_ms=budget_ms, readable_only=readable_only)
    except (redis.ConnectionError, redis.TimeoutError):
        cluster_nodes.refresh_after_failure(client)
        raise


def _scan(client: RedisCluster, *, cursor: str, page_size: int, match: bytes | None,
          type_name: str | None, budget_ms: float, readable_only: bool,
          ) -> ClusterScanPage:
    primaries = cluster_nodes.primaries(client)
    index, inner = _start(cursor, primaries)
    first = None
    if continues(cursor) and not readable_only and not is_filtered(match, type_name):
        followed = _followed(primaries, index, inner, page_size)
        if isinstance(followed, ClusterScanPage):
            return followed
        first = followed  # None, or the primary's last page: the walk goes on from it
    return _general(client, primaries, index, inner, cursor=cursor, page_size=page_size,
                    match=match, type_name=type_name, budget_ms=budget_ms,
                    readable_only=readable_only, first=first)


def _general(client: RedisCluster, primaries, index: int, inner: str, *, cursor: str,
             page_size: int, match: bytes | None, type_name: str | None, budget_ms: float,
             readable_only: bool, first: ScanPage | None = None) -> ClusterScanPage:
    """A page the general way, from primary `index` at `inner` (`first`: that primary's page,
    made already)."""
    started = time.perf_counter()
    # The other primaries' DBSIZE is read after the scan (its round trip is hidden); the one
    # scanned first counts its keys in the pipeline of its first SCAN step. A page that
    # continues a scan takes counts a page read moments ago where it can (all of them, the
    # scanned primary's too: then it asks no DBSIZE at all).
    scanned = primaries[index].name
    known = {
        primary.name: count for primary in primaries
        if primary.name != scanned and (count := key_counts.recent(primary.client)) is not None
    } if continues(cursor) else {}
    asked = cluster_nodes.ask_key_counts(client, leave_out={scanned, *known})
    try:
        index, page, keys, first_total, restarted = _walk(
            primaries, index, inner, page_size, match, type_name, budget_ms, readable_only,
            started, first)
    finally:
        others = {**known, **cluster_nodes.read_key_counts(asked)}
    counts = {primary.name: first_total if primary.name == scanned else others.get(primary.name)
              for primary in primaries}
    if index == len(primaries) and known:
        # The scan's end says "all N keys scanned": N is asked of every primary now.
        counts = cluster_nodes.node_key_counts(client)
    return _cluster_page(primaries, index, page, keys, counts, restarted, page_size)


def _followed(primaries, index: int, inner: str, page_size: int,
              ) -> ClusterScanPage | ScanPage | None:
    """The usual page of an unfiltered scan being followed: every primary's key count read
    moments ago, and the scanned primary's own followed page (one SCAN call, see
    keyspace.redis.scanning.followed_page). None, before any call, for any other page; the
    primary's page itself when its scan ended there (the general walk goes on from it with
    the primaries after it, as for a page that began anywhere else)."""
    counts = {}
    for primary in primaries:
        count = key_counts.recent(primary.client)
        if count is None:
            return None
        counts[primary.name] = count
    page = followed_page(primaries[index].client, inner, page_size,
                         counts[primaries[index].name])
    if page is None or page.complete:
        return page
    return _cluster_page(primaries, index, page, page.keys, counts, False, page_size)


def _cluster_page(primaries, index: int, page: ScanPage, keys: list[bytes],
                  counts: dict[str, int | None], restarted: bool,
                  page_size: int) -> ClusterScanPage:
    """The page of `keys`, the scan having reached primary `index` (all of them: done) and
    that primary's `page`, with the primaries' key counts."""
    done = index == len(primaries)
    token = "0" if done else f"{primaries[index].first_slot}{SEPARATOR}{page.next_cursor}"
    total = sum(count or 0 for count in counts.values())
    return ClusterScanPage(
        keys=keys,
        next_cursor=token,
        total_keys=total,
        scanned_fraction=_fraction(primaries, counts, total, index, page, done),
        budget_exhausted=not done and len(keys) < page_size,
        restarted=restarted,
        nodes=tuple(NodeCount(name, count) for name, count in counts.items()),
    )


def _walk(primaries, index: int, inner: str, page_size: int, match, type_name, budget_ms: float,
          readable_only, started: float, first: ScanPage | None = None,
          ) -> tuple[int, ScanPage, list[bytes], int, bool]:
    """Scan from primary `index` at `inner` until the page is full, the primaries end, or (a
    filtered scan) the budget is spent: (the primary reached, its last page, the keys, the
    DBSIZE of the primary scanned first, and whether a primary whose scan ended here was
    another process than at its start: restarted, or a replica promoted). `first`: that
    primary's page, made already."""
    filtered = is_filtered(match, type_name)
    keys: list[bytes] = []
    first_total = None
    restarted = False
    while True:
        spent = (time.perf_counter() - started) * 1000
        if first is None:
            page = scan_keys(primaries[index].client, cursor=inner,
                             page_size=page_size - len(keys), match=match, type_name=type_name,
                             budget_ms=max(1.0, budget_ms - spent), readable_only=readable_only)
        else:
            page, first = first, None
        first_total = page.total_keys if first_total is None else first_total
        keys.extend(page.keys)
        if not page.complete:
            return index, page, keys, first_total, restarted
        restarted |= page.restarted
        index, inner = index + 1, start_token(page.pace)
        spent = (time.perf_counter() - started) * 1000
        if index == len(primaries) or len(keys) >= page_size or (filtered and spent > budget_ms):
            # The next primary, not started: its own scan's start, at the pace reached.
            return index, ScanPage([], inner, 0, 0.0, False), keys, first_total, restarted


def _fraction(primaries, counts, total: int, index: int, page: ScanPage, done: bool) -> float:
    """How much of the cluster's keys (`total`, the sum of `counts`) the scan has passed: the
    nodes done, and the part of the node being scanned its own cursor says."""
    if done:
        return 1.0
    if not total:
        return index / len(primaries)
    before = sum(counts.get(primary.name) or 0 for primary in primaries[:index])
    current = counts.get(primaries[index].name) or 0
    within = 0.0 if page.complete else page.scanned_fraction
    return (before + within * current) / total
