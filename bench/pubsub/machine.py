"""What a process and the machine are doing, from /proc (Linux)."""

from __future__ import annotations

import os


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values) - idle, sum(values)


def loadavg() -> str:
    with open("/proc/loadavg") as file:
        return " ".join(file.read().split()[:3])


class Usage:
    """CPU use between `Usage()` and `done()`: the machine's busy share, a process's share of
    one core."""

    def __init__(self, *pids: int) -> None:
        self.pids = pids
        self.busy = machine_busy()
        self.cpu = [cpu_seconds(pid) for pid in pids]

    def done(self, wall: float) -> tuple[float, list[float]]:
        busy = machine_busy()
        machine = 100 * (busy[0] - self.busy[0]) / max(1, busy[1] - self.busy[1])
        shares = [100 * (cpu_seconds(pid) - before) / wall
                  for pid, before in zip(self.pids, self.cpu, strict=True)]
        return machine, shares
