"""How much one SCAN-family call may ask of Redis: a COUNT sized by the time calls take.

Redis runs one command at a time, so while a SCAN step runs every other client of the
server waits. COUNT says how many keys a step collects, not how long it takes: that depends
on the key names (a step over 4 KB names copies and hashes 4 MB per 1,000 keys, over 10 ms)
and on how busy the server is. So every step is timed, around the call (the round trip
included, so Redis's own share is smaller), and the next COUNT follows from it. After a
step that asked for the whole allowance and took under GROW_TO (80%) of
DASHBOARD_SCAN_STEP_MS, it grows toward the COUNT that step's time says would take 80% of
the target, at most doubling; after one that took longer than the target it is cut in
proportion (by 8 at most at once: a single slow step is as likely a busy machine as long
names). Growing only by what a step's own time allows, a step takes at most about the
target (a page's last step may stretch a quarter over the pace: at most about 1.25 times
it); one that overshoots (a stretch of longer names) is followed by a step sized to half the
target.

A scan with no history starts from the names themselves: a first COUNT of about
FIRST_BYTES of names (`count_for_names`), from a handful of names Redis hands back for
almost nothing (a SCAN of PROBE_COUNT, or the names the scan already holds).

Where several requests make one scan (key-list pages, namespace counts), the COUNT reached
travels with the scan's position (the page token, the stored count), never in one process's
memory.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from keyspace.conf import app_settings

T = TypeVar("T")

MIN_COUNT = 1
# The most one step asks for, whatever the timing says: about 2 ms of Redis time on ordinary
# names at a million keys (the timing keeps steps nearer 1 ms). A page token can name a COUNT
# up to this and no more.
MAX_COUNT = 2000
# A first step collects about this many bytes of names (a few hundred µs of Redis time)...
FIRST_BYTES = 256 * 1024
# ...counting each key's fixed cost as this many bytes more (a 10-byte name costs as much
# to collect as about 60 bytes of a long one)...
KEY_OVERHEAD_BYTES = 64
# ...judged from this many names, fetched with an unfiltered SCAN when none are at hand.
PROBE_COUNT = 8


# A step that took under this share of the target may grow, at most doubling, toward a step
# that takes about this share.
GROW_TO = 0.8


def target_ms() -> float:
    return float(app_settings.SCAN_STEP_MS)


def next_count(count: int, asked: int, elapsed_ms: float, *, ceiling: int = MAX_COUNT) -> int:
    """The COUNT allowed after a call that asked for `asked` (of an allowance of `count`)
    and took `elapsed_ms`."""
    target = target_ms()
    if elapsed_ms > target:
        # Aim the next step at half the target; always at least halve, at most divide by 8.
        scaled = int(asked * target / (2 * elapsed_ms))
        return max(MIN_COUNT, min(asked // 2, max(asked // 8, scaled)))
    if elapsed_ms < GROW_TO * target and asked >= count:
        # Toward the COUNT this step's time says would take GROW_TO of the target. The time
        # includes the round trip, which does not grow with COUNT: the estimate errs short.
        grown = int(asked * GROW_TO * target / elapsed_ms) if elapsed_ms > 0 else count * 2
        return max(MIN_COUNT, min(ceiling, count * 2, max(count, grown)))
    return max(MIN_COUNT, min(ceiling, count))


def count_for_names(names: Sequence[bytes], ceiling: int) -> int:
    """A first COUNT: about FIRST_BYTES of names like these, at most `ceiling`."""
    if not names:
        return ceiling
    average = sum(len(name) for name in names) / len(names)
    return max(MIN_COUNT, min(ceiling, int(FIRST_BYTES / (average + KEY_OVERHEAD_BYTES))))


class Pacer:
    """Runs calls of a scan one after another, each asking for the COUNT the ones before it
    allow (`count`), and keeps what their timing says for the next one."""

    def __init__(self, count: int, *, ceiling: int = MAX_COUNT):
        self.ceiling = ceiling
        self.count = max(MIN_COUNT, min(count, ceiling))
        self.last_ms = 0.0
        self.last_asked = 0

    def allowance(self, room: int | None = None) -> int:
        """What the next call asks for when `room` are wanted (None: as many as allowed): the
        pace, or fewer; or all of `room` when that is at most a quarter more than the pace,
        which aims at GROW_TO (80%) of the target: such a step takes about the target, at
        most about 1.25 times it (a pace kept after a step of 80-100%). A page is then not
        finished by an extra round trip for a few keys."""
        if room is None:
            return self.count
        if room <= min(self.ceiling, int(self.count / GROW_TO)):
            return max(MIN_COUNT, room)
        return self.count

    def call(self, scan: Callable[..., T], *, room: int | None = None) -> T:
        """`scan(count=...)`, timed; `room`: how many are wanted (see `allowance`)."""
        asked = self.allowance(room)
        started = time.perf_counter()
        result = scan(count=asked)
        self.observe(asked, (time.perf_counter() - started) * 1000)
        return result

    def expected_ms(self) -> float:
        """What the next call will likely take: the last one's time, scaled to the COUNT
        allowed now (0 before any call)."""
        return self.last_ms * self.count / self.last_asked if self.last_asked else 0.0

    def observe(self, asked: int, elapsed_ms: float) -> None:
        """Account for a call made elsewhere (in a pipeline, say) that asked for `asked`."""
        self.last_ms, self.last_asked = elapsed_ms, asked
        self.count = next_count(self.count, asked, elapsed_ms, ceiling=self.ceiling)
