"""The window between an edit's checks and its write. Another client writes in exactly that
window (the `before_write` hook of `guarded`, set only by tests), and every replacing or
removing edit must then report a conflict, leaving the other client's write in place. If an
edit watched the wrong key, or wrote outside the transaction, these tests fail."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from keyspace.redis.keynames import encode_key
from keyspace.services.editing import guard as editing
from tests.services.editing.forms import form_fields, open_form
from tests.support.htmx import HTMX
from tests.support.urls import edit_url


@dataclass(frozen=True)
class Case:
    action: str
    arrange: Callable
    interfere: Callable
    survives: Callable  # the other client's write is still there
    row: bytes | str | None = None
    changes: dict = field(default_factory=dict)
    asks_first: bool = False  # the server asks to confirm before it acts

    def __str__(self) -> str:
        return self.action


def _stream_work(r):
    """Stream k, entries 1-0..5-0, group g: alice holds 1-0..3-0."""
    for i in range(1, 6):
        r.xadd("k", {"n": i}, id=f"{i}-0")
    r.xgroup_create("k", "g", "0")
    r.xreadgroup("g", "alice", {"k": ">"}, count=3)


def _held(r, entry_id: str, consumer: bytes, deliveries: int = 1) -> bool:
    rows = r.xpending_range("k", "g", entry_id, entry_id, 1)
    return bool(rows) and (rows[0]["consumer"], rows[0]["times_delivered"]) == (
        consumer, deliveries)


ALICE = encode_key(b"alice")
GROUP = {"group": encode_key(b"g")}
# Acknowledging, claiming and group edits change what WATCH does not see: each interference
# here is such a change, so only the edit's own Lua check can notice it.
STREAM_CASES = [
    Case("stream-delete", _stream_work, lambda r: r.xdel("k", "2-0"),
         lambda r: r.xlen("k") == 4 and r.xrange("k", "1-0", "1-0"),
         changes={"ids": "1-0 2-0"}, asks_first=True),
    Case("stream-delete-entry", _stream_work, lambda r: r.xdel("k", "2-0"),
         lambda r: r.xlen("k") == 4 and not r.xrange("k", "2-0", "2-0"), row="2-0"),
    Case("stream-trim", _stream_work, lambda r: r.xadd("k", {"n": 6}, id="6-0"),
         lambda r: r.xlen("k") == 6, changes={"strategy": "MAXLEN", "threshold": "2"},
         asks_first=True),
    Case("stream-group-destroy", _stream_work, lambda r: r.xack("k", "g", "1-0"),
         lambda r: r.xinfo_groups("k")[0]["pending"] == 2, changes={"group": "g"},
         asks_first=True),
    Case("stream-consumer-delete", _stream_work, lambda r: r.xack("k", "g", "1-0"),
         lambda r: r.xinfo_consumers("k", "g")[0]["pending"] == 2,
         changes={"group": "g", "consumer": "alice"}, asks_first=True),
    Case("stream-ack", _stream_work, lambda r: r.xclaim("k", "g", "bob", 0, ["1-0"]),
         lambda r: _held(r, "1-0", b"bob", 2),
         changes=GROUP | {"selected": f"1-0:1:{ALICE}"}, asks_first=True),
    Case("stream-claim", _stream_work, lambda r: r.xack("k", "g", "2-0"),
         lambda r: not r.xpending_range("k", "g", "2-0", "2-0", 1) and _held(r, "1-0", b"alice"),
         changes=GROUP | {"selected": f"1-0:1:{ALICE} 2-0:1:{ALICE}", "consumer": "carol"},
         asks_first=True),
    Case("stream-autoclaim", _stream_work, lambda r: r.xclaim("k", "g", "bob", 0, ["2-0"]),
         lambda r: _held(r, "2-0", b"bob", 2) and _held(r, "1-0", b"alice"),
         changes=GROUP | {"consumer": "carol", "min_idle": "0", "count": "10"},
         asks_first=True),
]

CASES = [
    Case("string-edit", lambda r: r.set("k", "seen"), lambda r: r.set("k", "theirs"),
         lambda r: r.get("k") == b"theirs", changes={"value": "mine"}),
    Case("string-set-expiry", lambda r: r.set("k", "seen"), lambda r: r.set("k", "theirs"),
         lambda r: r.get("k") == b"theirs" and r.ttl("k") == -1,
         changes={"value": "mine", "amount": "60"}),
    Case("hash-set", lambda r: r.hset("k", mapping={"f": "seen", "g": "1"}),
         lambda r: r.hset("k", "f", "theirs"), lambda r: r.hget("k", "f") == b"theirs",
         row=b"f", changes={"value": "mine"}),
    Case("hash-delete", lambda r: r.hset("k", mapping={"f": "seen", "g": "1"}),
         lambda r: r.hset("k", "f", "theirs"), lambda r: r.hget("k", "f") == b"theirs",
         row=b"f"),
    Case("list-set", lambda r: r.rpush("k", "x", "x", "x"), lambda r: r.lpush("k", "x"),
         lambda r: r.lrange("k", 0, -1) == [b"x"] * 4, row="1", changes={"value": "mine"}),
    Case("list-pop-head", lambda r: r.rpush("k", "a", "b"), lambda r: r.lset("k", 0, "theirs"),
         lambda r: r.lrange("k", 0, -1) == [b"theirs", b"b"]),
    Case("list-trim", lambda r: r.rpush("k", *range(10)), lambda r: r.lset("k", 9, "theirs"),
         lambda r: r.llen("k") == 10 and r.lindex("k", 9) == b"theirs",
         changes={"start": "0", "stop": "4"}, asks_first=True),
    Case("set-remove", lambda r: r.sadd("k", "a", "b"),
         lambda r: (r.srem("k", "a"), r.sadd("k", "c")),
         lambda r: r.smembers("k") == {b"b", b"c"}, row=b"a"),
    Case("zset-score", lambda r: r.zadd("k", {"a": 1, "b": 2}), lambda r: r.zadd("k", {"a": 7}),
         lambda r: r.zscore("k", "a") == 7, row=b"a", changes={"score": "100"}),
    Case("zset-remove", lambda r: r.zadd("k", {"a": 1, "b": 2}), lambda r: r.zadd("k", {"a": 7}),
         lambda r: r.zscore("k", "a") == 7, row=b"a"),
    Case("delete", lambda r: r.rpush("k", "a"), lambda r: r.rpush("k", "theirs"),
         lambda r: r.lrange("k", 0, -1) == [b"a", b"theirs"]),
    Case("rename", lambda r: (r.set("k", "mine"), r.set("t", "shown")),
         lambda r: r.set("t", "theirs"), lambda r: r.get("t") == b"theirs" and r.exists("k"),
         changes={"new_name": "t", "overwrite": "on"}, asks_first=True),
    Case("copy", lambda r: (r.set("k", "mine"), r.set("t", "shown")),
         lambda r: r.set("t", "theirs"), lambda r: r.get("t") == b"theirs",
         changes={"new_name": "t", "overwrite": "on"}, asks_first=True),
    Case("ttl", lambda r: r.set("k", "v"), lambda r: (r.delete("k"), r.rpush("k", "theirs")),
         lambda r: r.lrange("k", 0, -1) == [b"theirs"] and r.ttl("k") == -1,
         changes={"unit": "s", "amount": "60"}),
    # Another client's new TTL alone: the key's state the form carries includes its expiry.
    Case("ttl", lambda r: r.set("k", "v", ex=600), lambda r: r.expire("k", 30),
         lambda r: r.get("k") == b"v" and 0 < r.ttl("k") <= 30,
         changes={"unit": "s", "amount": "100000"}),
    Case("persist", lambda r: r.set("k", "v", ex=600), lambda r: r.expire("k", 30),
         lambda r: r.get("k") == b"v" and 0 < r.ttl("k") <= 30),
    *STREAM_CASES,
]


def _post(client, action: str, fields: dict):
    fields = {k: v for k, v in fields.items() if k != "csrfmiddlewaretoken"}
    return client.post(edit_url(b"k", action), fields, headers=HTMX)


@pytest.fixture
def in_the_window(monkeypatch):
    """Run `write(r)` once, between the checks and the write of the next guarded edit."""
    fired: list = []

    def arm(r, write):
        def hook(client, keys):
            if not fired:
                fired.append(keys)
                write(r)

        monkeypatch.setattr(editing, "before_write", hook)
        return fired

    return arm


def assert_a_window_write_is_a_conflict(client, r, case, in_the_window) -> None:
    """`case`'s edit, with its interfering write armed between the check and the write: the
    edit answers a conflict and the other write survives (also run in a cluster)."""
    case.arrange(r)
    fields = open_form(client, b"k", case.action, case.row) | case.changes
    if case.asks_first:
        asked = _post(client, case.action, fields)
        assert asked.status_code in (200, 428), asked.content[-500:]
        fields = form_fields(asked.content.decode())
    fired = in_the_window(r, case.interfere)
    response = _post(client, case.action, fields)
    assert fired, "the edit never reached its write"
    assert response.status_code in (404, 409), (response.status_code, response.content[-800:])
    assert case.survives(r), "the edit wrote over a change it never saw"


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_write_between_the_check_and_the_write_is_a_conflict(client, r, case, in_the_window):
    assert_a_window_write_is_a_conflict(client, r, case, in_the_window)


def test_every_replacing_or_removing_edit_is_covered():
    """A new destructive edit is added here, or this fails."""
    from keyspace.services.editing.key_operations import KEY_OPERATIONS
    from keyspace.units import registry

    destructive = {op.name for op in KEY_OPERATIONS.values() if op.destructive}
    for name in registry.type_names():
        unit = registry.unit_for(name)
        destructive |= {op.name for op in unit.operations.values() if op.destructive}
    from tests.units.rejson.test_edits import WINDOW_COVERED  # on a server with the module

    covered = {case.action for case in CASES} | WINDOW_COVERED
    assert destructive - covered <= {"list-pop-tail", "list-remove"}, destructive - covered
