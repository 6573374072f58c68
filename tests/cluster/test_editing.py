"""Key pages and edits in a cluster: the key page reads through the slot's primary, and every
replacing or removing edit still runs under WATCH/MULTI on that primary, so a second client
writing between the edit's checks and its write makes the edit a conflict and its own write
survives (the same cases as tests/services/editing/test_check_write_window.py)."""

import pytest

from keyspace.redis.keynames import encode_key
from tests.services.editing.forms import submit
from tests.services.editing.test_check_write_window import (
    CASES,
    assert_a_window_write_is_a_conflict,
    in_the_window,  # noqa: F401
)
from tests.support.urls import key_url
from tests.views.test_key import meta

pytestmark = pytest.mark.cluster

# Rename and copy name two keys ("k", "t") in different slots: tests/cluster/test_crossslot.py.
ONE_SLOT = [case for case in CASES if case.action not in ("rename", "copy")]

HOSTILE = [b"\x00\xff binary", b"<script>alert(1)</script>", b"{tag}/a b/%2F..", b"",
           "caf\u00e9 \u2603".encode(), b"\r\n*1\r\n$4\r\nPING\r\n"]


@pytest.mark.parametrize("name", HOSTILE, ids=repr)
def test_key_page_of_hostile_names(cluster_dashboard, r, client, name):
    r.hset(name, mapping={b"f\x00": b"<b>v</b>"})
    response = client.get(key_url(name))
    assert response.status_code == 200
    body = response.content.decode()
    assert meta(body)["Type"] == "hash"
    assert "<b>v</b>" not in body and "&lt;b&gt;v&lt;/b&gt;" in body


def test_edits_in_a_cluster(cluster_dashboard, r, client):
    for name in (b"s", b"h", b"l"):
        r.delete(name)
    r.set(b"s", b"old")
    r.hset(b"h", mapping={b"f": b"1"})
    r.rpush(b"l", b"a", b"b")
    assert submit(client, b"s", "string-edit", value="new").status_code == 200
    assert submit(client, b"h", "hash-set", row=b"f", value="2").status_code == 200
    assert submit(client, b"l", "list-set", row="1", value="B").status_code == 200
    assert (r.get(b"s"), r.hget(b"h", b"f"), r.lrange(b"l", 0, -1)) == (b"new", b"2",
                                                                         [b"a", b"B"])


@pytest.mark.parametrize("case", ONE_SLOT, ids=str)
def test_a_write_in_the_edit_window_is_a_conflict(cluster_dashboard, r, client, case,
                                                   in_the_window):  # noqa: F811
    assert_a_window_write_is_a_conflict(client, r, case, in_the_window)


def test_key_list_links_hostile_names(cluster_dashboard, r, client):
    for name in HOSTILE:
        r.set(name, b"x")
    body = client.get("/c/default/db/0/", {"count": 100}).content.decode()
    for name in HOSTILE:
        assert encode_key(name) in body


def test_undo_in_a_cluster_puts_back_value_and_ttl(cluster_dashboard, r, client):
    from tests.services.editing.test_undo import offered, offered_after_redirect, undo

    r.set(b"s", b"before")
    response = submit(client, b"s", "string-edit", value="after")
    assert response.status_code == 200 and r.get(b"s") == b"after"
    assert undo(client, offered(response)).status_code in (200, 204, 302)
    assert r.get(b"s") == b"before"
    r.hset(b"{t}h", mapping={b"f\xff": b"\x00binary"})
    r.pexpire(b"{t}h", 3_600_000)
    token = offered_after_redirect(client, submit(client, b"{t}h", "delete", htmx=False))
    assert not r.exists(b"{t}h")
    assert undo(client, token).status_code == 302
    assert r.hgetall(b"{t}h") == {b"f\xff": b"\x00binary"}
    assert 3_500_000 < r.pttl(b"{t}h") <= 3_600_000



def test_an_edit_while_its_slot_is_moved_says_so_and_writes_nothing(
        cluster_dashboard, r, client, fresh_cluster_after):
    from tests.services.editing.forms import edit_url, open_form
    from tests.support.htmx import HTMX

    r.set(b"{m}s", b"old")
    edits = {"string-edit": {"value": "new"}, "delete": {}, "ttl": {"amount": "100"}}
    forms = {action: open_form(client, b"{m}s", action) for action in edits}
    target = cluster_dashboard.begin_moving(b"{m}s")
    for action, changes in edits.items():
        fields = {**forms[action], **changes}
        fields.pop("csrfmiddlewaretoken", None)
        response = client.post(edit_url(b"{m}s", action), fields, headers=HTMX)
        body = response.content.decode()
        assert response.status_code == 422, (action, body[-1000:])
        assert "being moved to another node" in body and "redis refused" not in body, action
    with target.client() as moved:
        moved.execute_command("ASKING")
        assert moved.get(b"{m}s") == b"old"
        moved.execute_command("ASKING")
        assert moved.ttl(b"{m}s") == -1


@pytest.mark.parametrize("action", ["ttl", "persist", "rename"])
def test_a_ttl_changed_meanwhile_is_a_conflict_in_a_cluster(cluster_dashboard, r, client,
                                                           action):
    """The form carries the key's expiry, read with the server's time (a script's TIME on a
    cluster, whose pipelines cannot route TIME)."""
    from tests.services.editing.forms import edit_url, open_form
    from tests.support.htmx import HTMX

    r.set(b"{t}k", b"v", ex=600)
    fields = open_form(client, b"{t}k", action)
    fields.pop("csrfmiddlewaretoken", None)
    r.expire(b"{t}k", 30)
    changes = {"ttl": {"amount": "900"}, "persist": {}, "rename": {"new_name": "{t}moved"}}
    response = client.post(edit_url(b"{t}k", action), fields | changes[action], headers=HTMX)
    assert response.status_code == 409, response.content.decode()[-500:]
    assert 0 < r.ttl(b"{t}k") <= 30 and not r.exists(b"{t}moved")
