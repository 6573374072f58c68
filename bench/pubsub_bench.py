"""Benchmark: the live pub/sub stream under load.

    make bench-pubsub                      # 1,000, 10,000 and 50,000 msg/s, 10 s each
    make bench-pubsub BENCH_ARGS="--seconds 2 --rates 1000,10000"   # a quick run

Starts a private redis-server and the dashboard as a uvicorn subprocess, opens one SSE
stream (GET /db/0/pubsub/stream/?channel=bench) here, and has a publisher process
(bench/pubsub_publisher.py) publish at each rate in turn. Every payload carries its sequence
number and publish time, so each message the stream delivers gives a lag (its SSE event's
arrival here minus its publish time). Between rates the stream is drained.

Per rate: published, delivered (messages in `batch` events), skipped (the batches' "N
messages skipped" items, checked against the `stats` totals), whether delivered + skipped
accounts for every message published, lag p50/p99, and the uvicorn process's VmRSS before
and after. Targets, printed PASS/FAIL:

- 1,000/s: nothing skipped;
- 10,000/s: sustained (delivered + skipped == published, the publisher kept up) with p99
  lag under 500 ms;
- RSS growth under 50 MB at every rate, and overall.

Exits 0 whatever the verdicts (it is a report); every process it starts is stopped on the
way out.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path[:0] = [str(ROOT)]

import redis  # noqa: E402

from dashboard.local_redis import LocalRedis  # noqa: E402
from tests.support.sse import EventStreamResponse, request  # noqa: E402
from tests.support.uvicorn_dashboard import UvicornDashboard  # noqa: E402

CHANNEL = "bench"
STREAM_PATH = f"/db/0/pubsub/stream/?channel={CHANNEL}"
DEFAULT_RATES = (1_000, 10_000, 50_000)
RSS_LIMIT_MB = 50.0
LAG_P99_LIMIT_MS = 500.0

_ITEM = re.compile(r'<li class="msg([^"]*)">(.*?)</li>', re.S)
_SEQ_T = re.compile(r'"seq":\s*(\d+),\s*"t":\s*([0-9.eE+-]+)')
_TIME = re.compile(r'<span class="msg-time">(\d\d):(\d\d):(\d\d)\.(\d{3})</span>')
_SKIPPED = re.compile(r"([\d,]+) messages? skipped")
_STATS = re.compile(r"([\d,]+) received</span>.*?([\d,]+) skipped", re.S)


def _int(text: str) -> int:
    return int(text.replace(",", ""))


# --- the SSE stream, read here ------------------------------------------------------------


@dataclass
class StreamLog:
    """Everything the stream said, appended as it arrives."""

    delivered: list[tuple[int, float]] = field(default_factory=list)  # (seq, lag in s)
    # Per delivered message, seconds from publishing to the dashboard reading it (its own
    # msg-time stamp, to the millisecond): the rest of the lag is batching, rendering, sending.
    read_lags: list[float] = field(default_factory=list)
    skipped: int = 0
    batches: int = 0
    stats_received: int = 0
    stats_skipped: int = 0
    statuses: list[tuple[float, str]] = field(default_factory=list)
    unparsed: int = 0  # <li class="msg"> items with no seq/t: should stay 0
    last_batch_at: float = 0.0
    bytes_read: int = 0
    closed: str | None = None

    def mark(self) -> tuple[int, int, int, int, int]:
        return (len(self.delivered), self.skipped, self.batches, self.stats_received,
                self.stats_skipped)


class SseReader:
    """The stream over an asyncio socket, read by the tests' SSE client (tests/support/sse.py)."""

    def __init__(self, port: int, log: StreamLog):
        self.port = port
        self.log = log
        self.writer: asyncio.StreamWriter | None = None
        self.response = EventStreamResponse(record=False)  # it runs for minutes: keep no lines

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.writer.write(request("127.0.0.1", self.port, STREAM_PATH))
        await self.writer.drain()
        async with asyncio.timeout(10):
            while self.response.status is None:
                if not (data := await self.reader.read(65536)):
                    raise RuntimeError("the stream closed before its headers")
                self._feed(data, time.time())
        if self.response.status != 200:
            raise RuntimeError(f"stream answered {self.response.status_line!r}")
        content_type = self.response.headers.get("content-type", "")
        if "text/event-stream" not in content_type:
            raise RuntimeError(f"stream content type is {content_type!r}")

    async def run(self) -> None:
        try:
            while not self.response.eof and (data := await self.reader.read(65536)):
                self._feed(data, time.time())
            self.log.closed = "the dashboard closed the stream"
        except ConnectionError as exc:
            self.log.closed = f"stream broke: {exc!r}"

    def _feed(self, data: bytes, arrived: float) -> None:
        body, events = self.response.feed(data)
        self.log.bytes_read += len(body)
        for event in events:
            self._event(event.name, event.data, arrived)

    def _event(self, name: str, body: str, arrived: float) -> None:
        if name == "batch":
            self._batch(body, arrived)
        elif name == "stats":
            found = _STATS.search(body)
            if found:
                self.log.stats_received = _int(found[1])
                self.log.stats_skipped = _int(found[2])
        elif name == "status":
            text = html.unescape(re.sub(r"<[^>]+>", " ", body))
            self.log.statuses.append((arrived, " ".join(text.split())))

    def _batch(self, body: str, arrived: float) -> None:
        log = self.log
        log.batches += 1
        log.last_batch_at = arrived
        for classes, inner in _ITEM.findall(body):
            if "skipped" in classes.split():
                found = _SKIPPED.search(inner)
                if found:
                    log.skipped += _int(found[1])
                else:
                    log.unparsed += 1
                continue
            found = _SEQ_T.search(html.unescape(inner))
            if found:
                published = float(found[2])
                log.delivered.append((int(found[1]), arrived - published))
                stamp = _TIME.search(inner)
                if stamp:
                    # The stamp is cut to the millisecond: never below zero.
                    log.read_lags.append(max(0.0, _dashboard_time(stamp, published) - published))
            else:
                log.unparsed += 1

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError, TimeoutError):
                await asyncio.wait_for(self.writer.wait_closed(), 2)


def _dashboard_time(stamp: re.Match, near: float) -> float:
    """The dashboard's HH:MM:SS.mmm (local time) as epoch seconds, on the day of `near`."""
    day = time.localtime(near)
    seconds = int(stamp[1]) * 3600 + int(stamp[2]) * 60 + int(stamp[3]) + int(stamp[4]) / 1000
    midnight = time.mktime((day.tm_year, day.tm_mon, day.tm_mday, 0, 0, 0, 0, 0, -1))
    value = midnight + seconds
    if value - near > 43200:
        value -= 86400
    elif near - value > 43200:
        value += 86400
    return value


# --- processes ------------------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)


def cpu_pressure_us() -> int | None:
    """Total microseconds some task waited for a CPU (Linux PSI), or None without PSI."""
    try:
        with open("/proc/pressure/cpu") as pressure:
            for line in pressure:
                if line.startswith("some"):
                    return int(line.rsplit("total=", 1)[1])
    except OSError:
        return None
    return None


def dashboard_log_problems(dashboard: UvicornDashboard) -> str:
    """The tail of uvicorn's log if the dashboard logged an error or a traceback."""
    text = dashboard.log(chars=None)
    if "Traceback" in text or "ERROR" in text:
        return text[-3000:]
    return ""


# --- one rate ------------------------------------------------------------------------------


@dataclass
class Phase:
    rate: int
    seconds: float
    published: int = 0
    publisher: dict = field(default_factory=dict)
    delivered: int = 0
    skipped: int = 0
    stats_accounted: int = 0
    stats_skipped: int = 0
    lags_ms: list[float] = field(default_factory=list)
    read_lags_ms: list[float] = field(default_factory=list)
    rss_before: float = 0.0
    rss_after: float = 0.0
    rss_peak: float = 0.0
    cpu_percent: float = 0.0
    redis_cpu_percent: float = 0.0
    bench_cpu_percent: float = 0.0
    machine_busy_percent: float = 0.0  # of all cores, everything on the machine included
    loadavg: str = ""
    cpu_pressure_percent: float | None = None  # share of the time some task waited for a CPU
    redis_omem_peak_mb: float = 0.0
    drain_seconds: float = 0.0
    statuses: list[str] = field(default_factory=list)
    duplicates: int = 0
    stray: int = 0  # delivered messages from outside this rate's sequence range

    @property
    def accounted(self) -> int:
        return self.delivered + self.skipped

    @property
    def kept_up(self) -> bool:
        p = self.publisher
        return bool(p) and p["published"] == int(self.rate * self.seconds) and \
            p["elapsed"] <= self.seconds * 1.02 + 0.05

    def lag(self, q: float) -> float:
        return quantile(self.lags_ms, q)

    def read_lag(self, q: float) -> float:
        return quantile(self.read_lags_ms, q)

    @property
    def rss_growth(self) -> float:
        return self.rss_after - self.rss_before


def quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def sample_while(stop: asyncio.Event, pid: int, admin: redis.asyncio.Redis,
                       phase: Phase) -> None:
    """RSS of the dashboard and the output buffer Redis holds for its subscriber."""
    while not stop.is_set():
        phase.rss_peak = max(phase.rss_peak, rss_mb(pid))
        try:
            for client in await admin.client_list(_type="pubsub"):
                phase.redis_omem_peak_mb = max(phase.redis_omem_peak_mb,
                                               int(client.get("omem", 0)) / 2**20)
        except redis.RedisError:
            pass
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.2)


async def run_phase(rate: int, args, redis_url: str, pid: int, redis_pid: int, log: StreamLog,
                    admin: redis.asyncio.Redis, first_seq: int, procs: list) -> Phase:
    phase = Phase(rate, args.seconds)
    phase.rss_before = phase.rss_peak = rss_mb(pid)
    cpu_before, wall_before = cpu_seconds(pid), time.monotonic()
    redis_cpu_before, bench_cpu_before = cpu_seconds(redis_pid), time.process_time()
    busy_before, pressure_before = machine_busy(), cpu_pressure_us()
    mark = log.mark()
    read_mark = len(log.read_lags)
    statuses_before = len(log.statuses)
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_while(stop, pid, admin, phase))

    publisher = await asyncio.create_subprocess_exec(
        sys.executable, str(BENCH_DIR / "pubsub_publisher.py"), "--url", redis_url,
        "--channel", CHANNEL, "--rate", str(rate), "--seconds", str(args.seconds),
        "--first-seq", str(first_seq), "--tick-ms", str(args.tick_ms),
        "--payload-bytes", str(args.payload_bytes),
        stdout=asyncio.subprocess.PIPE, cwd=ROOT,
    )
    procs.append(publisher)
    out, _ = await publisher.communicate()
    if publisher.returncode != 0:
        raise RuntimeError(f"the publisher failed (exit {publisher.returncode})")
    phase.publisher = json.loads(out.decode().strip().splitlines()[-1])
    phase.published = phase.publisher["published"]
    published_at = time.monotonic()

    # Drain: until the stream accounts for every message, or it has been quiet for a while.
    while True:
        await asyncio.sleep(0.1)
        delivered = len(log.delivered) - mark[0]
        skipped = log.skipped - mark[1]
        if delivered + skipped >= phase.published:
            break
        if log.closed:
            break
        now = time.monotonic()
        quiet = time.time() - log.last_batch_at
        if now - published_at > args.drain_timeout or (quiet > 3.0 and now - published_at > 3.0):
            break
    phase.drain_seconds = time.monotonic() - published_at
    await asyncio.sleep(0.3)  # the stats event that follows the last batch
    stop.set()
    await sampler

    phase.rss_after = rss_mb(pid)
    phase.rss_peak = max(phase.rss_peak, phase.rss_after)
    wall = time.monotonic() - wall_before
    phase.cpu_percent = 100 * (cpu_seconds(pid) - cpu_before) / wall
    phase.redis_cpu_percent = 100 * (cpu_seconds(redis_pid) - redis_cpu_before) / wall
    phase.bench_cpu_percent = 100 * (time.process_time() - bench_cpu_before) / wall
    busy_after = machine_busy()
    phase.machine_busy_percent = 100 * (busy_after[0] - busy_before[0]) / max(
        1, busy_after[1] - busy_before[1])
    pressure_after = cpu_pressure_us()
    if pressure_before is not None and pressure_after is not None:
        phase.cpu_pressure_percent = (pressure_after - pressure_before) / (wall * 1e4)
    with open("/proc/loadavg") as loadavg:
        phase.loadavg = " ".join(loadavg.read().split()[:3])
    seen = log.delivered[mark[0]:]
    last_seq = first_seq + phase.published
    phase.stray = sum(1 for seq, _ in seen if not first_seq <= seq < last_seq)
    seen = [(seq, lag) for seq, lag in seen if first_seq <= seq < last_seq]
    phase.delivered = len(seen)
    phase.duplicates = len(seen) - len({seq for seq, _ in seen})
    phase.lags_ms = [1000 * lag for _, lag in seen]
    phase.read_lags_ms = [1000 * lag for lag in log.read_lags[read_mark:]]
    phase.skipped = log.skipped - mark[1]
    phase.stats_accounted = log.stats_received - mark[3]
    phase.stats_skipped = log.stats_skipped - mark[4]
    phase.statuses = [text for _, text in log.statuses[statuses_before:]]
    return phase


# --- reporting ------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def print_phase(phase: Phase) -> None:
    p = phase.publisher
    print(f"\n== {phase.rate:,} msg/s for {phase.seconds:g} s")
    print(f"   publisher: {phase.published:,} published in {p['elapsed']:.2f} s "
          f"({p['achieved_rate']:,.0f}/s, at most {p['max_behind_ms']:.0f} ms behind schedule; "
          f"{p['unheard']:,} reached no subscriber)")
    print(f"   stream:    {phase.delivered:,} delivered + {phase.skipped:,} skipped = "
          f"{phase.accounted:,} of {phase.published:,} "
          f"(stats event: {phase.stats_accounted:,} received, {phase.stats_skipped:,} skipped); "
          f"drained {phase.drain_seconds:.1f} s after publishing ended")
    print(f"   lag:       p50 {phase.lag(0.5):.0f} ms, p99 {phase.lag(0.99):.0f} ms, "
          f"max {max(phase.lags_ms, default=float('nan')):.0f} ms; of which publish -> "
          f"dashboard read: p50 {phase.read_lag(0.5):.0f} ms, p99 {phase.read_lag(0.99):.0f} ms")
    print(f"   dashboard: RSS {phase.rss_before:.1f} -> {phase.rss_after:.1f} MB "
          f"(peak {phase.rss_peak:.1f}), CPU {phase.cpu_percent:.0f}% of a core; "
          f"Redis output buffer for it peaked at {phase.redis_omem_peak_mb:.1f} MB")
    print(f"   machine:   {phase.machine_busy_percent:.0f}% of all {os.cpu_count()} cores busy "
          f"(load average {phase.loadavg}; {_pressure(phase)}); CPU % of a core over the "
          f"phase: dashboard {phase.cpu_percent:.0f}, redis {phase.redis_cpu_percent:.0f}, "
          f"publisher {p.get('cpu_percent', 0):.0f} (while publishing), this reader "
          f"{phase.bench_cpu_percent:.0f}")
    if phase.duplicates:
        print(f"   !! {phase.duplicates} messages delivered twice")
    if phase.stray:
        print(f"   !! {phase.stray} messages of an earlier rate arrived during this one "
              "(its drain timed out): not counted here")
    for text in phase.statuses:
        print(f"   status:    {text}")


def _pressure(phase: Phase) -> str:
    if phase.cpu_pressure_percent is None:
        return "no CPU pressure stats"
    return f"some task waited for a CPU {phase.cpu_pressure_percent:.0f}% of the time"


def targets(phases: list[Phase], baseline: float, final: float) -> list[tuple[str, bool, str]]:
    results = []
    for phase in phases:
        if phase.rate == 1_000:
            results.append((f"{phase.rate:,}/s: nothing skipped",
                            phase.skipped == 0 and phase.accounted == phase.published,
                            f"{phase.skipped:,} skipped, {phase.accounted:,}/{phase.published:,}"
                            " accounted"))
        if phase.rate == 10_000:
            sustained = phase.accounted == phase.published and phase.kept_up
            results.append((f"{phase.rate:,}/s: sustained",
                            sustained,
                            f"{phase.accounted:,}/{phase.published:,} accounted, publisher "
                            f"{'kept up' if phase.kept_up else 'fell behind'}"))
            results.append((f"{phase.rate:,}/s: p99 lag < {LAG_P99_LIMIT_MS:.0f} ms",
                            phase.lag(0.99) < LAG_P99_LIMIT_MS,
                            f"p99 {phase.lag(0.99):.0f} ms"))
    for phase in phases:
        results.append((f"{phase.rate:,}/s: RSS growth < {RSS_LIMIT_MB:.0f} MB",
                        phase.rss_growth < RSS_LIMIT_MB, f"{phase.rss_growth:+.1f} MB"))
    results.append((f"overall: RSS growth < {RSS_LIMIT_MB:.0f} MB",
                    final - baseline < RSS_LIMIT_MB, f"{final - baseline:+.1f} MB"))
    return results


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def print_table(phases: list[Phase], baseline: float, final: float) -> None:
    header = (f"{'rate/s':>8} {'published':>10} {'delivered':>10} {'skipped':>10} "
              f"{'accounted':>10} {'pub kept up':>11} {'p50 ms':>7} {'p99 ms':>7} {'read p99':>8} "
              f"{'RSS before':>10} {'RSS after':>9} {'growth':>7} {'CPU%':>5} {'omem MB':>7} "
              f"{'busy%':>5} {'wait%':>5}")
    print("\n" + header)
    print("-" * len(header))
    for p in phases:
        accounted = "ok" if p.accounted == p.published else f"{p.accounted - p.published:+,}"
        print(f"{p.rate:>8,} {p.published:>10,} {p.delivered:>10,} {p.skipped:>10,} "
              f"{accounted:>10} {'yes' if p.kept_up else 'NO':>11} {p.lag(0.5):>7.0f} "
              f"{p.lag(0.99):>7.0f} {p.read_lag(0.99):>8.0f} {p.rss_before:>10.1f} "
              f"{p.rss_after:>9.1f} "
              f"{p.rss_growth:>+7.1f} {p.cpu_percent:>5.0f} {p.redis_omem_peak_mb:>7.1f} "
              f"{p.machine_busy_percent:>5.0f} {_num(p.cpu_pressure_percent):>5}")
    print(f"RSS baseline {baseline:.1f} MB, final {final:.1f} MB ({final - baseline:+.1f} MB). "
          "Lags in ms; read p99: publish -> dashboard read only; CPU%: the dashboard's, of one "
          "core; omem: Redis's output buffer for the dashboard's subscriber, peak; busy%: the "
          "whole machine's CPUs; wait%: time some task on the machine waited for a CPU (PSI).")
    print("\nTargets:")
    for name, ok, detail in targets(phases, baseline, final):
        print(f"  {verdict(ok)}  {name:<32} {detail}")


# --- main -----------------------------------------------------------------------------------


async def bench(args, redis_url: str, redis_pid: int, dashboard: UvicornDashboard,
                procs: list) -> None:
    uvicorn_pid, port = dashboard.process.pid, dashboard.port
    log = StreamLog()
    reader = SseReader(port, log)
    admin = redis.asyncio.Redis.from_url(redis_url)
    reading: asyncio.Task | None = None
    try:
        await reader.open()
        reading = asyncio.create_task(reader.run())
        # Wait for the dashboard to subscribe, then warm it up (templates, code paths).
        deadline = time.monotonic() + 10
        while await admin.execute_command("PUBSUB", "NUMSUB", CHANNEL) != [CHANNEL.encode(), 1]:
            if time.monotonic() > deadline:
                raise TimeoutError("the dashboard never subscribed")
            await asyncio.sleep(0.05)
        seq = 10**9  # warm-up messages are out of the measured sequence range
        for _ in range(50):
            await admin.publish(CHANNEL, json.dumps({"seq": seq, "t": time.time()}))
            seq += 1
            await asyncio.sleep(0.005)
        while len(log.delivered) + log.skipped < 50 and time.monotonic() < deadline + 10:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        log.delivered.clear()
        log.read_lags.clear()
        log.skipped = 0
        baseline = rss_mb(uvicorn_pid)
        print(f"dashboard pid {uvicorn_pid} on port {port}, redis {redis_url}; "
              f"stream {reader.response.status_line!r}, chunked={reader.response.chunked}; "
              f"RSS after warm-up {baseline:.1f} MB")

        phases = []
        first_seq = 0
        for rate in args.rates:
            phase = await run_phase(rate, args, redis_url, uvicorn_pid, redis_pid, log, admin,
                                    first_seq, procs)
            first_seq += phase.published
            phases.append(phase)
            print_phase(phase)
            if log.closed:
                print(f"!! {log.closed}")
                break
            await asyncio.sleep(1.0)
        if log.unparsed:
            print(f"!! {log.unparsed} batch items could not be parsed")
        final = rss_mb(uvicorn_pid)
        if problems := dashboard_log_problems(dashboard):
            print(f"\n!! the dashboard logged errors; its log ends with:\n{problems}")
        print_table(phases, baseline, final)
        if args.json:
            Path(args.json).write_text(json.dumps({
                "baseline_rss_mb": baseline, "final_rss_mb": final,
                "phases": [{k: v for k, v in vars(p).items()
                            if k not in ("lags_ms", "read_lags_ms")}
                           | {"lag_p50_ms": p.lag(0.5), "lag_p99_ms": p.lag(0.99),
                              "kept_up": p.kept_up} for p in phases],
                "targets": [{"target": n, "pass": ok, "detail": d}
                            for n, ok, d in targets(phases, baseline, final)],
            }, indent=2))
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        await reader.close()
        if reading is not None:
            reading.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reading
        await admin.aclose()


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="publishing time per rate")
    parser.add_argument("--rates", default=",".join(map(str, DEFAULT_RATES)),
                        help="comma-separated messages/s, run in order")
    parser.add_argument("--tick-ms", type=float, default=10.0, help="publisher burst interval")
    parser.add_argument("--payload-bytes", type=int, default=100)
    parser.add_argument("--drain-timeout", type=float, default=30.0,
                        help="longest wait for the stream to catch up after a rate")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--app", default="dashboard.asgi:application",
                        help="the ASGI application uvicorn serves (for trying out a change)")
    args = parser.parse_args(argv)
    args.rates = [int(r.replace("_", "")) for r in args.rates.split(",") if r.strip()]
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
    # Sign-in is not what this measures (the launcher turns it off; loopback only).
    dashboard = UvicornDashboard(server.url, workdir / "var", app=args.app, keep_dashboard_env=True,
                                 ready_path=f"/db/0/pubsub/?channel={CHANNEL}")
    try:
        server.start()
        dashboard.start()
        asyncio.run(bench(args, server.url, server.process.pid, dashboard, []))
    except Exception:
        if tail := dashboard.log(3000).strip():
            print(f"--- uvicorn log (tail)\n{tail}", file=sys.stderr)
        raise
    finally:
        dashboard.stop()
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt as exc:
        print(f"interrupted ({exc or 'Ctrl-C'}); everything started was stopped", file=sys.stderr)
        sys.exit(130)
