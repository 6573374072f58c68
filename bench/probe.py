"""One timed sample: a dashboard request or a raw floor call, with the Redis work it caused."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from dashboard_process import HttpClient
from redis_work import CommandTally, WorkMeter

from tests.support.htmx import HTMX

HTMX_RESULTS = {**HTMX, "HX-Target": "results"}


@dataclass(frozen=True)
class Sample:
    wall_ms: float
    server_ms: float  # Server-Timing from the dashboard; equal to wall_ms for raw floor calls
    redis_ms: float
    commands: int
    body: str = ""


class Probe:
    def __init__(self, http: HttpClient, meter: WorkMeter):
        self.http = http
        self.meter = meter
        self.tally = CommandTally()

    def get(
        self, path: str, headers: dict[str, str] | None = None, *, tally: bool = True
    ) -> Sample:
        """A dashboard (or Django floor) request; `tally` files its commands for the audit."""
        response, work = self.meter.measure(lambda: self.http.get(path, headers))
        if response.status != 200:
            raise RuntimeError(f"GET {path} answered {response.status}: {response.body[:500]}")
        if tally:
            self.tally.add(work)
        return Sample(response.wall_ms, response.server_ms, work.ms, work.calls, response.body)

    def local(self, call: Callable[[], object]) -> Sample:
        """Work done in the benchmark process itself (the raw floor)."""

        def timed() -> float:
            started = time.perf_counter()
            call()
            return (time.perf_counter() - started) * 1000

        wall_ms, work = self.meter.measure(timed)
        return Sample(wall_ms, wall_ms, work.ms, work.calls)


@dataclass(frozen=True)
class Summary:
    """Medians over repetitions."""

    wall_ms: float
    server_ms: float
    redis_ms: float
    commands: float
    count: int


def summarize(samples: list[Sample]) -> Summary:
    return Summary(
        wall_ms=statistics.median(s.wall_ms for s in samples),
        server_ms=statistics.median(s.server_ms for s in samples),
        redis_ms=statistics.median(s.redis_ms for s in samples),
        commands=statistics.median(s.commands for s in samples),
        count=len(samples),
    )


def interleaved(
    cases: dict[str, Callable[[], Sample]], repeat: int, warmup: int
) -> dict[str, Summary]:
    """Run every case once per round, so drift and bursts of load hit all cases alike.

    The order rotates by one case each round: cases touching the same keys warm Redis's
    CPU caches for each other, and a fixed order would always hand the cold start to the
    same case.
    """
    names = list(cases)
    samples: dict[str, list[Sample]] = {name: [] for name in names}
    for round_number in range(warmup + repeat):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            sample = cases[name]()
            if round_number >= warmup:
                samples[name].append(sample)
    return {name: summarize(found) for name, found in samples.items()}
