"""The reader behind a shared subscription: one connection, one ring, and a task that opens
the connection and reopens it when it drops.

Reading happens in the event loop's read callback (wire.py), not in a task, and does the
least per message: hiredis parses, the reply list goes into a ring that keeps the newest
`keep`, and a counter goes up. Arrival time and rate are taken once per socket read, not
per message. Messages become Message objects only when a viewer takes them (see feed.py),
so reading keeps up with Redis and Redis never builds a backlog for us.

If the connection drops, viewers are told, a new connection is opened after a short wait
(none is held meanwhile), and the reconnect says how many messages could not be received:
PUBLISH calls on the server between the two subscriptions (counted by Redis, see wire.py)
less the messages received in between. Other channels' PUBLISHes count too, so it is an
upper bound, exact when only this subscription's channels are published to; unknown when
INFO is refused or Redis restarted.

Sharded channels (SSUBSCRIBE, keyspace.services.pubsub.shards) are read the same way, on the
primary serving their slot; a reader holds one primary's shard channels. When the slot moves
(Redis says `sunsubscribe`) or the primary drops, it reconnects to wherever the slot is now.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import itertools
import re
import time

import hiredis
import redis

from keyspace.conf import app_settings
from keyspace.services.pubsub import shards as sharded
from keyspace.services.pubsub.feed import Feed
from keyspace.services.pubsub.messages import KEEP_BYTES, Message, Status, kept
from keyspace.services.pubsub.rates import ArrivalRate
from keyspace.services.pubsub.wire import READ_SIZE, Handshake, Wire

_MESSAGES = (b"message", b"pmessage", b"smessage")
# A full read's worth waiting unread in the kernel, or a quarter of the kernel's receive
# buffer while that is still small: the reader is behind Redis. (Smaller backlogs come and go
# with every pause of the process and cost Redis little.)
BEHIND_BYTES = READ_SIZE
_CONFIRMATIONS = (b"subscribe", b"psubscribe", b"ssubscribe")
SUBSCRIBED = Status("subscribed")
_serials = itertools.count(1)


class SharedReader:
    def __init__(self, db: int, channels: tuple[bytes, ...], patterns: tuple[bytes, ...],
                 shards: tuple[bytes, ...] = ()):
        self.db, self.channels, self.patterns, self.shards = db, channels, patterns, shards
        self.viewers: set[Feed] = set()
        self.ring: collections.deque = collections.deque(maxlen=1)  # reply lists
        self.stamps: collections.deque = collections.deque(maxlen=1)  # (total, wall time)
        self.total = 0  # messages received since the start, over every connection
        self.rate = ArrivalRate()
        self.last_message_at: float | None = None
        self.wire: Wire | None = None  # the connection, while it is up
        self.statuses: collections.deque = collections.deque(maxlen=32)  # (serial, Status)
        self.serial = 0
        self.state: Status | None = None  # what a viewer joining now is told first
        self.status_event = asyncio.Event()
        self.client_id: int | None = None
        self.finished = False
        self.task: asyncio.Task | None = None
        self.serial_number = next(_serials)  # never reused, unlike id()
        self._newest: tuple[int, list[Message]] = (-1, [])  # (total, messages) last built
        self._next_read: asyncio.Future | None = None  # resolved by the next socket read

    # --- viewers ---

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    def join(self, keep: int) -> Feed:
        self.grow(keep)
        feed = Feed(self)
        self.viewers.add(feed)
        return feed

    def leave(self, feed: Feed) -> None:
        self.viewers.discard(feed)

    def grow(self, keep: int) -> None:
        if keep > self.ring.maxlen:
            self.ring = collections.deque(self.ring, maxlen=keep)
            self.stamps = collections.deque(self.stamps, maxlen=keep)

    @property
    def lagging(self) -> bool:
        """The reader has a backlog to read: viewers hold off rendering."""
        if self.wire is None:
            return False
        unread, room = self.wire.backlog()
        return unread > 0 and unread >= min(BEHIND_BYTES, room // 4)

    async def read_first(self, until: float) -> None:
        """Reading comes before rendering: while the reader is behind, wait for its socket
        reads (each runs in the event loop's read callback) until it has caught up, or until
        `until` (the event loop's clock, time.monotonic). Viewers call this before they take
        a batch, so the viewers of one tick take turns with the reader instead of writing
        their batches back to back while Redis fills its output buffer for us. They check
        in the same loop turns and share the deadline (their tick, the same grid), so they
        still take together and share the batch."""
        if not self.lagging:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout_at(until):
                while self.lagging:
                    if self._next_read is None or self._next_read.done():
                        self._next_read = asyncio.get_running_loop().create_future()
                    await asyncio.shield(self._next_read)

    @property
    def capacity(self) -> int:
        return self.ring.maxlen

    async def stop(self) -> None:
        self.finished = True
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)

    def recent(self, count: int) -> list[Message]:
        """The newest `count` messages (count <= len(ring)), oldest first. Viewers that take
        at the same moment (their ticks are aligned) share the Message objects."""
        total, built = self._newest
        if total == self.total and count <= len(built):
            return built[len(built) - count:]
        messages = self._build(count)
        self._newest = (self.total, messages)
        return messages

    def _build(self, count: int) -> list[Message]:
        ring, stamps = self.ring, self.stamps
        messages, j, seq = [], len(stamps) - 1, self.total
        for i in range(1, count + 1):
            while j > 0 and stamps[j - 1][0] >= seq:
                j -= 1  # message `seq` arrived with the first read whose total reaches it
            messages.append(_message(ring[-i], stamps[j][1]))
            seq -= 1
        messages.reverse()
        return messages

    def _post(self, status: Status, *, newcomers: Status | None = None) -> None:
        self.serial += 1
        self.statuses.append((self.serial, status))
        self.state = newcomers or status
        woken, self.status_event = self.status_event, asyncio.Event()
        woken.set()

    # --- the connection ---

    async def _run(self) -> None:
        delay, outage = 0.5, None
        while True:
            wire = None
            try:
                wire = await self._wire(failed=outage is not None)
                handshake = await wire.open(self.channels, self.patterns,
                                            sharded.by_slot(self.shards))
                self.client_id = handshake.client_id
                self._start(wire, _Connection(handshake, self.total, outage))
                raise await wire.ended()
            except redis.ResponseError as exc:  # e.g. NOPERM for a channel or pattern
                self.finished = True
                self._post(Status(f"redis refused the subscription: {exc}", level="error",
                                  final=True))
                return
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                failure = exc
            finally:
                # Before any wait: no subscription is held while nobody reads it.
                self.wire = None
                if wire is not None:
                    await wire.close()
            if outage is None or outage.subscribed:  # it was up: a new outage begins
                outage = _Outage(time.monotonic(), self.last_message_at, self.total,
                                 self._last_connection)
                self._post(Status(_lost_text(failure), level="error"))
                delay = 0.5
            else:
                delay = min(delay * 2, 5.0)
            await asyncio.sleep(delay)

    async def _wire(self, *, failed: bool) -> Wire:
        """A Wire to the node to subscribe on: for shard channels, their slot's primary as the
        slot map says now (read again after a drop: a replica may have taken over)."""
        if not self.shards:
            return Wire(self.db)
        node = await asyncio.to_thread(sharded.node_for, self.db, self.shards, failed)
        return Wire(self.db, node)

    def _start(self, wire: Wire, connection: _Connection) -> None:
        self._last_connection = self._connection = connection
        self._pending = len(self.channels) + len(self.patterns) + len(self.shards)
        self.wire = wire
        wire.attach(self._take, self._after_read)

    # Both run in the event loop's read callback (see wire.py), once per slice of a socket
    # read and once per read: the only work done per message is in `_take`'s loop.

    def _take(self, gets) -> int:
        keep, count = self.ring.append, 0  # the ring may have grown since the last read
        # A message is kept up to what can be shown of it: the ring holds thousands.
        limit = max(KEEP_BYTES, app_settings.PUBSUB_PREVIEW_BYTES)
        while (reply := gets()) is not False:
            if type(reply) is list and reply[0] in _MESSAGES:
                if len(reply[-1]) > limit:
                    reply[-1] = kept(reply[-1], limit)
                if len(reply[-2]) > limit:  # the channel: a pattern lets a publisher name it
                    reply[-2] = kept(reply[-2], limit)
                keep(reply)
                count += 1
            else:
                self._control(reply)
        return count

    def _after_read(self, count: int, nbytes: int) -> None:
        if self._next_read is not None and not self._next_read.done():
            self._next_read.set_result(None)
        if count:
            self.total += count
            self.last_message_at = now = time.time()
            self.stamps.append((self.total, now))
            self.rate.count(count)

    def _control(self, reply) -> None:
        if isinstance(reply, hiredis.ReplyError):
            raise redis.ResponseError(str(reply))
        if type(reply) is list and reply[0] in _CONFIRMATIONS:
            self._pending -= 1
            if self._pending == 0:
                self._subscribed(self._connection)
        elif type(reply) is list and reply[0] == b"sunsubscribe":
            # Redis ends a shard subscription whose slot moved to another node: go there.
            raise redis.ConnectionError("the shard channel's slot moved to another node")

    def _subscribed(self, connection: _Connection) -> None:
        outage = connection.outage
        if outage is None or outage.subscribed:
            self._post(SUBSCRIBED)
            return
        outage.subscribed = True
        uncounted = _may_receive_notifications(self.channels, self.patterns)
        lost = None if uncounted else outage.lost(connection.handshake)
        level = "info" if lost == 0 else "error"
        self._post(Status(_reconnected_text(outage, lost, uncounted), level=level, lost=lost),
                   newcomers=SUBSCRIBED)

    _last_connection: _Connection | None = None
    _connection: _Connection | None = None
    _pending = 0  # subscriptions not confirmed yet on this connection


class _Connection:
    """One connection's start: the handshake and the messages received before it."""

    def __init__(self, handshake: Handshake, received_before: int, outage: _Outage | None):
        self.handshake, self.received_before, self.outage = handshake, received_before, outage


class _Outage:
    def __init__(self, lost_at: float, last_message_at: float | None, total: int,
                 previous: _Connection | None):
        self.lost_at, self.last_message_at, self.previous = lost_at, last_message_at, previous
        self.total_at_loss = total
        self.subscribed = False

    def lost(self, now: Handshake) -> int | None:
        """PUBLISH calls between the two subscriptions less the messages received."""
        before = self.previous
        if before is None or before.handshake.publish_calls is None or now.publish_calls is None:
            return None
        if now.run_id != before.handshake.run_id:
            return None  # Redis restarted: its counters started again
        received = self.total_at_loss - before.received_before
        return max(0, now.publish_calls - before.handshake.publish_calls - received)


def _message(reply: list, received: float) -> Message:
    if len(reply) == 3:
        return Message(received, reply[1], None, reply[2])
    return Message(received, reply[2], reply[1], reply[3])


def _lost_text(failure: Exception) -> str:
    return (f"lost the connection to redis ({failure.__class__.__name__}: {failure}); "
            "reconnecting…")


_NOTIFICATION_PREFIXES = (b"__keyspace@", b"__keyevent@")
_GLOB = re.compile(rb"[*?\[\\]")


def _may_receive_notifications(channels, patterns) -> bool:
    """Whether keyspace notifications may arrive on this subscription: Redis sends them
    without a PUBLISH call, so `INFO commandstats` cannot count those missed. A pattern may
    match them when its literal start (up to its first glob character) could begin one."""
    if any(c.startswith(_NOTIFICATION_PREFIXES) for c in channels):
        return True
    for pattern in patterns:
        literal = pattern[:m.start()] if (m := _GLOB.search(pattern)) else pattern
        if any(p.startswith(literal) or literal.startswith(p) for p in _NOTIFICATION_PREFIXES):
            return True
    return False


def _reconnected_text(outage: _Outage, lost: int | None, uncounted: bool = False) -> str:
    # Redis may have dropped the connection well after it stopped delivering (a slow reader is
    # cut off with a full buffer): the last message received marks where the gap begins.
    since = ""
    if outage.last_message_at is not None:
        since = f" since {time.strftime('%H:%M:%S', time.localtime(outage.last_message_at))}"
    away = time.monotonic() - outage.lost_at
    count = "how many is unknown" if lost is None else (
        f"up to {lost:,} (PUBLISH calls on the server meanwhile, less those received)")
    if uncounted:
        count += " (keyspace notifications missed are not counted)"
    return (f"reconnected to redis after {away:.1f} s away; messages published{since} "
            f"until now were not received: {count}")
