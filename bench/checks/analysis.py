"""The analysis pass against its raw floor: the same commands from the same Python, each in a
process of its own (bench/analysis_pass.py), runs interleaved; the dashboard's memory during
the pass against the namespaces it tracked; SLOWLOG entries over 10 ms from either client."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

import redis
from report import Row, ratio_row, section, value_row

PASS_SCRIPT = Path(__file__).resolve().parent.parent / "analysis_pass.py"
RATIO_LIMIT = 1.5
SLOW_US = 10_000
# Memory that follows namespaces, not keys: a tracked namespace costs its list of counts and
# its name (under 1 KB); the rest (interpreter, heaps of 100 keys, one batch) is fixed.
BYTES_PER_NAMESPACE = 1024
FIXED_MB = 24
CLIENTS = (b"redis-dashboard", b"bench-raw")


def run_pass(mode: str, port: int, db: int) -> dict:
    done = subprocess.run([sys.executable, str(PASS_SCRIPT), mode, "--port", str(port),
                           "--db", str(db)], capture_output=True, text=True, check=True,
                          timeout=3600)
    return json.loads(done.stdout.strip().splitlines()[-1])


def check(port: int, db: int, runs: int, label: str) -> list[Row]:
    client = redis.Redis(port=port, db=db)
    client.config_set("slowlog-log-slower-than", 1000)
    client.config_set("slowlog-max-len", 100_000)
    client.slowlog_reset()
    results: dict[str, list[dict]] = {"dashboard": [], "raw": [], "raw-unpaced": []}
    for _ in range(runs):
        for mode in results:
            results[mode].append(run_pass(mode, port, db))
    slow = [e for e in client.slowlog_get(100_000)
            if e.get("client_name") in CLIENTS and e["duration"] > SLOW_US]
    client.close()
    return _rows(results, slow, label, runs)


def _median(results: list[dict], field: str) -> float:
    return statistics.median(result[field] for result in results)


def _rows(results: dict[str, list[dict]], slow: list[dict], label: str, runs: int) -> list[Row]:
    keys = results["dashboard"][0]["keys"]
    mine = _median(results["dashboard"], "seconds") * 1000
    paced = _median(results["raw"], "seconds") * 1000
    unpaced = _median(results["raw-unpaced"], "seconds") * 1000
    growth_mb = _median(results["dashboard"], "rss_growth_kb") / 1024
    namespaces = results["dashboard"][0]["namespaces"]
    memory_limit = FIXED_MB + namespaces * BYTES_PER_NAMESPACE / 2**20
    return [
        section(f"analysis pass ({label}, {keys:,} keys, median of {runs})"),
        ratio_row("full pass vs raw pass, same pacing (ms)", mine, paced, RATIO_LIMIT),
        ratio_row("full pass vs raw pass, COUNT 1000 unpaced (ms)", mine, unpaced, None),
        value_row("keys per second (dashboard pass)", f"{keys / (mine / 1000):,.0f}", "", None),
        value_row(f"dashboard memory growth ({namespaces:,} namespaces tracked)",
                  f"{growth_mb:.1f} MB", f"≤ {memory_limit:.1f} MB", growth_mb <= memory_limit,
                  floor=f"raw {_median(results['raw'], 'rss_growth_kb') / 1024:.1f} MB"),
        _slow_row("dashboard's commands over 10 ms (SLOWLOG)", slow, b"redis-dashboard", True),
        _slow_row("raw floor's commands over 10 ms (same commands: the machine's share)", slow,
                  b"bench-raw", False),
    ]


def _slow_row(case: str, slow: list[dict], client: bytes, judged: bool) -> Row:
    """SLOWLOG times a command by the clock: a Redis set aside by a busy machine mid-command
    logs the pause, so the raw floor's entries (the same commands) say how much is that."""
    mine = [entry for entry in slow if entry.get("client_name") == client]
    worst = max(mine, key=lambda entry: entry["duration"], default=None)
    shown = f"{len(mine)}"
    if worst:
        command = worst["command"][:30].decode("utf-8", "replace")
        shown += f" (worst {worst['duration'] / 1000:.1f} ms: {command})"
    return value_row(case, shown, "0" if judged else "", (not mine) if judged else None)
