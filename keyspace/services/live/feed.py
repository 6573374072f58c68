"""The one place live pages subscribe to notifications. Every live page reads its events
through `notifications()`; switching to a per-process shared subscription hub is a change
here only.

What callers get: batches of messages (`Batch`: `messages`, each with `channel`, `pattern`
and `data`; `skipped`, how many a flood dropped) once per `interval`, empty ones included
(a heartbeat), and `Status` items about the subscription itself (subscribed, lost,
reconnected, refused)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from keyspace.conf import app_settings
from keyspace.services.pubsub.live import Batch, Status, Subscription, open_streams, stream_messages

__all__ = ["Batch", "Status", "notifications", "stream_slots"]

# Live pages hold a stream like the pub/sub page does, against the same limit.
stream_slots = open_streams


def notifications(
    db: int, *, channels: tuple[bytes, ...] = (), patterns: tuple[bytes, ...] = (),
    max_batch: int | None = None,
) -> AsyncIterator[Batch | Status]:
    subscription = Subscription(channels=tuple(channels), patterns=tuple(patterns))
    return stream_messages(subscription, db, interval=app_settings.LIVE_INTERVAL,
                           max_batch=max_batch or app_settings.PUBSUB_MAX_BATCH)
