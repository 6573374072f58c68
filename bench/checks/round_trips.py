"""Redis round trips per page, counted by a proxy between a second dashboard process and
Redis (the timed dashboard talks to Redis directly)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

from context import Bench, key_path
from dashboard_process import DashboardProcess, HttpClient
from probe import HTMX_RESULTS
from report import Row, section, value_row
from round_trips import CountingProxy

LIMIT = 3
ROUNDS = 5
# connection.OVERVIEW_TTL_SECONDS: the header's server overview is re-read this often.
OVERVIEW_TTL_SECONDS = 5.0


def _counter(proxy: CountingProxy, http: HttpClient) -> Callable[..., tuple[int, int]]:
    def count(path: str, headers: dict[str, str] | None = None) -> tuple[int, int]:
        before = proxy.counts()
        response = http.get(path, headers)
        if response.status != 200:
            raise RuntimeError(f"GET {path} answered {response.status}")
        after = proxy.counts()
        return after[0] - before[0], after[1] - before[1]

    return count


def _pages(bench: Bench) -> dict[str, tuple[str, dict[str, str] | None]]:
    return {
        "first page, htmx fragment": ("/c/default/db/0/", HTMX_RESULTS),
        "first page, full page": ("/c/default/db/0/", None),
        "Django floor": ("/bench/floor/0/", None),
        "key page (big hash)": (key_path(0, bench.keys.big["hash"]), None),
    }


def _measure(
    bench: Bench, count: Callable[..., tuple[int, int]]
) -> dict[str, list[tuple[int, int]]]:
    pages = _pages(bench)
    for path, headers in pages.values():
        count(path, headers)  # open pooled connections before counting
    seen = {
        name: [count(path, headers) for _ in range(ROUNDS)]
        for name, (path, headers) in pages.items()
    }
    time.sleep(OVERVIEW_TTL_SECONDS + 0.2)
    seen["first page, full page, header refresh"] = [count("/c/default/db/0/")]
    return seen


def _row(name: str, counts: list[tuple[int, int]]) -> Row:
    trips = [t for t, _ in counts]
    commands = statistics.median(c for _, c in counts)
    judged = name.startswith("first page")
    return value_row(
        f"{name}: round trips (commands)",
        f"{max(trips)} ({commands:.0f})",
        f"≤ {LIMIT}" if judged else "",
        max(trips) <= LIMIT if judged else None,
    )


def check(bench: Bench, redis_port: int, work_dir: Path) -> list[Row]:
    proxy = CountingProxy(redis_port)
    process = DashboardProcess(f"redis://127.0.0.1:{proxy.port}/0", work_dir, name="counted")
    http = HttpClient(process.port)
    try:
        proxy.start()
        process.start()
        seen = _measure(bench, _counter(proxy, http))
    finally:
        http.close()
        process.stop()
        proxy.stop()
    return [
        section(f"Redis round trips per request (max of {ROUNDS}), counted by a TCP proxy"),
        *(_row(name, counts) for name, counts in seen.items()),
    ]
