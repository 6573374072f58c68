"""Response headers on every kind of response, and the production settings: `check --deploy`
clean, HSTS and Secure cookies behind a TLS-terminating proxy."""

from __future__ import annotations

import importlib
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from keyspace.redis.keynames import encode_key
from tests.security.support import crawl, get_async, start_pages
from tests.services.editing.forms import form_fields
from tests.support.htmx import HTMX
from tests.support.users import client_for

ROOT = Path(__file__).resolve().parents[2]


def csp_directives(value: str) -> dict[str, list[str]]:
    directives = {}
    for part in value.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def header_problems(url: str, headers: dict, *, page: bool = True) -> list[str]:
    headers = {k.lower(): v for k, v in headers.items()}
    problems = []
    csp = headers.get("content-security-policy")
    if not csp:
        return [f"{url}: no Content-Security-Policy"]
    directives = csp_directives(csp)
    scripts = directives.get("script-src", directives.get("default-src"))
    if scripts is None:
        problems.append(f"{url}: the CSP does not restrict scripts")
    elif {"'unsafe-inline'", "'unsafe-eval'", "*", "data:"} & set(scripts):
        problems.append(f"{url}: script-src {scripts}")
    for name in ("script-src-elem", "script-src-attr"):
        if {"'unsafe-inline'", "'unsafe-eval'"} & set(directives.get(name, [])):
            problems.append(f"{url}: {name} allows inline code")
    if directives.get("frame-ancestors") != ["'none'"]:
        problems.append(f"{url}: frame-ancestors {directives.get('frame-ancestors')}")
    if directives.get("object-src") != ["'none'"]:
        problems.append(f"{url}: object-src {directives.get('object-src')}")
    if headers.get("x-content-type-options") != "nosniff":
        problems.append(f"{url}: X-Content-Type-Options {headers.get('x-content-type-options')}")
    if not headers.get("referrer-policy"):
        problems.append(f"{url}: no Referrer-Policy")
    if page and headers.get("x-frame-options") != "DENY":
        problems.append(f"{url}: X-Frame-Options {headers.get('x-frame-options')}")
    return problems


def test_every_page_and_fragment_carries_the_security_headers(client, seeded):
    result = crawl(client, start_pages(), limit=250)
    assert len(result.pages) > 100
    problems = [p for page in result.pages for p in header_problems(page.url, page.headers)]
    assert problems == []
    # A shared cache must never hand one user's page to another.
    assert [p.url for p in result.pages
            if "cookie" not in p.headers.get("Vary", "").lower()
            and "private" not in p.headers.get("Cache-Control", "")] == []


def test_error_responses_redirects_and_static_files_carry_them_too(
        client, anonymous_client, viewer_client, seeded, settings):
    key = encode_key(b"str")
    responses = {
        "anonymous redirect": anonymous_client.get("/c/default/db/0/"),
        "anonymous htmx 401": anonymous_client.get("/c/default/db/0/", headers=HTMX),
        "sign-in": anonymous_client.get("/sign-in/"),
        "sign-in-once": anonymous_client.get("/sign-in/once/unknown/"),
        "sign-in-once refused": anonymous_client.post("/sign-in/once/unknown/"),
        "viewer 403": viewer_client.get(f"/c/default/db/0/key/{key}/edit/delete/"),
        "400": client.get("/c/default/db/0/?count=x"),
        "400 fragment": client.get("/c/default/db/0/?count=x", headers=HTMX),
        "404 key": client.get(f"/c/default/db/0/key/{encode_key(b'missing')}/"),
        "404 url": client.get("/nothing/here/"),
        "405": client.get("/sign-out/"),
        "428": client.post(f"/c/default/db/0/key/{key}/edit/delete/", {"expected_type": "string"}),
        "stream 400": client.get("/c/default/db/0/pubsub/stream/"),
        "static css": client.get("/static/keyspace/dashboard.css"),
        "static js": client.get("/static/keyspace/dashboard.js"),
    }
    csrf = Client(enforce_csrf_checks=True)
    responses["csrf 403"] = csrf.post("/sign-in/", {"username": "x", "password": "y"})
    responses["download"] = get_async(client, f"/c/default/db/0/key/{key}/download/")[0]
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    from keyspace.redis.connection import reset_pools

    reset_pools()
    responses["503"] = client.get("/c/default/db/0/")
    responses["503 fragment"] = client.get("/c/default/db/0/", headers=HTMX)
    reset_pools()
    assert responses["static js"].status_code == 200
    assert responses["503"].status_code == 503
    # Static files are served before the X-Frame-Options middleware runs; the CSP's
    # frame-ancestors 'none' covers them (and a style sheet in a frame harms nobody).
    problems = [p for name, response in responses.items()
                for p in header_problems(name, dict(response.items()),
                                         page=not name.startswith("static"))]
    assert problems == []


def test_no_page_has_inline_script_or_handlers(client, seeded):
    """The CSP would block them; a page that relies on one is broken in production."""
    import re

    result = crawl(client, start_pages(), limit=120, htmx_too=False)
    inline = []
    for page in result.pages:
        body = page.body.decode("utf-8", "replace")
        for tag in re.findall(r"<script\b[^>]*>", body):
            if "src=" not in tag:
                inline.append((page.url, tag))
        if re.search(r"<[^>]+\son[a-z]+\s*=", body):
            inline.append((page.url, "an on* attribute"))
        if re.search(r"\bstyle\s*=\s*\"", body):
            inline.append((page.url, "a style attribute"))
    assert inline == []


# --- production settings -----------------------------------------------------------------------


def production_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DJANGO_", "DASHBOARD_")) and k != "REDIS_URL"}
    env.update(DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
               DJANGO_ALLOWED_HOSTS="redis.example.com", PYTHONWARNINGS="ignore")
    env.update(extra)
    return env


def test_check_deploy_passes_without_warnings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy",
         "--settings=dashboard.settings_production", "--fail-level", "WARNING"],
        cwd=ROOT, env=production_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


@pytest.mark.parametrize("env", [{"DJANGO_SECRET_KEY": ""}, {"DJANGO_SECRET_KEY": "short"},
                                 {"DJANGO_SECRET_KEY": "dev-only-" + "x" * 60},
                                 {"DJANGO_ALLOWED_HOSTS": ""}],
                         ids=["no key", "short key", "dev key", "no hosts"])
def test_production_settings_refuse_to_start_half_configured(env):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--settings=dashboard.settings_production"],
        cwd=ROOT, env=production_env(**env), capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr


@pytest.fixture
def production(settings, monkeypatch):
    """The test settings with everything dashboard.settings_production changes applied."""
    monkeypatch.setenv("DJANGO_SECRET_KEY", secrets.token_urlsafe(64))
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", "testserver")
    base = importlib.import_module("dashboard.settings")
    module = importlib.import_module("dashboard.settings_production")
    module = importlib.reload(module)
    changed = [name for name in dir(module) if name.isupper() and name != "DATABASES"
               and getattr(module, name) != getattr(base, name, object())]
    assert {"SECURE_HSTS_SECONDS", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE",
            "SECURE_PROXY_SSL_HEADER", "SECURE_SSL_REDIRECT"} <= set(changed)
    for name in changed:
        setattr(settings, name, getattr(module, name))
    return settings


# What a TLS-terminating proxy forwards (the Host header included: without it the test client's
# SERVER_PORT 80 would make the host "testserver:80" under https).
HTTPS = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_HOST": "testserver"}


def set_cookies(response) -> dict:
    return {name: morsel for name, morsel in response.cookies.items()}


def test_behind_the_proxy_responses_carry_hsts_and_cookies_are_secure(production, editor,
                                                                      seeded):
    editor.set_password("a long enough password")
    editor.save()
    browser = Client()
    plain = browser.get("/sign-in/")
    assert plain.status_code == 301 and plain["Location"] == "https://testserver/sign-in/"

    page = browser.get("/sign-in/", **HTTPS)
    assert page.status_code == 200
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    signed_in = browser.post("/sign-in/", {
        "username": "editor", "password": "a long enough password",
        "csrfmiddlewaretoken": browser.cookies["csrftoken"].value,
    }, HTTP_REFERER="https://testserver/sign-in/", **HTTPS)
    assert signed_in.status_code == 302, signed_in.content[-500:]
    cookies = set_cookies(page) | set_cookies(signed_in)
    assert {"csrftoken", "sessionid"} <= set(cookies)
    for name, morsel in cookies.items():
        assert morsel["secure"], f"{name} is not Secure"
    assert cookies["sessionid"]["httponly"]
    assert cookies["sessionid"]["samesite"].lower() in ("lax", "strict")

    pages = [browser.get(url, **HTTPS) for url in ("/c/default/db/0/", "/audit/",
                                                   f"/c/default/db/0/key/{encode_key(b'hash')}/")]
    for response in pages:
        assert response.status_code == 200
        assert response["Strict-Transport-Security"].startswith("max-age=31536000")
        assert header_problems(response.wsgi_request.path, dict(response.items())) == []
    # The message cookie an edit leaves is Secure too.
    key = encode_key(b"ttl:key")
    form = browser.get(f"/c/default/db/0/key/{key}/edit/persist/", **HTTPS)
    done = browser.post(f"/c/default/db/0/key/{key}/edit/persist/", {
        **form_fields(form.content.decode()),
        "csrfmiddlewaretoken": browser.cookies["csrftoken"].value,
    }, HTTP_REFERER="https://testserver/", **HTTPS)
    assert form.status_code == 200 and done.status_code == 302
    assert "messages" in set_cookies(done)
    for name, morsel in set_cookies(done).items():
        assert morsel["secure"], f"{name} is not Secure"


def test_behind_the_proxy_a_cross_site_post_is_refused(production, editor, seeded):
    browser = client_for(editor, enforce_csrf_checks=True)
    browser.get("/c/default/db/0/new/", **HTTPS)
    token = browser.cookies["csrftoken"].value
    body = {"name": "x", "type": "string", "value": "v", "name_format": "text",
            "value_encoding": "text", "field_encoding": "text", "ttl_unit": "s"}
    for where in ({}, {"HTTP_REFERER": "https://evil.example/"},
                  {"HTTP_ORIGIN": "https://evil.example"}):
        refused = browser.post("/c/default/db/0/new/", body, HTTP_X_CSRFTOKEN=token, **where,
                               **HTTPS)
        assert refused.status_code == 403, where
    done = browser.post("/c/default/db/0/new/", body, HTTP_X_CSRFTOKEN=token,
                        HTTP_ORIGIN="https://testserver", **HTTPS)
    assert done.status_code == 302
