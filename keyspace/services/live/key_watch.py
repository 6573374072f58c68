"""A key page kept current from the key's notifications.

Events are gathered for a short interval (DASHBOARD_LIVE_INTERVAL), then the key is read once
more, bounded like drawing the page (metadata and the visible page only; for an event that
only changes a TTL, the metadata alone), and compared with what the page shows. However
large the key, a burst of events costs one such read per interval."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from keyspace.redis.connection import get_client
from keyspace.services.live import events, feed, snapshot
from keyspace.services.live.snapshot import Changes, Snapshot
from keyspace.units import PageRequest


@dataclass(frozen=True)
class Update:
    """One redraw: what changed, the key as it is now, and the events that caused it."""

    changes: Changes
    now: Snapshot
    events: tuple[str, ...] = ()


def read(db: int, key: bytes, request: PageRequest | None) -> Snapshot:
    return snapshot.take(get_client(db), key, request)


async def watch_key(
    db: int, key: bytes, request: PageRequest, *, shown_digest: str
) -> AsyncIterator[Update | feed.Status | None]:
    """Updates for the page of `key` drawn with `request`, whose rows had `shown_digest`.

    The key is read once subscribed (and again after a reconnect, when events may have been
    missed): what the page drew may be out of date by then, and the first update says so."""
    current: Snapshot | None = None
    stream = feed.notifications(db, channels=(events.key_channel(db, key),))
    try:
        async for item in stream:
            if isinstance(item, feed.Status):
                yield item
                if not feed.resubscribed(item):
                    continue
                step = _resync, (db, key, request, current, shown_digest)
            else:
                names = tuple(dict.fromkeys(events.event_name(m.data) for m in item.messages))
                names = tuple(n for n in names if n not in events.IGNORED)
                if current is None or (not names and not item.skipped):
                    yield None  # quiet: the caller may send a heartbeat
                    continue
                step = _step, (db, key, request, current, names)
            result, failed = await feed.read(step[0], *step[1])
            if failed:
                yield failed
                if failed.final:
                    return
                continue  # the page stays as it is; the next event reads the key again
            current, update = result
            if update.changes or step[0] is _resync:
                yield update
    finally:
        await stream.aclose()


def _resync(db: int, key: bytes, request: PageRequest, current: Snapshot | None, shown: str):
    now = read(db, key, request)
    if current is not None:
        return now, Update(snapshot.compare(current, now), now)
    opening = Changes(gone=True) if now.gone else Changes(
        meta=True, whole_value=now.digest != shown)
    return now, Update(opening, now)


def _step(db: int, key: bytes, request: PageRequest, current: Snapshot, names: tuple[str, ...]):
    if names and all(n in events.META_ONLY for n in names) and not current.gone:
        now = snapshot.with_meta(current, read(db, key, None))
    else:
        now = read(db, key, request)
    if now.gone and not current.gone and not events.GONE.intersection(names):
        names += _vanished(current, names)
    return now, Update(snapshot.compare(current, now), now, names)


def _vanished(before: Snapshot, names: tuple[str, ...]) -> tuple[str, ...]:
    """Why a key read as gone when its own events have not said so yet: a TTL ran out (its
    `expired` event follows, in the next interval), or nobody knows."""
    ttl = before.detail.ttl_ms if before.detail else None
    return ("expired",) if "expire" in names or (ttl is not None and ttl >= 0) else ()


def check_key(db: int, key: bytes, request: PageRequest, shown_digest: str) -> Update:
    """The timed check (notifications off): one bounded read, like drawing the page (TYPE,
    PTTL, OBJECT ENCODING, MEMORY USAGE, the length and the visible page), compared with the
    digest of what the page shows. The metadata is always redrawn (a TTL counts down)."""
    now = read(db, key, request)
    if now.gone:
        return Update(Changes(gone=True), now)
    return Update(Changes(meta=True, whole_value=now.digest != shown_digest), now)
