"""The overview's facts from an INFO reading: what is shown and what is flagged."""

from __future__ import annotations

import pytest

from keyspace.services.server import overview

pytestmark = pytest.mark.servers  # the server matrix: tests/support/servers.py

MiB = 1024 * 1024


def facts(section) -> dict[str, tuple[str, bool]]:
    return {fact.label: (fact.value, fact.warn) for fact in section.facts}


def test_uptime_in_its_two_largest_units():
    assert overview.uptime(93_784) == "1 d 2 h"
    assert overview.uptime(None) == "—"


def test_fragmentation_is_flagged_only_on_a_redis_holding_something():
    small = facts(overview._memory({"used_memory": MiB, "mem_fragmentation_ratio": 11.0}))
    big = facts(overview._memory({"used_memory": 64 * MiB, "mem_fragmentation_ratio": 1.8}))
    assert small["Fragmentation"] == ("11.00", False)
    assert big["Fragmentation"] == ("1.80", True)
    assert big["Max memory"] == ("no limit", False)


def test_a_failed_save_and_a_failing_aof_are_flagged():
    shown = facts(overview._persistence({"rdb_last_bgsave_status": "err", "aof_enabled": 1,
                                         "aof_last_write_status": "err",
                                         "rdb_last_save_time": 0}))
    assert shown["RDB status"] == ("err", True)
    assert shown["AOF"] == ("err", True)
    assert shown["Last save"] == ("never", False)


def test_a_replica_shows_its_primary_and_a_down_link():
    shown = facts(overview._replication({"role": "slave", "master_host": "10.0.0.1",
                                         "master_port": 6379, "master_link_status": "down"}))
    assert shown["Primary"] == ("10.0.0.1:6379", False)
    assert shown["Link"] == ("down", True)


def test_hit_ratio_since_start():
    shown = facts(overview._activity({"keyspace_hits": 3, "keyspace_misses": 1}))
    assert shown["Hit ratio since start"] == ("75.0%", False)
    assert facts(overview._activity({}))["Hit ratio since start"] == ("no reads yet", False)
