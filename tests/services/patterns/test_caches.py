"""Cache-aside entries: Django's cache key shape, cache-like names; no TTL pointed out."""

from __future__ import annotations

import pickle

from tests.services.patterns.helpers import facts, recognised


def test_a_django_cache_entry(r):
    r.set(":1:views.decorators.cache.page", pickle.dumps({"html": "<p>"}), ex=300)
    r.set("site:2:hits", b"41", ex=300)  # django-redis stores integers as they are
    found = recognised(":1:views.decorators.cache.page")["cache-entry"]
    shown = facts(found)
    assert shown["Cache key"] == "views.decorators.cache.page" and shown["Version"] == "1"
    assert shown["Time left"] in ("5 m", "4 m 59 s")
    assert "pickle" in shown["Holds"].lower()
    assert facts(recognised("site:2:hits")["cache-entry"])["Key prefix"] == "site"


def test_the_shape_needs_a_pickle_or_a_number(r):
    r.set("a:1:b", "plain text")
    assert recognised("a:1:b") == {}


def test_a_cache_like_name_without_ttl_is_flagged(r):
    r.set("cache:user:7", '{"name": "ada"}')
    found = recognised("cache:user:7")["cache-entry"]
    assert "never expires" in found.summary and found.warnings
    r.expire("cache:user:7", 60)
    assert not recognised("cache:user:7")["cache-entry"].warnings


def test_a_django_session_is_a_session_not_a_cache_entry(r):
    r.set(":1:django.contrib.sessions.cacheabc", pickle.dumps({"_auth_user_id": "1"}), ex=60)
    assert set(recognised(":1:django.contrib.sessions.cacheabc")) == {"session"}
