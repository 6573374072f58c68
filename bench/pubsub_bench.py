"""Benchmark: the live pub/sub stream under load, against a bare subscriber in the same run.

    make bench-pubsub        # 1,000 / 10,000 / 100,000 / 200,000 msg/s, 1 and 10 viewers, 10 s
    make bench-pubsub BENCH_ARGS="--seconds 2 --rates 1000,10000 --viewers 1"   # a quick run

Starts a private redis-server, the dashboard under uvicorn, and a bare `redis.asyncio`
subscriber (bench/pubsub/bare_subscriber.py) on the same channel. The floor comes first: each
rate published to the bare subscriber alone (with `--floor together` it listens during the
phases instead, competing with the dashboard for the same cores). For each viewer count it
opens that many SSE streams of the channel (all sharing one Redis subscription in the
dashboard), then for each rate a publisher process (bench/pubsub_publisher.py) publishes
1 KB payloads carrying their sequence number and publish time.

Per phase: delivered and skipped per viewer (each must add up to what was published), lag
p50/p99 (publish to SSE event here), the peak output buffer Redis holds for the dashboard's
connection and the number of such connections (CLIENT LIST), the dashboard's RSS, and its
drain rate against the bare subscriber's (messages received over the time from publish
start to the last one received), and the CPU of the dashboard, of this process (its viewers,
lean readers: bench/pubsub/viewer.py) and of the bare subscriber. Targets print PASS/FAIL;
run it with `nice` on a shared machine and read the load columns. Exits 0 whatever the
verdicts; every process it starts is stopped on the way out.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

import redis.asyncio  # noqa: E402

from bench.pubsub.machine import rss_mb  # noqa: E402
from bench.pubsub.phase import (  # noqa: E402
    DASHBOARD_CLIENT_NAME,
    BareSubscriber,
    BufferSampler,
    run_floor,
    run_phase,
)
from bench.pubsub.report import print_phase, print_table, targets  # noqa: E402
from bench.pubsub.viewer import Viewer  # noqa: E402
from dashboard.local_redis import LocalRedis  # noqa: E402
from tests.support.uvicorn_dashboard import UvicornDashboard  # noqa: E402

CHANNEL = "bench"
STREAM_PATH = f"/c/default/db/0/pubsub/stream/?channel={CHANNEL}"
DEFAULT_RATES = (1_000, 10_000, 100_000, 200_000)
DEFAULT_VIEWERS = (1, 10)


async def open_viewers(count: int, port: int, admin) -> list[Viewer]:
    viewers = [Viewer(port, STREAM_PATH) for _ in range(count)]
    for viewer in viewers:
        await viewer.open()
    await warm_up(viewers, admin)
    return viewers


async def warm_up(viewers: list[Viewer], admin) -> None:
    """A few messages outside the measured sequence range: templates and code paths warm."""
    for n in range(20):
        await admin.publish(CHANNEL, json.dumps({"seq": 10**12 + n, "t": time.time()}))
        await asyncio.sleep(0.005)
    deadline = time.monotonic() + 10
    while any(v.log.received_total() < 20 for v in viewers) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


async def close_viewers(viewers: list[Viewer], admin) -> None:
    for viewer in viewers:
        await viewer.close()
    started = time.monotonic()  # the dashboard's subscription goes with the last viewer
    while [c for c in await admin.client_list(_type="pubsub")
           if c.get("name") == DASHBOARD_CLIENT_NAME]:
        if time.monotonic() - started > 30:
            print("!! the dashboard kept its subscription 30 s after the viewers left")
            return
        await asyncio.sleep(0.1)
    print(f"   (the dashboard's subscription closed {time.monotonic() - started:.1f} s after "
          "the last viewer left)")


async def bench(args, dashboard: UvicornDashboard, procs: list) -> None:
    pid, port = dashboard.process.pid, dashboard.port
    admin = redis.asyncio.Redis.from_url(args.redis_url)
    bare = BareSubscriber(args.redis_url, CHANNEL)
    buffers = BufferSampler(args.redis_url)
    phases, first_seq, viewers = [], 0, []
    try:
        await bare.start()
        await buffers.start()
        baseline = rss_mb(pid)
        print(f"dashboard pid {pid} on port {port}, redis {args.redis_url}; RSS {baseline:.1f} MB")
        floors = {}
        if args.floor == "apart":
            for rate in args.rates:
                floor = floors[rate] = await run_floor(args, rate, bare, buffers, first_seq,
                                                       CHANNEL, procs)
                first_seq += floor.published
                print(f"floor: {rate:,}/s, bare subscriber alone received {floor.received:,} "
                      f"of {floor.published:,} in {floor.seconds:.2f} s, output buffer peak "
                      f"{floor.omem_peak_mb:.2f} MB, {floor.cpu:.0f}% of a core")
                await asyncio.sleep(1.0)
        for count in args.viewers:
            viewers = await open_viewers(count, port, admin)
            for rate in args.rates:
                phase = await run_phase(args, rate, viewers, bare, buffers, pid, first_seq,
                                        CHANNEL, procs, floors.get(rate))
                first_seq += phase.published
                phases.append(phase)
                print_phase(phase)
                await asyncio.sleep(1.0)
            await close_viewers(viewers, admin)
            viewers = []
        final = rss_mb(pid)
        print_table(phases, baseline, final)
        if args.json:
            Path(args.json).write_text(json.dumps({
                "phases": [{k: v for k, v in vars(p).items() if k != "lags_ms"}
                           | {"lag_p50_ms": p.lag(0.5), "lag_p99_ms": p.lag(0.99),
                              "drain_ratio": p.drain_ratio} for p in phases],
                "targets": [{"target": n, "pass": ok, "detail": d}
                            for n, ok, d in targets(phases, baseline, final)],
            }, indent=2, default=str))
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        for viewer in viewers:
            await viewer.close()
        await bare.stop()
        await buffers.stop()
        await admin.aclose()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="publishing time per rate")
    parser.add_argument("--rates", default=",".join(map(str, DEFAULT_RATES)),
                        help="comma-separated messages/s, run in order")
    parser.add_argument("--viewers", default=",".join(map(str, DEFAULT_VIEWERS)),
                        help="comma-separated numbers of viewers of the same channel")
    parser.add_argument("--tick-ms", type=float, default=10.0, help="publisher burst interval")
    parser.add_argument("--payload-bytes", type=int, default=1024)
    parser.add_argument("--drain-timeout", type=float, default=30.0,
                        help="longest wait for the stream to catch up after a rate")
    parser.add_argument("--floor", choices=("apart", "together"), default="apart",
                        help="the bare subscriber's pass: apart (alone on the channel, before "
                        "the viewers; it does not compete with the dashboard for the cores) "
                        "or together (listening during each phase, as before)")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--app", default="dashboard.asgi:application",
                        help="the ASGI application uvicorn serves (for trying out a change)")
    args = parser.parse_args(argv)
    args.rates = [int(r.replace("_", "")) for r in args.rates.split(",") if r.strip()]
    args.viewers = [int(v) for v in args.viewers.split(",") if v.strip()]
    return args


def _interrupted(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv=None) -> int:
    args = parse_args(argv)
    # Stopped by SIGTERM or SIGINT (even when started in the background, where SIGINT comes
    # ignored), the cleanup below still runs.
    signal.signal(signal.SIGTERM, _interrupted)
    signal.signal(signal.SIGINT, _interrupted)
    workdir = Path(tempfile.mkdtemp(prefix="pubsub-bench-"))
    server = LocalRedis(workdir / "redis")
    try:
        server.start()
        args.redis_url = server.url
        # Sign-in is not what this measures (the launcher turns it off; loopback only).
        dashboard = UvicornDashboard(server.url, workdir / "var", app=args.app,
                                     keep_dashboard_env=True,
                                     ready_path=f"/c/default/db/0/pubsub/?channel={CHANNEL}")
        dashboard.start()
        try:
            asyncio.run(bench(args, dashboard, []))
        except Exception:
            if tail := dashboard.log(3000).strip():
                print(f"--- uvicorn log (tail)\n{tail}", file=sys.stderr)
            raise
        finally:
            dashboard.stop()
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt as exc:
        print(f"interrupted ({exc or 'Ctrl-C'}); everything started was stopped", file=sys.stderr)
        sys.exit(130)
