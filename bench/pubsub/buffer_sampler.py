"""Redis's output buffers for pub/sub clients, sampled every few milliseconds in a process of
its own (the benchmark's event loop, busy reading ten SSE streams, would sample late and miss
peaks: at 100,000 1 KB messages/s a buffer grows 1 MB in 10 ms).

Each line on stdin ("reset" or anything else) gets one JSON line back: per client name, the
peak `omem` and the most connections seen since the last reset, and the number of samples.

    .venv/bin/python bench/pubsub/buffer_sampler.py --url redis://127.0.0.1:6379/0
"""

from __future__ import annotations

import argparse
import json
import select
import sys
import time

import redis


def main(url: str, interval: float) -> None:
    client = redis.Redis.from_url(url, client_name="bench-buffer-sampler")
    peaks: dict[str, dict] = {}
    samples, started = 0, time.monotonic()
    print(json.dumps({"ready": True}), flush=True)
    while True:
        ready, _, _ = select.select([sys.stdin], [], [], interval)
        if ready:
            line = sys.stdin.readline()
            if not line:
                return
            print(json.dumps({"clients": peaks, "samples": samples,
                              "seconds": time.monotonic() - started}), flush=True)
            if line.strip() == "reset":
                peaks, samples, started = {}, 0, time.monotonic()
            continue
        counts: dict[str, int] = {}
        for entry in client.client_list(_type="pubsub"):
            name = entry.get("name") or "?"
            counts[name] = counts.get(name, 0) + 1
            peak = peaks.setdefault(name, {"omem": 0, "connections": 0})
            peak["omem"] = max(peak["omem"], int(entry["omem"]))
        for name, count in counts.items():
            peaks[name]["connections"] = max(peaks[name]["connections"], count)
        samples += 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--interval", type=float, default=0.005, help="seconds between samples")
    args = parser.parse_args()
    main(args.url, args.interval)
