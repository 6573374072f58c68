"""Recommendations from INFO and CONFIG GET, against the test server with its settings changed
(and restored)."""

from __future__ import annotations

import pytest
import redis

from keyspace.redis.connection import get_client
from keyspace.services.recommendations import evaluate
from keyspace.services.recommendations.json_values import sample_json
from keyspace.services.recommendations.sources import read_sources

pytestmark = pytest.mark.servers  # the server matrix: tests/support/servers.py


def test_maxmemory_unset_and_then_set(r, found):
    r.config_set("maxmemory", 0)
    r.set("a", "x" * 1000)
    rec = found()["maxmemory-unset"]
    assert rec.keys == 1 and rec.memory > 0
    r.config_set("maxmemory", 100 * 1024 * 1024)
    assert "maxmemory-unset" not in found()


def test_volatile_policy_with_keys_that_cannot_be_evicted(r, r1, found):
    r.config_set("maxmemory-policy", "volatile-lru")
    r.set("keep", 1)
    r.set("goes", 1, ex=600)
    r1.set("other", 1)
    rec = found()["eviction-policy"]
    assert rec.keys == 2
    assert [(i.label, i.keys) for i in rec.items] == [("db0", 1), ("db1", 1)]
    assert rec.items[0].url == "/c/default/db/0/?sort=ttl"
    r.config_set("maxmemory-policy", "allkeys-lru")
    assert "eviction-policy" not in found()


def test_noeviction_matters_only_with_a_limit(r, found):
    r.config_set("maxmemory-policy", "noeviction")
    r.config_set("maxmemory", 0)
    assert "eviction-policy" not in found()
    r.config_set("maxmemory", 100 * 1024 * 1024)
    assert "OOM" in found()["eviction-policy"].why


def test_persistence_off_then_on(r, found):
    r.config_set("save", "")
    r.config_set("appendonly", "no")
    r.set("a", 1)
    rec = found()["persistence-off"]
    assert rec.keys == 1 and rec.memory
    r.config_set("save", "3600 1")
    assert "persistence-off" not in found()


def test_several_databases_in_use(r, r1, found):
    r.set("a", 1)
    assert "many-databases" not in found()
    r1.set("b", 1)
    rec = found()["many-databases"]
    assert [i.label for i in rec.items] == ["db0", "db1"]
    assert rec.items[1].url == "/c/default/db/1/"


def test_fragmentation_from_the_real_info_with_its_ratio_raised(r):
    """Real fragmentation cannot be made on demand: the server's own INFO, with the ratio and
    RSS of a fragmented server put in."""
    client = get_client(0)
    sources = read_sources(client, 0, sample=sample_json)
    assert "fragmentation" not in {rec.code for rec in evaluate(sources, 0).found}
    used = sources.info["used_memory"]
    sources.info.update(mem_fragmentation_ratio=2.5, used_memory_rss=used + 200 * 1024 * 1024)
    rec = {rec.code: rec for rec in evaluate(sources, 0).found}["fragmentation"]
    assert rec.memory == 200 * 1024 * 1024
    assert "activedefrag" in rec.advice


def test_keys_and_flushall_in_commandstats(r, found):
    assert "keys-command" not in found() and "flush-commands" not in found()
    r.set("a", 1)
    r.keys("*")
    r.flushdb()
    codes = found()
    assert codes["keys-command"].items[0].note.startswith("1 calls")
    assert [i.label for i in codes["flush-commands"].items] == ["FLUSHDB"]


def test_smembers_counted_only_when_slow_or_on_big_keys(r, found):
    r.sadd("small", 1, 2, 3)
    r.smembers("small")
    assert "whole-reads" not in found()
    with r.pipeline(transaction=False) as pipe:
        for start in range(0, 300_000, 10_000):
            pipe.sadd("big", *range(start, start + 10_000))
        pipe.execute()
    r.config_resetstat()
    r.smembers("big")
    rec = found()["whole-reads"]
    assert rec.items[0].label == "SMEMBERS"


def test_a_user_without_config_loses_only_config(r, found, settings, redis_server):
    r.acl_setuser("noconfig", enabled=True, passwords=["+pw"], keys=["*"],
                  commands=["+@all", "-config"])
    r.config_set("maxmemory", 0)
    r.keys("*")
    try:
        settings.REDIS_URL = f"redis://noconfig:pw@127.0.0.1:{redis_server.port}/0"
        codes = found()
        result = codes["_result"]
        assert "may not run CONFIG GET" in result.sources.missing["CONFIG GET"]
        assert "maxmemory-unset" not in codes and "keys-command" in codes
        assert "maxmemory set" in [n.title for n in result.not_checked]
    finally:
        r.acl_deluser("noconfig")


def test_a_user_without_info_loses_only_info(r, found, settings, redis_server):
    r.acl_setuser("noinfo", enabled=True, passwords=["+pw"], keys=["*"],
                  commands=["+@all", "-info"])
    r.config_set("save", "")
    r.config_set("appendonly", "no")
    try:
        settings.REDIS_URL = f"redis://noinfo:pw@127.0.0.1:{redis_server.port}/0"
        codes = found()
        result = codes["_result"]
        assert "INFO" in result.sources.missing
        assert "persistence-off" in codes  # CONFIG alone decides it
        assert "Fragmentation" in [n.title for n in result.not_checked]
    finally:
        r.acl_deluser("noinfo")


def test_redis_down_is_not_a_recommendation(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    try:
        read_sources(get_client(0), 0, sample=sample_json)
    except redis.ConnectionError:
        return
    raise AssertionError("an unreachable server must raise, for the page to say so")
