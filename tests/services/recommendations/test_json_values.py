"""JSON strings that would be smaller as hashes, from a bounded sample of keys."""

from __future__ import annotations

import json

import pytest

from keyspace.services.recommendations.json_values import SAMPLE_KEYS, listpack_size
from tests.units.helpers import RedisWork

pytestmark = pytest.mark.servers  # the server matrix: tests/support/servers.py


def test_indented_flat_json_is_recommended_as_hashes(r, found):
    for i in range(20):
        r.set(f"user:{i}", json.dumps({"id": 1000 + i, "name": f"user {i}", "age": 30,
                                       "active": True}, indent=2))
    r.set("doc:nested", json.dumps({"a": {"b": 1}}, indent=2))
    r.set("doc:long", json.dumps({"text": "x" * 100}, indent=2))
    r.set("plain", "hello")
    rec = found()["json-as-hashes"]
    assert rec.keys == 20 and rec.keys_estimated
    assert {i.label for i in rec.items} == {f"user:{i}" for i in range(20)}
    value = r.get("user:0")
    assert rec.items[0].memory > 0.2 * len(value)
    assert rec.items[0].url.startswith("/c/default/db/0/key/")


def test_compact_json_with_short_text_is_not(r, found):
    r.set("c:1", json.dumps({"name": "ada", "city": "london"}, separators=(",", ":")))
    assert "json-as-hashes" not in found()


def test_listpack_model():
    assert listpack_size(b'{"a": {"b": 1}}') is None  # nested
    assert listpack_size(b'{"a": "' + b"x" * 65 + b'"}') is None  # too long for a listpack
    assert listpack_size(b"[1, 2]") is None
    # header 7 + "id" (4) + 7 as an int (2)
    assert listpack_size(b'{"id": 7}') == 13


def test_the_sample_is_bounded(r, found):
    with r.pipeline(transaction=False) as pipe:
        for i in range(3000):
            # Every one smaller as a hash by the recommendation's margin (a number under 1,000
            # saves less than 20%), so the scaled count is about all 3,000.
            pipe.set(f"k:{i}", json.dumps({"n": 1_000_000 + i}, indent=4))
        pipe.execute()
    with RedisWork(r) as work:
        rec = found()["json-as-hashes"]
    assert work.count("getrange") <= SAMPLE_KEYS and work.count("type") <= SAMPLE_KEYS
    assert work.count("get") == 0
    assert 2000 < rec.keys < 4000  # scaled from the sample to DBSIZE
