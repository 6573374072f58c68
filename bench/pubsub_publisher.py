"""The pub/sub benchmark's publisher: its own process, so publishing and reading never share
a GIL. Publishes `--rate` messages/s for `--seconds` to one channel, paced in small
pipelined bursts (one per tick), each payload JSON {"seq": n, "t": <publish time>, "pad": …}.

Commands are packed by hand and written to a raw socket: redis-py's Pipeline costs more
client CPU per message than the dashboard spends reading it, and on a busy 2-core machine it
could not keep 50,000/s. Prints one JSON line with what it did. Run by
bench/pubsub_bench.py; it can be run by hand too:

    .venv/bin/python bench/pubsub_publisher.py --url redis://127.0.0.1:6379/0 --rate 1000
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import time
from urllib.parse import urlparse

MAX_PIPELINE = 1000  # a publisher that fell behind catches up in bursts of this size


class Publisher:
    """PUBLISH over one raw connection, a burst at a time, counting the integer replies."""

    def __init__(self, url: str, channel: str, pad: str):
        parts = urlparse(url)
        self.sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        name = channel.encode()
        self.head = b"*3\r\n$7\r\nPUBLISH\r\n$%d\r\n%s\r\n" % (len(name), name)
        self.pad = pad
        self.pending = b""

    def burst(self, first_seq: int, count: int) -> list[int]:
        """Publish seq first_seq.. first_seq+count-1; the receiver count of each."""
        parts = []
        head, pad = self.head, self.pad
        for seq in range(first_seq, first_seq + count):
            body = f'{{"seq": {seq}, "t": {time.time():.6f}, "pad": "{pad}"}}'.encode()
            parts.append(b"%s$%d\r\n%s\r\n" % (head, len(body), body))
        self.sock.sendall(b"".join(parts))
        return self._replies(count)

    def _replies(self, count: int) -> list[int]:
        replies: list[int] = []
        data = self.pending
        while len(replies) < count:
            *lines, data = data.split(b"\r\n")
            for line in lines:
                if not line.startswith(b":"):
                    raise RuntimeError(f"redis answered {line[:200]!r}")
                replies.append(int(line[1:]))
            if len(replies) < count:
                chunk = self.sock.recv(1 << 20)
                if not chunk:
                    raise ConnectionError("redis closed the connection")
                data += chunk
        self.pending = data
        return replies

    def close(self) -> None:
        self.sock.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--channel", default="bench")
    parser.add_argument("--rate", type=int, required=True, help="messages per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--first-seq", type=int, default=0)
    parser.add_argument("--tick-ms", type=float, default=10.0)
    parser.add_argument("--payload-bytes", type=int, default=1024)
    args = parser.parse_args(argv)

    # {"seq": 1000000, "t": 1764000000.123456, "pad": ""} is about 55 bytes.
    publisher = Publisher(args.url, args.channel, "x" * max(0, args.payload_bytes - 55))
    total = int(args.rate * args.seconds)
    tick = args.tick_ms / 1000
    seq = args.first_seq
    sent = receivers = unheard = 0
    max_behind = 0  # messages due but not yet sent, at the start of a tick
    cpu_start = time.process_time()
    started = time.time()  # wall clock, for the reader's drain rates
    start = time.perf_counter()
    next_tick = start
    while sent < total:
        elapsed = time.perf_counter() - start
        due = min(total, int(args.rate * elapsed) + 1)
        max_behind = max(max_behind, due - sent)
        while sent < due:
            burst = min(due - sent, MAX_PIPELINE)
            counts = publisher.burst(seq, burst)
            seq += burst
            sent += burst
            receivers += sum(counts)
            unheard += counts.count(0)
        next_tick += tick
        pause = next_tick - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        else:
            next_tick = time.perf_counter()  # behind schedule: no sleeping, no bunching
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    publisher.close()
    json.dump({
        "rate": args.rate,
        "started": started,
        "published": sent,
        "first_seq": args.first_seq,
        "last_seq": seq - 1,
        "elapsed": elapsed,
        "achieved_rate": sent / elapsed if elapsed else 0.0,
        "max_behind_ms": 1000 * max_behind / args.rate,
        "receivers": receivers,
        "unheard": unheard,
        "cpu_percent": 100 * cpu / elapsed if elapsed else 0.0,
    }, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
