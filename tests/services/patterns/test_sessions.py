"""Sessions: express-session, Django's cache and signed formats, JSON under a session name."""

from __future__ import annotations

import json
import pickle

from django.core import signing

from tests.services.patterns.helpers import facts, recognised


def test_express_session_is_recognised_by_its_cookie_whatever_the_name(r):
    value = {"cookie": {"originalMaxAge": 86400000, "expires": "2030-01-02T03:04:05.000Z",
                        "httpOnly": True, "path": "/"}, "passport": {"user": "ada"}, "cart": [1]}
    r.set("app:xyz", json.dumps(value), px=3_600_000)
    found = recognised("app:xyz")["session"]
    shown = facts(found)
    assert shown["Format"] == "express-session (connect-redis)"
    assert shown["User"] == "ada"
    assert shown["Expires"] == "2030-01-02 03:04:05 UTC"
    assert shown["Key TTL"] in ("1 h", "59 m 59 s")
    assert [name for name, _ in found.extra["fields"]] == ["cookie", "passport", "cart"]
    assert not found.warnings


def test_django_cache_session_is_a_pickled_dict(r):
    data = {"_auth_user_id": "42", "_auth_user_backend": "django.contrib.auth.backends.X",
            "_session_expiry": 1_900_000_000}
    r.set(":1:django.contrib.sessions.cacheabc123", pickle.dumps(data, protocol=5))
    found = recognised(":1:django.contrib.sessions.cacheabc123")["session"]
    shown = facts(found)
    assert shown["Format"] == "Django session (cache backend, pickled)"
    assert shown["User"] == "42"
    assert shown["Expires"] == "2030-03-17 17:46:40 UTC"
    assert found.warnings  # no TTL on a session: said


def test_an_anonymous_pickled_session_is_recognised_by_its_key_prefix(r):
    r.set(":1:django.contrib.sessions.cachezzz", pickle.dumps({"cart": [1, 2]}), ex=60)
    assert facts(recognised(":1:django.contrib.sessions.cachezzz")["session"])["User"] == \
        "none (anonymous)"


def test_a_pickled_dict_elsewhere_is_not_a_session(r):
    r.set("cache:thing", pickle.dumps({"cart": [1, 2]}))
    assert "session" not in recognised("cache:thing")


def test_django_signed_session_data(r, settings):
    r.set("signed:1", signing.dumps({"_auth_user_id": "7", "theme": "dark"}, compress=True))
    found = recognised("signed:1")["session"]
    assert facts(found)["Format"] == "Django signed session data"
    assert facts(found)["User"] == "7"


def test_json_counts_as_a_session_only_under_a_session_name(r):
    r.set("sess:9f2c", json.dumps({"user_id": 5, "exp": 1_900_000_000_000}), ex=600)
    r.set("profile:9f2c", json.dumps({"user_id": 5}), ex=600)
    found = recognised("sess:9f2c")["session"]
    assert facts(found)["Format"] == "JSON session"
    assert facts(found)["User"] == "5"
    assert facts(found)["Expires"] == "2030-03-17 17:46:40 UTC"  # milliseconds read as such
    assert "session" not in recognised("profile:9f2c")


def test_a_name_alone_is_not_enough(r):
    r.set("session:plain", "hello")
    r.set("session:list", json.dumps([1, 2]))
    assert recognised("session:plain") == {}
    assert recognised("session:list") == {}


def test_fields_are_bounded(r):
    r.set("session:big", json.dumps({f"f{i}": "x" * 500 for i in range(80)}))
    found = recognised("session:big")["session"]
    assert len(found.extra["fields"]) == 50 and found.extra["more_fields"] == 30
    assert all(len(value) <= 201 for _, value in found.extra["fields"])
