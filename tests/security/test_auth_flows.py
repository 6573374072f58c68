"""Signing in (password, one-time link), signing out, sign-in turned off, read-only mode, and
what a viewer is shown."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from keyspace.models import AuditEntry, SignInLink
from keyspace.redis.keynames import encode_key
from tests.security.support import crawl, start_pages
from tests.support.htmx import HTMX
from tests.support.users import client_for, make_user

PASSWORD = "a long and unlikely password"


def signed_in_as(browser: Client) -> str | None:
    return browser.session.get("_auth_user_id")


def can_read(browser: Client) -> bool:
    return browser.get("/c/default/db/0/").status_code == 200


@pytest.fixture
def with_password(viewer):
    viewer.set_password(PASSWORD)
    viewer.save()
    return viewer


# --- password ----------------------------------------------------------------------------------


def test_sign_in_with_a_password(anonymous_client, with_password, seeded):
    page = anonymous_client.get("/sign-in/")
    assert page.status_code == 200
    assert b'name="password"' in page.content and b'type="password"' in page.content
    response = anonymous_client.post("/sign-in/", {"username": "viewer", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert signed_in_as(anonymous_client) == str(with_password.pk)
    assert can_read(anonymous_client)


@pytest.mark.parametrize(("username", "password"), [
    ("viewer", "wrong"), ("viewer", ""), ("viewer", PASSWORD.upper()), ("nobody", PASSWORD),
    ("VIEWER", PASSWORD)])
def test_a_wrong_password_is_refused(anonymous_client, with_password, username, password):
    response = anonymous_client.post("/sign-in/", {"username": username, "password": password})
    assert response.status_code == 200
    assert b"did not match" in response.content or b"required" in response.content
    assert signed_in_as(anonymous_client) is None
    assert not can_read(anonymous_client)


def test_a_user_without_a_password_cannot_sign_in_with_one(anonymous_client, viewer):
    assert not viewer.has_usable_password()
    for password in ("", "!", viewer.password):
        anonymous_client.post("/sign-in/", {"username": "viewer", "password": password})
        assert signed_in_as(anonymous_client) is None


def test_an_inactive_user_cannot_sign_in(anonymous_client, with_password):
    with_password.is_active = False
    with_password.save()
    anonymous_client.post("/sign-in/", {"username": "viewer", "password": PASSWORD})
    assert signed_in_as(anonymous_client) is None


@pytest.mark.parametrize(("next_url", "lands"), [
    ("/c/default/db/0/namespaces/", "/c/default/db/0/namespaces/"),
    ("https://evil.example/", "/"),
    ("//evil.example/", "/"),
    ("/\\evil.example/", "/"),
    ("javascript:alert(1)", "/"),
])
def test_sign_in_only_redirects_within_the_site(anonymous_client, with_password, next_url,
                                                 lands):
    response = anonymous_client.post("/sign-in/", {"username": "viewer", "password": PASSWORD,
                                                   "next": next_url})
    assert response.status_code == 302 and response["Location"] == lands


def test_signing_in_changes_the_session_key(anonymous_client, with_password):
    anonymous_client.get("/sign-in/")
    anonymous_client.session.save()
    before = anonymous_client.session.session_key
    anonymous_client.post("/sign-in/", {"username": "viewer", "password": PASSWORD})
    assert anonymous_client.session.session_key != before


# --- one-time links ------------------------------------------------------------------------------


def link_of(user) -> str:
    return f"/sign-in/once/{SignInLink.issue(user)}/"


def test_a_one_time_link_get_shows_a_button_and_does_not_sign_in(anonymous_client, editor):
    link = link_of(editor)
    for _ in range(3):
        page = anonymous_client.get(link)
        assert page.status_code == 200
        body = page.content.decode()
        assert re.search(rf'<form method="post" action="{re.escape(link)}"', body)
        assert "<button" in body
        assert anonymous_client.head(link).status_code == 200
    assert signed_in_as(anonymous_client) is None and not can_read(anonymous_client)
    assert SignInLink.objects.count() == 1


def test_a_one_time_link_signs_in_once(anonymous_client, editor, seeded):
    link = link_of(editor)
    anonymous_client.get(link)
    response = anonymous_client.post(link)
    assert response.status_code == 302 and response["Location"] == "/"
    assert signed_in_as(anonymous_client) == str(editor.pk) and can_read(anonymous_client)
    assert SignInLink.objects.count() == 0
    other = Client()
    again = other.post(link)
    assert again.status_code == 400 and b"unknown, used or expired" in again.content
    assert signed_in_as(other) is None


@pytest.mark.parametrize("problem", ["expired", "unknown", "inactive", "tampered"])
def test_a_bad_one_time_link_is_refused(anonymous_client, editor, problem):
    token = SignInLink.issue(editor)
    if problem == "expired":
        SignInLink.objects.update(expires=timezone.now() - timedelta(seconds=1))
    elif problem == "unknown":
        token = "x" * len(token)
    elif problem == "inactive":
        editor.is_active = False
        editor.save()
    else:
        token = token[:-1] + ("A" if token[-1] != "A" else "B")
    response = anonymous_client.post(f"/sign-in/once/{token}/")
    assert response.status_code == 400
    assert signed_in_as(anonymous_client) is None and not can_read(anonymous_client)


def test_links_are_stored_hashed(editor):
    token = SignInLink.issue(editor)
    stored = SignInLink.objects.get()
    assert token not in stored.token_hash and stored.token_hash == SignInLink.hash(token)
    assert timedelta(hours=23) < stored.expires - timezone.now() <= timedelta(hours=24)


# --- signing out --------------------------------------------------------------------------------


def test_sign_out_is_post_only(client, seeded):
    for method in ("get", "head", "put", "delete"):
        assert getattr(client, method)("/sign-out/").status_code == 405
        assert can_read(client)
    response = client.post("/sign-out/")
    assert response.status_code == 302 and response["Location"] == "/sign-in/"
    assert signed_in_as(client) is None and not can_read(client)


def test_the_sign_out_control_is_a_form(client, seeded):
    body = client.get("/c/default/db/0/").content.decode()
    assert re.search(r'<form[^>]*method="post"[^>]*action="/sign-out/"', body)
    assert 'href="/sign-out/"' not in body


# --- anonymous visitors ------------------------------------------------------------------------


def test_htmx_requests_of_anonymous_visitors_are_sent_to_sign_in(anonymous_client, seeded):
    current = {"HX-Current-URL": "http://testserver/db/0/namespaces/"}
    response = anonymous_client.get("/c/default/db/0/namespaces/count/",
                                    headers={**HTMX, **current})
    assert response.status_code == 401
    assert response["HX-Redirect"] == "/sign-in/?next=%2Fdb%2F0%2Fnamespaces%2F"
    assert b"seed-" not in response.content


def test_without_sign_in_anonymous_visitors_use_the_dashboard(anonymous_client, settings,
                                                              seeded, r, db):
    settings.DASHBOARD_AUTH = False
    assert anonymous_client.get("/c/default/db/0/").status_code == 200
    assert b"New key" in anonymous_client.get("/c/default/db/0/").content
    assert anonymous_client.get("/c/default/db/0/new/").status_code == 200
    response = anonymous_client.post("/c/default/db/0/new/", {
        "name": "made", "name_format": "text", "type": "string", "value": "v",
        "value_encoding": "text", "field_encoding": "text", "ttl_unit": "s"})
    assert response.status_code == 302 and r.get("made") == b"v"
    [entry] = AuditEntry.objects.all()
    assert entry.user is None and entry.username == ""
    assert b"(no sign-in)" in anonymous_client.get("/audit/").content
    settings.DASHBOARD_READONLY = True
    assert anonymous_client.get("/c/default/db/0/new/").status_code == 403
    assert b"New key" not in anonymous_client.get("/c/default/db/0/").content


def test_without_sign_in_other_host_names_are_refused(anonymous_client, settings, seeded, db):
    """A loopback dashboard without sign-in must not answer a DNS-rebound host name."""
    settings.DASHBOARD_AUTH = False
    for host in ("evil.example", "127.0.0.1.evil.example", "localhost:8000.evil.example"):
        response = anonymous_client.get("/c/default/db/0/", HTTP_HOST=host)
        assert response.status_code == 400, host
        assert b"seed-" not in response.content
    assert anonymous_client.get("/c/default/db/0/", HTTP_HOST="127.0.0.1:8000").status_code == 200


# --- read-only mode and viewers see no edit controls ----------------------------------------------

EDIT_CONTROLS = re.compile(r'(?:href|hx-get|hx-post|action)="[^"]*/(?:edit/|new/|pubsub/publish/)')


def controls(body: bytes) -> list[str]:
    text = body.decode("utf-8", "replace")
    found = EDIT_CONTROLS.findall(text)
    if "New key" in text:
        found.append("New key")
    if 'name="confirm"' in text:
        found.append("a confirmation")
    return found


def test_read_only_mode_overrides_the_editor_role(client, settings, seeded, r):
    settings.DASHBOARD_READONLY = True
    key = encode_key(b"str")
    for url in (f"/c/default/db/0/key/{key}/edit/delete/",
                f"/c/default/db/0/key/{key}/edit/string-edit/",
                "/c/default/db/0/new/", "/c/default/db/0/pubsub/publish/"):
        assert client.get(url).status_code == 403
        assert client.post(url, {"expected_type": "string", "value": "x"}).status_code == 403
    assert r.get("str") == b"seed-string-value"
    result = crawl(client, start_pages(), limit=150)
    assert [(p.url, controls(p.body)) for p in result.pages if controls(p.body)] == []
    assert [p.url for p in result.pages if p.status == 403] == []


def test_a_viewer_sees_no_edit_controls_and_every_link_shown_works(viewer_client, seeded):
    result = crawl(viewer_client, start_pages(), limit=250)
    assert len(result.pages) > 50
    assert [(p.url, controls(p.body)) for p in result.pages if controls(p.body)] == []
    # No link a viewer is shown leads to a refusal.
    assert [p.url for p in result.pages if p.status == 403] == []


def test_a_viewer_can_still_use_tools_and_the_leaderboard(viewer_client, seeded):
    key_page = viewer_client.get(f"/c/default/db/0/key/{encode_key(b'set')}/").content.decode()
    assert "/tool/set-contains/" in key_page and "/edit/" not in key_page
    tool = viewer_client.get(f"/c/default/db/0/key/{encode_key(b'set')}/tool/set-contains/",
                             {"run": "1", "members": "m2\nnope", "mode": "lines"})
    assert tool.status_code == 200 and b"m2" in tool.content
    lookup = viewer_client.get(f"/c/default/db/0/key/{encode_key(b'zset')}/tool/zset-lookup/",
                               {"run": "1", "member": "p2", "member_format": "text"})
    assert lookup.status_code == 200 and b"p2" in lookup.content
    board = viewer_client.get(f"/c/default/db/0/key/{encode_key(b'zset')}/leaderboard/")
    assert board.status_code == 200 and b"seed-zset-member" in board.content
    assert viewer_client.get("/c/default/db/0/pubsub/").status_code == 200
    assert viewer_client.get("/audit/").status_code == 200


def test_an_editor_does_see_the_controls(client, seeded):
    """The check above is meaningful: the same pages show controls to an editor."""
    assert b"New key" in client.get("/c/default/db/0/").content
    assert controls(client.get(f"/c/default/db/0/key/{encode_key(b'hash')}/").content)
    assert controls(client.get("/c/default/db/0/pubsub/").content)


def test_a_second_editor_is_just_another_editor(seeded, db):
    second = make_user("second", "editor")
    browser = client_for(second)
    assert browser.get("/c/default/db/0/new/").status_code == 200
