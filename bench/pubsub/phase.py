"""One phase: a rate, for some seconds, to a channel that N viewers and the bare subscriber
watch; then a wait until everyone has accounted for every message (or gone quiet)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.pubsub.machine import Usage, loadavg, rss_mb
from bench.pubsub.viewer import Viewer

BENCH_DIR = Path(__file__).resolve().parents[1]
DASHBOARD_CLIENT_NAME = "redis-dashboard"
BARE_CLIENT_NAME = "bench-bare-subscriber"
_LOSS = re.compile(r"not received: up to ([\d,]+)")


class _Helper:
    """A helper script in a process of its own, asked a line at a time on stdin for a line
    of JSON on stdout (it says it is ready with a first line)."""

    script = ""

    def __init__(self, *args: str) -> None:
        self.args = args
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, str(BENCH_DIR / "pubsub" / self.script), *self.args,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        await asyncio.wait_for(self.process.stdout.readline(), 10)

    async def ask(self, command: bytes) -> dict:
        self.process.stdin.write(command + b"\n")
        await self.process.stdin.drain()
        return json.loads(await asyncio.wait_for(self.process.stdout.readline(), 10))

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.stdin.close()
            try:
                await asyncio.wait_for(self.process.wait(), 5)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()


class BareSubscriber(_Helper):
    """bench/pubsub/bare_subscriber.py, asked for its count now and then."""

    script = "bare_subscriber.py"

    def __init__(self, url: str, channel: str) -> None:
        super().__init__("--url", url, "--channel", channel)
        self.url, self.channel = url, channel

    async def report(self, command: bytes = b"report") -> dict:
        """Its count; `stop` and `start` unsubscribe it and subscribe it again first."""
        return await self.ask(command)


class BufferSampler(_Helper):
    """bench/pubsub/buffer_sampler.py: output buffer peaks per client name, sampled every
    5 ms in a process of its own."""

    script = "buffer_sampler.py"

    def __init__(self, url: str) -> None:
        super().__init__("--url", url)
        self.url = url

    async def read(self, reset: bool = False) -> dict:
        return await self.ask(b"reset" if reset else b"report")


@dataclass
class Phase:
    rate: int
    viewers: int
    seconds: float
    published: int = 0
    publisher: dict = field(default_factory=dict)
    delivered: list[int] = field(default_factory=list)  # per viewer
    skipped: list[int] = field(default_factory=list)
    lags_ms: list[float] = field(default_factory=list)
    dashboard_received: int = 0
    dashboard_seconds: float = float("nan")  # publish start to the last message received
    bare_received: int = 0
    bare_seconds: float = float("nan")
    omem_peak_mb: float = 0.0
    connections_peak: int = 0  # the dashboard's subscribed connections to Redis
    bare_omem_peak_mb: float = 0.0  # the same for the bare subscriber: does the floor keep up?
    omem_samples: int = 0
    drain_clock: str = "stats"  # how the dashboard's drain time was taken (see run_phase)
    omem_sample_ms: float = float("nan")  # mean time between samples
    rss_before: float = 0.0
    rss_peak: float = 0.0
    dashboard_cpu: float = 0.0  # % of a core
    bench_cpu: float = 0.0  # this process (the viewers' reading): it shares the cores
    bare_cpu: float = 0.0  # the bare subscriber's process, the same way
    machine_busy: float = 0.0
    loadavg: str = ""
    statuses: list[str] = field(default_factory=list)
    lost: list[int | None] = field(default_factory=list)  # per viewer, as the page reported

    @property
    def exact(self) -> bool:
        return all(d + s == self.published for d, s in zip(self.delivered, self.skipped,
                                                           strict=True))

    @property
    def accounted(self) -> bool:
        """delivered + skipped + the loss the page reported = published, for every viewer."""
        return all(lost is not None and d + s + lost == self.published
                   for d, s, lost in zip(self.delivered, self.skipped, self.lost, strict=True))

    @property
    def kept_up(self) -> bool:
        p = self.publisher
        return p.get("published") == int(self.rate * self.seconds) and \
            p.get("elapsed", 1e9) <= self.seconds * 1.02 + 0.05

    @property
    def drain_ratio(self) -> float:
        """The dashboard's drain rate over the bare subscriber's, both from publish start."""
        dashboard = self.dashboard_received / self.dashboard_seconds
        bare = self.bare_received / self.bare_seconds
        return dashboard / bare if bare else float("nan")

    def lag(self, q: float) -> float:
        if not self.lags_ms:
            return float("nan")
        ordered = sorted(self.lags_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def sample(stop: asyncio.Event, pid: int, phase: Phase):
    """The dashboard's RSS, every 0.1 s (output buffers: BufferSampler)."""
    while not stop.is_set():
        phase.rss_peak = max(phase.rss_peak, rss_mb(pid))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.1)


def _buffers(phase: Phase, report: dict, floor: Floor | None) -> None:
    clients = report["clients"]
    ours = clients.get(DASHBOARD_CLIENT_NAME, {"omem": 0, "connections": 0})
    phase.omem_peak_mb = ours["omem"] / 2**20
    phase.connections_peak = ours["connections"]
    if floor is None:
        phase.bare_omem_peak_mb = clients.get(BARE_CLIENT_NAME, {"omem": 0})["omem"] / 2**20
    phase.omem_samples = report["samples"]
    phase.omem_sample_ms = 1000 * report["seconds"] / max(1, report["samples"])


async def publish(args, rate: int, first_seq: int, channel: str, procs: list) -> dict:
    publisher = await asyncio.create_subprocess_exec(
        sys.executable, str(BENCH_DIR / "pubsub_publisher.py"), "--url", args.redis_url,
        "--channel", channel, "--rate", str(rate), "--seconds", str(args.seconds),
        "--first-seq", str(first_seq), "--tick-ms", str(args.tick_ms),
        "--payload-bytes", str(args.payload_bytes), stdout=asyncio.subprocess.PIPE)
    procs.append(publisher)
    out, _ = await publisher.communicate()
    if publisher.returncode != 0:
        raise RuntimeError(f"the publisher failed (exit {publisher.returncode})")
    return json.loads(out.decode().strip().splitlines()[-1])


@dataclass
class Floor:
    """The bare subscriber alone on the channel (no viewer, so the dashboard holds no
    subscription): what a minimal client drains on this machine at this rate."""

    rate: int
    published: int = 0
    received: int = 0
    seconds: float = float("nan")  # publish start to the last message received
    omem_peak_mb: float = 0.0
    cpu: float = 0.0  # % of a core


async def run_floor(args, rate: int, bare: BareSubscriber, buffers: BufferSampler,
                    first_seq: int, channel: str, procs: list) -> Floor:
    floor = Floor(rate)
    before = (await bare.report(b"start"))["count"]
    usage, wall = Usage(bare.process.pid), time.monotonic()
    await buffers.read(reset=True)
    publisher = await publish(args, rate, first_seq, channel, procs)
    floor.published = publisher["published"]
    started, waited = time.monotonic(), 0.0
    while waited < args.drain_timeout:
        now = await bare.report()
        if now["count"] - before >= floor.published or (
                waited > 3.0 and time.time() - now["last_at"] > 3.0):
            break
        await asyncio.sleep(0.2)
        waited = time.monotonic() - started
    now = await bare.report(b"stop")
    _, [floor.cpu] = usage.done(time.monotonic() - wall)
    peaks = (await buffers.read())["clients"]
    floor.omem_peak_mb = peaks.get(BARE_CLIENT_NAME, {"omem": 0})["omem"] / 2**20
    floor.received = now["count"] - before
    floor.seconds = now["last_at"] - publisher["started"]
    return floor


async def run_phase(args, rate: int, viewers: list[Viewer], bare: BareSubscriber,
                    buffers: BufferSampler, pid: int, first_seq: int, channel: str,
                    procs: list, floor: Floor | None = None) -> Phase:
    """With `floor`, the bare subscriber's figures are that pass's (it is unsubscribed here);
    without, it listens during the phase, on the same cores."""
    phase = Phase(rate, len(viewers), args.seconds)
    phase.rss_before = phase.rss_peak = rss_mb(pid)
    marks = [v.log.mark() for v in viewers]
    for viewer in viewers:
        viewer.log.newest = (-1, 0.0)
    bare_before = None if floor is not None else (await bare.report())["count"]
    usage, wall = Usage(pid, os.getpid(), bare.process.pid), time.monotonic()
    stop = asyncio.Event()
    await buffers.read(reset=True)
    sampler = asyncio.create_task(sample(stop, pid, phase))
    phase.publisher = await publish(args, rate, first_seq, channel, procs)
    phase.published = phase.publisher["published"]
    await _drain(args, phase, viewers, marks, bare, bare_before)
    stop.set()
    await sampler
    _buffers(phase, await buffers.read(), floor)
    phase.machine_busy, [phase.dashboard_cpu, phase.bench_cpu, bare_cpu] = usage.done(
        time.monotonic() - wall)
    if floor is None:
        phase.bare_cpu = bare_cpu
    phase.loadavg = loadavg()
    _account(phase, viewers, marks, first_seq)
    started = phase.publisher["started"]
    if floor is None:
        bare_now = await bare.report()
        phase.bare_received = bare_now["count"] - bare_before
        phase.bare_seconds = bare_now["last_at"] - started
    else:
        phase.bare_received, phase.bare_seconds = floor.received, floor.seconds
        phase.bare_omem_peak_mb, phase.bare_cpu = floor.omem_peak_mb, floor.cpu
    phase.dashboard_received, done_at = _dashboard_received(viewers[0], marks[0][2])
    # Measured as the bare subscriber's is: when the subscriber itself received the last
    # message (the page stamps each message shown with that time). Only if the last one was
    # shown: otherwise when the stats event with the final count reached the benchmark.
    newest_seq, newest_at = viewers[0].log.newest
    if newest_seq == first_seq + phase.published - 1:
        done_at, phase.drain_clock = newest_at, "received"
    phase.dashboard_seconds = done_at - started
    return phase


async def _drain(args, phase, viewers, marks, bare, bare_before) -> None:
    """Until every viewer and the bare subscriber account for everything, or a quiet spell."""
    published_at = time.monotonic()
    while True:
        await asyncio.sleep(0.2)
        behind = [v for v, m in zip(viewers, marks, strict=True)
                  if len(v.log.delivered) - m[0] + v.log.skipped - m[1] < phase.published]
        bare_done = bare_before is None or (
            (await bare.report())["count"] - bare_before >= phase.published)
        waited = time.monotonic() - published_at
        quiet = time.time() - max(v.log.last_batch_at for v in viewers)
        if (not behind and bare_done) or waited > args.drain_timeout or (
                quiet > 3.0 and waited > 3.0):
            break
    await asyncio.sleep(0.3)  # the stats event after the last batch


def _account(phase: Phase, viewers: list[Viewer], marks, first_seq: int) -> None:
    last_seq = first_seq + phase.published
    for viewer, (delivered_mark, skipped_mark, _) in zip(viewers, marks, strict=True):
        log = viewer.log
        seen = [(s, lag) for s, lag in log.delivered[delivered_mark:] if first_seq <= s < last_seq]
        phase.delivered.append(len({s for s, _ in seen}))
        phase.skipped.append(log.skipped - skipped_mark)
        phase.lags_ms += [1000 * lag for _, lag in seen]
        phase.lost.append(_reported_loss(log.statuses))
        phase.statuses += log.statuses
        log.statuses.clear()
        log.delivered.clear()  # memory: 10 viewers over 8 phases
        log.skipped = 0


def _reported_loss(statuses: list[str]) -> int | None:
    """The messages the page said were lost on reconnects (None: it said unknown)."""
    total = 0
    for text in statuses:
        if "how many is unknown" in text:
            return None
        if found := _LOSS.search(text):
            total += int(found[1].replace(",", ""))
    return total


def _dashboard_received(viewer: Viewer, before: int) -> tuple[int, float]:
    """Messages the dashboard received in the phase (its stats totals), and when the last of
    them arrived here (the stats event that first showed the final total)."""
    final = viewer.log.received_total()
    for at, total in viewer.log.received:
        if total == final:
            return final - before, at
    return 0, float("nan")
