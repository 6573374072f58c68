"""Redis Cluster: whole-keyspace passes (a bulk job's dry run and its delete, a namespace
count) against the raw per-primary floor measured in the same run.

A local cluster (3 primaries + 3 replicas, tests/support/cluster.py) is filled with --keys
strings; each measurement alternates with its floor, --repeat times, and the medians are
compared. Target: the dashboard within 1.5x of the floor.

- Dry run: keyspace.services.bulk.passes.walk without a change (a prefix matching every
  key). Floor: SCAN MATCH on each primary's plain client, paced as the dashboard paces SCAN
  (keyspace.redis.pacing), after a DBSIZE of each.
- Delete: walk with a Delete that keeps no undo (more keys than undo keeps). Floor: the same
  paced SCAN on each primary, each step's keys unlinked in one pipeline on that primary.
  The keys are written again before each run, untimed.
- Namespace count: count_step until complete. Floor: the paced SCAN of every primary, each
  step's names grouped by their first ':' segment (as bench/checks/namespaces.py's raw count).

Run: .venv/bin/python bench/cluster_passes.py [--keys 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

import django  # noqa: E402

TARGET = 1.5
FIRST_COUNT = 100
MATCH = b"bench:*"


def paced_scan(primaries, on_step=None) -> int:
    """Every primary's keys matching MATCH, SCAN paced as the dashboard paces it."""
    from keyspace.redis.pacing import Pacer

    seen = 0
    for primary in primaries:
        primary.client.dbsize()
        pacer, cursor, scan = Pacer(FIRST_COUNT), None, primary.client.scan
        while cursor != 0:
            at = cursor or 0
            cursor, keys = pacer.call(
                lambda count, at=at, scan=scan: scan(at, match=MATCH, count=count))
            seen += len(keys)
            if on_step is not None and keys:
                on_step(primary.client, keys)
    return seen


def unlink_step(client, keys) -> None:
    with client.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.unlink(key)
        pipe.execute()


def grouped_scan(primaries) -> int:
    """The paced SCAN with each step's names counted by their first segment."""
    counts: dict[bytes, int] = {}

    def group(_client, keys) -> None:
        for key in keys:
            segment = key.partition(b":")[0]
            counts[segment] = counts.get(segment, 0) + 1

    paced_scan(primaries, group)
    return sum(counts.values())


def dry_run(client) -> int:
    from keyspace.services.bulk.passes import walk
    from keyspace.services.bulk.selection import Selection

    return walk(client, Selection("prefix", b"bench:"), None, lambda progress: False).matched


def delete(client) -> int:
    from keyspace.services.bulk.changes import Delete
    from keyspace.services.bulk.passes import walk
    from keyspace.services.bulk.selection import Selection

    change = Delete(keep_undo=False)
    return walk(client, Selection("prefix", b"bench:"), change, lambda progress: False).changed


def namespace_count(client) -> int:
    from keyspace.services.namespaces import count_step, load_count

    state = load_count("", b"", b":", owner="bench")
    while not state.complete:
        state = count_step(client, state, 1000.0, readable_only=False)
    return state.matched


def measure(label, ours, floor, repeat: int, before=None) -> tuple[str, float, float]:
    from cluster import alternate

    mine, theirs = alternate(ours, floor, repeat, before)
    return label, statistics.median(mine), statistics.median(theirs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    django.setup()
    from cluster import fill, filled_cluster
    from django.conf import settings
    from django.core.management import call_command
    from environment import describe_environment

    with tempfile.TemporaryDirectory(prefix="cluster-passes-bench-") as scratch:
        settings.DATABASES["default"]["NAME"] = str(Path(scratch) / "bench.sqlite3")
        call_command("migrate", verbosity=0)  # namespace counts keep their state in the cache
        call_command("createcachetable", verbosity=0)
        with filled_cluster(Path(scratch), args.keys) as (cluster, client, nodes):
            assert dry_run(client) == paced_scan(nodes) == namespace_count(client) == args.keys
            refill = lambda: fill(cluster, args.keys)  # noqa: E731
            results = [
                measure("bulk dry run (every key matches)", lambda: dry_run(client),
                        lambda: paced_scan(nodes), args.repeat),
                measure("bulk delete (no undo)", lambda: delete(client),
                        lambda: paced_scan(nodes, unlink_step), args.repeat, before=refill),
            ]
            refill()
            results.append(measure("namespace count", lambda: namespace_count(client),
                                   lambda: grouped_scan(nodes), args.repeat))
    print(f"Redis Cluster, 3 primaries + 3 replicas, {args.keys:,} keys; "
          f"median of {args.repeat}; {describe_environment()}")
    print(f"{'measurement':36} {'dashboard':>11} {'floor':>11} {'ratio':>7}  target")
    failed = False
    for label, mine, floor in results:
        ratio = mine / floor
        failed |= ratio > TARGET
        print(f"{label:36} {mine:9.1f}ms {floor:9.1f}ms {ratio:6.2f}x  <= {TARGET}x "
              f"{'ok' if ratio <= TARGET else 'MISSED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
