"""An application stand-in: a client that sends PING to Redis once a millisecond, on its own
connection, and records how long each reply took. Run as a subprocess (its own interpreter,
so the benchmark's work never delays its timing); `PingProbe` starts it, and reads its
samples after it stops.

    python bench/ping_probe.py PORT OUT_FILE [INTERVAL_MS]

Each sample is two doubles: when the PING was sent (time.monotonic(), the same clock in every
process) and its round trip in milliseconds. SIGTERM ends the loop and writes the file.
"""

from __future__ import annotations

import signal
import socket
import statistics
import subprocess
import sys
import time
from array import array
from dataclasses import dataclass
from pathlib import Path

PING = b"*1\r\n$4\r\nPING\r\n"
PONG = b"+PONG\r\n"


def ping_loop(port: int, out: Path, interval_ms: float) -> None:
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    samples = array("d")
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(b"*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$10\r\nbench-ping\r\n")
        sock.recv(64)
        next_at = time.monotonic()
        while not stop:
            sent = time.monotonic()
            sock.sendall(PING)
            reply = b""
            while len(reply) < len(PONG):
                reply += sock.recv(64)
            samples.extend((sent, (time.monotonic() - sent) * 1000))
            next_at += interval_ms / 1000
            pause = next_at - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            else:  # fell behind (the machine was busy): carry on from now
                next_at = time.monotonic()
    out.write_bytes(samples.tobytes())


@dataclass(frozen=True)
class Latency:
    count: int
    p50: float
    p99: float
    worst: float


def latency(values: list[float]) -> Latency:
    if len(values) < 100:
        return Latency(len(values), float("nan"), float("nan"), float("nan"))
    cuts = statistics.quantiles(values, n=100)
    return Latency(len(values), cuts[49], cuts[98], max(values))


class PingProbe:
    """The PING subprocess: started with `start`, stopped by `stop`, which returns every
    (sent, ms) sample; `between` picks the round trips of one window of time."""

    def __init__(self, port: int, work_dir: Path, interval_ms: float = 1.0):
        self.out = work_dir / "pings.bin"
        self.command = [sys.executable, __file__, str(port), str(self.out), str(interval_ms)]
        self.process: subprocess.Popen | None = None
        self.samples: list[tuple[float, float]] = []

    def start(self) -> PingProbe:
        self.process = subprocess.Popen(self.command)
        return self

    def stop(self) -> list[tuple[float, float]]:
        if self.process is None:
            return self.samples
        self.process.terminate()
        self.process.wait(30)
        self.process = None
        flat = array("d")
        flat.frombytes(self.out.read_bytes())
        self.samples = list(zip(flat[0::2], flat[1::2], strict=True))
        return self.samples

    def between(self, start: float, end: float) -> list[float]:
        return [ms for sent, ms in self.samples if start <= sent < end]


if __name__ == "__main__":
    ping_loop(int(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3]) if sys.argv[3:] else 1.0)
