"""A bulk change's batches against a real Redis: a change limited to one type changes only the
keys still of that type when it writes (the scan found them some moments before)."""

import pytest

from keyspace.services.bulk.changes import Delete, Expire
from keyspace.services.editing import guard


@pytest.mark.parametrize("keep_undo", [True, False])
def test_a_typed_change_leaves_a_key_replaced_by_another_type_since_its_scan(r, keep_undo):
    r.hset(b"user:1", b"f", b"v")
    r.hset(b"user:2", b"f", b"v")
    scanned = [b"user:1", b"user:2", b"user:3"]  # as SCAN TYPE hash named them
    r.delete(b"user:2")
    r.set(b"user:2", b"now a string")  # another writer, between the scan and the change
    change = Delete(keep_undo=keep_undo, type_name="hash")
    assert change.apply(r, scanned) == 1
    assert not r.exists(b"user:1") and r.get(b"user:2") == b"now a string"
    assert [copy.name for copy in change.kept] == ([b"user:1"] if keep_undo else [])


def test_an_untyped_change_takes_every_name_it_was_given(r):
    r.set(b"a", b"1")
    r.hset(b"b", b"f", b"v")
    assert Expire(600, keep_undo=False).apply(r, [b"a", b"b"]) == 2
    assert r.ttl(b"a") > 0 and r.ttl(b"b") > 0


def test_a_key_replaced_between_the_type_check_and_exec_is_left_alone(r, monkeypatch):
    """Another client replaces a key in the window between the batch's TYPE check and its
    EXEC: the WATCH aborts the batch, which looks again and leaves the key alone."""
    r.hset(b"user:1", b"f", b"v")
    r.hset(b"user:2", b"f", b"v")
    swaps = []

    def replace_once(client, keys):
        if not swaps:
            swaps.append(1)
            r.delete(b"user:2")
            r.set(b"user:2", b"now a string")

    monkeypatch.setattr(guard, "before_write", replace_once)
    assert Delete(keep_undo=True, type_name="hash").apply(r, [b"user:1", b"user:2"]) == 1
    assert not r.exists(b"user:1") and r.get(b"user:2") == b"now a string"
