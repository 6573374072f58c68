"""Bounded counting of a stream of names (keys, namespaces): the space-saving algorithm
(Metwally, Agrawal, El Abbadi 2005) over a sliding window.

`SpaceSaving(capacity)` keeps at most `capacity` counters: a name not counted yet, once they
are all taken, replaces the smallest one and inherits its count (recorded as that name's
possible overcount, `error`). Any name counted more than total/capacity times is guaranteed a
counter, so the top of the list is right however many distinct names go by; memory stays at
`capacity` entries. `Window` keeps one such counter per slice of time (6 x 10 s for the last
minute) and adds them up when asked."""

from __future__ import annotations

import heapq
import time
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Counted:
    name: bytes
    count: int
    error: int  # the count may be over by at most this much

    @property
    def exact(self) -> bool:
        return self.error == 0


class SpaceSaving:
    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.counts: dict[bytes, list[int]] = {}  # name -> [count, error]
        self.total = 0

    def add(self, name: bytes, amount: int = 1) -> None:
        self.total += amount
        entry = self.counts.get(name)
        if entry is not None:
            entry[0] += amount
            return
        if len(self.counts) < self.capacity:
            self.counts[name] = [amount, 0]
            return
        # O(capacity) to find the smallest: capacities are a few hundred, and a flood reaches
        # here at most a batch at a time.
        smallest = min(self.counts, key=lambda n: self.counts[n][0])
        floor = self.counts.pop(smallest)[0]
        self.counts[name] = [floor + amount, floor]

    def top(self, k: int) -> list[Counted]:
        best = heapq.nlargest(k, self.counts.items(), key=lambda item: item[1][0])
        return [Counted(name, count, error) for name, (count, error) in best]


class Window:
    """Counts over the last `slices` x `seconds`, each slice a SpaceSaving of `capacity`."""

    def __init__(self, capacity: int, slices: int = 6, seconds: float = 10.0,
                 clock=time.monotonic) -> None:
        self.capacity, self.seconds, self.clock = capacity, seconds, clock
        self.slices: deque[tuple[int, SpaceSaving]] = deque(maxlen=slices)

    def _current(self) -> SpaceSaving:
        slot = int(self.clock() // self.seconds)
        if not self.slices or self.slices[-1][0] != slot:
            self.slices.append((slot, SpaceSaving(self.capacity)))
        return self.slices[-1][1]

    def add(self, name: bytes, amount: int = 1) -> None:
        self._current().add(name, amount)

    def _live(self) -> list[SpaceSaving]:
        oldest = int(self.clock() // self.seconds) - self.slices.maxlen + 1
        return [counter for slot, counter in self.slices if slot >= oldest]

    @property
    def total(self) -> int:
        return sum(counter.total for counter in self._live())

    def top(self, k: int) -> list[Counted]:
        merged: dict[bytes, list[int]] = {}
        for counter in self._live():
            for name, (count, error) in counter.counts.items():
                entry = merged.setdefault(name, [0, 0])
                entry[0] += count
                entry[1] += error
        best = heapq.nlargest(k, merged.items(), key=lambda item: item[1][0])
        return [Counted(name, count, error) for name, (count, error) in best]
