"""Races, one per type: several threads edit a key through the edit operations (the form's
initial data, the form's validation, then `apply`, as the edit view runs them) while another
client writes to the same key. Every edit must either apply to exactly what it saw or report
a conflict: each invariant below counts silent losses, and expects none."""

from __future__ import annotations

import threading
import time

import pytest
import redis

from keyspace.exceptions import KeyNotFound
from keyspace.redis.keynames import encode_key
from keyspace.services.editing.guard import Conflict, Refused
from keyspace.services.editing.key_operations import KEY_OPERATIONS
from keyspace.units import registry

EDITORS = 4
ROUNDS = 25


def edit(client, key: bytes, type_name: str, action: str, row=None, change=None):
    """Open the form (its initial data), let `change(initial)` fill it in, validate it and
    apply it. Returns (initial, True) when applied, (initial, False) on a conflict."""
    unit = registry.unit_for(type_name)
    operation = unit.operations.get(action) or KEY_OPERATIONS[action]
    params = {"row": row} if row is not None else {}
    try:
        initial = operation.initial(client, key, params)
    except (Conflict, Refused, KeyNotFound):
        return {}, False
    data = {"expected_type": type_name, **params, **initial}
    data |= change(initial) if change else {}
    form = operation.form_class(data)
    assert form.is_valid(), form.errors
    try:
        operation.apply(client, key, form.cleaned_data)
    except (Conflict, KeyNotFound):
        return initial, False
    return initial, True


def race(port: int, editor, interferer, pause: float = 0.001) -> tuple[list, int]:
    """Run EDITORS threads of `editor(client, thread, round)` ROUNDS times each, while
    `interferer(client, n)` writes until they are done: at most once per two edit attempts
    (and `pause` apart), so the race is the same on a loaded machine as on an idle one.
    Returns the editors' results and the number of interfering writes."""
    done = threading.Event()
    results: list = []
    errors: list = []
    lock = threading.Lock()
    writes = [0]

    def run_editor(thread: int):
        client = redis.Redis(port=port)
        try:
            for number in range(ROUNDS):
                outcome = editor(client, thread, number)
                with lock:
                    results.append(outcome)
        except Exception as exc:  # surfaced below, with its thread
            errors.append((thread, exc))
        finally:
            client.close()

    def run_interferer():
        client = redis.Redis(port=port)
        seen = 0
        while not done.is_set():
            if len(results) >= seen + 2:
                interferer(client, writes[0])
                writes[0] += 1
                seen = len(results)
            time.sleep(pause)
        client.close()

    other = threading.Thread(target=run_interferer)
    other.start()
    editors = [threading.Thread(target=run_editor, args=(n,)) for n in range(EDITORS)]
    for thread in editors:
        thread.start()
    for thread in editors:
        thread.join()
    done.set()
    other.join()
    assert not errors, errors
    assert writes[0] > 0, "the other client never wrote: the race proved nothing"
    return results, writes[0]


@pytest.fixture
def port(redis_server) -> int:
    return redis_server.port


def applied(results) -> list:
    return [result for result, ok in results if ok]


def test_string_edits_lose_nothing(r, port):
    r.set("k", "start")

    def editor(client, thread, number):
        mark = f"|e{thread}.{number}"
        initial, ok = edit(client, b"k", "string", "string-edit",
                           change=lambda seen: {"value": seen["value"] + mark})
        return mark, ok

    results, writes = race(port, editor, lambda c, n: c.append("k", f"|w{n}"), pause=0.01)
    final = r.get("k").decode()
    assert applied(results), "no edit went through: the race proved nothing"
    lost = [mark for mark in applied(results) if mark not in final]
    lost += [f"|w{n}" for n in range(writes) if f"|w{n}|" not in final + "|"]
    assert lost == []


def test_hash_field_edits_lose_nothing(r, port):
    r.hset("k", mapping={"f": "start", "other": "1"})
    token = encode_key(b"f")

    def editor(client, thread, number):
        mark = f"|e{thread}.{number}"
        _, ok = edit(client, b"k", "hash", "hash-set", row=token,
                     change=lambda seen: {"value": seen["value"] + mark})
        return mark, ok

    def interferer(client, n):
        def append(pipe):
            current = pipe.hget("k", "f")
            pipe.multi()
            pipe.hset("k", "f", current + f"|w{n}".encode())

        client.transaction(append, "k")

    results, writes = race(port, editor, interferer)
    final = r.hget("k", "f").decode() + "|"
    assert applied(results)
    assert [m for m in applied(results) if m + "|" not in final and m not in final] == []
    assert [n for n in range(writes) if f"|w{n}|" not in final] == []


def test_list_set_by_index_lands_on_the_element_it_opened(r, port):
    """Elements carry an identity (`id7:`); the other client pushes new ones at the head and
    the tail, shifting every index. An edit that landed on another element would copy the
    identity it saw over that element: identities would repeat or vanish."""
    r.rpush("k", *[f"id{n}:" for n in range(12)])

    def editor(client, thread, number):
        index = (thread * 7 + number) % 10
        mark = f"|e{thread}.{number}"
        seen, ok = edit(client, b"k", "list", "list-set", row=str(index),
                        change=lambda seen: {"value": seen["value"] + mark})
        identity = seen.get("value", "").split(":")[0]
        return (identity, mark), ok

    def interferer(client, n):
        (client.lpush if n % 2 else client.rpush)("k", f"new{n}:")

    results, writes = race(port, editor, interferer, pause=0.02)
    final = [element.decode() for element in r.lrange("k", 0, -1)]
    identities = [element.split(":")[0] for element in final]
    expected = [f"id{n}" for n in range(12)] + [f"new{n}" for n in range(writes)]
    assert sorted(identities) == sorted(expected)
    by_identity = dict(zip(identities, final, strict=True))
    assert applied(results)
    assert [(i, m) for i, m in applied(results) if m not in by_identity[i]] == []


def test_set_removals_happen_once_and_only_to_members_that_were_there(r, port):
    members = [f"m{n}" for n in range(40)]
    r.sadd("k", *members)

    def editor(client, thread, number):
        member = members[number % len(members)]  # every thread after the same one
        _, ok = edit(client, b"k", "set", "set-remove", row=encode_key(member.encode()))
        return member, ok

    results, writes = race(port, editor, lambda c, n: c.sadd("k", f"added{n}"))
    removed = applied(results)
    assert removed and len(removed) == len(set(removed)), "a removal reported twice"
    expected = (set(members) - set(removed)) | {f"added{n}" for n in range(writes)}
    assert {m.decode() for m in r.smembers("k")} == expected


def test_zset_score_changes_lose_no_increment(r, port):
    r.zadd("k", {"a": 0, "b": 0})
    token = encode_key(b"a")

    def editor(client, thread, number):
        def change(seen):
            return {"score": str(float(seen["expected"]) + 1000)}

        _, ok = edit(client, b"k", "zset", "zset-score", row=token, change=change)
        return number, ok

    results, writes = race(port, editor, lambda c, n: c.zincrby("k", 1, "a"))
    assert applied(results)
    assert r.zscore("k", "a") == 1000 * len(applied(results)) + writes


def test_stream_deletes_take_only_the_entries_they_showed(r, port):
    """Each delete that goes through removed exactly the entries its form was drawn over:
    entries added = entries left + entries shown to the deletes that succeeded."""
    r.xadd("k", {"f": "first"})
    added = [1]

    def editor(client, thread, number):
        before = client.xrange("k")
        initial = KEY_OPERATIONS["delete"].initial(client, b"k", {})
        if client.xrange("k") != before or not before:
            return 0, False  # the view itself raced: not a fair trial
        form = KEY_OPERATIONS["delete"].form_class(
            {"expected_type": "stream", **initial})
        assert form.is_valid(), form.errors
        try:
            KEY_OPERATIONS["delete"].apply(client, b"k", form.cleaned_data)
        except (Conflict, KeyNotFound):
            return 0, False
        return len(before), True

    def interferer(client, n):
        client.xadd("k", {"f": f"w{n}"})
        added[0] += 1

    results, writes = race(port, editor, interferer, pause=0.01)
    assert applied(results)
    assert added[0] == r.xlen("k") + sum(applied(results))
