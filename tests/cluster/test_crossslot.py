"""Edits over keys in different hash slots are explained next to the field that named the
other key (use a hash tag), never a raw CROSSSLOT or a 500; keys sharing a hash tag work."""

import html
import re

import pytest

from keyspace.redis.cluster_nodes import slot_of
from tests.services.editing.forms import submit
from tests.support.urls import key_url

pytestmark = pytest.mark.cluster


def field_error(body: str, field: str) -> str:
    """The error text drawn in the form for `field` (an errorlist near its input)."""
    text = html.unescape(body)
    assert f'name="{field}"' in text
    match = re.search(r'class="errorlist[^"]*"[^>]*>(.*?)</ul>', text, re.S)
    assert match, text[-2000:]
    return re.sub(r"<[^>]+>", "", match.group(1))


@pytest.mark.parametrize("action", ["rename", "copy"])
def test_rename_or_copy_to_another_slot_is_explained(cluster_dashboard, r, client, action):
    assert slot_of(b"k") != slot_of(b"t")
    r.set(b"k", b"mine")
    response = submit(client, b"k", action, new_name="t")
    assert response.status_code == 422, response.content[-800:]
    message = field_error(response.content.decode(), "new_name")
    assert "different slots" in message and "hash tag" in message and "{user:42}" in message
    assert "CROSSSLOT" not in response.content.decode()
    assert r.get(b"k") == b"mine" and not r.exists(b"t")


@pytest.mark.parametrize("action", ["rename", "copy"])
def test_rename_or_copy_within_a_hash_tag_works(cluster_dashboard, r, client, action):
    r.set(b"{user:1}:a", b"mine")
    response = submit(client, b"{user:1}:a", action, new_name="{user:1}:b")
    assert response.status_code in (200, 204), response.content[-800:]
    assert r.get(b"{user:1}:b") == b"mine"
    assert r.exists(b"{user:1}:a") == (action == "copy")


def test_set_algebra_across_slots_is_explained_by_the_field(cluster_dashboard, r, client):
    r.sadd(b"a", b"1", b"2")
    r.sadd(b"b", b"2")
    assert slot_of(b"a") != slot_of(b"b")
    response = submit(client, b"a", "set-store", operation="union", others="b",
                      destination="{a}out")
    assert response.status_code == 422
    assert "hash tag" in field_error(response.content.decode(), "others")
    assert not r.exists(b"{a}out")
    # Comparing (reading) across slots needs no common slot: each key is read on its node.
    body = client.get(key_url(b"a") + "tool/set-compare/",
                      {"operation": "inter", "others": "b"}).content.decode()
    assert "CROSSSLOT" not in body


def test_set_algebra_within_a_hash_tag_works(cluster_dashboard, r, client):
    r.sadd(b"{s}a", b"1", b"2")
    r.sadd(b"{s}b", b"2", b"3")
    response = submit(client, b"{s}a", "set-store", operation="union", others="{s}b",
                      destination="{s}out")
    assert response.status_code == 204, response.content[-800:]
    assert r.smembers(b"{s}out") == {b"1", b"2", b"3"}
