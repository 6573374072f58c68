"""Redis time and commands, from `INFO commandstats` before and after a piece of work.

commandstats `usec` is the time Redis spent executing commands (not I/O). The "before"
INFO is counted in the "after" snapshot, so its own cost is calibrated (median of INFO
calls with nothing in between) and subtracted; INFO calls made by the work itself (the
dashboard's header reads INFO server/keyspace) stay in.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import redis

T = TypeVar("T")
INFO = "info"


@dataclass(frozen=True)
class Snapshot:
    commands: dict[str, tuple[int, int]]  # name -> (calls, usec)


@dataclass(frozen=True)
class RedisWork:
    by_command: dict[str, tuple[int, int]]

    @property
    def calls(self) -> int:
        return sum(calls for calls, _ in self.by_command.values())

    @property
    def ms(self) -> float:
        return sum(usec for _, usec in self.by_command.values()) / 1000


def snapshot(client: redis.Redis) -> Snapshot:
    info = client.execute_command("INFO", "commandstats")
    return Snapshot(
        {
            name.removeprefix("cmdstat_"): (stats["calls"], stats["usec"])
            for name, stats in info.items()
            if name.startswith("cmdstat_")
        }
    )


def _difference(before: Snapshot, after: Snapshot) -> dict[str, tuple[int, int]]:
    changed = {}
    for name, (calls, usec) in after.commands.items():
        old_calls, old_usec = before.commands.get(name, (0, 0))
        if calls != old_calls:
            changed[name] = (calls - old_calls, usec - old_usec)
    return changed


class WorkMeter:
    def __init__(self, client: redis.Redis):
        self.client = client
        self.info_usec = self._calibrate()

    def _calibrate(self, rounds: int = 30) -> int:
        costs = []
        previous = snapshot(self.client)
        for _ in range(rounds):
            current = snapshot(self.client)
            costs.append(_difference(previous, current).get(INFO, (0, 0))[1])
            previous = current
        return round(statistics.median(costs))

    def measure(self, work: Callable[[], T]) -> tuple[T, RedisWork]:
        before = snapshot(self.client)
        result = work()
        changed = _difference(before, snapshot(self.client))
        calls, usec = changed.pop(INFO, (1, self.info_usec))
        if calls > 1:
            changed[INFO] = (calls - 1, max(usec - self.info_usec, 0))
        return result, RedisWork(changed)


@dataclass
class CommandTally:
    """Every command the dashboard ran over the whole benchmark, and its worst average
    time per call within one request."""

    calls: dict[str, int] = field(default_factory=dict)
    worst_usec_per_call: dict[str, float] = field(default_factory=dict)

    def add(self, work: RedisWork) -> None:
        for name, (calls, usec) in work.by_command.items():
            self.calls[name] = self.calls.get(name, 0) + calls
            per_call = usec / calls
            self.worst_usec_per_call[name] = max(self.worst_usec_per_call.get(name, 0), per_call)
