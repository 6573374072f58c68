"""Live lists: rows of the key list and a leaderboard kept current from notifications.

The key list subscribes to the pattern of its filter (`__keyspace@<db>__:<match>`); the page
names the keys it shows by short digests (`seen`), so the stream re-reads the metadata of
those keys only (one pipeline per interval, at most the page's rows) and merely counts the
others. A leaderboard watches its key and re-reads its board (bounded by its size) once per
interval in which the key changed."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from asgiref.sync import sync_to_async

from keyspace.conf import app_settings
from keyspace.redis.connection import get_client
from keyspace.services.browse import KeyRow, keys_metadata
from keyspace.services.live import events, feed

MAX_SEEN = 1000


def short_digest(key: bytes) -> str:
    """How a page names a key it shows, briefly (a clash only costs a needless re-read)."""
    return hashlib.sha1(key, usedforsecurity=False).hexdigest()[:8]


def parse_seen(text: str) -> frozenset[str]:
    parts = [text[i:i + 8] for i in range(0, min(len(text), 8 * MAX_SEEN), 8)]
    return frozenset(p for p in parts if len(p) == 8)


@dataclass(frozen=True)
class KeyListChanges:
    rows: list[KeyRow] = field(default_factory=list)  # shown keys as they are now
    gone: dict[bytes, str] = field(default_factory=dict)  # shown key -> what happened
    others: int = 0  # keys matching the page's filter that changed, not shown


async def watch_keys(db: int, match: bytes | None, seen: frozenset[str]
                     ) -> AsyncIterator[KeyListChanges | feed.Status | None]:
    stream = feed.notifications(db, patterns=(events.key_pattern(db, match or b"*"),))
    others = 0
    try:
        async for item in stream:
            if isinstance(item, feed.Status):
                yield item
                continue
            shown: dict[bytes, str] = {}
            for message in item.messages:
                key = events.key_of(db, message.channel)
                if key is None:
                    continue
                if short_digest(key) in seen:
                    shown[key] = events.event_name(message.data)
                else:
                    others += 1
            if not shown and not (item.messages and others):
                yield None
                continue
            yield await sync_to_async(_read)(db, shown, others)
    finally:
        await stream.aclose()


def _read(db: int, shown: dict[bytes, str], others: int) -> KeyListChanges:
    gone = {k: e for k, e in shown.items() if e in events.GONE}
    rows = keys_metadata(get_client(db), [k for k in shown if k not in gone])
    present = {row.name for row in rows}
    gone |= {k: "gone" for k in shown if k not in gone and k not in present}
    return KeyListChanges(rows=rows, gone=gone, others=others)


async def watch_board(db: int, key: bytes, draw: Callable[[], str]
                      ) -> AsyncIterator[str | feed.Status | None]:
    """The board as `draw()` reads and draws it (a bounded read: the board's own size), after
    each interval in which the key changed, when it differs from the last one sent."""
    if not (await sync_to_async(_notifications)(db)).for_keys:
        async for item in _timed_board(draw):
            yield item
        return
    stream = feed.notifications(db, channels=(events.key_channel(db, key),))
    last = None
    try:
        async for item in stream:
            if isinstance(item, feed.Status):
                yield item
                continue
            if not item.messages and not item.skipped:
                yield None
                continue
            html, failed = await feed.read(draw)
            if failed:
                yield failed
                if failed.final:
                    return
                continue
            if html != last:
                last = html
                yield html
    finally:
        await stream.aclose()


def _notifications(db: int) -> events.Notifications:
    return events.read_notifications(get_client(db))


async def _timed_board(draw: Callable[[], str]):
    """Notifications off: the board read and compared on a timer (DASHBOARD_LIVE_CHECK_SECONDS)."""
    every = app_settings.LIVE_CHECK_SECONDS
    yield feed.Status(f"keyspace notifications are off: checking every {every} s")
    last = None
    while True:
        html, failed = await feed.read(draw)
        if failed:
            yield failed
            if failed.final:
                return
            html = last
        if last is None:  # the page drew the board: the first read is what it shows
            last = html
            yield None
        elif html != last:
            last = html
            yield html
        else:
            yield None
        await asyncio.sleep(every)
