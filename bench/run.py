"""Benchmark: the dashboard against a private Redis holding 1,000,000 keys.

    make bench                                  # the full run (1M keys, 1M-element keys)
    make bench BENCH_ARGS="--keys 100000 --big-size 100000 --repeat 10"
    make bench BENCH_ARGS="--only '1,000-row pages'"   # one step (repeatable)

Prints a table of medians as ratios against floors measured in the same run, with
PASS/FAIL per target, and saves it under bench/results/. Exits 0 whatever the verdicts: it
is a report. Every process it starts is stopped on the way out.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR), str(BENCH_DIR.parent)]

import redis  # noqa: E402
from bulk import BulkLoader  # noqa: E402
from checks import analysis as analysis_pass  # noqa: E402
from checks import (  # noqa: E402
    audit,
    first_page,
    key_pages,
    namespaces,
    round_trips,
    row_pages,
    sparse,
)
from context import Bench, key_path  # noqa: E402
from dashboard_process import DashboardProcess, HttpClient  # noqa: E402
from dataset import SpecialKeys, seed_regular, seed_special, special_keys  # noqa: E402
from environment import describe_environment  # noqa: E402
from probe import HTMX_RESULTS, Probe  # noqa: E402
from redis_work import WorkMeter  # noqa: E402
from report import Row, as_dicts, render_table, section, value_row  # noqa: E402

from dashboard.local_redis import LocalRedis  # noqa: E402

LEGEND = """\
How the numbers are measured (all in this run, on this machine):
- server ms: Server-Timing header set by a bench-only outermost middleware in the uvicorn
  subprocess (Django's whole time for the request); wall ms: the bench's keep-alive HTTP
  client around the request.
- Redis ms: INFO commandstats usec deltas around each request (time Redis spent executing
  commands), minus the calibrated cost of the INFO snapshot itself.
- raw floor: redis-py + hiredis in the bench process: SCAN 0 COUNT 100 with DBSIZE, one
  pipeline of TYPE/PTTL/MEMORY USAGE, one pipeline of each key's length command (which
  needs the type). Django floor: /bench/floor/<db>/, a minimal view doing exactly that work
  (same function) rendered with a plain template, behind the same middleware.
- 1,000-row pages: the key page at ?count=1000 of each big hash, sorted set, list and set
  against /bench/rows/<db>/<key>/, a minimal view reading the same rows with the same one
  command and rendering them read-only with a plain template (bench/row_floor.py); HTML per
  row is the value table's body over its rows.
- round trips: a TCP proxy in front of Redis, used by a second dashboard process only; it
  holds replies until the client has stopped sending, so each send after a delivery of
  replies is one round trip however many writes a pipeline takes.
- medians over --repeat rounds after --warmup rounds, cases interleaved round by round.
"""


STEPS = (
    "first page", "key pages", "1,000-row pages", "sparse filter", "namespace counts",
    "command audit", "memory", "round trips", "analysis pass",
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=1_000_000, help="keys in db 0")
    parser.add_argument("--small-keys", type=int, default=10_000, help="keys in db 1")
    parser.add_argument(
        "--big-size",
        type=int,
        default=1_000_000,
        help="elements in each big hash, list, set and sorted set",
    )
    parser.add_argument("--string-mb", type=int, default=10, help="size of the big string")
    parser.add_argument("--repeat", type=int, default=50, help="measured rounds per case")
    parser.add_argument("--warmup", type=int, default=5, help="unmeasured rounds first")
    parser.add_argument(
        "--scan-runs",
        type=int,
        default=5,
        help="runs of the sparse filter and of the namespace count",
    )
    parser.add_argument("--analysis-runs", type=int, default=3,
                        help="runs of the analysis pass and of each raw floor")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    parser.add_argument(
        "--only",
        action="append",
        choices=STEPS,
        metavar="STEP",
        help=f"run only this step (repeatable): {', '.join(STEPS)}",
    )
    return parser.parse_args(argv)


def size_label(count: int) -> str:
    if count >= 1_000_000 and count % 1_000_000 == 0:
        return f"{count // 1_000_000}M"
    if count >= 1000 and count % 1000 == 0:
        return f"{count // 1000}k"
    return f"{count:,}"


def seed(port: int, args: argparse.Namespace, keys: SpecialKeys) -> str:
    if args.keys < keys.count + 100:
        raise SystemExit(f"--keys must be at least {keys.count + 100}")
    started = time.perf_counter()
    with BulkLoader(port, 0) as load:
        seed_regular(load, args.keys - keys.count)
        seed_special(load, keys, size=args.big_size, string_bytes=args.string_mb * 1024 * 1024)
    with BulkLoader(port, 1) as load:
        seed_regular(load, args.small_keys)
    sizes = [_dbsize(port, db) for db in (0, 1)]
    done = (
        f"seeded db0 with {sizes[0]:,} keys and db1 with {sizes[1]:,} keys "
        f"in {time.perf_counter() - started:.1f} s"
    )
    print(done, flush=True)
    return done


def _dbsize(port: int, db: int) -> int:
    with redis.Redis(port=port, db=db) as client:
        return client.dbsize()


def warm_up(bench: Bench) -> None:
    """Import every template and open the pooled connections before anything is timed."""
    for path, headers in (
        ("/c/default/db/0/", None),
        ("/c/default/db/0/", HTMX_RESULTS),
        ("/c/default/db/1/", None),
        (key_path(0, bench.keys.small["hash"]), None),
        ("/c/default/db/0/namespaces/", None),
        ("/bench/floor/0/", None),
    ):
        try:
            bench.probe.get(path, headers, tally=False)
        except RuntimeError as exc:  # the checks that need this page report it
            print(f"warm-up: {exc}", file=sys.stderr)


def guarded(title: str, step: Callable[[], list[Row]]) -> list[Row]:
    """A check that crashes (the dashboard answered 500, say) becomes a failed row."""
    print(f"{title}…", flush=True)
    try:
        return step()
    except Exception as exc:  # reported in the table; the other checks still run
        traceback.print_exc()
        return [
            section(title),
            value_row(f"{title}: the check crashed", _first_line(exc), "runs", False),
        ]


def _first_line(exc: Exception) -> str:
    lines = str(exc).splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"[:100]


def measure(
    bench: Bench, args: argparse.Namespace, dashboard: DashboardProcess, work_dir: Path
) -> list[Row]:
    warm_up(bench)
    memory_at_start = dashboard.memory_kb()
    audit.reset_slowlog(bench.raw(0))
    labels = {size_label(args.keys): 0, size_label(args.small_keys): 1}
    steps: list[tuple[str, Callable[[], list[Row]]]] = [
        ("first page", lambda: first_page.check(bench, labels)),
        (
            "key pages",
            lambda: key_pages.check(bench, size_label(args.big_size), f"{args.string_mb} MB"),
        ),
        ("1,000-row pages", lambda: row_pages.check(bench)),
        ("sparse filter", lambda: sparse.check(bench, args.scan_runs)),
        ("namespace counts", lambda: namespaces.check(bench, args.scan_runs)),
        ("command audit", lambda: [*audit.command_rows(bench), audit.slowlog_row(bench.raw(0))]),
        ("memory", lambda: audit.memory_rows(memory_at_start, dashboard.memory_kb())),
        ("round trips", lambda: round_trips.check(bench, bench.port, work_dir)),
        # Last: it resets SLOWLOG for its own count.
        ("analysis pass", lambda: analysis_pass.check(bench.port, 0, args.analysis_runs, "db0")),
    ]
    wanted = set(args.only or STEPS)
    return [row for title, step in steps if title in wanted for row in guarded(title, step)]


def run(args: argparse.Namespace, work_dir: Path) -> tuple[list[Row], list[str]]:
    with ExitStack() as stack:
        server = LocalRedis(work_dir / "redis")
        stack.callback(server.stop)  # registered first: a signal may land mid-start
        server.start()
        keys = special_keys()
        seeded = seed(server.port, args, keys)
        dashboard = DashboardProcess(server.url, work_dir)
        stack.callback(dashboard.stop)
        dashboard.start()
        http = HttpClient(dashboard.port)
        stack.callback(http.close)
        meter = WorkMeter(redis.Redis(port=server.port, client_name="bench-stats"))
        stack.callback(meter.client.close)
        notes = [f"at start: {describe_environment()}", seeded]
        bench = Bench(Probe(http, meter), server.port, keys, args.repeat, args.warmup, notes)
        stack.callback(bench.close)
        print(
            f"dashboard (uvicorn pid {dashboard.process.pid}) on port {dashboard.port}; "
            f"INFO snapshot costs {meter.info_usec} µs",
            flush=True,
        )
        rows = measure(bench, args, dashboard, work_dir)
        bench.note(f"at end: {describe_environment()}")
        return rows, bench.notes


def save(
    results_dir: Path, args: argparse.Namespace, text: str, rows: list[Row], notes: list[str]
) -> Path:
    results_dir.mkdir(parents=True, exist_ok=True)
    stem = results_dir / time.strftime("bench-%Y%m%d-%H%M%S")
    options = {k: str(v) for k, v in vars(args).items()}
    payload = {"options": options, "rows": as_dicts(rows), "notes": notes}
    stem.with_suffix(".json").write_text(json.dumps(payload, indent=2))
    stem.with_suffix(".txt").write_text(text)
    return stem


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work_dir = Path(tempfile.mkdtemp(prefix="dashboard-bench-"))
    try:
        rows, notes = run(args, work_dir)
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    text = "\n".join([LEGEND, render_table(rows), "", "Notes:", *(f"- {n}" for n in notes), ""])
    print("\n" + text)
    failed = sum(row.passed is False for row in rows)
    print(
        f"{failed} of {sum(row.passed is not None for row in rows)} targets failed."
        if failed
        else "All targets passed."
    )
    print(f"saved to {save(args.results_dir, args, text, rows, notes)}.{{txt,json}}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
