"""Spent confirmation tokens live in the database: a replay is refused after the cache is
cleared (evicted, another worker, a restart), racing requests spend a token once, and
expired records are cleaned up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from keyspace.access import confirmations
from keyspace.models import SpentConfirmation
from tests.security.test_confirmations import DESTRUCTIVE, opened

# The dashboard's database: SQLite and PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases


def test_a_replay_is_refused_after_the_cache_is_cleared(client, seeded, r):
    fields = opened(client, DESTRUCTIVE[0])
    assert client.post(DESTRUCTIVE[0].url, fields).status_code == 302 and not r.exists("str")
    cache.clear()  # what eviction by 300 namespace counts, or a restart, does to locmem
    r.set("str", "made again by the application")
    replayed = client.post(DESTRUCTIVE[0].url, fields)
    assert replayed.status_code == 428 and r.get("str") == b"made again by the application"
    assert b"already used" in replayed.content


def test_spent_tokens_are_kept_until_they_expire_then_cleaned(db):
    assert confirmations.spend("nonce-a")
    record = SpentConfirmation.objects.get(nonce="nonce-a")
    lifetime = timedelta(seconds=confirmations.LIFETIME_SECONDS)
    assert record.expires > timezone.now() + lifetime  # outlives any valid signature
    assert not confirmations.spend("nonce-a")
    SpentConfirmation.objects.update(expires=timezone.now() - timedelta(seconds=1))
    assert confirmations.spend("nonce-b")
    assert list(SpentConfirmation.objects.values_list("nonce", flat=True)) == ["nonce-b"]
