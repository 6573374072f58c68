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


def test_a_lasting_response_is_checked_again_for_sign_out_deactivation_and_role(viewer):
    """What a live stream asks at each renewal of its slot (stream_viewer): the check this
    request passed, made again with what the database says now."""
    import functools

    from django.test import Client

    from keyspace.models import ConnectionRole

    def signed_in():
        browser = Client()
        browser.force_login(viewer)
        key = browser.session.session_key
        return browser, functools.partial(permissions._still_views, viewer.pk, key, "default")

    browser, check = signed_in()
    assert check()
    ConnectionRole.objects.create(user=viewer, connection="default", role="none")
    assert not check()  # kept out of this connection
    ConnectionRole.objects.all().delete()
    assert check()
    assert not permissions._still_views(viewer.pk, browser.session.session_key, "gone")
    viewer.is_active = False
    viewer.save()
    assert not check()
    viewer.is_active = True
    viewer.save()
    assert check()
    browser.logout()
    assert not check()  # signed out
    browser, check = signed_in()
    viewer.set_password("another secret")
    viewer.save()
    assert not check()  # a new password ends the sessions it did not sign in


def test_a_lasting_response_of_a_user_the_host_signed_in_without_a_session_goes_on(viewer):
    """A host project whose own middleware sets request.user (a trusted SSO header, say)
    signs in no session: the check made again is of the user (active, may view), not of a
    session it never had, or every live stream of theirs would end at its first renewal."""
    from asgiref.sync import async_to_sync
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory

    from keyspace.models import ConnectionRole

    request = RequestFactory().get("/c/default/db/0/pubsub/stream/")
    request.session = SessionStore()

    async def auser():
        return viewer

    request.user, request.auser = viewer, auser
    check = async_to_sync(permissions.stream_viewer)(request).still_allowed
    assert check()
    ConnectionRole.objects.create(user=viewer, connection="default", role="none")
    assert not check()
    ConnectionRole.objects.all().delete()
    viewer.is_active = False
    viewer.save()
    assert not check()
