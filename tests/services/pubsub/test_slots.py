"""Stream slots are leases in the dashboard's database (keyspace/services/pubsub/slots.py): at
most DASHBOARD_MAX_STREAMS at once whatever process asks, given back when a stream ends,
renewed while it runs, and free again once a lease runs out (its process died)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from keyspace.access.permissions import StreamViewer
from keyspace.models import StreamLease
from keyspace.services.pubsub import slots
from tests.services.pubsub.support import run_async

# The dashboard's database: SQLite and PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases


def test_slots_run_out_at_the_limit_and_come_back(db, settings):
    settings.DASHBOARD_MAX_STREAMS = 2
    first, second = slots.take(), slots.take()
    assert {first.slot, second.slot} == {0, 1}
    assert slots.take() is None
    slots.release(first)
    third = slots.take()
    assert third is not None and third.slot == first.slot
    assert slots.open_count() == 2


def test_an_expired_lease_frees_its_slot(db, settings):
    """A process that died renews nothing: its lease runs out and the slot is handed out."""
    settings.DASHBOARD_MAX_STREAMS = 1
    dead = slots.take()
    assert slots.take() is None
    StreamLease.objects.filter(holder=dead.holder).update(
        expires=timezone.now() - timedelta(seconds=1))
    assert slots.open_count() == 0
    alive = slots.take()
    assert alive is not None
    assert list(StreamLease.objects.values_list("holder", flat=True)) == [alive.holder]


def test_renewing_pushes_the_expiry_on(db, settings):
    settings.DASHBOARD_STREAM_LEASE_SECONDS = 30
    lease = slots.take()
    StreamLease.objects.update(expires=timezone.now() + timedelta(seconds=1))
    assert slots.renew(lease)
    expires = StreamLease.objects.get(holder=lease.holder).expires
    assert expires > timezone.now() + timedelta(seconds=25)


def test_a_lease_reaped_while_stalled_is_taken_again_if_a_slot_is_free(db, settings):
    settings.DASHBOARD_MAX_STREAMS = 1
    lease = slots.take()
    StreamLease.objects.all().delete()  # ran out and was reaped by another process
    assert slots.renew(lease)
    assert StreamLease.objects.get().holder == lease.holder
    StreamLease.objects.all().delete()
    other = slots.take()  # meanwhile another stream got the only slot
    assert not slots.renew(lease)
    assert StreamLease.objects.get().holder == other.holder


def test_a_lowered_limit_counts_the_leases_still_held(db, settings):
    settings.DASHBOARD_MAX_STREAMS = 3
    held = [slots.take() for _ in range(3)]
    settings.DASHBOARD_MAX_STREAMS = 2  # a restart with a lower limit, old streams still open
    assert slots.take() is None
    slots.release(held[0])
    assert slots.take() is None  # still two open: at the new limit
    slots.release(held[1])
    assert slots.take() is not None


def test_a_running_stream_keeps_its_slot_and_loses_it_when_it_cannot(transactional_db,
                                                                     settings):
    """The stream's keeper renews every third of the lease; a lease that cannot be renewed
    (reaped while the process stalled, the slot taken by another) marks the stream lost."""
    settings.DASHBOARD_MAX_STREAMS = 1
    settings.DASHBOARD_STREAM_LEASE_SECONDS = 3

    async def run():
        async with slots.stream_slot() as lease:
            assert lease is not None
            async with slots.stream_slot() as refused:
                assert refused is None
            before = (await sync_to_async(StreamLease.objects.get)()).expires
            await asyncio.sleep(1.3)
            after = (await sync_to_async(StreamLease.objects.get)()).expires
            assert after > before and not lease.lost
            await sync_to_async(StreamLease.objects.all().delete)()
            other = await sync_to_async(slots.take)()
            await asyncio.sleep(1.3)
            assert lease.lost
            await sync_to_async(slots.release)(other)
        return await sync_to_async(StreamLease.objects.count)()

    assert run_async(run()) == 0  # given back when the stream ended


@pytest.mark.parametrize("cancels", [1, 2, 3])
@pytest.mark.parametrize("after_ms", [0, 1, 5])
def test_a_stream_cancelled_while_its_slot_is_being_taken_gives_the_slot_back(
        transactional_db, settings, after_ms, cancels):
    """A client that goes away at once: its stream is cancelled (once, or again while it
    ends: a server shutting down, a timeout around it) while the database is still giving
    it a slot. The slot taken then is given back, not left held for a lease time."""
    settings.DASHBOARD_MAX_STREAMS = 3

    async def run():
        async def stream():
            async with slots.stream_slot():
                await asyncio.sleep(60)

        task = asyncio.ensure_future(stream())
        await asyncio.sleep(after_ms / 1000)
        for _ in range(cancels):
            task.cancel()
            await asyncio.sleep(0)
        with contextlib.suppress(asyncio.CancelledError):
            await task
        for _ in range(100):  # the slot is given back moments after the take ends
            if not await sync_to_async(StreamLease.objects.count)():
                break
            await asyncio.sleep(0.02)
        return await sync_to_async(StreamLease.objects.count)()

    assert run_async(run()) == 0


def test_a_stream_whose_viewer_may_no_longer_see_it_is_ended_at_the_next_renewal(
        transactional_db, settings):
    """`still_allowed` is asked at each renewal (a third of the lease): once it says no, the
    lease says why the stream ends, and it is given back when the stream does."""
    settings.DASHBOARD_STREAM_LEASE_SECONDS = 3
    allowed = [True]

    async def run():
        viewer = StreamViewer("7", lambda: allowed[0])
        async with slots.stream_slot(viewer) as lease:
            await asyncio.sleep(1.3)
            assert not lease.ended
            allowed[0] = False
            await asyncio.sleep(1.3)
            assert lease.revoked and lease.ended == slots.REVOKED_TEXT
        return await sync_to_async(StreamLease.objects.count)()

    assert run_async(run()) == 0


def test_one_user_holds_at_most_their_share_of_the_slots(db, settings):
    """A signed-in user's streams count against DASHBOARD_MAX_STREAMS_PER_USER as well as the
    dashboard's limit: one user cannot take every slot (the unique owner slot decides between
    two of their streams racing, as the unique slot does between any two)."""
    settings.DASHBOARD_MAX_STREAMS = 5
    settings.DASHBOARD_MAX_STREAMS_PER_USER = 2
    alice = [slots.take("1"), slots.take("1")]
    assert all(alice) and slots.take("1") is None  # her share is taken
    bob = slots.take("2")
    assert bob is not None  # others still get theirs
    slots.release(alice[0])
    again = slots.take("1")
    assert again is not None
    assert slots.take("") is not None and slots.take("") is not None  # sign-in off: no share
    assert slots.take("3") is None  # five open: the dashboard's limit
    assert "2 for each user" in slots.refused_text()
    assert sorted(StreamLease.objects.filter(owner="1").values_list("owner_slot", flat=True)) \
        == [0, 1]
    settings.DASHBOARD_MAX_STREAMS = 10
    settings.DASHBOARD_MAX_STREAMS_PER_USER = 1  # lowered while hers are open: counted
    slots.release(again)
    assert slots.take("1") is None


def test_a_user_whose_lease_was_reaped_takes_one_of_their_own_slots_again(db, settings):
    settings.DASHBOARD_MAX_STREAMS_PER_USER = 1
    lease = slots.take("1")
    StreamLease.objects.all().delete()  # reaped while the process stalled
    assert slots.renew(lease)
    assert StreamLease.objects.get().owner == "1"
    assert slots.take("1") is None


def test_a_recheck_that_fails_ends_the_stream_rather_than_letting_it_run_unchecked(
        transactional_db, settings):
    """A check that raises (a session cache down, a saved connection that cannot be read) is
    not a yes: the stream ends, saying so, instead of its keeper dying silently and the stream
    running on unrenewed and never checked again."""
    settings.DASHBOARD_STREAM_LEASE_SECONDS = 3

    def broken():
        raise ConnectionError("the session store is down")

    async def run():
        async with slots.stream_slot(StreamViewer("7", broken)) as lease:
            await asyncio.sleep(1.3)
            assert lease.ended == slots.REVOKED_TEXT
        return await sync_to_async(StreamLease.objects.count)()

    assert run_async(run()) == 0


def test_a_stream_whose_viewer_cannot_be_checked_for_a_whole_lease_time_ends(
        transactional_db, settings):
    """The database failing the check is asked again at the next renewal, not taken for a
    no; failing every renewal for a whole lease time ends the stream (as a lost lease), so an
    outage of the sessions table cannot leave it running unchecked."""
    from django.db import OperationalError

    settings.DASHBOARD_STREAM_LEASE_SECONDS = 3
    failures = [1]

    def unreadable():
        if failures[0]:
            raise OperationalError("no such table: django_session")
        return True

    async def run():
        async with slots.stream_slot(StreamViewer("7", unreadable)) as lease:
            await asyncio.sleep(2.3)
            assert not lease.ended  # at most two failed renewals: asked again
            for _ in range(60):  # the third, about a second later (a slow machine: later)
                if lease.ended:
                    break
                await asyncio.sleep(0.1)
            assert lease.ended == slots.LOST_TEXT
        return await sync_to_async(StreamLease.objects.count)()

    assert run_async(run()) == 0
