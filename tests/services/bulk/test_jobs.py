"""Bulk jobs against a real Redis: exact matching, dry runs, changes, undo, cancel."""

import threading

import pytest
import redis

from dashboard.local_redis import LocalRedis
from keyspace.models import AuditEntry, BulkJob, UndoRecord
from keyspace.redis.connection import reset_pools
from keyspace.redis.keynames import decode_key
from keyspace.services.bulk.jobs import run_job
from keyspace.services.undo.records import find
from tests.services.bulk.helpers import job, run

pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]


def seed_glob_names(r):
    r.mset({"foo:": 1, "foo:1": 1, "foo:2": 1, "foo[1]:a": 1, "foo1:a": 1, "food": 1,
            "f*o:x": 1, "fxo:x": 1})


def test_a_prefix_is_a_literal(r):
    seed_glob_names(r)
    counted = run(BulkJob.COUNT, BulkJob.PREFIX, b"foo[1]:")
    assert counted.keys_matched == 1
    assert [decode_key(token) for token in counted.sample] == [b"foo[1]:a"]
    assert run(BulkJob.COUNT, BulkJob.PREFIX, b"f*o:").keys_matched == 1


def test_an_exact_name_never_drags_its_namespace_along(r):
    seed_glob_names(r)
    done = run(BulkJob.DELETE, BulkJob.EXACT, b"foo:")
    assert done.state == BulkJob.DONE and done.keys_changed == 1
    assert not r.exists("foo:") and r.exists("foo:1", "foo:2") == 2


def test_a_pattern_is_a_glob(r):
    seed_glob_names(r)
    assert run(BulkJob.COUNT, BulkJob.PATTERN, b"foo:?").keys_matched == 2


def test_a_type_filter_narrows_the_selection(r):
    r.set("t:s", 1)
    r.hset("t:h", "f", 1)
    done = run(BulkJob.DELETE, BulkJob.PREFIX, b"t:", type_name="hash")
    assert done.keys_changed == 1 and r.exists("t:s") and not r.exists("t:h")
    assert run(BulkJob.COUNT, BulkJob.EXACT, b"t:s", type_name="hash").keys_matched == 0


def test_a_dry_run_changes_nothing_and_keeps_a_bounded_sample(r):
    r.mset({f"d:{i}": i for i in range(500)})
    counted = run(BulkJob.COUNT, BulkJob.PREFIX, b"d:")
    assert counted.keys_matched == 500 and len(counted.sample) == 20
    assert r.dbsize() == 500


@pytest.mark.one_database  # Redis-heavy: the database part is the same as in the others
def test_deleting_100000_matching_keys(r):
    pipe = r.pipeline(transaction=False)
    for i in range(100_000):
        pipe.set(f"gone:{i}", b"x")
    for i in range(1_000):
        pipe.set(f"kept:{i}", b"x")
    pipe.execute()
    preview = run(BulkJob.COUNT, BulkJob.PREFIX, b"gone:")
    assert preview.keys_matched == 100_000
    done = run(BulkJob.DELETE, BulkJob.PREFIX, b"gone:", preview=preview)
    assert (done.state, done.keys_changed, done.keys_matched) == (BulkJob.DONE, 100_000, 100_000)
    assert r.dbsize() == 1_000
    assert done.undo_token == "" and "no undo" in done.note
    entry = AuditEntry.objects.get(operation="bulk delete")
    assert entry.outcome == AuditEntry.OK and "100,000 keys changed" in entry.detail


def test_setting_and_removing_ttls(r):
    r.mset({"s:1": 1, "s:2": 1, "other": 1})
    preview = run(BulkJob.COUNT, BulkJob.PREFIX, b"s:")
    done = run(BulkJob.EXPIRE, BulkJob.PREFIX, b"s:", ttl=3600, preview=preview)
    assert done.keys_changed == 2
    assert 3590 < r.ttl("s:1") <= 3600 and r.ttl("other") == -1
    removed = run(BulkJob.PERSIST, BulkJob.PREFIX, b"s:", preview=preview)
    assert removed.keys_changed == 2 and r.ttl("s:2") == -1


def test_a_small_change_can_be_undone(r, editor):
    from keyspace.services.editing import pipeline

    r.hset("u:1", mapping={"a": "1"})
    r.set("u:2", "two", px=900_000)
    preview = run(BulkJob.COUNT, BulkJob.PREFIX, b"u:")
    done = run(BulkJob.DELETE, BulkJob.PREFIX, b"u:", preview=preview, user=editor)
    assert done.undo_token and find(done.undo_token) is not None
    assert r.exists("u:1", "u:2") == 0
    pipeline.undo_edit(user=editor, token=done.undo_token)
    assert r.hgetall("u:1") == {b"a": b"1"} and r.get("u:2") == b"two"
    assert 0 < r.pttl("u:2") <= 900_000


def test_a_key_too_large_to_copy_means_no_undo(r):
    r.sadd("big:set", *range(20_001))
    r.set("big:small", 1)
    preview = run(BulkJob.COUNT, BulkJob.PREFIX, b"big:")
    done = run(BulkJob.DELETE, BulkJob.PREFIX, b"big:", preview=preview)
    assert done.keys_changed == 2 and done.undo_token == "" and "too large" in done.note


@pytest.mark.parametrize("kind", ["hash", "list", "zset"])
def test_a_key_of_few_large_elements_over_the_copy_limit_means_no_undo(r, settings, kind):
    """Few elements, each large: the key's bytes count, as an edit counts them (MEMORY
    USAGE), not only its length."""
    settings.DASHBOARD_UNDO_MAX_KEY_BYTES = 10_000
    big = [b"%d" % i + b"x" * 2_000 for i in range(10)]
    {"hash": lambda: r.hset("big:k", mapping={item: b"v" for item in big}),
     "list": lambda: r.rpush("big:k", *big),
     "zset": lambda: r.zadd("big:k", {item: 1 for item in big})}[kind]()
    r.set("big:small", 1)
    preview = run(BulkJob.COUNT, BulkJob.PREFIX, b"big:")
    done = run(BulkJob.DELETE, BulkJob.PREFIX, b"big:", preview=preview)
    assert done.keys_changed == 2 and done.undo_token == "" and "too large" in done.note
    assert not UndoRecord.objects.exists()


def test_copies_past_the_total_are_not_read_at_all(r, settings):
    """Each key under the copy limit, together over the total: the batch goes on without
    copies, said before any DUMP is read (they would come back in one reply)."""
    settings.DASHBOARD_UNDO_MAX_KEY_BYTES = 100_000
    settings.DASHBOARD_UNDO_MAX_TOTAL_BYTES = 1_000_000
    for n in range(30):
        r.hset(f"wide:{n}", mapping={b"f%d" % i: b"x" * 700 for i in range(100)})
    preview = run(BulkJob.COUNT, BulkJob.PREFIX, b"wide:")
    dumps = int(r.info("commandstats").get("cmdstat_dump", {}).get("calls", 0))
    done = run(BulkJob.DELETE, BulkJob.PREFIX, b"wide:", preview=preview)
    assert done.keys_changed == 30 and done.undo_token == ""
    assert "DASHBOARD_UNDO_MAX_TOTAL_BYTES" in done.note
    assert int(r.info("commandstats").get("cmdstat_dump", {}).get("calls", 0)) == dumps


def test_keys_under_the_copy_limit_keep_their_undo(r, settings):
    settings.DASHBOARD_UNDO_MAX_KEY_BYTES = 10_000
    r.hset("small:h", mapping={b"f%d" % i: b"x" * 100 for i in range(10)})
    preview = run(BulkJob.COUNT, BulkJob.PREFIX, b"small:")
    done = run(BulkJob.DELETE, BulkJob.PREFIX, b"small:", preview=preview)
    assert done.keys_changed == 1 and done.undo_token


@pytest.mark.django_db(transaction=True)
def test_cancelling_stops_between_steps(r):
    pipe = r.pipeline(transaction=False)
    for i in range(200_000):
        pipe.set(f"c:{i}", b"x")
    pipe.execute()
    made = job(BulkJob.DELETE, BulkJob.PREFIX, b"c:")
    # Another process sets the flag: here, another thread through the database row.
    flag = threading.Timer(0.3, lambda: BulkJob.objects.filter(pk=made.pk).update(
        cancel_requested=True))
    flag.start()
    run_job(made.pk)
    flag.join()
    made.refresh_from_db()
    assert made.state == BulkJob.CANCELLED
    assert 0 < made.keys_changed < 200_000 == made.keys_changed + r.dbsize()


def test_a_cancelled_queued_job_never_runs(r):
    r.set("q:1", 1)
    made = job(BulkJob.DELETE, BulkJob.PREFIX, b"q:")
    from keyspace.services.bulk.jobs import cancel
    cancel(made)
    assert run_job(made.pk) == {"state": BulkJob.CANCELLED}
    assert r.exists("q:1")


@pytest.fixture
def without_unlink(tmp_path, settings):
    server = LocalRedis(tmp_path, extra_args=("--rename-command", "UNLINK", "")).start()
    settings.REDIS_URL = server.url
    reset_pools()
    yield redis.Redis(port=server.port)
    reset_pools()
    server.stop()


def test_del_stands_in_when_unlink_is_renamed_away(without_unlink):
    without_unlink.mset({"x:1": 1, "x:2": 1})
    done = run(BulkJob.DELETE, BulkJob.PREFIX, b"x:")
    assert done.state == BulkJob.DONE and done.keys_changed == 2
    assert without_unlink.dbsize() == 0
    assert done.undo_token and not done.note  # DEL keeps undo copies as UNLINK does


def test_a_type_filter_on_a_server_whose_scan_has_no_type_option(r, settings, redis_server):
    """Redis before 6.0, played by a relay that answers SCAN ... TYPE as Redis 5 does: each
    step's keys are filtered by their TYPE instead."""
    from keyspace.redis.capabilities import forget
    from tests.support.scan_type_relay import ScanTypeRefusingRelay

    relay = ScanTypeRefusingRelay(redis_server.port).start()
    try:
        settings.REDIS_URL = relay.url
        reset_pools()
        forget()
        with r.pipeline(transaction=False) as pipe:
            for i in range(300):
                pipe.set(f"t:s{i}", 1)
                pipe.hset(f"t:h{i}", "f", 1)
            pipe.execute()
        assert run(BulkJob.COUNT, BulkJob.PREFIX, b"t:", type_name="hash").keys_matched == 300
        done = run(BulkJob.DELETE, BulkJob.PREFIX, b"t:", type_name="hash")
        assert done.state == BulkJob.DONE and done.keys_changed == 300
        assert r.dbsize() == 300 and all(r.type(key) == b"string" for key in r.scan_iter())
        assert relay.refused == 1  # the probe's only
    finally:
        relay.stop()
