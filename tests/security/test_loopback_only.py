"""With sign-in off, or while the development secret key is in use, the app itself refuses
requests from any address but loopback, whatever server runs it (sync views, async and
streaming views, static files alike)."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client

from keyspace.access.loopback import is_loopback

REAL_KEY = "k" * 64
OUTSIDE = ["10.0.0.5", "192.168.1.20", "2001:db8::1", "::ffff:10.0.0.5", "", "unix-socket"]
INSIDE = ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"]
PATHS = ["/c/default/db/0/", "/sign-in/", "/audit/", "/static/keyspace/dashboard.css"]


@pytest.mark.parametrize("address", OUTSIDE)
def test_other_addresses_are_not_loopback(address):
    assert not is_loopback(address)


@pytest.mark.parametrize("address", INSIDE)
def test_loopback_addresses(address):
    assert is_loopback(address)


@pytest.mark.parametrize("address", OUTSIDE[:4])
@pytest.mark.parametrize("path", PATHS)
def test_sign_in_off_refuses_other_clients(settings, seeded, db, address, path):
    settings.DASHBOARD_AUTH = False
    settings.SECRET_KEY = REAL_KEY
    response = Client(REMOTE_ADDR=address).get(path)
    assert response.status_code == 403
    body = response.content.decode()
    assert "Sign-in is off (DASHBOARD_AUTH=off)" in body and "127.0.0.1" in body
    assert "seed-" not in body
    assert Client(REMOTE_ADDR="127.0.0.1").get(path).status_code == 200


def test_sign_in_off_refuses_other_clients_on_async_streams(settings, seeded, db):
    settings.DASHBOARD_AUTH = False
    settings.SECRET_KEY = REAL_KEY

    class From(AsyncClient):
        """Under ASGI the address comes from the scope's "client"."""

        def __init__(self, address):
            super().__init__()
            self.address = address

        def _base_scope(self, **request):
            return super()._base_scope(**request) | {"client": [self.address, 5000]}

    async def get(address):
        return (await From(address).get("/c/default/db/0/pubsub/stream/")).status_code

    assert async_to_sync(get)("10.0.0.5") == 403
    assert async_to_sync(get)("127.0.0.1") == 400  # reached the view: no subscription given
    assert async_to_sync(get)("::1") == 400


@pytest.mark.parametrize("path", ["/sign-in/", "/c/default/db/0/"])
def test_the_development_key_refuses_other_clients(settings, seeded, db, path):
    settings.SECRET_KEY = "dev-only-not-secret-redis-dashboard"
    response = Client(REMOTE_ADDR="10.0.0.5").get(path)
    assert response.status_code == 403
    assert "development secret key" in response.content.decode()
    assert "secrets.token_urlsafe(64)" in response.content.decode()


def test_sign_in_on_with_a_real_key_serves_other_clients(settings, seeded, db):
    settings.SECRET_KEY = REAL_KEY
    assert Client(REMOTE_ADDR="10.0.0.5").get("/sign-in/").status_code == 200
