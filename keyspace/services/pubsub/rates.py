"""A rate over a sliding window of arrival times.

Counted when things arrive, not when they are handed on: a consumer that stalls and then
catches up does not make the rate jump, and the rate falls to zero once arrivals stop.
"""

from __future__ import annotations

import collections
import time

SLOT_SECONDS = 0.25


class ArrivalRate:
    """Arrivals per second over the last `window` seconds, kept as counts per short slot, so
    memory stays a handful of numbers whatever the arrival rate."""

    def __init__(self, window: float = 2.0, *, clock=time.monotonic) -> None:
        self.window = window
        self.clock = clock
        self.started = clock()
        self.slots: collections.deque[list[int]] = collections.deque()  # [slot, count]

    def count(self, n: int = 1) -> None:
        slot = int(self.clock() / SLOT_SECONDS)
        if self.slots and self.slots[-1][0] == slot:
            self.slots[-1][1] += n
        else:
            self.slots.append([slot, n])
            self._forget(slot)

    def per_second(self) -> float:
        now = self.clock()
        current = int(now / SLOT_SECONDS)
        self._forget(current)
        # The window ends now and starts at a slot boundary; a young stream divides by its age.
        first = current - self._slots_kept() + 1
        covered = min(now - first * SLOT_SECONDS, now - self.started)
        return sum(n for _, n in self.slots) / max(covered, SLOT_SECONDS)

    def _slots_kept(self) -> int:
        return max(1, round(self.window / SLOT_SECONDS))

    def _forget(self, current: int) -> None:
        oldest = current - self._slots_kept() + 1
        while self.slots and self.slots[0][0] < oldest:
            self.slots.popleft()
