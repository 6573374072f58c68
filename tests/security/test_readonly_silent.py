"""Read-only mode refuses writes without touching Redis: not only is nothing written, no
command at all reaches the server (counted by INFO commandstats, which sees every command
of every connection)."""

from __future__ import annotations

import pytest

from keyspace.services.editing.key_operations import KEY_OPERATIONS
from keyspace.units import registry
from tests.support.urls import edit_url
from tests.units.helpers import RedisWork


def every_edit() -> list[str]:
    names = set(KEY_OPERATIONS)
    for type_name in registry.type_names():
        names |= set(registry.unit_for(type_name).operations)
    return sorted(names)


def commands_sent(work: RedisWork) -> dict[str, int]:
    # RedisWork's own INFO before the request is the only command it may see.
    return {name: count for name, count in work.calls.items() if name != "info"}


@pytest.mark.parametrize("action", every_edit())
def test_a_refused_edit_sends_no_command(client, r, settings, action):
    settings.DASHBOARD_READONLY = True
    r.set("k", "v")
    with RedisWork(r) as work:
        response = client.post(edit_url(b"k", action), {"expected_type": "string", "value": "x"})
        form = client.get(edit_url(b"k", action))
    assert response.status_code == 403 and form.status_code == 403
    assert commands_sent(work) == {}, work.calls
    assert r.get("k") == b"v"


@pytest.mark.parametrize(
    "url, data",
    [
        ("/c/default/db/0/new/", {"name": "n", "type": "string", "value": "v"}),
        ("/c/default/db/0/pubsub/publish/", {"channel": "c", "message": "m"}),
    ],
)
def test_refused_creates_and_publishes_send_no_command(client, r, settings, url, data):
    settings.DASHBOARD_READONLY = True
    with RedisWork(r) as work:
        response = client.post(url, data)
    assert response.status_code == 403
    assert commands_sent(work) == {}, work.calls


def test_the_count_sees_a_command_the_dashboard_sends(client, r):
    """The measurement is real: an allowed edit shows up in it."""
    r.set("k", "v")
    with RedisWork(r) as work:
        client.get(edit_url(b"k", "string-append"))
    assert commands_sent(work) != {}
