"""Benchmark: the dashboard through Sentinel against the same primary named directly, then a
failover as the dashboard sees it (tests/support/sentinel.py starts the replica set).

    .venv/bin/python bench/sentinel_bench.py [--repeat 30]

Two uvicorn dashboards run side by side, one with REDIS_URL=sentinel://... and one with the
primary's own redis:// URL. Medians of the key list and a key page (the bench's keep-alive
client), each as a ratio to the direct dashboard's and to a raw floor measured in the same
run (one redis-py round trip to the primary, and one SENTINEL MASTERS, which each Sentinel
page adds for its header). Then the primary is killed with SIGKILL and the key list asked
every 50 ms: how long until it answers 200 again, and which statuses came meanwhile (a 500
would be a defect). Prints a table; exits 0 whatever it shows.
"""

from __future__ import annotations

import argparse
import collections
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR), str(BENCH_DIR.parent)]

from dashboard_process import DashboardProcess, HttpClient  # noqa: E402

from dashboard.local_redis import redis_server_binary  # noqa: E402
from keyspace.redis.keynames import encode_key  # noqa: E402
from tests.support.sentinel import DATA_PASSWORD, SERVICE, ReplicaSet  # noqa: E402


def median_ms(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def seed(client) -> None:
    with client.pipeline(transaction=False) as pipe:
        for i in range(1000):
            pipe.hset(f"user:{i}", mapping={"name": f"user {i}", "visits": str(i)})
        pipe.execute()
    client.wait(1, 5000)


def follow_failover(replica_set: ReplicaSet, http: HttpClient) -> tuple[float, collections.Counter]:
    """Kill the primary; ask the key list every 50 ms until it answers 200 again."""
    seen: collections.Counter = collections.Counter()
    replica_set.kill_primary()
    killed = time.perf_counter()
    while time.perf_counter() - killed < 60:
        status = http.get("/db/0/").status
        seen[status] += 1
        if status == 200 and seen.total() > 1:
            break
        time.sleep(0.05)
    return time.perf_counter() - killed, seen


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sentinel-bench-") as scratch:
        work = Path(scratch)
        replica_set = ReplicaSet(work / "set", redis_server_binary()).start()
        dashboards = []
        try:
            primary = replica_set.data_client(replica_set.primary.port)
            sentinel = replica_set.sentinel_client(replica_set.sentinel_ports[0])
            seed(primary)
            direct_url = f"redis://:{DATA_PASSWORD}@127.0.0.1:{replica_set.primary.port}/0"
            for name, url in (("direct", direct_url), ("sentinel", replica_set.url)):
                dashboards.append(DashboardProcess(url, work / name, name=name).start())
            direct, via = (HttpClient(d.port) for d in dashboards)
            pages = {"key list": "/db/0/", "key page": f"/db/0/key/{encode_key(b'user:1')}/"}
            for path in pages.values():
                assert direct.get(path).status == 200 and via.get(path).status == 200
            floor = median_ms(lambda: primary.ping(), args.repeat)
            masters = median_ms(lambda: sentinel.sentinel_masters(), args.repeat)
            rows = []
            for label, path in pages.items():
                plain = median_ms(lambda path=path: direct.get(path), args.repeat)
                through = median_ms(lambda path=path: via.get(path), args.repeat)
                rows.append((label, plain, through))
            took, seen = follow_failover(replica_set, via)
        finally:
            for dashboard in dashboards:
                dashboard.stop()
            replica_set.stop()
    print(f"{'measure':<34}{'median ms':>10}{'/ floor':>9}{'/ direct':>10}")
    print(f"{'raw floor (PING to the primary)':<34}{floor:>10.3f}{1:>9.1f}")
    print(f"{'SENTINEL MASTERS (header)':<34}{masters:>10.3f}{masters / floor:>9.1f}")
    for label, plain, through in rows:
        print(f"{label + ', direct':<34}{plain:>10.2f}{plain / floor:>9.1f}{1:>10.2f}")
        print(f"{label + ', via Sentinel':<34}{through:>10.2f}{through / floor:>9.1f}"
              f"{through / plain:>10.2f}")
    print(f"failover of {SERVICE!r} (SIGKILL to the first 200 again): {took:.2f} s; statuses "
          f"meanwhile: {dict(sorted(seen.items()))}")


if __name__ == "__main__":
    main()
