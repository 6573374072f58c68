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


def test_a_key_made_too_large_to_copy_after_the_size_check_is_not_copied(r, monkeypatch,
                                                                         settings):
    """Another client makes a key too large to copy in the window between the batch's size
    check and its EXEC: the WATCH aborts the batch, whose next look sees the size and goes
    on without undo copies (the copy would have read the whole key inside the transaction)."""
    settings.DASHBOARD_UNDO_MAX_KEY_BYTES = 100
    r.set(b"a", b"small")
    r.set(b"b", b"small")
    grown = []

    def grow_once(client, keys):
        if not grown:
            grown.append(1)
            r.set(b"b", b"x" * 1000)

    monkeypatch.setattr(guard, "before_write", grow_once)
    change = Delete(keep_undo=True)
    assert change.apply(r, [b"a", b"b"]) == 2
    assert not r.exists(b"a", b"b")
    assert change.kept == [] and change.undo_note == "no undo: a key was too large to copy"


def test_a_batch_whose_keys_keep_changing_goes_on_without_copies(r, monkeypatch):
    r.set(b"a", b"1")
    monkeypatch.setattr(guard, "before_write", lambda client, keys: r.incr(b"a"))
    change = Delete(keep_undo=True)
    assert change.apply(r, [b"a"]) == 1
    assert not r.exists(b"a")
    assert change.undo_note == "no undo: keys kept changing while their sizes were checked"


def test_a_key_whose_type_changes_during_the_size_check_is_looked_at_again(r, monkeypatch):
    """Between the size check's TYPE and its length command another client replaces a hash
    by a string: Redis refuses HLEN (WRONGTYPE), and the WATCH has the batch look again."""
    from keyspace.services.bulk import changes

    r.hset(b"h", b"f", b"v")
    real = changes.Change._check_sizes
    swapped = []

    def check_sizes(self, client, keys):
        if not swapped:
            swapped.append(1)
            original = client.pipeline

            def pipeline(*args, **kwargs):
                pipe = original(*args, **kwargs)
                execute = pipe.execute

                def execute_then_swap(*a, **k):
                    replies = execute(*a, **k)
                    if replies == [b"hash"]:
                        r.delete(b"h")
                        r.set(b"h", b"now a string")
                    return replies

                pipe.execute = execute_then_swap
                return pipe

            client.pipeline = pipeline
            try:
                return real(self, client, keys)
            finally:
                del client.pipeline
        return real(self, client, keys)

    monkeypatch.setattr(changes.Change, "_check_sizes", check_sizes)
    change = Delete(keep_undo=True)
    assert change.apply(r, [b"h"]) == 1
    assert [copy.name for copy in change.kept] == [b"h"]
    assert change.kept[0].before  # a copy of the string it deleted
