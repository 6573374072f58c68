"""One viewer of a shared subscription: its own position in the shared ring, its own pace.

Nothing here runs per message received: a viewer learns how many arrived since its last
batch from a counter, and builds Message objects only for the ones it hands out.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from keyspace.services.pubsub.messages import Batch, Status

if TYPE_CHECKING:
    from keyspace.services.pubsub.reader import SharedReader


class Allowance:
    """How many messages a viewer may be handed: `max_batch` per `interval`, and what a late
    or light batch did not use is saved for the next, up to `ceiling` (what the ring holds).

    So the cap scales with the time since the last batch, and also covers the other stall: the
    reader held up with the rest of the process, a batch due at once finding only part of
    the backlog read, and the next one, an interval later, finding the rest."""

    def __init__(self, max_batch: int, interval: float, *, clock=time.monotonic) -> None:
        self.max_batch, self.interval, self.clock = max_batch, interval, clock
        self.saved = 0.0
        self.at = clock()

    def budget(self, ceiling: int) -> int:
        now = self.clock()
        earned = self.max_batch * (now - self.at) / self.interval if self.interval > 0 else 0
        self.saved, self.at = min(float(ceiling), self.saved + earned), now
        return max(self.max_batch, int(self.saved))

    def spend(self, handed_out: int) -> None:
        self.saved = max(0.0, self.saved - handed_out)

    def forfeit(self) -> None:
        """Under a flood nothing is saved: a catch-up batch would only cost rendering."""
        self.saved = 0.0


BEHIND_INTERVAL = 1.0  # while the reader is behind, one batch a second at most


def _next_tick(now: float, interval: float) -> float:
    """Batches fall on a grid shared by every viewer in the process: viewers of one
    subscription take at the same moment, get the same newest messages, and the page
    renders them once (see views/pubsub.py)."""
    return (math.floor(now / interval) + 1) * interval if interval > 0 else now


class Feed:
    def __init__(self, shared: SharedReader) -> None:
        self.shared = shared
        self.position = shared.total  # messages received before joining are not ours
        self.status_serial = shared.serial
        self._replay = [shared.state] if shared.state is not None else []

    @property
    def client_id(self) -> int | None:
        """Redis's id of the shared connection (changes on every reconnect)."""
        return self.shared.client_id

    def take(self, budget: int) -> Batch:
        """The newest messages since the last take, at most `budget`; the rest are skipped."""
        shared = self.shared
        total = shared.total
        new, self.position = total - self.position, total
        kept = min(new, budget, len(shared.ring))
        return Batch(shared.recent(kept), new - kept, shared.rate.per_second(),
                     source=shared.serial_number, first_seq=total - kept + 1)

    def new_statuses(self) -> list[Status]:
        statuses, self._replay = self._replay, []
        for serial, status in self.shared.statuses:
            if serial > self.status_serial:
                statuses.append(status)
        self.status_serial = self.shared.serial
        return statuses

    async def batches(self, *, interval: float, max_batch: int) -> AsyncIterator[Batch | Status]:
        """A batch per `interval` (possibly empty: a heartbeat), statuses as they happen; ends
        after a final status."""
        self.shared.grow(max_batch)
        allowance = Allowance(max_batch, interval)
        tick = _next_tick(time.monotonic(), interval)
        held_until = None  # while the reader is behind, batches wait until then at most
        while True:
            if time.monotonic() >= tick:  # reading first, until the next tick at most
                await self.shared.read_first(tick + interval)
            statuses = self.new_statuses()
            now = time.monotonic()
            due = now >= tick
            # Asked once per turn: the answer is the socket's state now (wire.py), and may
            # change between two asks.
            lagging = due and self._flooded(max_batch, interval) and self.shared.lagging
            if held_until is None and lagging:
                held_until = _next_tick(now, BEHIND_INTERVAL)
            if lagging and now < held_until and not statuses:
                # Reading comes first: while the reader has a backlog, rendering waits (at
                # most BEHIND_INTERVAL, then a small batch), so Redis holds no backlog for us.
                tick = _next_tick(now, interval)
            elif due or (statuses and self.shared.total != self.position):
                # Messages that came before a status are handed out before it.
                batch = self.take(self._budget(allowance, max_batch, interval))
                allowance.spend(len(batch.messages))
                tick, held_until = _next_tick(now, interval), None
                yield batch
            for status in statuses:
                yield status
                if status.final:
                    return
            await self._wait(tick - time.monotonic())

    def _budget(self, allowance: Allowance, max_batch: int, interval: float) -> int:
        """Saved-up allowance after a stall; under a flood (arrivals above what the cap
        hands out) the plain cap, and a tenth of it while the reader is behind: rendering
        costs far more per message than reading, and reading must keep up. Below a flood
        a backlog on the socket is a pause of the process, soon read: nothing is cut."""
        shared = self.shared
        budget = allowance.budget(shared.capacity)
        if self._flooded(max_batch, interval):
            allowance.forfeit()
            return max(1, max_batch // 10) if shared.lagging else max_batch
        return budget

    def _flooded(self, max_batch: int, interval: float) -> bool:
        return self.shared.rate.per_second() > max_batch / interval

    async def _wait(self, seconds: float) -> None:
        if seconds <= 0:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self.shared.status_event.wait()
