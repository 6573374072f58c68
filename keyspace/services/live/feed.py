"""The one place live pages subscribe to notifications: a viewer of the process's shared
subscription for the channels and patterns asked (services/pubsub/hub.py), so every live page
of one key (or one pattern) in a process shares one Redis connection, closed when the last
leaves.

What callers get: batches of messages (`Batch`: `messages`, each with `channel`, `pattern`
and `data`; `skipped`, how many a flood dropped) once per DASHBOARD_LIVE_INTERVAL, empty ones
included (a heartbeat), and `Status` items about the subscription itself (subscribed, lost,
reconnected, refused); `resubscribed(status)` says whether events may have been missed
before it, so what a page shows must be read again."""

from __future__ import annotations

from collections.abc import AsyncIterator

from keyspace.conf import app_settings
from keyspace.services.pubsub.hub import hub
from keyspace.services.pubsub.messages import Batch, Status
from keyspace.services.pubsub.slots import stream_slot

# Live pages hold a stream slot (`stream_slot`) like the pub/sub page does, against the same
# limit, counted across every worker process.
__all__ = ["Batch", "Status", "notifications", "resubscribed", "stream_slot"]


async def notifications(
    db: int, *, channels: tuple[bytes, ...] = (), patterns: tuple[bytes, ...] = (),
    max_batch: int | None = None,
) -> AsyncIterator[Batch | Status]:
    async with hub.subscribe(db, channels=channels, patterns=patterns) as feed:
        batches = feed.batches(interval=app_settings.LIVE_INTERVAL,
                               max_batch=max_batch or app_settings.PUBSUB_MAX_BATCH)
        async for item in batches:
            yield item


def resubscribed(status: Status) -> bool:
    """The subscription is (again) in place: events before it may not have been received."""
    return not status.final and (status.text == "subscribed"
                                 or status.text.startswith("reconnected"))
