"""What units declare and the rest of the dashboard draws from: the New-key form's inputs, row
identity, extra pages (get_urls) and toolbar entries. A new type touches none of the code
tested here."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.urls import path, resolve, reverse

from keyspace.redis.keynames import KeyConverter, encode_key
from keyspace.services.editing.create import CreateKeyForm, create_inputs
from keyspace.units import TypeUnit, registry
from keyspace.units.base import CreateField, ToolbarEntry
from keyspace.urls import key_routes, unit_urls
from keyspace.views.leaderboard import leaderboard_view
from tests.support.htmx import HTMX
from tests.units.helpers import fetch

SAMPLES = {"bytes": "v", "line": "f", "text": "2.5"}


# Module types (JSON, Bloom, Cuckoo) are created in their own tests, on a server that has
# the modules (tests/units/rejson/, tests/units/bloom/); this server has none.
MODULE_TYPES = {"ReJSON-RL", "MBbloom--", "MBbloomCF", "TSDB-TYPE"}


def creatable() -> list[TypeUnit]:
    return [registry.unit_for(name) for name in registry.type_names()
            if registry.unit_for(name).create_fields and name not in MODULE_TYPES]


# --- the New-key form ---------------------------------------------------------------------------


def test_every_built_in_type_declares_what_creating_it_needs():
    assert {unit.type_name for unit in creatable()} == {
        "string", "hash", "list", "set", "zset", "stream"}


@pytest.mark.parametrize("unit", creatable(), ids=lambda unit: unit.type_name)
def test_the_form_draws_each_declared_input(client, unit):
    page = client.get("/c/default/db/0/new/", headers=HTMX).content.decode()
    assert f'<option value="{unit.type_name}">{unit.label}</option>' in page
    for declared in unit.create_fields:
        assert re.search(rf'<(input|textarea)[^>]* name="{declared.name}"', page), declared
        if declared.kind != "text":
            assert f'name="{declared.name}_encoding"' in page
    assert f"<li>{unit.label}: {', '.join(d.label for d in unit.create_fields)}</li>" in page


@pytest.mark.parametrize("unit", creatable(), ids=lambda unit: unit.type_name)
def test_each_type_is_created_from_its_declared_inputs(client, r, unit):
    fields = {declared.name: SAMPLES[declared.kind] for declared in unit.create_fields}
    response = client.post("/c/default/db/0/new/", {"name": "k", "type": unit.type_name, **fields},
                           headers=HTMX)
    assert response.status_code == 204, response.content[-800:]
    assert r.type("k") == unit.type_name.encode()


@pytest.mark.parametrize("declared", [d for unit in creatable() for d in unit.create_fields
                                      if d.required or d.parse], ids=lambda d: d.name)
def test_a_needed_input_left_empty_is_refused_by_that_input(client, r, declared):
    unit = next(u for u in creatable() if declared in u.create_fields)
    fields = {d.name: SAMPLES[d.kind] for d in unit.create_fields} | {declared.name: ""}
    response = client.post("/c/default/db/0/new/", {"name": "k", "type": unit.type_name, **fields},
                           headers=HTMX)
    assert response.status_code == 422 and r.dbsize() == 0
    assert f'id="id_{declared.name}_error"' in response.content.decode()


def whole_number(text: str) -> int:
    if not text.isdigit():
        raise forms.ValidationError("a weight is a whole number")
    return int(text)


class Thing(TypeUnit):
    """A type the dashboard does not have: it declares an input no built-in type uses."""

    type_name = "thing"
    label = "Thing"
    create_fields = (CreateField("weight", "Weight", kind="text", parse=whole_number),)

    def queue_create(self, pipe, key, data):
        pipe.set(key, b"weight=%d" % data["weight"])


@pytest.fixture
def with_thing(monkeypatch):
    monkeypatch.setitem(registry._units, "thing", Thing())


def test_a_new_type_brings_its_own_inputs_to_the_form(client, r, with_thing):
    page = client.get("/c/default/db/0/new/", headers=HTMX).content.decode()
    assert '<option value="thing">Thing</option>' in page
    assert re.search(r'<label for="id_weight">Weight \(thing\):</label>', page)
    response = client.post("/c/default/db/0/new/", {"name": "t", "type": "thing", "weight": "12"},
                           headers=HTMX)
    assert response.status_code == 204 and r.get("t") == b"weight=12"
    refused = client.post("/c/default/db/0/new/", {"name": "t2", "type": "thing", "weight": "x"},
                          headers=HTMX)
    assert refused.status_code == 422 and not r.exists("t2")
    assert "a weight is a whole number" in refused.content.decode()


def test_one_input_declared_two_ways_is_refused(monkeypatch):
    class Clash(Thing):
        type_name = "clash"
        create_fields = (CreateField("value", "Value", kind="text", parse=str),)

    monkeypatch.setitem(registry._units, "clash", Clash())
    with pytest.raises(ImproperlyConfigured, match="'value'"):
        create_inputs()


def built_in_inputs() -> list[str]:
    module_inputs = {declared.name for name in MODULE_TYPES
                     for declared in registry.unit_for(name).create_fields}
    return [declared.name for declared, _ in create_inputs() if declared.name not in module_inputs]


def test_shared_inputs_are_drawn_once_in_each_types_order(monkeypatch):
    names = [declared.name for declared, _ in create_inputs()]
    assert len(names) == len(set(names))
    assert built_in_inputs() == ["field", "value", "score"]

    class Weighed(Thing):
        type_name = "weighed"
        create_fields = (Thing.create_fields[0], CreateField("value", "Value"))

    monkeypatch.setitem(registry._units, "weighed", Weighed())
    assert built_in_inputs() == ["field", "weight", "value", "score"]  # weight before value
    form = CreateKeyForm()
    assert list(form.fields)[:3] == ["name", "name_format", "type"]
    assert list(form.fields)[-2:] == ["ttl_unit", "ttl"]
    assert isinstance(form.fields["score"], forms.CharField)


# --- rows -----------------------------------------------------------------------------------------

ROWS = {
    "hash": (lambda r: r.hset("k", b"f\xff/x", "v"), b"f\xff/x"),
    "list": (lambda r: r.rpush("k", "a", "b", "c"), 2),
    "set": (lambda r: r.sadd("k", b"m \x00"), b"m \x00"),
    "zset": (lambda r: r.zadd("k", {b"p?q": 1.5}), b"p?q"),
}


@pytest.mark.parametrize("type_name", sorted(ROWS))
def test_a_rows_token_names_that_row_everywhere(client, r, type_name):
    """The unit's token for a row id, the row's own token (its opener's `?row=`), the row read
    back from the token, and the key's row URL all agree."""
    make, row_id = ROWS[type_name]
    make(r)
    unit = registry.unit_for(type_name)
    token = unit.row_token(row_id)
    assert unit.row_from_token(token) == row_id
    assert unit.read_row(r, b"k", row_id).token == token
    row_page = client.get(f"/c/default/db/0/key/{encode_key(b'k')}/row/",
                          {"row": token}).content.decode()
    assert f'<a href="?row={token}">' in row_page
    assert f'<a href="?row={token}">' in fetch(client, "k")


# --- extra pages ----------------------------------------------------------------------------------


def test_units_pages_are_collected_under_the_keys_url():
    assert reverse("keyspace:key-leaderboard", kwargs={"db": 0, "key": b"z"}) == (
        f"/c/default/db/0/key/{encode_key(b'z')}/leaderboard/")
    assert resolve(f"/c/default/db/0/key/{encode_key(b'z')}/leaderboard/").func is leaderboard_view
    for unit in registry.units():
        for pattern in unit.get_urls():
            # A page may name more than the key (a stream's group, an action).
            more = {name: b"g" if isinstance(converter, KeyConverter) else "x"
                    for name, converter in pattern.pattern.converters.items()}
            kwargs = more | {"db": 3, "key": b"k"}
            assert reverse(f"keyspace:{pattern.name}", kwargs=kwargs).startswith(
                f"/c/default/db/3/key/{encode_key(b'k')}/{unit.url_prefix}")


def _page(request, db, key):
    raise AssertionError("never called")


class Paged(TypeUnit):
    type_name = "paged"
    label = "Paged"
    url_prefix = "paged/"
    names = ("paged-chart",)

    def get_urls(self):
        return [path("chart/", _page, name=name) for name in self.names]


class Charted(Thing):
    def get_urls(self):
        return [path("chart/", _page, name="thing-chart")]


def test_a_units_pages_are_served_under_its_type_name():
    [included] = unit_urls([Charted()], key_routes)
    assert str(included.pattern) == "<db:db>/key/<key:key>/thing/"
    assert [(str(p.pattern), p.name) for p in included.url_patterns] == [
        ("chart/", "thing-chart")]
    assert unit_urls([Thing()], key_routes) == []  # no pages, nothing to include


@pytest.mark.parametrize("prefix, names, taken", [
    ("paged/", ("key-detail",), "'key-detail'"),  # a name the dashboard uses
    ("", ("paged-chart",), "by the key"),  # chart/ is free, but edit/ below is not
    ("paged/", ("paged-chart", "paged-chart"), "'paged-chart'"),
])
def test_a_page_that_would_shadow_another_is_refused(prefix, names, taken):
    class Clashing(Paged):
        url_prefix = prefix

    Clashing.names = names
    if prefix == "":
        Clashing.get_urls = lambda self: [path("edit/x/", _page, name="paged-chart")]
    with pytest.raises(ImproperlyConfigured, match=re.escape(taken)):
        unit_urls([Clashing()], key_routes)


def test_two_units_cannot_share_a_first_segment():
    class Other(Paged):
        type_name = "other"
        names = ("other-chart",)

    with pytest.raises(ImproperlyConfigured, match="by paged"):
        unit_urls([Paged(), Other()], key_routes)


# --- the toolbar ----------------------------------------------------------------------------------


def test_the_toolbar_draws_what_the_unit_declares(client, r, monkeypatch, settings):
    r.hset("h", "f", "v")
    declared = ToolbarEntry("Chart it", "/somewhere/", edits=False)
    editing = ToolbarEntry("Reshape", "/elsewhere/")
    monkeypatch.setattr(type(registry.unit_for("hash")), "toolbar",
                        lambda self, db, key, detail: [declared, editing])
    bar = re.search(r'id="key-actions".*?</div>', fetch(client, "h"), re.S).group(0)
    assert re.findall(r">([^<>]+)</a>", bar) == [
        "Chart it", "Reshape", "Set TTL", "Rename", "Copy", "Delete"]
    settings.DASHBOARD_READONLY = True
    bar = re.search(r'id="key-actions".*?</div>', fetch(client, "h"), re.S).group(0)
    assert re.findall(r">([^<>]+)</a>", bar) == ["Chart it"]


def test_remove_ttl_is_offered_only_for_a_key_with_one(client, r):
    r.set("s", "v")
    assert "Remove TTL" not in fetch(client, "s")
    r.expire("s", 100)
    assert "Remove TTL" in fetch(client, "s")
