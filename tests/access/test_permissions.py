"""Every view goes through the one permission check."""

import pytest

from keyspace.access import permissions
from keyspace.redis.keynames import encode_key
from tests.security.support import all_patterns

# The dashboard's database: SQLite and PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases


def test_every_route_declares_its_action():
    patterns = list(all_patterns())
    assert len(patterns) >= 6
    for route, pattern in patterns:
        assert getattr(pattern.callback, "dashboard_action", None) in permissions.ACTIONS, route


def concrete(route: str) -> str:
    return "/" + (
        route.replace("<db:db>", "c/default/db/0")
        .replace("<slug:name>", "default")
        .replace("<path:rest>", "0/")
        .replace("<key:key>", encode_key(b"k"))
        .replace("<key:group>", encode_key(b"g"))
        .replace("<slug:action>", "ttl")
        .replace("<slug:token>", "some-token")
        .replace("<int:run_id>", "1")
        .replace("<int:job_id>", "1")
    )


def guarded_routes() -> list[str]:
    return [
        route
        for route, pattern in all_patterns()
        if pattern.callback.dashboard_action != permissions.PUBLIC
    ]


def test_only_the_sign_in_pages_are_public():
    public = {route for route, _ in all_patterns()} - set(guarded_routes())
    assert public == {"sign-in/", "sign-in/once/<slug:token>/", "sign-out/"}


@pytest.mark.parametrize("route", guarded_routes())
def test_a_refusing_check_blocks_every_route(client, r, monkeypatch, route):
    r.set("k", "v")
    monkeypatch.setattr(permissions, "user_may", lambda user, action: False)
    response = client.get(concrete(route))
    assert response.status_code == 403
    assert b"you may not" in response.content


def test_unknown_actions_are_a_programming_error():
    with pytest.raises(ValueError):
        permissions.dashboard_view("delete-everything")
