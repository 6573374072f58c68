"""One viewer of a shared subscription: its own position in the shared ring, its own pace.

Nothing here runs per message received: a viewer learns how many arrived since its last
batch from a counter, and builds Message objects only for the ones it hands out.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from keyspace.services.pubsub.messages import Batch, Status

if TYPE_CHECKING:
    from keyspace.services.pubsub.reader import SharedReader


def scaled_budget(max_batch: int, elapsed: float, interval: float, ceiling: int) -> int:
    """The per-batch cap grows with the time since the last batch: a batch that comes late
    (the page or the machine stalled) may hand out what arrived meanwhile at the same pace,
    up to what the ring holds."""
    scaled = int(max_batch * elapsed / interval) if interval > 0 else max_batch
    return max(max_batch, min(ceiling, scaled))


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
        return Batch(shared.recent(kept), new - kept, shared.rate.per_second())

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
        last = time.monotonic()
        while True:
            statuses = self.new_statuses()
            now = time.monotonic()
            due = now - last >= interval
            if due or (statuses and self.shared.total != self.position):
                # Messages that came before a status are handed out before it.
                yield self.take(scaled_budget(max_batch, now - last, interval,
                                              self.shared.capacity))
                last = now
            for status in statuses:
                yield status
                if status.final:
                    return
            await self._wait(last + interval - time.monotonic())

    async def _wait(self, seconds: float) -> None:
        if seconds <= 0:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self.shared.status_event.wait()
