"""Bulk jobs in a cluster: every primary scanned (never a replica), progress summed over the
primaries, each key changed on the primary owning its slot; another client writing meanwhile
loses nothing; hostile names spread over every primary; a primary killed mid-job fails the
job with a message naming it (never a server error, never a silent partial change)."""

import threading

import pytest

from keyspace.models import BulkJob
from keyspace.redis import per_primary
from keyspace.redis.cluster_nodes import primaries
from keyspace.redis.connection import get_client
from keyspace.redis.keynames import decode_key
from keyspace.services.bulk import jobs
from keyspace.services.bulk.jobs import run_job
from keyspace.services.bulk.passes import walk
from keyspace.services.bulk.selection import Selection
from tests.seeding import HOSTILE_NAMES, fill_strings, numbered
from tests.services.bulk.helpers import job, run

pytestmark = [pytest.mark.cluster, pytest.mark.django_db]

# Glob characters, braces (a hash tag: `{x}` pins a slot, an empty or unclosed one does not),
# bytes that are not UTF-8, and the usual markup.
HOSTILE = [*HOSTILE_NAMES, b"{tag}", b"{}", b"{open", b"a*b?[c]", b"\\", b"\x00", b" "]


def hostile_names(prefix: bytes, copies: int = 12) -> list[bytes]:
    return [prefix + name + b":%d" % n for name in HOSTILE for n in range(copies)]


def total(cluster_client) -> int:
    return cluster_client.dbsize(target_nodes=cluster_client.PRIMARIES)


def owners(cluster_client, names):
    return {cluster_client.get_node_from_key(name).name for name in names}


def test_a_dry_run_counts_every_primary_once(cluster_dashboard, r):
    names = numbered("d:", 900)
    fill_strings(r, names)
    fill_strings(r, numbered("other:", 100))
    counted = run(BulkJob.COUNT, BulkJob.PREFIX, b"d:")
    assert counted.state == BulkJob.DONE, counted.error
    assert counted.keys_matched == 900 and counted.keys_total == 1000
    assert counted.keys_scanned == 1000 and len(counted.sample) == 20


def test_hostile_names_over_every_slot_are_matched_exactly(cluster_dashboard, r):
    doomed = hostile_names(b"h[1]:")
    kept = hostile_names(b"h1:") + hostile_names(b"h[1]") + [b"h[1]", b"H[1]:x"]
    assert len(owners(r, doomed)) == 3
    fill_strings(r, doomed + kept)
    counted = run(BulkJob.COUNT, BulkJob.PREFIX, b"h[1]:")
    assert counted.keys_matched == len(doomed)
    assert all(decode_key(token) in doomed for token in counted.sample)
    done = run(BulkJob.DELETE, BulkJob.PREFIX, b"h[1]:", preview=counted)
    assert done.state == BulkJob.DONE and done.keys_changed == len(doomed)
    assert sum(r.exists(name) for name in doomed) == 0
    assert sum(r.exists(name) for name in kept) == len(kept)


def test_ttls_set_and_removed_on_every_primary(cluster_dashboard, r):
    names = hostile_names(b"t:", 4)
    fill_strings(r, names)
    done = run(BulkJob.EXPIRE, BulkJob.PATTERN, b"t:*", ttl=600)
    assert done.keys_changed == len(names)
    assert all(0 < r.ttl(name) <= 600 for name in names)
    done = run(BulkJob.PERSIST, BulkJob.PREFIX, b"t:")
    assert done.keys_changed == len(names) and all(r.ttl(name) == -1 for name in names)


def test_a_change_over_every_primary_is_undone_slot_by_slot(cluster_dashboard, r, editor):
    from keyspace.services.editing import pipeline

    names = hostile_names(b"u:", 8)
    for n, name in enumerate(names):
        r.set(name, b"v%d" % n, ex=900 if n % 2 else None)
    assert len(owners(r, names)) == 3
    preview = run(BulkJob.COUNT, BulkJob.PREFIX, b"u:")
    done = run(BulkJob.DELETE, BulkJob.PREFIX, b"u:", user=editor, preview=preview)
    assert done.keys_changed == len(names) and done.undo_token, done.note
    assert sum(r.exists(name) for name in names) == 0
    pipeline.undo_edit(user=editor, token=done.undo_token)
    assert [r.get(name) for name in names] == [b"v%d" % n for n in range(len(names))]
    assert all((r.ttl(name) > 0) == bool(n % 2) for n, name in enumerate(names))


def test_an_undo_over_slots_puts_nothing_back_if_a_key_changed(cluster_dashboard, r, editor):
    from keyspace.services.editing import pipeline
    from keyspace.services.editing.guard import Conflict
    from keyspace.services.undo.records import find

    names = numbered("c:", 200)
    fill_strings(r, names)
    done = run(BulkJob.DELETE, BulkJob.PREFIX, b"c:", user=editor,
               preview=run(BulkJob.COUNT, BulkJob.PREFIX, b"c:"))
    r.set(names[-1], b"someone else's")
    with pytest.raises(Conflict, match="nothing was undone"):
        pipeline.undo_edit(user=editor, token=done.undo_token)
    assert total(r) == 1 and find(done.undo_token) is not None


def test_a_key_changed_during_an_undo_keeps_the_rest_for_later(cluster_dashboard, r, editor,
                                                               monkeypatch):
    """Another client writes between one slot's check and its write: the slots before it
    stay put back, that slot and the rest are kept, and undoing again finishes the job."""
    from keyspace.services.editing import guard, pipeline
    from keyspace.services.editing.guard import Conflict
    from keyspace.services.undo.records import find, kept_keys

    names = numbered("p:", 100)
    fill_strings(r, names)
    done = run(BulkJob.DELETE, BulkJob.PREFIX, b"p:", user=editor,
               preview=run(BulkJob.COUNT, BulkJob.PREFIX, b"p:"))
    calls = []

    def meddle(client, keys):
        calls.append(keys)
        if len(calls) == 3:  # the third slot's keys, checked and about to be written
            r.set(keys[0], b"meddled")

    monkeypatch.setattr(guard, "before_write", meddle)
    with pytest.raises(Conflict) as said:
        pipeline.undo_edit(user=editor, token=done.undo_token)
    put_back = sum(len(keys) for keys in calls[:2])
    assert f"{put_back:,} of 100 keys were put back" in str(said.value), str(said.value)
    record = find(done.undo_token)
    left = [item.name for item in kept_keys(record)]
    assert len(left) == 100 - put_back and calls[2][0] in left
    assert sum(r.exists(name) for name in names) == put_back + 1  # and the meddled key
    monkeypatch.setattr(guard, "before_write", None)
    r.delete(calls[2][0])  # as the change left it: gone
    pipeline.undo_edit(user=editor, token=done.undo_token)
    assert all(r.get(name) == b"v" for name in names) and find(done.undo_token) is None


def test_an_exact_name_in_a_cluster_keeps_its_undo(cluster_dashboard, r, editor):
    from keyspace.services.editing import pipeline

    r.set(b"one{x}", b"v", ex=900)
    done = run(BulkJob.DELETE, BulkJob.EXACT, b"one{x}", user=editor,
               preview=run(BulkJob.COUNT, BulkJob.EXACT, b"one{x}"))
    assert done.keys_changed == 1 and done.undo_token, done.note
    pipeline.undo_edit(user=editor, token=done.undo_token)
    assert r.get(b"one{x}") == b"v" and r.ttl(b"one{x}") > 0


def test_a_type_filter_applies_on_every_primary(cluster_dashboard, r):
    strings, hashes = numbered("m:s", 60), numbered("m:h", 60)
    fill_strings(r, strings)
    for name in hashes:
        r.hset(name, b"f", b"v")
    done = run(BulkJob.DELETE, BulkJob.PREFIX, b"m:", type_name="hash")
    assert done.keys_changed == 60
    assert sum(r.exists(n) for n in hashes) == 0 and sum(r.exists(n) for n in strings) == 60


def test_progress_is_summed_over_the_primaries_and_a_cancel_stops_it(cluster_dashboard, r,
                                                                        monkeypatch):
    fill_strings(r, numbered("c:", 3000))
    monkeypatch.setattr("keyspace.services.bulk.passes.PROGRESS_SECONDS", 0.0)
    seen = []

    def report(progress):
        seen.append((progress.scanned, progress.population))
        return len(seen) == 3

    from keyspace.services.bulk.changes import Delete

    change = Delete(keep_undo=False)
    progress = walk(get_client(0), Selection("prefix", b"c:"), change, report)
    assert progress.cancelled and progress.population == 3000
    assert [total for _, total in seen] == [3000] * 3
    assert 0 < progress.changed == change.changed < 3000
    assert 3000 - total(r) == progress.changed  # what it says it did is what it did
    # Sizes come from every primary's DBSIZE, in slot order (replicas never counted).
    client = get_client(0)
    nodes = per_primary.nodes(client)
    assert [node.name for node in nodes] == [p.name for p in primaries(client)]
    assert sum(per_primary.sizes(client, nodes)) == total(r) == 3000 - change.changed


@pytest.mark.django_db(transaction=True)
def test_another_client_writing_during_the_job_loses_nothing(cluster_dashboard, r):
    doomed = numbered("w:", 4000)
    fill_strings(r, doomed)
    stop = threading.Event()
    written: list[bytes] = []

    def writer():
        other = cluster_dashboard.cluster_client()
        n = 0
        while not stop.is_set():
            name = b"live:%d" % n
            other.set(name, b"x")
            other.set(b"w:rewritten", b"again")  # matches: deleted or not, never an error
            written.append(name)
            n += 1
        other.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        done = run(BulkJob.DELETE, BulkJob.PREFIX, b"w:")
    finally:
        stop.set()
        thread.join()
    assert done.state == BulkJob.DONE, done.error
    assert written and sum(r.exists(name) for name in written) == len(written)
    # Every key present all along is gone: SCAN returns each of them on its primary.
    assert sum(r.exists(name) for name in doomed if name != b"w:rewritten") == 0
    assert len(doomed) <= done.keys_changed <= len(doomed) + len(written)


@pytest.fixture
def doomed_cluster(cluster_dashboard, cluster_holder):
    yield cluster_dashboard
    cluster_holder.discard()


@pytest.mark.django_db(transaction=True)
def test_a_primary_killed_mid_job_fails_it_clearly(doomed_cluster, r, client, monkeypatch):
    names = numbered("k:", 6000)
    fill_strings(r, names)
    dashboard = get_client(0)
    order = [p.name for p in primaries(dashboard)]
    victim = next(node for node in doomed_cluster.nodes if node.address == order[-1])
    monkeypatch.setattr("keyspace.services.bulk.passes.PROGRESS_SECONDS", 0.0)
    made = job(BulkJob.DELETE, BulkJob.PREFIX, b"k:")
    reporter = jobs._reporter

    def killing_reporter(job_row):
        report = reporter(job_row)

        def killing(progress):
            if not victim.running:
                return report(progress)
            victim.kill()  # during the pass, before the last primary is scanned
            return report(progress)
        return killing

    monkeypatch.setattr(jobs, "_reporter", killing_reporter)
    with pytest.raises(Exception) as raised:
        run_job(made.pk)
    made.refresh_from_db()
    assert made.state == BulkJob.FAILED
    assert victim.address in made.error and "stopped answering" in made.error, made.error
    assert isinstance(raised.value, per_primary.NodeStopped)
    # What it says it changed is what it changed on the primaries still up.
    survivors = [n for n in names if r.get_node_from_key(n).name != victim.address]
    gone = sum(1 for name in survivors if not r.exists(name))
    assert 0 < made.keys_changed == gone, (made.keys_changed, gone)
    assert f"{made.keys_changed:,} keys changed before" in made.error
    page = client.get(f"/c/default/db/0/bulk/{made.pk}/")
    assert page.status_code == 200 and "stopped answering" in page.content.decode()


@pytest.mark.parametrize("keep_undo", [True, False])
def test_a_typed_change_leaves_a_key_replaced_by_another_type_in_a_cluster(
        cluster_dashboard, r, keep_undo):
    from keyspace.services.bulk.changes import Delete

    names = [f"user:{n}".encode() for n in range(40)]  # in many slots, on every primary
    for name in names:
        r.hset(name, b"f", b"v")
    replaced = names[::7]
    for name in replaced:
        r.delete(name)
        r.set(name, b"now a string")
    change = Delete(keep_undo=keep_undo, type_name="hash")
    assert change.apply(get_client(0), names) == len(names) - len(replaced)
    assert all(r.get(name) == b"now a string" for name in replaced)
    assert sum(r.exists(name) for name in names) == len(replaced)


def test_a_job_meeting_a_slot_being_moved_says_so(cluster_dashboard, r, fresh_cluster_after):
    """A slot half moved: its old owner answers ASK for the keys moved, which a job's batches
    (per primary) cannot follow. The job fails saying so, not with Redis's bare redirect."""
    r.set(b"{m}a", b"v")
    r.set(b"{m}b", b"v")
    preview = run(BulkJob.COUNT, BulkJob.PREFIX, b"{m}")
    cluster_dashboard.begin_moving(b"{m}a")
    made = job(BulkJob.DELETE, BulkJob.PREFIX, b"{m}", preview=preview)
    with pytest.raises(Exception):  # noqa: B017 (the job raises what ended it, as it came)
        run_job(made.pk)
    made.refresh_from_db()
    assert made.state == BulkJob.FAILED
    assert made.error.startswith("a slot of the cluster is being moved"), made.error
