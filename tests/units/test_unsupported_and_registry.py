"""The registry: every TYPE reply finds its unit, anything else (module types) the unsupported
unit, and a type registered twice is refused."""

from __future__ import annotations

import pytest

from keyspace.units import TypeUnit, registry
from keyspace.units.base import Registry
from keyspace.units.unsupported import UnsupportedUnit
from tests.support.htmx import HTMX
from tests.support.urls import edit_url
from tests.units.helpers import HX_MORE, HX_VALUE, assert_htmx_modes, fetch, rows

BUILT_IN_TYPES = {"string", "list", "set", "zset", "hash", "stream"}


def make_one_of_each(r) -> dict[str, bytes]:
    r.set("k:string", "v")
    r.rpush("k:list", "v")
    r.sadd("k:set", "v")
    r.zadd("k:zset", {"v": 1})
    r.hset("k:hash", "f", "v")
    r.xadd("k:stream", {"f": "v"})
    return {name: f"k:{name}".encode() for name in BUILT_IN_TYPES}


def test_every_type_reply_of_the_server_maps_to_its_unit(r):
    for name, key in make_one_of_each(r).items():
        reply = r.type(key)
        assert reply == name.encode()
        unit = registry.unit_for(reply)
        assert unit.type_name == name
        assert not isinstance(unit, UnsupportedUnit)
        assert registry.unit_for(reply.decode()) is unit


MODULE_TYPES = {"ReJSON-RL", "MBbloom--", "MBbloomCF", "TSDB-TYPE"}


def test_the_registry_holds_exactly_the_built_in_and_module_types():
    assert set(registry.type_names()) == BUILT_IN_TYPES | MODULE_TYPES


def test_every_unit_has_a_template_with_a_rows_partial():
    from django.template.loader import get_template

    for name in [*registry.type_names(), "no-such-type"]:
        unit = registry.unit_for(name)
        get_template(unit.template)
        get_template(f"{unit.template}#rows")


@pytest.mark.parametrize("reply", ["vectorset", b"ft_index0", "ReJSON-RX", ""])
def test_unknown_types_fall_back_to_the_unsupported_unit(reply):
    unit = registry.unit_for(reply)
    assert isinstance(unit, UnsupportedUnit)
    assert unit.template == "keyspace/units/unsupported.html"


def test_registering_a_type_twice_raises_and_keeps_the_first():
    first = registry.unit_for("hash")

    class AnotherHash(TypeUnit):
        type_name = "hash"
        label = "Another hash"

    with pytest.raises(ValueError, match="'hash' is already registered"):
        registry.register(AnotherHash)
    assert registry.unit_for("hash") is first


def test_a_fresh_registry():
    fresh = Registry()

    class Thing(TypeUnit):
        type_name = "thing"
        label = "Thing"

    assert fresh.register(Thing) is Thing
    assert isinstance(fresh.unit_for(b"thing"), Thing)
    with pytest.raises(ValueError):
        fresh.register(Thing)
    with pytest.raises(LookupError):
        fresh.unit_for("other")  # no fallback registered
    fresh.register_fallback(UnsupportedUnit)
    assert isinstance(fresh.unit_for("other"), UnsupportedUnit)
    assert fresh.type_names() == ["thing"]


@pytest.fixture
def stream_without_a_viewer(monkeypatch, r):
    """A real key whose TYPE has no unit, as a module type would be: a stream, with the
    stream unit taken out of the registry for this test."""
    monkeypatch.delitem(registry._units, "stream")
    r.xadd("mod", {"f": "v"}, id="1-1")
    r.expire("mod", 3700)
    return "mod"


def test_a_type_without_a_unit_shows_metadata_only(client, stream_without_a_viewer):
    page = assert_htmx_modes(client, stream_without_a_viewer)
    assert "no viewer for the <code>stream</code> type, a data type added by a" in page
    assert '<span class="type type-stream">stream</span>' in page
    assert "<dd>stream</dd>" in page  # OBJECT ENCODING still shown
    assert "<dd>—</dd>" in page  # no length command for unknown types
    value = page[page.index('<section id="value"') :]
    assert "<table" not in value and "<form" not in value
    assert ">1 h 1 m<" in page
    assert rows(page) == []


def test_a_type_without_a_unit_refuses_filters(client, stream_without_a_viewer):
    body = fetch(client, stream_without_a_viewer, status=400, match="a*")
    assert "Unsupported type values cannot be filtered" in body


def test_a_type_without_a_unit_in_fragments(client, stream_without_a_viewer):
    value = fetch(client, stream_without_a_viewer, headers=HX_VALUE)
    assert value.strip().startswith('<section id="value"') and "no viewer" in value
    more = fetch(client, stream_without_a_viewer, headers=HX_MORE)
    assert "<section" not in more and "no viewer" in more


def test_deleting_a_type_without_a_unit_is_a_conflict_if_it_changed(client, r,
                                                                   stream_without_a_viewer):
    """Its fingerprint is its serialised value: a change the dashboard cannot show still
    makes the delete a conflict."""
    from tests.services.editing.forms import open_form

    fields = open_form(client, b"mod", "delete")
    fields.pop("csrfmiddlewaretoken", None)
    r.xadd("mod", {"f": "w"}, id="2-1")
    response = client.post(edit_url(b"mod", "delete"), fields, headers=HTMX)
    assert response.status_code == 409 and r.xlen("mod") == 2
