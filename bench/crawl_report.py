"""What the crawl cost Redis, from Redis's own books: SLOWLOG entries of the dashboard's named
connections, INFO commandstats, and the PING client's round trips with and without the crawl.
Rows for the results table (report.py)."""

from __future__ import annotations

import redis
from crawler import CrawlResult
from ping_probe import Latency
from redis_work import RedisWork
from report import Row, section, value_row

SLOW_MS = 10.0
LOGGED_FROM_US = 1000  # SLOWLOG keeps every command from 1 ms on: the longest is among them
LOG_LENGTH = 200_000
PING_RISE_MS = 2.0


def start_slowlog(client: redis.Redis) -> None:
    client.config_set("slowlog-log-slower-than", LOGGED_FROM_US)
    client.config_set("slowlog-max-len", LOG_LENGTH)
    client.slowlog_reset()


def slowlog_entries(client: redis.Redis) -> tuple[list[dict], bool]:
    """Every SLOWLOG entry since `start_slowlog`, and whether the log overflowed."""
    entries = client.slowlog_get(LOG_LENGTH)
    return entries, len(entries) >= LOG_LENGTH


def of_client(entries: list[dict], name: bytes) -> list[dict]:
    return [entry for entry in entries if entry.get("client_name") == name]


def _command(entry: dict) -> str:
    return entry["command"].decode("utf-8", "replace")[:60]


def slowlog_rows(entries: list[dict], overflowed: bool, pings: list[dict]) -> list[Row]:
    """`pings`: entries of the PING client. A PING takes about a microsecond inside Redis, so
    one logged over 1 ms means the machine held Redis up: those are the noise of the run."""
    slow = [e for e in entries if e["duration"] > SLOW_MS * 1000]
    longest = max(entries, key=lambda e: e["duration"], default=None)
    longest_text = (f"{longest['duration'] / 1000:.2f} ms: {_command(longest)}" if longest
                    else f"< {LOGGED_FROM_US / 1000:g} ms (none logged)")
    worst_slow = ", ".join(f"{e['duration'] / 1000:.1f} ms {_command(e)[:30]}" for e in
                           sorted(slow, key=lambda e: -e["duration"])[:3])
    return [
        section("Redis's SLOWLOG, connections named redis-dashboard"),
        value_row(f"dashboard commands over {SLOW_MS:g} ms", str(len(slow)) +
                  (f" ({worst_slow})" if slow else ""), "0", not slow and not overflowed),
        value_row("longest dashboard command", longest_text, "", None),
        value_row(f"dashboard commands over {LOGGED_FROM_US / 1000:g} ms", f"{len(entries):,}"
                  + (" (log overflowed)" if overflowed else ""), "", None),
        value_row("PINGs logged over 1 ms (the machine held Redis up)", str(len(pings)) +
                  (f", longest {max(e['duration'] for e in pings) / 1000:.1f} ms" if pings
                   else ""), "", None),
    ]


def work_rows(work: RedisWork, crawl: CrawlResult) -> list[Row]:
    busiest = sorted(work.by_command.items(), key=lambda item: -item[1][1])[:4]
    share = work.ms / crawl.wall_ms * 100 if crawl.wall_ms else 0.0
    return [
        section("Redis time the dashboard used (INFO commandstats over the crawl, PING left out)"),
        value_row("total Redis time", f"{work.ms:,.0f} ms in {work.calls:,} commands",
                  "", None, floor=f"{share:.1f}% of the crawl's time"),
        value_row("most of it", ", ".join(f"{name} {usec / 1000:,.0f} ms ×{calls:,}"
                                          for name, (calls, usec) in busiest), "", None),
    ]


def ping_rows(baseline: Latency, during: Latency) -> list[Row]:
    rise = during.p99 - baseline.p99
    return [
        section("PING from another client, once a millisecond (ms per round trip)"),
        value_row("p50 during the crawl", f"{during.p50:.3f}", "", None,
                  floor=f"{baseline.p50:.3f} without"),
        value_row("p99 during the crawl", f"{during.p99:.3f}",
                  f"≤ {baseline.p99 + PING_RISE_MS:.3f} (+{PING_RISE_MS:g})",
                  rise <= PING_RISE_MS, floor=f"{baseline.p99:.3f} without"),
        value_row("worst during the crawl", f"{during.worst:.2f}", "", None,
                  floor=f"{baseline.worst:.2f} without"),
        value_row("PINGs measured (without / during)", f"{baseline.count:,} / {during.count:,}",
                  "", None),
    ]


def crawl_rows(crawl: CrawlResult, checks: dict[str, bool]) -> list[Row]:
    errors = sum(count for status, count in crawl.statuses.items() if status >= 500)
    statuses = ", ".join(f"{status}×{count}" for status, count in sorted(crawl.statuses.items()))
    rows = [
        section("the crawl: every view reachable by links, GET only"),
        value_row("requests (status × count)", f"{crawl.requests:,} ({statuses})", "", None),
        value_row("kinds of view visited", f"{len(crawl.shapes)}", "", None),
        value_row("pages following themselves: chains / longest",
                  f"{crawl.chains} / {crawl.longest_chain} pages", "", None),
        value_row("chains cut short (still following after 20,000 pages)",
                  str(crawl.unfinished_chains), "0", not crawl.unfinished_chains),
        value_row("slowest request", f"{crawl.worst_ms:,.0f} ms {crawl.worst_url[:50]}", "",
                  None),
        value_row("server errors (5xx)", str(errors), "0", not errors),
    ]
    rows += [value_row(name, "yes" if done else "no", "yes", done) for name, done in checks.items()]
    return rows
