"""Redis Cluster: the dashboard's first key-list page and a full scan, against the raw
per-node floor measured in the same run.

A local cluster (3 primaries + 3 replicas, tests/support/cluster.py) is started, filled with
--keys strings, and each measurement alternates with its floor, --repeat times; the medians
are compared. Targets: the dashboard within 1.5x of the floor.

- First page: the dashboard's services as the key-list view calls them (scan_keys, then
  keys_metadata with every column) through the cluster client. Floor: what a hand-written
  page does with one plain redis-py client per primary: bench/floors.py's first page on the
  first primary (SCAN with DBSIZE, TYPE/PTTL/MEMORY USAGE, the length commands) plus the
  DBSIZE of the other primaries for the total. For reference, the same page through
  redis-py's RedisCluster (scan_iter, cluster pipelines), the way the notes measured it.
- Full scan: every key name, page after page of 1,000 (scan_keys, paced as the dashboard
  paces it). Floor, as for the analysis bench: plain SCAN calls on each primary's plain
  client with the same pacing (keyspace.redis.pacing), until its cursor is 0. Reported too:
  the unpaced floor (SCAN COUNT 1000), and the same pages of the dashboard's standalone
  scan run on each primary's plain client (what the cluster layer adds on its own).

Two columns are reported beside the target's ratio of medians: "paired", the median of
each run's ratio to the floor run next to it, which a machine whose speed drifts between
runs sways less; and "best", the ratio of the fastest run of each (what the machine does
when nothing else gets in the way). Also reported: a minimal hand-written pager of
1,000-name pages (one SCAN per page, a set to drop names given twice, the names over a page
held for the next) against the paced floor, the share of the gap that comes from paging
itself rather than from the dashboard.

Run: .venv/bin/python bench/cluster.py [--keys 300000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

import django  # noqa: E402

TARGET = 1.5
PAGE = 100
FULL_PAGE = 1000


def fill(cluster, keys: int) -> None:
    """`keys` strings, written through each primary's own pipeline (keys routed by slot)."""
    from redis.crc import key_slot

    client = cluster.cluster_client()
    by_node: dict[str, list[bytes]] = {}
    for n in range(keys):
        name = f"bench:{n:08d}".encode()
        node = client.nodes_manager.get_node_from_slot(key_slot(name))
        by_node.setdefault(node.name, []).append(name)
    for name, names in by_node.items():
        plain = client.get_redis_connection(client.get_node(node_name=name))
        for start in range(0, len(names), 10_000):
            with plain.pipeline(transaction=False) as pipe:
                for key in names[start:start + 10_000]:
                    pipe.set(key, b"v")
                pipe.execute()
    client.close()


@contextlib.contextmanager
def filled_cluster(scratch: Path, keys: int):
    """A local cluster in `scratch` holding `keys` strings, the dashboard pointed at it:
    (the cluster, the dashboard's client, its primaries); stopped after."""
    from django.conf import settings

    from keyspace.redis.cluster_nodes import primaries
    from keyspace.redis.connection import get_client, reset_pools
    from tests.support.cluster import LocalCluster

    cluster = LocalCluster(scratch / "cluster").start()
    try:
        fill(cluster, keys)
        settings.REDIS_URL = cluster.url
        reset_pools()
        client = get_client(0)
        yield cluster, client, primaries(client)
    finally:
        reset_pools()
        cluster.stop()


def alternate(ours, floor, repeat: int, before=None) -> tuple[list[float], list[float]]:
    """The times of `ours` and of `floor`, run in turn `repeat` times (`before`: see timed)."""
    mine, theirs = [], []
    for _ in range(repeat):
        mine.append(timed(ours, before))
        theirs.append(timed(floor, before))
    return mine, theirs


def timed(run, before=None) -> float:
    """Milliseconds `run` takes; `before` (untimed) puts back what a run used up."""
    if before is not None:
        before()
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) * 1000


def dashboard_page(client) -> int:
    from keyspace.redis.scanning import scan_keys
    from keyspace.services.browse import keys_metadata

    page = scan_keys(client, cursor="0", page_size=PAGE, budget_ms=50.0)
    rows = keys_metadata(client, page.keys, memory=True, length=True)
    return len(rows)


def floor_page(primaries) -> int:
    from floors import first_page

    first, *others = primaries
    page = first_page(first.client, PAGE)
    for primary in others:
        primary.client.dbsize()
    return len(page.rows)


def cluster_client_page(cluster_client) -> int:
    """The page through redis-py's RedisCluster alone: its scan_iter, its pipelines."""
    keys = []
    for key in cluster_client.scan_iter(count=PAGE):
        keys.append(key)
        if len(keys) == PAGE:
            break
    with cluster_client.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.type(key)
            pipe.pttl(key)
            pipe.memory_usage(key)
            pipe.strlen(key)
        pipe.execute()
    return len(keys)


def dashboard_full(client) -> int:
    from keyspace.redis.scanning import scan_keys

    seen, cursor = 0, "0"
    while True:
        page = scan_keys(client, cursor=cursor, page_size=FULL_PAGE, budget_ms=50.0)
        seen += len(page.keys)
        if page.complete:
            return seen
        cursor = page.next_cursor


def floor_full(primaries) -> int:
    seen = 0
    for primary in primaries:
        cursor = None
        while cursor != 0:
            cursor, keys = primary.client.scan(cursor or 0, count=FULL_PAGE)
            seen += len(keys)
    return seen


def paced_floor_full(primaries) -> int:
    """The raw floor with the dashboard's SCAN pacing (keyspace.redis.pacing: each step's
    COUNT follows from the time the last one took): plain SCAN calls on each primary."""
    from keyspace.redis.pacing import Pacer
    from keyspace.redis.scanning import UNFILTERED_FIRST_COUNT

    seen = 0
    for primary in primaries:
        pacer, cursor, scan = Pacer(UNFILTERED_FIRST_COUNT), None, primary.client.scan
        while cursor != 0:
            at = cursor or 0
            cursor, keys = pacer.call(lambda count, at=at, scan=scan: scan(at, count=count))
            seen += len(keys)
    return seen


def minimal_pager_full(primaries) -> int:
    """Pages of FULL_PAGE names by hand on each primary's plain client: one SCAN a page for
    the room left, a set to drop names given twice, the names over a page kept for the next.
    No pacing, counts, token or ACL check: what any pager of such pages costs at least."""
    seen = 0
    for primary in primaries:
        cursor, held = None, []
        while cursor != 0 or held:
            page = held
            if cursor != 0:
                cursor, keys = primary.client.scan(cursor or 0, count=FULL_PAGE - len(held))
                if len(set(keys)) != len(keys):
                    keys = list(dict.fromkeys(keys))
                page = held + keys
            held = page[FULL_PAGE:]
            seen += len(page[:FULL_PAGE])
    return seen


def standalone_full(primaries) -> int:
    """The dashboard's standalone scan (keyspace.redis.scanning, same pages and pacing) run
    on each primary's plain client in turn: what the cluster layer adds is the difference."""
    from keyspace.redis.scanning import scan_keys

    seen = 0
    for primary in primaries:
        cursor = "0"
        while True:
            page = scan_keys(primary.client, cursor=cursor, page_size=FULL_PAGE, budget_ms=50.0,
                             readable_only=False)
            seen += len(page.keys)
            if page.complete:
                break
            cursor = page.next_cursor
    return seen


def measure(pairs, repeat: int) -> list[tuple[str, float, float, float, float]]:
    """(label, median of ours, median of the floor's, median of each run's ratio to the floor
    run next to it, ratio of the fastest runs): the last two reported beside the target."""
    results = []
    for label, ours, floor in pairs:
        ours(), floor()  # warm connections and caches
        mine, theirs = alternate(ours, floor, repeat)
        paired = statistics.median(m / t for m, t in zip(mine, theirs, strict=True))
        results.append((label, statistics.median(mine), statistics.median(theirs), paired,
                        min(mine) / min(theirs)))
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keys", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    django.setup()
    from environment import describe_environment

    with (tempfile.TemporaryDirectory(prefix="cluster-bench-") as scratch,
          filled_cluster(Path(scratch), args.keys) as (cluster, client, nodes)):
        assert dashboard_full(client) == floor_full(nodes) == minimal_pager_full(nodes) \
            == args.keys
        reference = cluster.cluster_client()
        results = measure([
            ("first page (100 keys, all columns)", lambda: dashboard_page(client),
             lambda: floor_page(nodes)),
            ("full scan (names only, paced floor)", lambda: dashboard_full(client),
             lambda: paced_floor_full(nodes)),
        ], args.repeat)
        overhead = measure([
            ("full scan vs standalone scan per node", lambda: dashboard_full(client),
             lambda: standalone_full(nodes)),
            ("full scan vs unpaced SCAN COUNT 1000", lambda: dashboard_full(client),
             lambda: floor_full(nodes)),
            ("minimal 1,000-name pager vs paced floor", lambda: minimal_pager_full(nodes),
             lambda: paced_floor_full(nodes)),
        ], args.repeat)
        via_cluster = statistics.median(
            timed(lambda: cluster_client_page(reference)) for _ in range(args.repeat))
        reference.close()
    print(f"Redis Cluster, 3 primaries + 3 replicas, {args.keys:,} keys; "
          f"median of {args.repeat}; {describe_environment()}")
    print(f"{'measurement':40} {'measured':>11} {'floor':>11} {'ratio':>7}  target"
          f"{'':13} paired    best")
    failed = False
    for label, mine, floor, paired, best in results:
        ratio = mine / floor
        ok = ratio <= TARGET
        failed |= not ok
        print(f"{label:40} {mine:9.2f}ms {floor:9.2f}ms {ratio:6.2f}x  <= {TARGET}x "
              f"{'ok    ' if ok else 'MISSED'}  {paired:6.2f}x {best:6.2f}x")
    print(f"{'(first page via RedisCluster pipelines)':40} {via_cluster:9.2f}ms")
    for label, mine, floor, paired, best in overhead:
        print(f"{label:40} {mine:9.2f}ms {floor:9.2f}ms {mine / floor:6.2f}x  (reported)"
              f"{'':6} {paired:6.2f}x {best:6.2f}x")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
