"""Namespace counts for the whole keyspace: the dashboard's progressive count, followed step
by step to the end, against one raw redis-py pass that SCANs everything and groups by the
first ':' segment. Both must agree on every count."""

from __future__ import annotations

import html
import re
import statistics
import time
from collections import Counter
from dataclasses import dataclass

import redis
from context import Bench
from report import Row, ratio_row, section, value_row

from tests.support.htmx import HTMX

LIMIT = 1.5
RAW_SCAN_COUNT = 10_000
FOLLOW = re.compile(r'id="namespace-counts"\s+data-auto-follow hx-get="([^"]+)"')
FOLDER = re.compile(r'class="folder">([^<]*?):</a></td>\s*<td class="num">~?([\d,]+)</td>')
MAX_REQUESTS = 10_000


@dataclass(frozen=True)
class CountRun:
    requests: int
    wall_ms: float
    max_redis_ms: float
    folders: dict[str, int]


def follow(bench: Bench) -> CountRun:
    path = "/c/default/db/0/namespaces/count/"
    headers = {**HTMX, "HX-Target": "namespace-counts"}
    requests, wall_ms, max_redis = 0, 0.0, 0.0
    while requests < MAX_REQUESTS:
        sample = bench.probe.get(path, headers)
        requests += 1
        wall_ms += sample.wall_ms
        max_redis = max(max_redis, sample.redis_ms)
        if not (next_url := FOLLOW.search(sample.body)):
            break
        path = html.unescape(next_url.group(1))
    folders = {
        html.unescape(name): int(count.replace(",", ""))
        for name, count in FOLDER.findall(sample.body)
    }
    return CountRun(requests, wall_ms, max_redis, folders)


def raw_count(client: redis.Redis) -> dict[str, int]:
    counts: Counter[bytes] = Counter()
    cursor = 0
    while True:
        cursor, keys = client.scan(cursor, count=RAW_SCAN_COUNT)
        for key in keys:
            segment, found, _ = key.partition(b":")
            if found:
                counts[segment] += 1
        if cursor == 0:
            break
    return {segment.decode(): count for segment, count in counts.items()}


def _timed_raw(bench: Bench) -> tuple[float, dict[str, int]]:
    started = time.perf_counter()
    counts = raw_count(bench.raw(0))
    return (time.perf_counter() - started) * 1000, counts


def check(bench: Bench, runs: int) -> list[Row]:
    dashboard, raw = [], []
    for _ in range(runs):  # alternated, so load from elsewhere on the machine hits both
        dashboard.append(follow(bench))
        raw.append(_timed_raw(bench))
    expected = raw[0][1]
    agree = all(run.folders == expected for run in dashboard)
    bench.note(
        f"namespaces: {dashboard[0].requests} requests; counts "
        + ", ".join(f"{name}={count:,}" for name, count in sorted(expected.items()))
    )
    return [
        section(
            f"namespace counts of all keys, {runs} runs (floor: raw SCAN COUNT "
            f"{RAW_SCAN_COUNT:,} + group)"
        ),
        ratio_row(
            "time to complete count: wall ms (median)",
            statistics.median(run.wall_ms for run in dashboard),
            statistics.median(ms for ms, _ in raw),
            LIMIT,
        ),
        value_row(
            "requests (median) / max Redis ms per request",
            f"{statistics.median(r.requests for r in dashboard):.0f} / "
            f"{max(r.max_redis_ms for r in dashboard):.0f}",
            "",
            None,
        ),
        value_row("counts equal the raw pass", "yes" if agree else "no", "equal", agree),
    ]
