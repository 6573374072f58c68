"""An edit acts on exactly what the user saw, or reports a conflict: identity, not just a value
at a position. Each test has a second client (`r`) change the key between the form and the
submit, the way the application using the Redis would, and checks that nothing was written
over the change."""

from __future__ import annotations

import pytest
import redis

from tests.services.editing.forms import form_fields, open_form, submit
from tests.support.htmx import HTMX
from tests.support.urls import edit_url

# --- lists: an index names a position, and lists shift ---------------------------------------


def post(client, key: bytes, action: str, fields: dict, **changes):
    fields = {k: v for k, v in (fields | changes).items() if k != "csrfmiddlewaretoken"}
    return client.post(edit_url(key, action), fields, headers=HTMX)


def test_set_by_index_in_a_list_of_equal_elements_that_shifted_is_a_conflict(client, r):
    """RPUSH k x x x; open index 1; LPUSH k x; save: the element at index 1 is still “x”,
    but it is not the one that was opened."""
    r.rpush("k", "x", "x", "x")
    fields = open_form(client, b"k", "list-set", row="1")
    r.lpush("k", "x")
    response = post(client, b"k", "list-set", fields, value="mine")
    assert response.status_code == 409, response.content[-500:]
    assert "changed around the element at index 1" in response.content.decode()
    assert r.lrange("k", 0, -1) == [b"x"] * 4


def test_set_by_index_after_a_shift_that_kept_the_length_is_a_conflict(client, r):
    r.rpush("k", "a", "x", "b", "c")
    fields = open_form(client, b"k", "list-set", row="1")
    r.lpop("k")
    r.rpush("k", "x")  # [x, b, c, x]: same length, index 1 now holds b
    r.lset("k", 1, "x")  # ...and even the same value: [x, x, c, x]
    response = post(client, b"k", "list-set", fields, value="mine")
    assert response.status_code == 409
    assert r.lrange("k", 0, -1) == [b"x", b"x", b"c", b"x"]


def test_after_a_position_conflict_a_second_submit_is_deliberate(client, r):
    r.rpush("k", "x", "x", "x")
    fields = open_form(client, b"k", "list-set", row="1")
    r.lpush("k", "x")
    conflict = post(client, b"k", "list-set", fields, value="mine")
    assert conflict.status_code == 409
    again = form_fields(conflict.content.decode())
    assert post(client, b"k", "list-set", again).status_code == 200
    assert r.lrange("k", 0, -1) == [b"x", b"mine", b"x", b"x"]


def test_set_by_index_with_nothing_changed_goes_through(client, r):
    r.rpush("k", "x", "x", "x")
    assert submit(client, b"k", "list-set", row="0", value="first").status_code == 200
    assert submit(client, b"k", "list-set", row="2", value="last").status_code == 200
    assert r.lrange("k", 0, -1) == [b"first", b"x", b"last"]


def asked_to_trim(client, r, start="2", stop="4"):
    r.delete("l")
    r.rpush("l", *[f"e{i}" for i in range(10)])
    fields = open_form(client, b"l", "list-trim")
    asked = post(client, b"l", "list-trim", fields, start=start, stop=stop)
    assert asked.status_code == 200 and "Press Trim again" in asked.content.decode()
    return form_fields(asked.content.decode())


@pytest.mark.parametrize(
    "change",
    [
        lambda r: r.lset("l", 8, "other"),  # same length, a removed element changed
        lambda r: (r.lpop("l"), r.rpush("l", "e10")),  # same length, shifted
        lambda r: r.lset("l", 0, "other"),
    ],
    ids=["lset", "lpop-rpush", "head"],
)
def test_trim_after_the_removed_elements_changed_is_a_conflict(client, r, change):
    confirmed = asked_to_trim(client, r)
    change(r)
    before = r.lrange("l", 0, -1)
    response = post(client, b"l", "list-trim", confirmed)
    assert response.status_code == 409, response.content[-800:]
    assert "changed after you confirmed" in response.content.decode()
    assert r.lrange("l", 0, -1) == before


def test_trim_of_a_large_list_fingerprints_the_removed_ends_without_reading_them_all(client, r):
    from tests.units.helpers import RedisWork

    r.rpush("l", *[f"e{i}" for i in range(20_000)])
    fields = open_form(client, b"l", "list-trim")
    with RedisWork(r) as work:
        asked = post(client, b"l", "list-trim", fields, start="5000", stop="5009")
    assert asked.status_code == 200
    assert work.output_bytes < 64 * 1024, work.output_bytes
    confirmed = form_fields(asked.content.decode())
    r.lset("l", 19_999, "changed at the far end")
    assert post(client, b"l", "list-trim", confirmed).status_code == 409
    assert r.llen("l") == 20_000


# --- delete: the key as it was shown ---------------------------------------------------------


@pytest.mark.parametrize(
    ("arrange", "change"),
    [
        (lambda r: r.set("k", "shown"), lambda r: r.set("k", "changed")),
        (lambda r: r.hset("k", "f", "1"), lambda r: r.hset("k", "g", "2")),
        (lambda r: r.hset("k", "f", "1"), lambda r: r.hset("k", "f", "2")),
        (lambda r: r.rpush("k", "a", "b"), lambda r: r.lset("k", 1, "c")),
        (lambda r: r.sadd("k", "a", "b"), lambda r: r.sadd("k", "c")),
        (lambda r: r.zadd("k", {"a": 1}), lambda r: r.zadd("k", {"a": 2})),
        (lambda r: r.xadd("k", {"f": "v"}), lambda r: r.xadd("k", {"f": "w"})),
    ],
    ids=["string", "hash-new-field", "hash-value", "list", "set", "zset", "stream"],
)
def test_delete_of_a_key_changed_meanwhile_is_a_conflict(client, r, arrange, change):
    arrange(r)
    fields = open_form(client, b"k", "delete")
    change(r)
    response = post(client, b"k", "delete", fields)
    assert response.status_code == 409, response.content[-500:]
    assert "the key was changed meanwhile" in response.content.decode()
    assert r.exists("k")
    # The conflict shows it as it is now: deleting that is a deliberate second submit.
    again = form_fields(response.content.decode())
    assert post(client, b"k", "delete", again).status_code == 204
    assert not r.exists("k")


def test_delete_of_an_unchanged_key_goes_through(client, r):
    r.rpush("k", *range(1000))
    fields = open_form(client, b"k", "delete")
    assert post(client, b"k", "delete", fields).status_code == 204
    assert not r.exists("k")


# --- a refusal describes a state that existed ---------------------------------------------------


def test_a_refusal_is_checked_on_an_unchanged_snapshot(client, r, monkeypatch):
    """Each read of an edit's checks is its own round trip. Another client removes and puts
    back a member between two of them: “this is the last member” would describe a set that
    never had one member while the edit looked. The edit reads again instead."""
    r.sadd("s", "a", "b")
    fields = open_form(client, b"s", "set-remove", row=b"a")
    other = redis.Redis(port=r.connection_pool.connection_kwargs["port"])
    real_scard = redis.client.Pipeline.scard
    interfered = []

    def scard_with_a_concurrent_writer(self, name):
        if not interfered:
            interfered.append(True)
            other.srem("s", "b")
            answer = real_scard(self, name)
            other.sadd("s", "b")
            return answer
        return real_scard(self, name)

    monkeypatch.setattr(redis.client.Pipeline, "scard", scard_with_a_concurrent_writer)
    response = post(client, b"s", "set-remove", fields)
    other.close()
    assert interfered
    assert response.status_code == 200, response.content[-500:]
    assert r.smembers("s") == {b"b"}



@pytest.mark.parametrize(("action", "push"), [("list-pop-head", "lpush"),
                                              ("list-pop-tail", "rpush")])
def test_a_pop_does_not_take_a_job_pushed_meanwhile_in_a_queue_of_equal_jobs(client, r, action,
                                                                            push):
    """RPUSH q job job job; open Pop; another client pushes a job at that end: popping now
    would take the new job, not the one shown. A conflict instead."""
    r.rpush("q", "job", "job", "job")
    fields = open_form(client, b"q", action)
    getattr(r, push)("q", "job")
    response = post(client, b"q", action, fields)
    assert response.status_code == 409, response.content[-500:]
    assert r.llen("q") == 4


# --- replacing fields and scores that exist -------------------------------------------------


def asked_to_replace(client, r, key: bytes, action: str, **changes) -> dict:
    fields = open_form(client, key, action)
    asked = post(client, key, action, fields, **changes)
    assert asked.status_code == 428, asked.content[-500:]
    return asked


def test_replacing_hash_fields_names_them_and_is_confirmed_for_them_as_shown(client, r):
    r.hset("h", mapping={"a": "1", "x": "theirs"})
    asked = asked_to_replace(client, r, b"h", "hash-add-many", pairs="a=2\nb=3", overwrite="on")
    assert "1 of these fields exist (a) and will be replaced" in asked.content.decode()
    confirmed = form_fields(asked.content.decode())
    # The confirmation is for a=2, b=3: it does not let another field be replaced.
    assert post(client, b"h", "hash-add-many", confirmed, pairs="a=2\nx=mine").status_code == 428
    assert r.hget("h", "x") == b"theirs"
    # A field changed after the confirmation: a conflict, nothing written.
    r.hset("h", "a", "changed meanwhile")
    conflict = post(client, b"h", "hash-add-many", confirmed)
    assert conflict.status_code == 409
    assert "changed after you confirmed" in conflict.content.decode()
    assert r.hmget("h", "a", "b") == [b"changed meanwhile", None]
    again = form_fields(conflict.content.decode())
    assert post(client, b"h", "hash-add-many", again).status_code == 200
    assert r.hmget("h", "a", "b") == [b"2", b"3"]


@pytest.mark.parametrize(("action", "changes"), [
    ("zset-add", {"member": "bob", "score": "99"}),
    ("zset-add-many", {"lines": "bob 99\neve 1"}),
])
def test_updating_scores_is_confirmed_for_the_scores_shown(client, r, action, changes):
    r.zadd("z", {"bob": 30, "cat": 20})
    asked = asked_to_replace(client, r, b"z", action, update_existing="on", **changes)
    assert "will be replaced" in asked.content.decode()
    confirmed = form_fields(asked.content.decode())
    r.zincrby("z", 5, "bob")
    conflict = post(client, b"z", action, confirmed)
    assert conflict.status_code == 409 and r.zscore("z", "bob") == 35
    assert post(client, b"z", action, form_fields(conflict.content.decode())).status_code == 200
    assert r.zscore("z", "bob") == 99
