"""Benchmark: is the dashboard gentle on the server? A full GET crawl of the dashboard over the
1,000,000-key data set while another client PINGs Redis once a millisecond.

    make bench-crawl                                   # the full run
    make bench-crawl BENCH_ARGS="--keys 100000 --big-size 100000 --baseline-s 3"

Reports SLOWLOG entries over 10 ms from the dashboard's named connections (target 0), the
longest command, the Redis time the dashboard used, and PING latency with and without the
crawl (target: p99 rises by at most 2 ms). Prints a table with PASS/FAIL per target and saves
it under bench/results/; exits 0 whatever the verdicts. Stops every process it starts.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import quote

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR), str(BENCH_DIR.parent)]

import crawl_report  # noqa: E402
import redis  # noqa: E402
from bulk import BulkLoader  # noqa: E402
from crawler import Crawler, CrawlResult, Link  # noqa: E402
from dashboard_process import DashboardProcess, HttpClient  # noqa: E402
from dataset import NEEDLE_MATCH, SpecialKeys, seed_regular, seed_special, special_keys  # noqa: E402
from environment import describe_environment  # noqa: E402
from ping_probe import PingProbe, latency  # noqa: E402
from redis_work import WorkMeter  # noqa: E402
from report import Row, render_table  # noqa: E402

from dashboard.local_redis import LocalRedis  # noqa: E402
from keyspace.redis.keynames import encode_key  # noqa: E402

DASHBOARD_CLIENT = b"redis-dashboard"
PINGER = b"bench-ping"
LEGEND = """\
How it is measured (all in this run, on this machine):
- The crawl: one keep-alive HTTP client, GET only, breadth first from the start page through
  every link and htmx request, each kind of view (path with key names blanked, query
  parameter names) at most --per-shape times; pages that follow themselves (namespace
  counting, a sparse filter) to their end; the first --key-pages pages of every big key.
- SLOWLOG: Redis's own log, from 1 ms on, of the connections named redis-dashboard.
- Redis time: INFO commandstats before and after the crawl (PING, the other client's, left out).
- PING: a separate process, its own connection, one PING a millisecond; "without" is the
  --baseline-s seconds before and after the crawl. Redis and that client share one CPU, the
  dashboard and the crawler the other (--no-pin: no pinning), as when the dashboard does not
  run on the Redis host; Redis and that client run at --redis-nice, so that other work on the
  machine interrupts them less (SLOWLOG counts such a pause in the command's time).
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=1_000_000, help="keys in db 0")
    parser.add_argument("--small-keys", type=int, default=10_000, help="keys in db 1")
    parser.add_argument("--big-size", type=int, default=1_000_000, help="elements per big key")
    parser.add_argument("--string-mb", type=int, default=10, help="size of the big string")
    parser.add_argument("--per-shape", type=int, default=12, help="visits of each kind of view")
    parser.add_argument("--key-pages", type=int, default=3, help="pages of each big key")
    parser.add_argument("--max-requests", type=int, default=50_000)
    parser.add_argument("--baseline-s", type=float, default=10.0,
                        help="seconds of PING without the crawl, before and after it")
    parser.add_argument("--no-pin", action="store_true", help="leave CPU placement to the OS")
    parser.add_argument("--redis-nice", type=int, default=-10,
                        help="priority of Redis and the PING client (0: leave it)")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    return parser.parse_args(argv)


def seed(port: int, args: argparse.Namespace, keys: SpecialKeys) -> str:
    started = time.perf_counter()
    with BulkLoader(port, 0) as load:
        seed_regular(load, args.keys - keys.count)
        seed_special(load, keys, size=args.big_size, string_bytes=args.string_mb * 1024 * 1024)
    with BulkLoader(port, 1) as load:
        seed_regular(load, args.small_keys)
    took = time.perf_counter() - started
    return f"seeded {args.keys:,} + {args.small_keys:,} keys in {took:.1f} s"


def pin(pid: int, cpu: int, enabled: bool) -> None:
    if enabled and os.cpu_count() and os.cpu_count() > 1:
        os.sched_setaffinity(pid, {cpu})


def favour(pid: int, nice: int) -> str:
    """Run Redis (and the PING client) at a higher priority than the rest of the machine, when
    allowed: SLOWLOG times a command by the clock, so a Redis the OS sets aside mid-command
    (other work on a shared machine) logs the pause as the command's time."""
    if not nice:
        return "Redis at normal priority"
    try:
        os.setpriority(os.PRIO_PROCESS, pid, nice)
    except PermissionError:
        return f"Redis at normal priority (nice {nice} not permitted)"
    return f"Redis and the PING client at nice {nice}"


def start_links(keys: SpecialKeys) -> list[Link]:
    """The start page, then what no link leads to: forms filled in as a person would (a
    type filter, an exact key, a filter within a big hash, the read-only tools)."""
    big = {kind: f"/c/default/db/0/key/{encode_key(key)}/" for kind, key in keys.big.items()}
    small_set = quote(keys.small["set"])
    typed = [
        "/c/default/db/0/?type=stream", f"/c/default/db/0/?key={quote(keys.big['hash'])}",
        f"{big['hash']}?match={quote('field:1234*')}",
        f"{big['set']}?match={quote('member:1234*')}",
        f"{big['set']}tool/set-random/?run=1&count=100",
        f"{big['set']}tool/set-contains/?run=1&members=member%3A5&mode=lines",
        *(f"{big['set']}tool/set-compare/?run=1&operation={operation}&others={small_set}"
          f"&others_format=text&count=100" for operation in ("union", "inter", "diff")),
        f"{big['zset']}tool/zset-lookup/?run=1&member=player%3A5&member_format=text",
        f"{big['zset']}leaderboard/?min=1000&max=5000",
    ]
    return [Link("/", False), Link("/c/default/db/0/", False), *(Link(url, False) for url in typed)]


def crawl(http: HttpClient, keys: SpecialKeys, args: argparse.Namespace) -> tuple[CrawlResult,
                                                                                dict[str, bool]]:
    crawler = Crawler(http, per_shape=args.per_shape, max_requests=args.max_requests)
    found, checks = [], {}
    _, body = crawler.follow(Link(f"/c/default/db/0/?match={quote(NEEDLE_MATCH)}", True, "results"))
    checks["sparse filter followed to the end of the keyspace"] = 'id="scan-done"' in body
    links, body = crawler.follow(Link("/c/default/db/0/namespaces/count/", True,
                                      "namespace-counts"))
    checks["namespace count followed to the end"] = "Counted all" in body
    found += links
    for key in [*keys.big.values(), *keys.strings.values()]:
        found += crawler.first_pages(Link(f"/c/default/db/0/key/{encode_key(key)}/", False),
                                     args.key_pages)
    return crawler.crawl(start_links(keys), found), checks


def run(args: argparse.Namespace, work_dir: Path) -> tuple[list[Row], list[str], CrawlResult]:
    with ExitStack() as stack:
        server = LocalRedis(work_dir / "redis")
        stack.callback(server.stop)
        server.start()
        keys = special_keys()
        notes = [f"at start: {describe_environment()}", seed(server.port, args, keys)]
        print(notes[-1], flush=True)
        dashboard = DashboardProcess(server.url, work_dir)
        # The audit log page reads the dashboard's database: create its tables first.
        subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=BENCH_DIR.parent,
                       env=dashboard._environment(), check=True)
        stack.callback(dashboard.stop)
        dashboard.start()
        pinned = not args.no_pin
        pin(server.process.pid, 0, pinned)
        notes.append(favour(server.process.pid, args.redis_nice))
        pin(dashboard.process.pid, 1, pinned)
        pin(os.getpid(), 1, pinned)
        http = HttpClient(dashboard.port)
        stack.callback(http.close)
        http.get("/c/default/db/0/")  # imports and connections, before anything is measured
        stats = redis.Redis(port=server.port, client_name="bench-stats")
        stack.callback(stats.close)
        meter = WorkMeter(stats)
        pings = PingProbe(server.port, work_dir).start()
        stack.callback(pings.stop)
        pin(pings.process.pid, 0, pinned)
        favour(pings.process.pid, args.redis_nice)
        time.sleep(args.baseline_s)
        crawl_report.start_slowlog(stats)
        began = time.monotonic()
        (result, checks), work = meter.measure(lambda: crawl(http, keys, args))
        ended = time.monotonic()
        entries, overflowed = crawl_report.slowlog_entries(stats)
        time.sleep(args.baseline_s)
        pings.stop()
        work.by_command.pop("ping", None)
        baseline = latency(pings.between(began - args.baseline_s, began)
                           + pings.between(ended, ended + args.baseline_s))
        during = latency(pings.between(began, ended))
        notes += [f"crawl took {ended - began:.1f} s", f"at end: {describe_environment()}"]
        notes += [f"answered {failure}" for failure in result.failures]
        rows = [*crawl_report.crawl_rows(result, checks),
                *crawl_report.slowlog_rows(crawl_report.of_client(entries, DASHBOARD_CLIENT),
                                           overflowed, crawl_report.of_client(entries, PINGER)),
                *crawl_report.work_rows(work, result),
                *crawl_report.ping_rows(baseline, during)]
        return rows, notes, result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work_dir = Path(tempfile.mkdtemp(prefix="dashboard-crawl-"))
    try:
        rows, notes, result = run(args, work_dir)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    text = "\n".join([LEGEND, render_table(rows), "", "Notes:", *(f"- {n}" for n in notes), ""])
    print("\n" + text)
    failed = sum(row.passed is False for row in rows)
    print(f"{failed} of {sum(row.passed is not None for row in rows)} targets failed."
          if failed else "All targets passed.")
    args.results_dir.mkdir(parents=True, exist_ok=True)
    saved = args.results_dir / time.strftime("crawl-%Y%m%d-%H%M%S.txt")
    saved.write_text(text)
    visited = "".join(f"{count:4} {kind}\n" for kind, count in sorted(result.shapes.items()))
    saved.with_suffix(".views.txt").write_text(visited)
    print(f"saved to {saved} (the kinds of view visited: {saved.with_suffix('.views.txt')})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
