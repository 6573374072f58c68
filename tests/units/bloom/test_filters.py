"""Bloom and Cuckoo filters on a real valkey-server with RedisBloom: info, checking items
(anyone), adding items (editors)."""

from __future__ import annotations

import pytest

from keyspace.units import registry
from keyspace.units.replies import reply_pairs
from tests.services.editing.forms import form_fields
from tests.support.htmx import HTMX
from tests.support.urls import edit_url, tool_url
from tests.units.helpers import XSS, XSS_ESCAPED, assert_htmx_modes, fetch


def test_a_bloom_filter_shows_its_info(client, r):
    r.execute_command("BF.RESERVE", "bf", "0.001", "5000")
    r.execute_command("BF.MADD", "bf", "a", "b", "c")
    page = assert_htmx_modes(client, "bf")
    assert "A Bloom filter holds no list" in page
    assert '<th scope="row">Capacity</th><td>5,000</td>' in page
    assert '<th scope="row">Number of items inserted</th><td>3</td>' in page
    assert "<dd>3 items</dd>" in page  # BF.CARD


def test_a_cuckoo_filter_shows_its_info_and_length(client, r):
    r.execute_command("CF.RESERVE", "cf", "1000")
    r.execute_command("CF.ADD", "cf", "x")
    r.execute_command("CF.ADD", "cf", "y")
    r.execute_command("CF.DEL", "cf", "x")
    page = fetch(client, "cf")
    assert "Cuckoo filter" in page and "Number of items deleted" in page
    assert registry.unit_for("MBbloomCF").parse_length(r.execute_command("CF.INFO", "cf")) == 1


def check(client, key, tool, text):
    response = client.get(tool_url(key, tool, run="1", members=text, mode="lines"),
                          headers=HTMX)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def test_checking_items_answers_maybe_or_no(viewer_client, r):
    r.execute_command("BF.MADD", "bf", "in", XSS)
    body = check(viewer_client, "bf", "bloom-check", f"in\nout\n{XSS}")
    assert "2 of 3 may be in this filter" in body
    assert XSS not in body and XSS_ESCAPED in body
    r.execute_command("CF.ADD", "cf", "in")
    assert "1 of 2 may be" in check(viewer_client, "cf", "cuckoo-check", "in\nout")


def add(client, key, action, text):
    response = client.get(edit_url(key, action))
    assert response.status_code == 200, response.content[:300]
    fields = form_fields(response.content.decode())
    fields.pop("csrfmiddlewaretoken", None)
    return client.post(edit_url(key, action), fields | {"members": text, "mode": "lines"},
                       headers=HTMX)


def test_editors_add_items(client, r):
    r.execute_command("BF.ADD", "bf", "first")
    assert add(client, "bf", "bloom-add", "x\ny").status_code == 200
    assert r.execute_command("BF.MEXISTS", "bf", "x", "y") == [1, 1]
    r.execute_command("CF.RESERVE", "cf", "100")
    assert add(client, "cf", "cuckoo-add", "z").status_code == 200
    assert r.execute_command("CF.EXISTS", "cf", "z") == 1


def test_adding_to_a_key_that_is_no_longer_a_filter_is_refused(client, r):
    r.execute_command("BF.ADD", "bf", "first")
    response = client.get(edit_url("bf", "bloom-add"))
    fields = form_fields(response.content.decode())
    fields.pop("csrfmiddlewaretoken", None)
    r.delete("bf")
    r.set("bf", "now a string")
    response = client.post(edit_url("bf", "bloom-add"), fields | {"members": "x"}, headers=HTMX)
    assert response.status_code == 409 and r.get("bf") == b"now a string"


def test_viewers_cannot_add(viewer_client, r):
    r.execute_command("BF.ADD", "bf", "first")
    response = viewer_client.post(edit_url("bf", "bloom-add"), {"members": "x"}, headers=HTMX)
    assert response.status_code == 403
    assert r.execute_command("BF.EXISTS", "bf", "x") == 0


def test_filters_are_created_from_the_new_key_form(client, r):
    response = client.post("/c/default/db/0/new/", {"name": "newbf", "type": "MBbloom--",
                                          "filter_capacity": "200",
                                          "bloom_error_rate": "0.05"}, headers=HTMX)
    assert response.status_code in (200, 204), response.content[:500]
    assert r.type("newbf") == b"MBbloom--"
    assert r.execute_command("BF.INFO", "newbf", "CAPACITY") in (200, [200], {b"Capacity": 200})
    response = client.post("/c/default/db/0/new/", {"name": "newbf2", "type": "MBbloom--",
                                          "filter_capacity": "0"}, headers=HTMX)
    assert response.status_code == 422 and not r.exists("newbf2")


@pytest.mark.parametrize(("capacity", "error_rate"), [
    (100, 0.01), (1_000_000, 0.01), (10_000_000, 0.001), (1_000_000, 1e-9), (3_000_000, 0.1)])
def test_the_memory_a_filter_reserves_is_worked_out_as_redisbloom_does(r, capacity, error_rate):
    from keyspace.units.bloom.unit import bloom_bytes, cuckoo_bytes

    r.execute_command("BF.RESERVE", "bf", error_rate, capacity)
    r.execute_command("CF.RESERVE", "cf", capacity)
    for key, worked_out in (("bf", bloom_bytes(capacity, error_rate)),
                            ("cf", cuckoo_bytes(capacity))):
        size = dict(reply_pairs(r.execute_command(f"{key.upper()}.INFO", key)))["Size"]
        assert worked_out <= size <= worked_out + 1024, (key, size, worked_out)


@pytest.mark.parametrize(("fields", "reserved"), [
    ({"type": "MBbloom--", "filter_capacity": "4294967296", "bloom_error_rate": "1e-9"},
     "22.3 GiB"),
    ({"type": "MBbloom--", "filter_capacity": "100000000", "bloom_error_rate": "0.01"},
     "131.5 MiB"),
    ({"type": "MBbloomCF", "filter_capacity": "200000000"}, "256.0 MiB"),
])
def test_a_filter_that_would_take_too_much_memory_is_refused_by_its_field(
        client, r, fields, reserved):
    response = client.post("/c/default/db/0/new/", {"name": "huge", **fields}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 422 and not r.exists("huge")
    assert f"reserves about {reserved}" in html and "DASHBOARD_MAX_FILTER_BYTES" in html
    assert 'id="id_filter_capacity"' in html and "aria-invalid" in html


def test_the_limit_on_a_new_filter_is_a_setting(client, r, settings):
    settings.DASHBOARD_MAX_FILTER_BYTES = 256 * 2**20
    response = client.post("/c/default/db/0/new/", {
        "name": "big", "type": "MBbloom--", "filter_capacity": "100000000",
        "bloom_error_rate": "0.01"}, headers=HTMX)
    assert response.status_code in (200, 204) and r.type("big") == b"MBbloom--"


def test_a_module_type_without_a_unit_shows_its_metadata(client, r, monkeypatch):
    """A real module key whose type has no unit (the Cuckoo unit taken out of the registry
    for this test): its page and the key list show its metadata, never an error."""
    monkeypatch.delitem(registry._units, "MBbloomCF")
    r.execute_command("CF.RESERVE", "cf", "1000")
    r.expire("cf", 3700)
    page = assert_htmx_modes(client, "cf")
    assert "no viewer for the <code>MBbloomCF</code> type, a data type added by a" in page
    assert '<span class="type type-MBbloomCF">MBbloomCF</span>' in page
    assert ">1 h 1 m<" in page and "<dt>Memory</dt>" in page
    listing = client.get("/c/default/db/0/")
    assert listing.status_code == 200 and "MBbloomCF" in listing.content.decode()


def test_the_key_list_shows_every_module_type(client, r):
    r.execute_command("BF.ADD", "k:bf", "a")
    r.execute_command("CF.ADD", "k:cf", "a")
    r.execute_command("JSON.SET", "k:json", "$", "[1]")
    body = client.get("/c/default/db/0/?show=length&show=memory&columns=1").content.decode()
    for name in ("MBbloom--", "MBbloomCF", "ReJSON-RL"):
        assert f"type-{name}" in body
    filtered = client.get("/c/default/db/0/?type=MBbloomCF").content.decode()
    assert "k:cf" in filtered and "k:bf" not in filtered
