"""Recommendations from a real stored analysis: keys without TTL in cache-like namespaces,
values over 1 MB, collections over 10,000 elements, whole reads of big keys."""

from __future__ import annotations

import pytest

from tests.units.helpers import seed

pytestmark = pytest.mark.servers  # the server matrix: tests/support/servers.py


def test_without_an_analysis_its_checks_are_not_run(r, found):
    result = found()["_result"]
    assert "no finished analysis" in result.sources.missing["the analysis"]
    assert "Values over 1 MB" in [n.title for n in result.not_checked]


def test_keys_without_ttl_in_cache_and_session_namespaces(r, found, analysed):
    with r.pipeline(transaction=False) as pipe:
        for i in range(30):
            pipe.set(f"cache:page:{i}", "x" * 100)
        for i in range(10):
            pipe.set(f"cache:page:t{i}", "x" * 100, ex=600)
        for i in range(5):
            pipe.set(f"app:session:{i}", "{}")
        for i in range(20):
            pipe.set(f"user:{i}", "x")  # not cache-like: fine without TTL
        pipe.execute()
    analysed()
    rec = found()["no-ttl-cache"]
    assert [(i.label, i.keys) for i in rec.items] == [("cache:*", 30), ("app:session:*", 5)]
    assert rec.keys == 35
    assert rec.items[0].url == "/c/default/db/0/?match=cache%3A%2A"
    # The memory at stake is the namespace's share without TTL: 30 of its 40 keys.
    cache_memory = sum(r.memory_usage(f"cache:page:{i}") for i in range(30))
    assert abs(rec.items[0].memory - cache_memory) < cache_memory * 0.2


def test_values_over_one_megabyte(r, found, analysed):
    r.set("blob:big", b"x" * (1_100_000))
    r.set("blob:small", b"x" * 1000)
    analysed()
    rec = found()["big-values"]
    assert [i.label for i in rec.items] == ["blob:big"]
    assert rec.keys == 1 and rec.memory >= 1_100_000
    assert rec.items[0].url == "/c/default/db/0/key/YmxvYjpiaWc/"
    assert rec.links[0].url == "/c/default/db/0/?sort=-memory"


def test_collections_over_ten_thousand_elements_and_whole_reads_on_them(r, found, analysed):
    seed(r, "SADD", "tags:all", list(range(12_000)))
    seed(r, "RPUSH", "queue:jobs", list(range(20_000)))
    r.sadd("tags:few", 1, 2)
    r.set("s", "x" * 50_000)  # a long string is not a collection
    analysed()
    codes = found()
    assert [i.label for i in codes["big-collections"].items] == ["queue:jobs", "tags:all"]
    assert "whole-reads" not in codes  # nobody read them whole
    r.smembers("tags:few")
    rec = found()["whole-reads"]
    assert [i.label for i in rec.items] == ["SMEMBERS", "tags:all"]
    assert rec.keys == 1


def test_the_eviction_policy_weighs_keys_without_ttl_from_the_analysis(r, found, analysed):
    r.config_set("maxmemory-policy", "volatile-lru")
    r.set("keep", "x" * 5000)
    r.set("goes", "x", ex=600)
    assert found()["eviction-policy"].memory is None
    analysed()
    rec = found()["eviction-policy"]
    assert rec.memory == r.memory_usage("keep") and rec.memory_estimated
