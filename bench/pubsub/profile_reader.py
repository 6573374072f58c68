"""Where the dashboard's pub/sub time goes: the shared reader, its viewers and the SSE
rendering of their batches, in this process, against a private redis-server and the
benchmark's publisher. Prints CPU per message received, the output buffer peak Redis held for
the reader (CLIENT LIST every 10 ms) and, with --profile, the top of a cProfile.

    .venv/bin/python bench/pubsub/profile_reader.py --rate 100000 --seconds 5 --viewers 1
    .venv/bin/python bench/pubsub/profile_reader.py --rate 100000 --no-render --profile
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT)]


async def run(args, url: str) -> None:
    import redis.asyncio

    from keyspace.services.pubsub.hub import hub
    from keyspace.services.pubsub.messages import Status
    from keyspace.views import pubsub as views

    admin = redis.asyncio.Redis.from_url(url)
    counts = {"delivered": 0, "skipped": 0, "batches": 0, "bytes": 0}
    omem = {"peak": 0, "samples": 0, "unread": 0, "room": 0}
    stop = asyncio.Event()
    statuses: list[str] = []
    renders: list[tuple[float, int]] = []  # (CPU seconds, messages) per batch rendered

    async def viewer(ready: asyncio.Event) -> None:
        async with hub.subscribe(0, channels=[b"bench"]) as feed:
            ready.set()
            async for item in feed.batches(interval=0.1, max_batch=200):
                if isinstance(item, Status):
                    statuses.append(item.text)
                    continue
                counts["delivered"] += len(item.messages)
                counts["skipped"] += item.skipped
                counts["batches"] += 1
                if args.render and (item.messages or item.skipped):
                    started = time.process_time()
                    counts["bytes"] += len(views._batch(item))
                    renders.append((time.process_time() - started, len(item.messages)))

    async def sampler() -> None:
        while not stop.is_set():
            for client in await admin.client_list(_type="pubsub"):
                if client.get("name") != "bench-profile-admin":
                    omem["peak"] = max(omem["peak"], int(client["omem"]))
            omem["samples"] += 1
            for shared in hub._shared.values():
                if shared.wire is not None:
                    unread, room = shared.wire.backlog()
                    omem["unread"] = max(omem["unread"], unread)
                    omem["room"] = max(omem["room"], room)
            await asyncio.sleep(0.01)

    # Gaps between socket reads: how long the event loop left the socket alone.
    from keyspace.services.pubsub.reader import SharedReader

    gaps, last = [], [0.0, 0.0]
    after_read = SharedReader._after_read

    def timed_after_read(self, count: int, nbytes: int) -> None:
        now, cpu = time.monotonic(), time.process_time()
        if last[0]:
            gaps.append((now - last[0], nbytes, cpu - last[1]))
        last[0], last[1] = now, cpu
        after_read(self, count, nbytes)

    SharedReader._after_read = timed_after_read
    readies = [asyncio.Event() for _ in range(args.viewers)]
    tasks = [asyncio.create_task(viewer(r)) for r in readies]
    for ready in readies:
        await ready.wait()
    while not [c for c in await admin.client_list(_type="pubsub")]:
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)
    sampling = asyncio.create_task(sampler())
    profile = cProfile.Profile() if args.profile else None
    cpu, wall = time.process_time(), time.monotonic()
    if profile:
        profile.enable()
    publisher = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "bench" / "pubsub_publisher.py"), "--url", url,
        "--rate", str(args.rate), "--seconds", str(args.seconds),
        "--payload-bytes", str(args.payload_bytes), stdout=asyncio.subprocess.PIPE)
    out, _ = await publisher.communicate()
    published = int(__import__("json").loads(out)["published"])
    shared = next(iter(hub._shared.values()))
    deadline = time.monotonic() + 10
    while shared.total < published and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    if profile:
        profile.disable()
    cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    await asyncio.sleep(0.3)
    stop.set()
    await sampling
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await admin.aclose()
    print(f"published {published:,}; received {shared.total:,}; delivered "
          f"{counts['delivered']:,} skipped {counts['skipped']:,} (viewers x{args.viewers}); "
          f"batches {counts['batches']}; SSE bytes {counts['bytes']:,}")
    print(f"CPU {cpu:.2f} s over {wall:.2f} s wall ({100 * cpu / wall:.0f}% of a core); "
          f"{1e6 * cpu / max(1, shared.total):.2f} us CPU per message received; omem peak "
          f"{omem['peak'] / 2**20:.2f} MB over {omem['samples']} samples; unread in the socket "
          f"at most {omem['unread'] / 2**20:.2f} MB, receive buffer {omem['room'] / 2**20:.2f} MB; "
          f"load "
          f"{os.getloadavg()[0]:.1f}")
    if gaps:
        ordered = sorted(g for g, _, _ in gaps)
        full = sum(1 for _, n, _ in gaps if n >= 1 << 18)
        print(f"reads {len(gaps):,}, {full:,} full; gap between reads p50 "
              f"{1000 * ordered[len(ordered) // 2]:.1f} ms, p99 "
              f"{1000 * ordered[int(len(ordered) * 0.99)]:.1f} ms, max {1000 * ordered[-1]:.1f} ms")
        for gap, _, used in sorted(gaps, reverse=True)[:5]:
            print(f"   gap {1000 * gap:.1f} ms, CPU used meanwhile {1000 * used:.1f} ms")
    if renders:
        cpu_total, shown = sum(c for c, _ in renders), sum(n for _, n in renders)
        worst = max(renders)
        print(f"rendering: {len(renders)} batches, {shown:,} messages, {1000 * cpu_total:.0f} ms "
              f"CPU ({1e6 * cpu_total / max(1, shown):.0f} us a message); worst batch "
              f"{1000 * worst[0]:.1f} ms for {worst[1]} messages")
    for text in dict.fromkeys(statuses):
        print(f"status: {text}")
    if profile:
        pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--viewers", type=int, default=1)
    parser.add_argument("--payload-bytes", type=int, default=1024)
    parser.add_argument("--no-render", dest="render", action="store_false")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()

    from dashboard.local_redis import LocalRedis

    workdir = Path(tempfile.mkdtemp(prefix="pubsub-profile-"))
    server = LocalRedis(workdir / "redis")
    try:
        server.start()
        os.environ.update({"REDIS_URL": server.url, "DJANGO_SETTINGS_MODULE": "dashboard.settings",
                           "DASHBOARD_VAR_DIR": str(workdir / "var"), "DASHBOARD_AUTH": "off"})
        import django

        django.setup()
        asyncio.run(run(args, server.url))
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
