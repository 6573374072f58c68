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

from collections.abc import AsyncIterator, Callable
from typing import TypeVar

import redis
from asgiref.sync import sync_to_async

from keyspace.conf import app_settings
from keyspace.exceptions import BadRequest, DashboardError
from keyspace.services.pubsub.hub import hub
from keyspace.services.pubsub.messages import Batch, Status

# Live pages hold a stream slot (keyspace.services.pubsub.slots.held) like the pub/sub page
# does, against the same limit, counted across every worker process.
__all__ = ["READ_FAILURES", "Batch", "Status", "failed_read", "notifications", "read",
           "resubscribed"]
# What a live page's read of its key may raise while the stream runs: each is told on the
# stream (`failed_read`), never left to break it mid-response (and again on every reconnect).
READ_FAILURES = (DashboardError, redis.RedisError)
T = TypeVar("T")


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


async def read(work: Callable[..., T], *args) -> tuple[T | None, Status | None]:
    """`work(*args)` (a live page's read of its key) in a thread: (its result, None), or (None,
    what to tell the page, `failed_read`) when it raises one of READ_FAILURES."""
    try:
        return await sync_to_async(work)(*args), None
    except READ_FAILURES as exc:
        return None, failed_read(exc)


def failed_read(exc: Exception) -> Status:
    """What to tell a live page whose read of its key failed. A lost connection is passing
    (the page stays as it is; its next event, or the resubscription, reads again). Anything
    else (the key changed type and the page's filter, order or view does not apply to the new
    one; Redis refuses the read) would fail again on every read: the stream ends, saying so."""
    if isinstance(exc, (redis.ConnectionError, redis.TimeoutError)):
        return Status(f"could not read the key ({exc}); it is read again on its next change",
                      level="error")
    why = (f"{exc} (the key changed since the page was drawn)" if isinstance(exc, BadRequest)
           else f"the key cannot be read: {exc}")
    return Status(f"{why}; reload to see it as it is now", level="error", final=True)
