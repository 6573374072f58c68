"""The table and the targets, PASS/FAIL."""

from __future__ import annotations

import math
import os

from bench.pubsub.phase import Phase

RSS_LIMIT_MB = 50.0
OMEM_LIMIT_MB = 1.0
DRAIN_RATIO_TARGET = 0.7


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def targets(phases: list[Phase], baseline: float, final: float) -> list[tuple[str, bool, str]]:
    results = []
    for p in phases:
        row = f"{p.rate:,}/s x{p.viewers}"
        results.append((f"{row}: delivered + skipped = published", p.exact,
                        ", ".join(f"{d + s:,}" for d, s in list(zip(p.delivered, p.skipped,
                                                                     strict=True))[:3])
                        + f"{' ...' if p.viewers > 3 else ''} of {p.published:,}"))
        lost = p.lost[0] if p.lost else None
        results.append((f"{row}: ... + loss the page reported = published", p.accounted,
                        f"viewer 1: {p.delivered[0] + p.skipped[0]:,} + "
                        f"{'unknown' if lost is None else f'{lost:,}'} of {p.published:,}"))
        if p.rate <= 1_000:
            results.append((f"{row}: nothing skipped", not any(p.skipped),
                            f"{sum(p.skipped):,} skipped"))
        results.append((f"{row}: one Redis subscription", p.connections_peak == 1,
                        f"{p.connections_peak} at most"))
        if p.rate >= 100_000:
            results.append((f"{row}: output buffer < {OMEM_LIMIT_MB:.0f} MB",
                            p.omem_peak_mb < OMEM_LIMIT_MB, f"peak {p.omem_peak_mb:.2f} MB"))
        ratio = p.drain_ratio
        results.append((f"{row}: drain >= {DRAIN_RATIO_TARGET} x bare",
                        not math.isnan(ratio) and ratio >= DRAIN_RATIO_TARGET,
                        f"{ratio:.2f}"))
    results.append((f"overall: RSS growth < {RSS_LIMIT_MB:.0f} MB",
                    final - baseline < RSS_LIMIT_MB, f"{final - baseline:+.1f} MB"))
    return results


def print_phase(p: Phase) -> None:
    pub = p.publisher
    print(f"\n== {p.rate:,} msg/s x {p.viewers} viewer(s) for {p.seconds:g} s: published "
          f"{p.published:,} in {pub.get('elapsed', 0):.2f} s "
          f"({pub.get('achieved_rate', 0):,.0f}/s, {'kept up' if p.kept_up else 'FELL BEHIND'})")
    print(f"   dashboard received {p.dashboard_received:,} in {p.dashboard_seconds:.2f} s "
          f"(clock: {p.drain_clock}), bare subscriber {p.bare_received:,} in "
          f"{p.bare_seconds:.2f} s: ratio {p.drain_ratio:.2f}")
    print(f"   per viewer delivered {p.delivered}, skipped {p.skipped}")
    print(f"   lag p50 {p.lag(0.5):.0f} ms, p99 {p.lag(0.99):.0f} ms; omem peak "
          f"{p.omem_peak_mb:.2f} MB over {p.connections_peak} connection(s) (bare subscriber "
          f"{p.bare_omem_peak_mb:.2f} MB; {p.omem_samples:,} samples, one per "
          f"{p.omem_sample_ms:.1f} ms); RSS "
          f"{p.rss_before:.1f} -> peak {p.rss_peak:.1f} MB; dashboard CPU {p.dashboard_cpu:.0f}%"
          f" of a core, bench (viewers) {p.bench_cpu:.0f}%, bare subscriber {p.bare_cpu:.0f}%; "
          f"machine {p.machine_busy:.0f}% of "
          f"{os.cpu_count()} cores busy, load "
          f"{p.loadavg}")
    for text in p.statuses:
        print(f"   status: {text}")


def _lost(p: Phase) -> str:
    if not p.lost or p.lost[0] is None:
        return "unknown"
    return f"{p.lost[0]:,}"


def print_table(phases: list[Phase], baseline: float, final: float) -> None:
    header = (f"{'rate/s':>8} {'viewers':>7} {'published':>10} {'pub/s':>8} {'delivered':>10} "
              f"{'skipped':>10} {'exact':>5} {'lost':>9} {'acct':>4} {'p50 ms':>7} "
              f"{'p99 ms':>7} {'omem MB':>7} {'bare MB':>7} "
              f"{'conns':>5} {'RSS MB':>7} {'drain':>6} {'dash%':>5} {'bench%':>6} {'busy%':>5} "
              f"{'load':>14}")
    print("\n" + header)
    print("-" * len(header))
    for p in phases:
        print(f"{p.rate:>8,} {p.viewers:>7} {p.published:>10,} "
              f"{p.publisher.get('achieved_rate', 0):>8,.0f} {sum(p.delivered):>10,} "
              f"{sum(p.skipped):>10,} {'yes' if p.exact else 'NO':>5} {_lost(p):>9} "
              f"{'yes' if p.accounted else 'NO':>4} {p.lag(0.5):>7.0f} "
              f"{p.lag(0.99):>7.0f} {p.omem_peak_mb:>7.2f} {p.bare_omem_peak_mb:>7.2f} "
              f"{p.connections_peak:>5} "
              f"{p.rss_peak:>7.1f} {p.drain_ratio:>6.2f} {p.dashboard_cpu:>5.0f} "
              f"{p.bench_cpu:>6.0f} "
              f"{p.machine_busy:>5.0f} "
              f"{p.loadavg:>14}")
    print(f"RSS baseline {baseline:.1f} MB, final {final:.1f} MB ({final - baseline:+.1f} MB). "
          "delivered/skipped: summed over the viewers; exact: each viewer's delivered + skipped "
          "= published; lost: what the page reported lost when Redis cut the dashboard off "
          "(viewer 1); acct: delivered + skipped + lost = published for every viewer; "
          "lag: publish -> SSE event here; omem: Redis's output buffer for the "
          "dashboard's connection, peak (CLIENT LIST every 5 ms, from a process of its own); bare "
          "MB: the same for the bare subscriber (in its own pass at that rate, alone on the "
          "channel, unless --floor together); conns: the dashboard's subscribed "
          "connections, peak; drain: the dashboard's drain rate / a bare redis.asyncio "
          "subscriber's (the same pass), same run; dash%/bench%: CPU of the dashboard process "
          "and of this one (its viewers reading the streams), % of one core; busy%/load: the "
          "whole machine.")
    print("\nTargets:")
    for name, ok, detail in targets(phases, baseline, final):
        print(f"  {verdict(ok)}  {name:<44} {detail}")
