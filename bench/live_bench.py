"""Benchmark: what a live key page costs, on 1,000,000-element keys.

    python bench/live_bench.py                  # 1,000,000 elements, 200 rounds
    python bench/live_bench.py --elements 100000 --rounds 50

Starts a private redis-server with keyspace notifications on, fills a hash and a sorted set,
and measures, in one run (so the machine's load is the same for all):

- the re-read a notification causes (services/live/snapshot.take: TYPE, then one pipeline of
  metadata, length and the visible page of 100, with each row's digest), against its raw
  floor (the same commands sent directly with redis-py, nothing parsed or compared) and
  against reading the page as drawing it does (services/browse.key_detail). Ratios;
- Redis's own time per re-read (INFO commandstats, usec), which does not grow with the key;
- end to end: a write to the key until watch_key hands out the redraw (median and p90), with
  DASHBOARD_LIVE_INTERVAL at its default of 0.25 s, so most of it is the gathering interval.

Prints a table; exits 0 (a report). The redis-server it starts is stopped on the way out.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")


def fill(client, elements: int) -> None:
    with client.pipeline(transaction=False) as pipe:
        for start in range(0, elements, 10_000):
            chunk = range(start, min(start + 10_000, elements))
            pipe.hset(b"bench:hash", mapping={b"field:%d" % i: b"value %d" % i for i in chunk})
            pipe.zadd(b"bench:zset", {b"member:%d" % i: i for i in chunk})
        pipe.execute()


def raw_floor(client, key: bytes, page) -> None:
    client.type(key)
    with client.pipeline(transaction=False) as pipe:
        pipe.pttl(key)
        pipe.object("encoding", key)
        pipe.memory_usage(key)
        page(pipe)
        pipe.execute()


def timed(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def redis_usec(client, fn, rounds: int) -> float:
    client.config_resetstat()
    for _ in range(rounds):
        fn()
    stats = client.info("commandstats")
    spent = sum(v["usec"] for k, v in stats.items() if k not in ("cmdstat_config|resetstat",))
    return spent / rounds


async def end_to_end(db: int, key: bytes, write, request, rounds: int) -> list[float]:
    from keyspace.services.live.key_watch import Update, watch_key

    lags = []
    watch = watch_key(db, key, request, shown_digest="")
    try:
        async for item in watch:
            if isinstance(item, Update):
                break
        for i in range(rounds):
            written = time.perf_counter()
            await asyncio.to_thread(write, i)
            async for item in watch:
                if isinstance(item, Update) and item.changes:
                    lags.append(time.perf_counter() - written)
                    break
    finally:
        await watch.aclose()
    return lags


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--elements", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()

    from dashboard.local_redis import LocalRedis

    server = LocalRedis(Path(tempfile.mkdtemp(prefix="live-bench-"))).start()
    try:
        os.environ["REDIS_URL"] = server.url
        import django

        django.setup()
        import redis

        from keyspace.redis.connection import get_client
        from keyspace.services.browse import key_detail
        from keyspace.services.live.snapshot import take
        from keyspace.units import PageRequest, registry

        raw = redis.Redis(port=server.port)
        raw.config_set("notify-keyspace-events", "KEA")
        fill(raw, args.elements)
        client = get_client(0)
        cases = {
            b"bench:hash": ("hash", lambda p: p.hscan(b"bench:hash", 0, count=100),
                            lambda i: raw.hset(b"bench:hash", b"field:7", b"changed %d" % i)),
            b"bench:zset": ("zset", lambda p: p.zrevrange(b"bench:zset", 0, 99, withscores=True),
                            lambda i: raw.zadd(b"bench:zset",
                                               {b"member:%d" % (args.elements - 1):
                                                args.elements + i})),
        }
        print(f"\nlive key page, {args.elements:,} elements, {args.rounds} rounds "
              f"(Redis {raw.info('server')['redis_version']})\n")
        print("| key | floor (raw) | page read | live re-read | live / floor | live / page "
              "| Redis usec / re-read | write → redraw p50 / p90 |")
        print("|---|---|---|---|---|---|---|---|")
        for key, (type_name, page, write) in cases.items():
            request = registry.unit_for(type_name).validate(PageRequest(count=100))
            # Each lambda is timed before the loop goes on: binding the loop's variables as
            # defaults only says so.
            floor = timed(lambda key=key, page=page: raw_floor(client, key, page), args.rounds)
            drawn = timed(lambda key=key, request=request: key_detail(client, key, request),
                          args.rounds)
            live = timed(lambda key=key, request=request: take(client, key, request), args.rounds)
            usec = redis_usec(raw, lambda key=key, request=request: take(client, key, request),
                              args.rounds)
            lags = asyncio.run(end_to_end(0, key, write, request, min(args.rounds, 40)))
            p90 = statistics.quantiles(lags, n=10)[-1]
            print(f"| {type_name} | {floor * 1000:.2f} ms | {drawn * 1000:.2f} ms "
                  f"| {live * 1000:.2f} ms | {live / floor:.1f} | {live / drawn:.2f} "
                  f"| {usec:.0f} | {statistics.median(lags) * 1000:.0f}"
                  f" / {p90 * 1000:.0f} ms |")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
