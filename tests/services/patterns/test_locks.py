"""Locks: a random token under a lock name with a PX TTL, Redisson's hash; stale without TTL."""

from __future__ import annotations

import uuid

from tests.services.patterns.helpers import facts, recognised


def test_a_token_under_a_lock_name_is_a_lock_with_its_time_left(r):
    token = uuid.uuid4().hex
    r.set("lock:invoice:42", token, px=30_000, nx=True)
    found = recognised("lock:invoice:42")["lock"]
    shown = facts(found)
    assert shown["Owner token"] == token
    assert shown["Time left"] in ("30 s", "29 s")
    assert "expires" in shown["Expires"]
    assert found.warnings == ()


def test_a_lock_without_ttl_gets_a_stale_lock_hint(r):
    r.set("jobs:nightly.lock", str(uuid.uuid4()))
    found = recognised("jobs:nightly.lock")["lock"]
    assert "held forever" in found.warnings[0]
    assert facts(found)["Time left"] == "no TTL"


def test_a_lock_name_without_a_token_is_not_a_lock(r):
    r.set("lock:a", "1", px=5000)  # a flag, not an owner's token
    r.set("lock:b", "yes-this-is-held", px=5000)  # words, no digits: not random
    r.set("clock:c", uuid.uuid4().hex, px=5000)  # "clock" is not "lock"
    assert recognised("lock:a") == recognised("lock:b") == recognised("clock:c") == {}


def test_a_token_without_a_lock_name_is_not_a_lock(r):
    r.set("csrf:9", uuid.uuid4().hex, px=5000)
    assert "lock" not in recognised("csrf:9")


def test_redisson_lock_by_its_fields_alone(r):
    owner = f"{uuid.uuid4()}:57"
    r.hset("orders", owner, 2)
    r.pexpire("orders", 30_000)
    found = recognised("orders")["redisson-lock"]
    assert facts(found)["Owner (client id:thread)"] == owner
    assert facts(found)["Hold count"] == "2"
    assert not found.warnings
    r.hset("orders", "note", "x")
    assert recognised("orders") == {}
