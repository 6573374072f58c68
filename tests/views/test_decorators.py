"""The app's views bring their own error pages, security headers, htmx details and
loopback-only refusal: with none of the standalone's middleware (as in a host project), they
answer as they do in the standalone."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client

from keyspace.redis.connection import reset_pools
from keyspace.redis.keynames import encode_key

STANDALONE_ONLY = [
    "keyspace.access.headers.SecurityHeadersMiddleware",
    "keyspace.access.loopback.LoopbackOnlyMiddleware",
    "keyspace.views.request_body.OversizedFormMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
]
MISSING = f"/c/default/db/0/key/{encode_key(b'no:such:key')}/"


@pytest.fixture
def hosted(settings):
    """The standalone's settings less every middleware a host project may lack."""
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name not in STANDALONE_ONLY]
    assert "keyspace" not in " ".join(settings.MIDDLEWARE)
    return settings


def test_a_missing_key_is_the_apps_404_page_with_its_headers(hosted, client):
    response = client.get(MISSING)
    assert response.status_code == 404
    assert b"Key not found" in response.content and b"<html" in response.content
    assert response["Content-Security-Policy"].startswith("default-src 'self'")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


def test_htmx_requests_get_the_error_fragment_without_htmx_middleware(hosted, client):
    response = client.get(MISSING, HTTP_HX_REQUEST="true")
    assert response.status_code == 404
    assert b"<html" not in response.content and b'data-status="404"' in response.content
    assert response["HX-Retarget"] == "#error-banner"


def test_a_bad_query_and_redis_down_are_pages_too(hosted, client):
    assert client.get("/c/default/db/0/?count=x").status_code == 400
    hosted.REDIS_URL = "redis://127.0.0.1:1/0"
    reset_pools()
    response = client.get("/c/default/db/0/")
    assert response.status_code == 503 and b"cannot reach redis at 127.0.0.1:1" in response.content


def test_async_views_render_failures_too(hosted, async_client, r):
    r.hset("h", "f", "v")
    response = async_to_sync(async_client.get)(f"/c/default/db/0/key/{encode_key(b'h')}/download/")
    assert response.status_code == 400 and b"only string values" in response.content
    assert "Content-Security-Policy" in response


def test_signed_out_visitors_go_to_login_url(hosted, anonymous_client):
    hosted.LOGIN_URL = "/accounts/login/"
    response = anonymous_client.get("/c/default/db/0/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fc%2Fdefault%2Fdb%2F0%2F"


def test_loopback_only_holds_without_its_middleware(hosted, db):
    hosted.DASHBOARD_AUTH = False
    hosted.SECRET_KEY = "k" * 64
    response = Client(REMOTE_ADDR="10.0.0.5").get("/c/default/db/0/")
    assert response.status_code == 403 and b"Sign-in is off" in response.content
    assert "Content-Security-Policy" in response
    assert Client(REMOTE_ADDR="127.0.0.1").get("/c/default/db/0/").status_code == 200

    class From(AsyncClient):
        def __init__(self, address):
            super().__init__()
            self.address = address

        def _base_scope(self, **request):
            return super()._base_scope(**request) | {"client": (self.address, 50000)}

    async def stream(address):
        return (await From(address).get("/c/default/db/0/pubsub/stream/")).status_code

    assert async_to_sync(stream)("10.0.0.5") == 403
    assert async_to_sync(stream)("127.0.0.1") == 400  # reached the view: no subscription given
