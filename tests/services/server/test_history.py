"""Readings shared in the database: one INFO per slot however many viewers, bounded by the
window, and the rates and ratios drawn from them."""

from __future__ import annotations

import pytest

from keyspace.models import ServerSample
from keyspace.redis.connection import get_client
from keyspace.services.server import history

pytestmark = pytest.mark.django_db
TARGET = "127.0.0.1:1"


def info_calls(r) -> int:
    return r.info("commandstats").get("cmdstat_info", {}).get("calls", 0)


def window(now: float) -> history.Window:
    return history.Window(now=now, interval=5, seconds=60)


def test_many_viewers_in_one_slot_cost_one_info(r):
    before = info_calls(r)
    first, _ = history.latest_reading(get_client(), TARGET, window(1000.0))
    for moment in (1001.0, 1002.5, 1004.9):
        again, _ = history.latest_reading(get_client(), TARGET, window(moment))
        assert again.taken_at == first.taken_at == 1000.0
    assert info_calls(r) - before == 1 + 1  # the viewers' one, and this test's own INFO
    assert ServerSample.objects.filter(target=TARGET).count() == 1


def test_the_next_slot_reads_again_and_keeps_both(r):
    history.latest_reading(get_client(), TARGET, window(1000.0))
    history.latest_reading(get_client(), TARGET, window(1005.0))
    assert list(ServerSample.objects.filter(target=TARGET).values_list("slot", flat=True)
                .order_by("slot")) == [200, 201]


def test_a_slot_stored_meanwhile_by_another_worker_is_kept(r):
    reading, _ = history.latest_reading(get_client(), TARGET, window(1000.0))
    ServerSample.objects.filter(pk=reading.pk).update(slot=199)  # an older reading...
    ServerSample.objects.create(target=TARGET, slot=201, taken_at=1005.0, commands=1, hits=0,
                                misses=0, used_memory=1, clients=1)  # ...and a newer one
    history.latest_reading(get_client(), TARGET, window(1005.5))  # same slot: no error
    assert ServerSample.objects.filter(target=TARGET, slot=201).count() == 1


def test_readings_older_than_the_window_are_deleted(r):
    history.latest_reading(get_client(), "no longer shown:3", window(990.0))
    history.latest_reading(get_client(), TARGET, window(1000.0))
    history.latest_reading(get_client(), TARGET, window(1030.0))
    history.latest_reading(get_client(), TARGET, window(1061.0))
    kept = sorted(ServerSample.objects.filter(target=TARGET).values_list("taken_at", flat=True))
    assert kept == [1030.0, 1061.0]
    assert not ServerSample.objects.filter(target="no longer shown:3").exists()


def test_targets_do_not_share_readings(r):
    history.latest_reading(get_client(), TARGET, window(1000.0))
    history.latest_reading(get_client(), "other:2", window(1000.0))
    assert ServerSample.objects.count() == 2


def rows(*readings):
    return [dict(zip(history.SERIES_FIELDS, values, strict=True)) for values in readings]


def test_rates_are_commands_per_second_between_readings():
    data = rows((0.0, 100, 0, 0, 0, 0), (5.0, 150, 0, 0, 0, 0), (10.0, 150, 0, 0, 0, 0))
    assert history.rates(data, window(10.0)) == [(5.0, 10.0), (10.0, 0.0)]


def test_rates_skip_gaps_and_restarts():
    data = rows((0.0, 100, 0, 0, 0, 0), (100.0, 200, 0, 0, 0, 0), (105.0, 5, 0, 0, 0, 0),
                (110.0, 10, 0, 0, 0, 0))
    assert history.rates(data, window(110.0)) == [(110.0, 1.0)]


def test_hit_ratio_between_readings_ignores_quiet_intervals():
    data = rows((0.0, 0, 10, 10, 0, 0), (5.0, 0, 13, 11, 0, 0), (10.0, 0, 13, 11, 0, 0))
    assert history.hit_ratios(data, window(10.0)) == [(5.0, 75.0)]


def test_levels_are_the_stored_values():
    data = rows((0.0, 0, 0, 0, 2048, 3), (5.0, 0, 0, 0, 4096, 4))
    assert history.levels(data, "clients") == [(0.0, 3.0), (5.0, 4.0)]
