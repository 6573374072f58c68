"""Following a stream: new entries as they arrive, read with `XREAD BLOCK` on a connection of
the follower's own (a blocked connection cannot be shared), in bounded batches.

Each read asks for at most `max_batch` entries after the last one handed out. A full batch
means more may be waiting: one `XREVRANGE … COUNT max_batch` then fetches the newest, and what
lies between is reported as skipped (with its ID range, so it can be read on the entries
page) instead of being sent, so a firehose costs the follower a constant amount per batch and
it never falls behind. Nothing is lost on a reconnect: the stream keeps its entries, and the
read resumes after the last ID handed out."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import redis

from keyspace.redis.connection import get_async_client
from keyspace.units.stream import ids
from keyspace.units.stream.unit import StreamRow, stream_rows

BLOCK_MS = 10_000  # one XREAD waits this long at most; an empty reply is a heartbeat


@dataclass(frozen=True)
class Status:
    """Something to tell the user about the follow itself."""

    text: str
    level: str = "info"
    final: bool = False  # the follow ends here and the browser should not retry soon


@dataclass(frozen=True)
class Skipped:
    first: str
    last: str
    count: int
    at_least: bool  # the count is a lower bound: more arrived than were looked at


@dataclass(frozen=True)
class Arrivals:
    rows: list[StreamRow]  # oldest first
    skipped: Skipped | None = None

    @property
    def last_id(self) -> str | None:
        return self.rows[-1].entry_id if self.rows else None


async def follow_entries(key: bytes, db: int, *, after: str | None, max_batch: int,
                         interval: float) -> AsyncIterator[Arrivals | Status]:
    """Arrivals (empty ones are heartbeats) and status changes, until cancelled."""
    lost_at: float | None = None
    delay = 0.5
    while True:
        client = get_async_client(db, subscriber=True)
        try:
            if after is None:
                after = await _newest_id(client, key)
            yield Status(_resumed(time.monotonic() - lost_at) if lost_at else "following")
            lost_at, delay = None, 0.5
            while True:
                arrivals = await read_arrivals(client, key, after, max_batch)
                yield arrivals
                if arrivals.rows:
                    after = arrivals.last_id
                    await asyncio.sleep(interval)  # pacing: at most one batch per interval
        except redis.ResponseError as exc:  # WRONGTYPE (the key was replaced), NOPERM
            yield Status(f"redis refused to read this stream: {exc}", level="error", final=True)
            return
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            failure = exc
        finally:
            await _close(client)
        if lost_at is None:
            lost_at = time.monotonic()
            yield Status(f"lost the connection to redis ({failure.__class__.__name__}); "
                         "reconnecting…", level="error")
        await asyncio.sleep(delay)
        delay = min(delay * 2, 5.0)


def _resumed(away: float) -> str:
    return (f"reconnected to redis after {away:.1f} s away; entries added meanwhile "
            "follow (a stream keeps them)")


async def _newest_id(client, key: bytes) -> str:
    newest = await client.xrevrange(key, max="+", min="-", count=1)
    return newest[0][0].decode("ascii") if newest else "0-0"


async def read_arrivals(client, key: bytes, after: str, max_batch: int) -> Arrivals:
    """The entries after `after`: all of them when at most `max_batch` are waiting, else the
    newest `max_batch` and the range skipped before them."""
    reply = await client.xread({key: after}, count=max_batch, block=BLOCK_MS)
    rows = stream_rows(reply[0][1]) if reply else []
    if len(rows) < max_batch:
        return Arrivals(rows)
    beyond = ids.after(ids.parse_id(rows[-1].entry_id))
    if beyond is None:
        return Arrivals(rows)
    newer = stream_rows(reversed(await client.xrevrange(
        key, max="+", min=ids.format_id(beyond), count=max_batch)))
    if not newer:
        return Arrivals(rows)
    if len(newer) < max_batch:  # no gap: everything waiting is in hand
        both = rows + newer
        return Arrivals(both[-max_batch:], _skipped(both[:-max_batch], at_least=False))
    # A gap of unknown size lies between the two reads: show the newest.
    last_skipped = ids.format_id(ids.before(ids.parse_id(newer[0].entry_id)))
    return Arrivals(newer, Skipped(rows[0].entry_id, last_skipped, len(rows), at_least=True))


def _skipped(rows: list[StreamRow], *, at_least: bool) -> Skipped:
    return Skipped(rows[0].entry_id, rows[-1].entry_id, len(rows), at_least)


async def _close(client) -> None:
    # Closing must finish even when the task is being cancelled (the browser went away).
    closing = asyncio.ensure_future(client.aclose())
    try:
        await asyncio.shield(closing)
    except asyncio.CancelledError:
        await closing
        raise
