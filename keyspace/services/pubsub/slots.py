"""Slots for live streams (pub/sub, live pages, following a stream), shared by every worker
process through the dashboard's database: at most DASHBOARD_MAX_STREAMS are open at once
however many processes serve the dashboard.

A stream holds a lease on one slot (StreamLease: a unique slot number, so of two processes
racing for the last slot only one INSERT succeeds). While the stream runs, a task renews the
lease every third of DASHBOARD_STREAM_LEASE_SECONDS; the stream gives it back when it ends.
A worker that dies without giving its leases back (killed, crashed, its machine gone) stops
renewing them: they run out and the slots are free again within the lease time.

    async with stream_slot() as lease:
        if lease is None:          # every slot is taken (or the database refused)
            ...                    # say so and end the stream
        ...                        # stream; end it, saying lease.ended, once that is set

`lease.ended` says why a stream must end: its lease ran out while this process was stalled and
someone else took the slot, or (`stream_slot(viewer)`) the viewer's check made again at each
renewal failed: they signed out, were deactivated or may no longer view the connection
(keyspace.access.permissions.stream_viewer), so a stream is held to the check every request
passes however long it lasts. A signed-in viewer also holds one of their own
DASHBOARD_MAX_STREAMS_PER_USER slots (unique per owner, as slots are), so one user's tabs
cannot take every slot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta

from asgiref.sync import sync_to_async
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from keyspace.conf import app_settings
from keyspace.models import StreamLease
from keyspace.services.pubsub.sse import FINAL_RETRY_MS, sse_retry

log = logging.getLogger(__name__)


@dataclass
class Lease:
    holder: str
    slot: int
    owner: str = ""  # the signed-in user whose stream it is
    lost: bool = False
    revoked: bool = False  # the stream's viewer may no longer see it

    @property
    def ended(self) -> str:
        """Why the stream must end now ("" while it may go on)."""
        if self.revoked:
            return REVOKED_TEXT
        return LOST_TEXT if self.lost else ""


def _process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def _expiry():
    return timezone.now() + timedelta(seconds=app_settings.STREAM_LEASE_SECONDS)


def _claim(holder: str, owner: str = "") -> int | None:
    """Insert a lease for `holder` in a free slot, and for `owner` (a signed-in user) in a
    free one of theirs; its slot number, or None when all are taken, or all of theirs."""
    limit, per_owner = app_settings.MAX_STREAMS, app_settings.MAX_STREAMS_PER_USER
    StreamLease.objects.filter(expires__lt=timezone.now()).delete()
    # Each try either takes a slot or finds one taken meanwhile (a unique slot, or owner and
    # owner slot); at most one row per open stream, so each read is bounded by the streams
    # open now.
    for _ in range(limit + per_owner):
        leases = list(StreamLease.objects.values_list("slot", "owner", "owner_slot"))
        taken = {slot for slot, _, _ in leases}
        slot = next((n for n in range(limit) if n not in taken), None)
        theirs = {kept for _, who, kept in leases if owner and who == owner}
        owner_slot = next((n for n in range(per_owner) if n not in theirs), None) \
            if owner else None
        # Counted, not only looked for: a limit lowered while streams were open holds.
        if len(taken) >= limit or slot is None or (owner and (
                len(theirs) >= per_owner or owner_slot is None)):
            return None
        try:
            with transaction.atomic():
                StreamLease.objects.create(slot=slot, holder=holder, process=_process(),
                                           expires=_expiry(), owner=owner,
                                           owner_slot=owner_slot)
        except IntegrityError:  # another process took one of them meanwhile: look again
            continue
        return slot
    return None


def take(owner: str = "") -> Lease | None:
    """A lease on a free slot (and one of `owner`'s, for a signed-in user), or None if every
    slot is taken, or every one of theirs (or the database failed: a stream is refused rather
    than let past the limit)."""
    holder = secrets.token_urlsafe(24)
    try:
        slot = _claim(holder, owner)
    except DatabaseError:
        log.exception("stream slots: the database refused; the stream is refused")
        return None
    return None if slot is None else Lease(holder, slot, owner)


def renew(lease: Lease) -> bool:
    """Push the lease's expiry on; if it ran out and was reaped meanwhile, take a slot again
    if one is free. False: the stream has no slot any more."""
    if StreamLease.objects.filter(holder=lease.holder).update(expires=_expiry()):
        return True
    slot = _claim(lease.holder, lease.owner)
    if slot is None:
        return False
    lease.slot = slot
    return True


def release(lease: Lease) -> None:
    StreamLease.objects.filter(holder=lease.holder).delete()


def open_count() -> int:
    """Live streams holding a slot now, in every process."""
    return StreamLease.objects.filter(expires__gte=timezone.now()).count()


def _briefly(function, *args):
    """`function(*args)` from a stream, which then holds no database connection while it runs
    for minutes (with PostgreSQL, an idle connection per open stream would add up)."""
    try:
        return function(*args)
    finally:
        if not connection.in_atomic_block:
            connection.close()


def _renew_and_ask(lease: Lease, still_allowed: Callable[[], bool] | None) -> tuple[bool, bool]:
    kept = renew(lease)
    if still_allowed is None:
        return kept, True
    try:
        return kept, still_allowed()
    except DatabaseError:
        raise  # the database itself: asked again at the next renewal
    except Exception:
        # Anything else (a session cache down, a connection that cannot be read) is not a
        # yes: failing here would end the keeper, leaving the stream unrenewed and unchecked.
        log.exception("stream slots: checking a stream's viewer failed; the stream ends")
        return kept, False


RENEWALS_PER_LEASE = 3


async def _keep(lease: Lease, still_allowed: Callable[[], bool] | None) -> None:
    """Renew `lease` until cancelled; mark it lost when it cannot be, revoked when
    `still_allowed` (asked at each renewal) says no. A database that fails a renewal is asked
    again at the next; failing every renewal for a whole lease time (the lease has run out,
    and the viewer has not been checked since) ends the stream as lost."""
    period = app_settings.STREAM_LEASE_SECONDS / RENEWALS_PER_LEASE
    failed = 0
    while not lease.ended:
        await asyncio.sleep(period)
        try:
            kept, allowed = await sync_to_async(_briefly)(_renew_and_ask, lease, still_allowed)
        except DatabaseError:
            failed += 1
            log.exception("stream slots: renewing a lease failed (%d in a row)", failed)
            lease.lost = failed >= RENEWALS_PER_LEASE
            continue
        failed = 0
        lease.lost = not kept
        lease.revoked = not allowed


_giving_back: set[asyncio.Task] = set()  # held until done (the loop keeps weak references)


@contextlib.asynccontextmanager
async def stream_slot(viewer=None) -> AsyncIterator[Lease | None]:
    """A lease on a slot for one stream (None: every slot is taken, or every one of the
    viewer's), renewed while the stream runs and given back after. `viewer`
    (keyspace.access.permissions.stream_viewer): whose stream it is (`owner`, counted against
    DASHBOARD_MAX_STREAMS_PER_USER) and what to ask again at each renewal (`still_allowed`,
    see the module's docstring); None with sign-in off."""
    owner = viewer.owner if viewer is not None else ""
    still_allowed = viewer.still_allowed if viewer is not None else None
    taking = asyncio.ensure_future(sync_to_async(_briefly)(take, owner))
    try:
        lease = await asyncio.shield(taking)
    except asyncio.CancelledError:
        # The stream ended (its client went away) while the database gave it a slot: the
        # slot is given back once given, however often this task is cancelled meanwhile.
        taking.add_done_callback(_give_back)
        raise
    if lease is None:
        yield None
        return
    keeper = asyncio.create_task(_keep(lease, still_allowed))
    try:
        yield lease
    finally:
        keeper.cancel()
        releasing = asyncio.ensure_future(sync_to_async(_briefly)(release, lease))
        try:
            # Shielded: cancelled again while it ends, the stream still gives its slot back.
            await asyncio.shield(releasing)
        except asyncio.CancelledError:
            _giving_back.add(releasing)
            releasing.add_done_callback(_giving_back.discard)
            raise
        except (DatabaseError, RuntimeError):
            # Not given back now: the lease runs out by itself within the lease time.
            log.warning("stream slots: a lease was not given back; it expires by itself")


def _give_back(taking: asyncio.Future) -> None:
    """Release the lease a cancelled stream was given (the take ran on in its thread)."""
    if taking.cancelled() or taking.exception() is not None or taking.result() is None:
        return
    task = asyncio.ensure_future(sync_to_async(_briefly)(release, taking.result()))
    _giving_back.add(task)
    task.add_done_callback(_giving_back.discard)


async def held(viewer, chunks: AsyncIterator[bytes], say: Callable[[str], bytes], *,
               tab: str = "tab") -> AsyncIterator[bytes]:
    """An event stream's `chunks` (b"" on a tick with nothing to send), sent while it holds a
    slot (`stream_slot(viewer)`): refused, saying so, when none is free; ended for good,
    saying why (`Lease.ended`), at the first tick after its lease is lost or its viewer may no
    longer see it. `say(text)` is the stream's status event of a text."""
    async with stream_slot(viewer) as lease:
        if lease is None:
            yield sse_retry(30_000)
            yield say(refused_text(tab))
            return
        yield sse_retry(2_000)
        async for chunk in chunks:
            if lease.ended:
                yield sse_retry(FINAL_RETRY_MS)
                yield say(lease.ended)
                return
            if chunk:
                yield chunk


LOST_TEXT = "this stream lost its slot (the server stalled); reload to go on"
REVOKED_TEXT = ("this stream has ended: you signed out, or may no longer view this "
                "connection; sign in and reload to go on")


def refused_text(tab: str = "tab") -> str:
    yours = (f", {app_settings.MAX_STREAMS_PER_USER} for each user" if app_settings.AUTH
             else "")
    return (f"too many open streams (the limit is {app_settings.MAX_STREAMS}{yours}) across "
            f"the dashboard's processes; close another {tab}")
