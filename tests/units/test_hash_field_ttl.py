"""Hash-field TTLs: shown per field with a countdown, set and cleared per field, kept by value
edits; on servers without them (Redis 6.2 and 7.0), the page says so and offers nothing.
Runs on every server of the matrix and on Redis 7.4: Valkey 9 and Redis 7.4 have them."""

from __future__ import annotations

import html
import re

import pytest
import redis

from keyspace.redis.keynames import encode_key
from tests.services.editing.forms import form_fields, open_form, submit
from tests.support.htmx import HTMX
from tests.support.urls import edit_url, key_url

# The server matrix, and Redis 7.4 (tests/support/servers.py).
pytestmark = pytest.mark.servers(redis_stack=True)

NOT_AVAILABLE = "Field TTLs are not available on this server"


@pytest.fixture
def field_ttls(r, redis_server) -> bool:
    """Whether this server has field TTLs, asked of it directly (not of the dashboard)."""
    try:
        r.execute_command("HPTTL")
    except redis.ResponseError as exc:
        supported = "unknown command" not in str(exc).lower()
    if redis_server.kind.name in ("valkey-9", "redis-7.4"):
        assert supported, f"{redis_server.kind.name} has hash-field TTLs: nothing would be tested"
    return supported


@pytest.fixture
def with_ttls(r, field_ttls):
    if not field_ttls:
        pytest.skip("this server has no hash-field TTLs (tested: the page says so)")
    r.hset("h", mapping={"a": "1", "b": "2", "c": b"\xff"})
    r.execute_command("HPEXPIRE", "h", 600_000, "FIELDS", 2, "a", b"c")
    return b"h"


def ttl_cells(body: str) -> dict[str, str]:
    """{field token: the row's TTL cell markup} for each row drawn."""
    return dict(re.findall(r'<tr data-row="([^"]+)">.*?(<td class="ttl".*?</td>)', body))


def hpttl(r, key, field) -> int:
    return r.execute_command("HPTTL", key, "FIELDS", 1, field)[0]


def test_each_field_shows_its_ttl_with_a_countdown(client, r, with_ttls):
    r.config_resetstat()
    body = client.get(key_url("h")).content.decode()
    calls = r.info("commandstats").get("cmdstat_hpttl", {}).get("calls")
    assert calls == 1  # one HPTTL for the whole page
    assert '<th scope="col">TTL</th>' in body
    cells = ttl_cells(body)
    assert set(cells) == {encode_key(b"a"), encode_key(b"b"), encode_key(b"c")}
    shown = re.search(r'data-ttl-ms="(\d+)" data-ttl-of="field"', cells[encode_key(b"a")])
    assert shown and 590_000 < int(shown.group(1)) <= 600_000
    assert "10 m" in cells[encode_key(b"a")] or "9 m" in cells[encode_key(b"a")]
    assert "data-ttl-ms" in cells[encode_key(b"c")]
    assert cells[encode_key(b"b")] == '<td class="ttl"></td>'  # no TTL: nothing to count


def test_only_the_pages_fields_are_asked_for(client, r, field_ttls):
    if not field_ttls:
        pytest.skip("no hash-field TTLs here")
    r.hset("big", mapping={f"f{i}": i for i in range(5000)})  # a hashtable: paged
    r.config_resetstat()
    body = client.get(key_url("big", count=20)).content.decode()
    stats = r.info("commandstats")["cmdstat_hpttl"]
    assert stats["calls"] == 1
    assert len(ttl_cells(body)) < 100  # HSCAN's page, not the hash's 5,000 fields


def test_setting_a_field_ttl_redraws_its_row(client, r, with_ttls):
    response = submit(client, b"h", "hash-field-ttl", row=b"b", unit="s", amount="3600")
    assert response.status_code == 200
    assert 3_590_000 < hpttl(r, "h", "b") <= 3_600_000
    assert 'data-ttl-ms="' in response.content.decode()
    assert hpttl(r, "h", "a") > 0 and r.hget("h", "a") == b"1"  # the others untouched


def test_a_field_changed_meanwhile_gets_no_ttl(client, r, with_ttls):
    fields = open_form(client, b"h", "hash-field-ttl", row=b"b")
    r.hset("h", "b", "changed")
    fields.pop("csrfmiddlewaretoken", None)
    fields.update(unit="s", amount="60")
    response = client.post(edit_url(b"h", "hash-field-ttl"), fields, headers=HTMX)
    assert response.status_code == 409
    assert hpttl(r, "h", "b") == -1


def test_a_short_field_ttl_is_confirmed_first(client, r, with_ttls):
    asked = submit(client, b"h", "hash-field-ttl", row=b"b", unit="ms", amount="100")
    assert asked.status_code == 428 and hpttl(r, "h", "b") == -1
    assert "makes the field expire almost at once" in html.unescape(asked.content.decode())


def test_removing_a_field_ttl(client, r, with_ttls):
    response = submit(client, b"h", "hash-field-persist", row=b"a")
    assert response.status_code == 200
    assert hpttl(r, "h", "a") == -1 and r.hget("h", "a") == b"1"
    assert hpttl(r, "h", "c") > 0


def test_editing_a_value_keeps_its_ttl(client, r, with_ttls):
    before = r.execute_command("HPEXPIRETIME", "h", "FIELDS", 1, "a")[0]
    response = submit(client, b"h", "hash-set", row=b"a", value="new")
    assert response.status_code == 200
    assert r.hget("h", "a") == b"new"
    assert r.execute_command("HPEXPIRETIME", "h", "FIELDS", 1, "a")[0] == before
    assert 'data-ttl-ms="' in response.content.decode()  # the redrawn row still counts down
    submit(client, b"h", "hash-set", row=b"b", value="x")
    assert hpttl(r, "h", "b") == -1  # a field without one does not get one


@pytest.mark.parametrize("amount", ["2", "0.5"])
def test_incrementing_a_field_keeps_its_ttl(client, r, with_ttls, amount):
    r.hset("h", "a", "1")  # HSET drops a field's TTL: give it one again
    r.execute_command("HPEXPIRE", "h", 600_000, "FIELDS", 1, "a")
    before = r.execute_command("HPEXPIRETIME", "h", "FIELDS", 1, "a")[0]
    assert submit(client, b"h", "hash-incr", row=b"a", amount=amount).status_code == 200
    assert float(r.hget("h", "a")) == 1 + float(amount)
    assert r.execute_command("HPEXPIRETIME", "h", "FIELDS", 1, "a")[0] == before


def test_replacing_fields_in_bulk_keeps_their_ttls(client, r, with_ttls):
    before = r.execute_command("HPEXPIRETIME", "h", "FIELDS", 1, "a")[0]
    response = submit(client, b"h", "hash-add-many", pairs="a=10\nb=20\nnew=30",
                      overwrite="on", confirmed=True)
    assert response.status_code in (200, 302)
    assert r.hmget("h", "a", "b", "new") == [b"10", b"20", b"30"]
    assert r.execute_command("HPEXPIRETIME", "h", "FIELDS", 1, "a")[0] == before
    assert hpttl(r, "h", "b") == -1 and hpttl(r, "h", "new") == -1


def test_older_servers_say_so_and_offer_nothing(client, r, field_ttls):
    if field_ttls:
        pytest.skip("this server has hash-field TTLs")
    r.hset("h", mapping={"a": "1"})
    body = client.get(key_url("h")).content.decode()
    assert NOT_AVAILABLE in body
    assert '<th scope="col">TTL</th>' not in body and 'class="ttl"' not in body.split(
        '<table class="values"')[1]
    assert "hash-field-ttl" not in body and "hash-field-persist" not in body
    assert "hash-set" in body  # other row edits are offered as ever
    response = client.post(edit_url(b"h", "hash-field-ttl"), {
        "row": encode_key(b"a"), "expected": "x", "unit": "s", "amount": "60",
        "expected_type": "hash"}, headers=HTMX)
    assert NOT_AVAILABLE in html.unescape(response.content.decode())
    assert r.hget("h", "a") == b"1"


def test_a_live_page_sees_no_change_while_ttls_count_down(r, with_ttls):
    import time

    from keyspace.redis.connection import get_client
    from keyspace.services.live import snapshot
    from keyspace.units import PageRequest

    client = get_client(0)
    first = snapshot.take(client, b"h", PageRequest())
    time.sleep(0.01)
    assert snapshot.take(client, b"h", PageRequest()).digest == first.digest
    r.execute_command("HPEXPIRE", "h", 900_000, "FIELDS", 1, "b")  # a real change is seen
    changed = snapshot.take(client, b"h", PageRequest())
    assert [row.token for row in snapshot.compare(first, changed).rows] == [encode_key(b"b")]


def post_form(client, key: bytes, action: str, fields: dict):
    fields = {name: value for name, value in fields.items() if name != "csrfmiddlewaretoken"}
    return client.post(edit_url(key, action), fields, headers=HTMX)


def test_a_field_ttl_changed_meanwhile_is_not_overwritten(client, r, with_ttls):
    fields = open_form(client, b"h", "hash-field-ttl", row=b"a")
    r.execute_command("HPEXPIRE", "h", 30_000, "FIELDS", 1, "a")  # another client's TTL
    response = post_form(client, b"h", "hash-field-ttl", fields | {"unit": "s", "amount": "3600"})
    assert response.status_code == 409
    assert "when it expires" in html.unescape(response.content.decode())
    assert 0 < hpttl(r, "h", "a") <= 30_000
    again = post_form(client, b"h", "hash-field-ttl", form_fields(response.content.decode()))
    assert again.status_code == 200 and hpttl(r, "h", "a") > 30_000  # informed: it goes


def test_removing_a_field_ttl_changed_meanwhile_is_refused(client, r, with_ttls):
    fields = open_form(client, b"h", "hash-field-persist", row=b"a")
    r.execute_command("HPEXPIRE", "h", 30_000, "FIELDS", 1, "a")
    assert post_form(client, b"h", "hash-field-persist", fields).status_code == 409
    assert 0 < hpttl(r, "h", "a") <= 30_000


@pytest.mark.parametrize("action", ["hash-set", "hash-delete", "hash-field-ttl"])
def test_a_field_deleted_and_made_again_with_the_same_value_is_another_field(
        client, r, with_ttls, action):
    """The user saw field a expiring in ten minutes; it was deleted and made again with the
    same value and no TTL: another field, which the edit must not act on."""
    fields = open_form(client, b"h", action, row=b"a")
    r.hdel("h", "a")
    r.hset("h", "a", "1")
    changes = {"hash-set": {"value": "new"}, "hash-field-ttl": {"unit": "s", "amount": "60"}}
    response = post_form(client, b"h", action, fields | changes.get(action, {}))
    if response.status_code == 428:  # a delete asks to confirm first: confirm it
        response = post_form(client, b"h", action, form_fields(response.content.decode()))
    assert response.status_code == 409, response.content[:300]
    assert r.hget("h", "a") == b"1" and hpttl(r, "h", "a") == -1
