"""One analysis pass in a process of its own, for bench/checks/analysis.py; prints JSON.

    analysis_pass.py dashboard --port P --db D   # the dashboard's pass (scan_pass.analyse)
    analysis_pass.py raw --port P --db D         # the raw floor: the same commands, paced the
                                                 # same, packed with hiredis on a bare socket,
                                                 # replies read and dropped
    analysis_pass.py raw-unpaced ...             # the raw floor with SCAN COUNT 1000 always

Each reports its seconds, the keys it looked at, and how much its resident memory grew
during the pass (peak RSS at the end minus RSS before it).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import sys
import time
from pathlib import Path

import hiredis

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

BATCH_KEYS = 1000
UNPACED_COUNT = 1000
SAMPLES = 5


def rss_kb() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def peak_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class Raw:
    """A bare socket and a hiredis reader: the least a Python client can do."""

    def __init__(self, port: int, db: int):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.reader = hiredis.Reader()
        self.run([(b"CLIENT", b"SETNAME", b"bench-raw"), (b"SELECT", db)])

    def run(self, commands: list[tuple]) -> list:
        self.sock.sendall(b"".join(map(hiredis.pack_command, commands)))
        replies = []
        while len(replies) < len(commands):
            reply = self.reader.gets()
            if reply is False:
                self.reader.feed(self.sock.recv(1 << 20))
            else:
                replies.append(reply)
        return replies


LENGTH = {b"string": b"STRLEN", b"list": b"LLEN", b"set": b"SCARD", b"zset": b"ZCARD",
          b"hash": b"HLEN", b"stream": b"XLEN"}


def raw_pass(port: int, db: int, paced: bool) -> int:
    from keyspace.redis.pacing import MAX_COUNT, Pacer

    raw = Raw(port, db)
    pacer = Pacer(100 if paced else UNPACED_COUNT, ceiling=MAX_COUNT)
    cursor, pending, seen = 0, [], 0
    while True:
        def scan(count, at=cursor):
            (reply,) = raw.run([(b"SCAN", at, b"COUNT", count)])
            return int(reply[0]), reply[1]

        cursor, keys = pacer.call(scan) if paced else scan(UNPACED_COUNT)
        pending.extend(keys)
        if len(pending) < BATCH_KEYS and cursor != 0:
            continue
        commands = []
        for key in pending:
            commands += [(b"TYPE", key), (b"PTTL", key),
                         (b"MEMORY", b"USAGE", key, b"SAMPLES", SAMPLES),
                         (b"OBJECT", b"ENCODING", key)]
        replies = raw.run(commands)
        lengths = [(LENGTH[t], key) for t, key in zip(replies[::4], pending, strict=True)
                   if t in LENGTH]
        raw.run(lengths)
        seen += len(pending)
        pending = []
        if cursor == 0:
            return seen


def dashboard_pass(port: int, db: int) -> tuple[int, int]:
    from django.conf import settings

    from keyspace.conf import app_settings
    from keyspace.redis.connection import get_client, reset_pools
    from keyspace.services.analysis.scan_pass import analyse
    from keyspace.services.analysis.tally import Tally

    settings.REDIS_URL = f"redis://127.0.0.1:{port}/{db}"
    reset_pools()  # the default connection is read from the settings again
    tally = Tally(app_settings.NAMESPACE_DELIMITER.encode(), app_settings.ANALYSIS_MAX_NAMESPACES,
                  app_settings.NAMESPACE_MAX_FOLDERS)
    outcome = analyse(get_client(db), tally, memory_samples=SAMPLES)
    json.dumps(tally.report())  # the pass ends with its report, as the job stores it
    return outcome.scanned, len(tally.nodes)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["dashboard", "raw", "raw-unpaced"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", type=int, default=0)
    args = parser.parse_args()
    import django

    django.setup()
    import keyspace.units  # noqa: F401 - registered before the clock starts

    before = rss_kb()
    started = time.perf_counter()
    namespaces = 0
    if args.mode == "dashboard":
        keys, namespaces = dashboard_pass(args.port, args.db)
    else:
        keys = raw_pass(args.port, args.db, paced=args.mode == "raw")
    seconds = time.perf_counter() - started
    print(json.dumps({"mode": args.mode, "seconds": seconds, "keys": keys,
                      "rss_growth_kb": max(0, peak_kb() - before), "namespaces": namespaces}))


if __name__ == "__main__":
    main()
