"""Every mutating route refuses a POST without a valid CSRF token (or from another origin) and
leaves everything as it was; and no state change at all is reachable by GET or HEAD."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

import pytest
from django.test import Client

from keyspace.models import AuditEntry, SignInLink
from tests.security.routes import CASES, CLASSIFICATION, EDIT, Case, post_body, url_of
from tests.security.support import Snapshot, WriteCounter, reseed

WRITE_CASES = [pytest.param(case, id=case.id)
               for name, action in CLASSIFICATION.items() if action == EDIT
               for case in CASES[name]]


def csrf_token_of(client: Client) -> str:
    """The CSRF cookie a page with a form hands out (what a browser sends back)."""
    assert client.get("/sign-in/").status_code in (200, 302)
    if "csrftoken" not in client.cookies:
        client.get("/c/default/db/0/new/")
    return client.cookies["csrftoken"].value


def wrong_token() -> str:
    """A well-formed token that is not this browser's."""
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(32))


FORGERIES = {
    "no token": lambda token: ({}, {}),
    "wrong header": lambda token: ({}, {"HTTP_X_CSRFTOKEN": wrong_token()}),
    "wrong field": lambda token: ({"csrfmiddlewaretoken": wrong_token()}, {}),
    "garbage header": lambda token: ({}, {"HTTP_X_CSRFTOKEN": "x"}),
    "right token, other origin": lambda token: (
        {}, {"HTTP_X_CSRFTOKEN": token, "HTTP_ORIGIN": "https://evil.example"}),
}


@pytest.mark.parametrize("case", WRITE_CASES)
def test_a_write_without_a_valid_csrf_token_is_refused(case, csrf_client, port, settings):
    reseed(port)
    for name, value in case.overrides.items():
        setattr(settings, name, value)
    url = url_of(case, "")
    body = post_body(case, csrf_client, url)
    token = csrf_token_of(csrf_client)
    counter = WriteCounter(port)
    for forgery, make in FORGERIES.items():
        extra_body, headers = make(token)
        before = Snapshot.take(port)
        counter.start()
        response = csrf_client.post(url, body | extra_body, **headers)
        assert response.status_code == 403, forgery
        assert b"CSRF" in response.content, forgery
        assert Snapshot.take(port).differences(before) == [], forgery
        assert counter.since() == {}, forgery
    assert AuditEntry.objects.count() == 0
    if case.admin_only:  # past CSRF, the view itself refuses an editor who is no admin
        assert csrf_client.post(url, body, HTTP_X_CSRFTOKEN=token).status_code == 403
        return
    # The same POST with the browser's token does what it says: CSRF was the only obstacle.
    counter.start()
    done = csrf_client.post(url, body, HTTP_X_CSRFTOKEN=token)
    assert done.status_code in (200, 302), done.content[-500:]
    assert counter.since() != {}


def test_sign_in_once_without_csrf_does_not_spend_the_link(viewer):
    browser = Client(enforce_csrf_checks=True)
    token = SignInLink.issue(viewer)
    page = browser.get(f"/sign-in/once/{token}/")
    assert page.status_code == 200
    for extra in ({}, {"HTTP_X_CSRFTOKEN": wrong_token()}):
        response = browser.post(f"/sign-in/once/{token}/", **extra)
        assert response.status_code == 403
        assert SignInLink.objects.count() == 1
    assert "_auth_user_id" not in browser.session
    signed = browser.post(f"/sign-in/once/{token}/",
                          HTTP_X_CSRFTOKEN=browser.cookies["csrftoken"].value)
    assert signed.status_code == 302 and SignInLink.objects.count() == 0


def test_sign_in_with_a_password_needs_csrf(viewer):
    viewer.set_password("correct horse battery")
    viewer.save()
    browser = Client(enforce_csrf_checks=True)
    browser.get("/sign-in/")
    credentials = {"username": "viewer", "password": "correct horse battery"}
    refused = browser.post("/sign-in/", credentials)
    assert refused.status_code == 403 and "_auth_user_id" not in browser.session
    done = browser.post("/sign-in/", credentials | {
        "csrfmiddlewaretoken": browser.cookies["csrftoken"].value})
    assert done.status_code == 302 and browser.session["_auth_user_id"] == str(viewer.pk)


def test_sign_out_without_csrf_keeps_the_user_signed_in(csrf_client, editor):
    token = csrf_token_of(csrf_client)
    for extra in ({}, {"HTTP_X_CSRFTOKEN": wrong_token()},
                  {"HTTP_X_CSRFTOKEN": token, "HTTP_ORIGIN": "https://evil.example"}):
        assert csrf_client.post("/sign-out/", **extra).status_code == 403
        assert csrf_client.get("/audit/").status_code == 200
    assert csrf_client.post("/sign-out/", HTTP_X_CSRFTOKEN=token).status_code == 302
    assert csrf_client.get("/audit/").status_code == 302


# --- nothing changes by GET ---------------------------------------------------------------------


def get_cases() -> list:
    """Every write route, and the public ones that change state on POST."""
    return WRITE_CASES + [pytest.param(Case("sign-in-once", {"token": "TOKEN"}),
                                       id="sign-in-once"),
                          pytest.param(Case("sign-out"), id="sign-out"),
                          pytest.param(Case("sign-in"), id="sign-in")]


@pytest.mark.parametrize("case", get_cases())
def test_no_state_change_is_reachable_by_get(case, client, viewer, port):
    """GET and HEAD with the very parameters a POST would carry (confirmation included)."""
    reseed(port)
    token = SignInLink.issue(viewer)
    url = url_of(case, token)
    if case.route == "sign-in":
        body = {"username": "viewer", "password": "pw"}
        viewer.set_password("pw")
        viewer.save()
    else:
        body = post_body(case, client, url)
    query = urlencode(body, doseq=True)
    target = f"{url}{'&' if '?' in url else '?'}{query}" if query else url
    counter = WriteCounter(port)
    before = Snapshot.take(port)
    counter.start()
    for method in ("get", "head"):
        response = getattr(client, method)(target)
        assert response.status_code in (200, 302, 405), (method, target, response.status_code)
        if case.route == "sign-out":
            assert response.status_code == 405
    assert Snapshot.take(port).differences(before) == []
    assert counter.since() == {}
    assert AuditEntry.objects.count() == 0
    assert SignInLink.objects.filter(token_hash=SignInLink.hash(token)).exists()
    # Still signed in as the editor, not signed out nor switched to the link's user.
    assert client.session.get("_auth_user_id") != str(viewer.pk)
    assert client.get("/c/default/db/0/new/").status_code == 200
