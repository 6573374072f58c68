"""The JSON tree against a real valkey-server with RedisJSON: the top level on the key page,
nodes opened on demand, every read bounded whatever the document's size."""

from __future__ import annotations

import json

from keyspace.redis.keynames import encode_key
from keyspace.units import registry
from keyspace.units.rejson.paths import child_path, path_token
from keyspace.units.rejson.tree import MAX_OBJECT_KEYS
from tests.support.htmx import HTMX
from tests.support.urls import key_url
from tests.units.helpers import HX_MORE, XSS, XSS_ESCAPED, RedisWork, assert_htmx_modes, fetch

DOC = {"name": "Ada", "age": 36, "ok": True, "none": None, "tags": ["a", "b"],
       "address": {"city": "London", "zip": "N1"}, XSS: XSS}


def node_url(key: str, path: str, **params) -> str:
    query = "".join(f"&{name}={value}" for name, value in params.items())
    return key_url(key) + f"json/node/?path={path_token(path)}{query}"


def test_a_document_opens_as_a_tree_of_its_top_level(client, r):
    r.execute_command("JSON.SET", "doc", "$", json.dumps(DOC))
    page = assert_htmx_modes(client, "doc")
    assert "A JSON object with 7 keys" in page
    assert '<span class="type type-ReJSON-RL">ReJSON-RL</span>' in page
    assert '"<span class="element">Ada</span>"' in page
    assert ">36</span>" in page and ">true</span>" in page and ">null</span>" in page
    assert "[…] 2 items" in page and "{…} 2 keys" in page
    assert XSS not in page and XSS_ESCAPED in page
    assert "London" not in page  # subtrees are read when opened, not before


def test_opening_a_node_reads_its_children(client, r):
    r.execute_command("JSON.SET", "doc", "$", json.dumps(DOC))
    fragment = client.get(node_url("doc", '$["address"]'), headers=HTMX).content.decode()
    assert "<html" not in fragment.lower() and "London" in fragment and "N1" in fragment
    full = client.get(node_url("doc", '$["address"]')).content.decode()
    assert full.lstrip().lower().startswith("<!doctype html>") and "London" in full
    tags = client.get(node_url("doc", '$["tags"]'), headers=HTMX).content.decode()
    assert "[0]" in tags and "[1]" in tags and '"<span class="element">b</span>"' in tags


def test_any_object_key_opens_by_its_path(client, r):
    awkward = ['a"b\\c', "new\nline", "$", "", "]x[", "é ü", XSS]
    r.execute_command("JSON.SET", "doc", "$",
                      json.dumps({name: {"inner": i} for i, name in enumerate(awkward)}))
    for i, name in enumerate(awkward):
        path = child_path("$", name.encode())
        body = client.get(node_url("doc", path), headers=HTMX).content.decode()
        assert f">{i}</span>" in body, (name, body)
    both = "both'\"quotes"
    r.execute_command("JSON.SET", "doc", "$", json.dumps({both: {"inner": 1}}))
    assert "(size unknown)" in fetch(client, "doc")
    body = client.get(node_url("doc", child_path("$", both.encode())), headers=HTMX)
    assert "cannot list this value" in body.content.decode()


def test_a_huge_document_opens_with_bounded_reads(client, r):
    big = "x" * 100_000
    r.execute_command("JSON.SET", "huge", "$", json.dumps({"items": list(range(50_000)),
                                                           "blob": big, "small": 1}))
    with RedisWork(r) as work:
        page = fetch(client, "huge")
    assert "[…] 50,000 items" in page and "too long to show here" in page
    assert work.output_bytes < 32 * 1024, work.output_bytes
    assert work.count("json.get") == 1, work.calls  # the one short scalar
    # RedisJSON's MEMORY USAGE and JSON.DEBUG MEMORY of a container walk the whole document
    assert work.count("memory|usage") == 0 and work.count("json.strlen") == 0, work.calls
    with RedisWork(r) as work:
        listing = client.get("/c/default/db/0/?show=memory&show=length&columns=1")
    assert listing.status_code == 200 and work.count("memory|usage") == 0, work.calls


def test_a_long_array_pages_with_load_more(client, r):
    r.execute_command("JSON.SET", "arr", "$", json.dumps(list(range(250))))
    first = fetch(client, "arr")
    assert "[99]" in first and "[100]" not in first and 'id="value-more"' in first
    more = fetch(client, "arr", headers=HX_MORE, cursor="100")
    assert "[100]" in more and "[199]" in more and "<ul" not in more
    last = fetch(client, "arr", headers=HX_MORE, cursor="200")
    assert "[249]" in last and "value-more" not in last
    node = client.get(node_url("arr", "$", cursor="200"), headers=HTMX).content.decode()
    assert "[249]" in node and "Load more" not in node


def test_an_object_too_large_to_list_says_so(client, r):
    keys = {f"k{i}": i for i in range(MAX_OBJECT_KEYS + 1)}
    r.execute_command("JSON.SET", "wide", "$", json.dumps({"inner": keys}))
    with RedisWork(r) as work:
        body = client.get(node_url("wide", '$["inner"]'), headers=HTMX).content.decode()
    assert "too many to list" in body and work.count("json.objkeys") == 0


def test_a_node_url_naming_many_values_is_refused_unread(client, r):
    r.execute_command("JSON.SET", "doc", "$", json.dumps(DOC))
    with RedisWork(r) as work:
        response = client.get(node_url("doc", "$..*"), headers=HTMX)
    assert response.status_code == 400 and work.count("json.type") == 0


def test_a_scalar_document_shows_its_value(client, r):
    r.execute_command("JSON.SET", "num", "$", "3.25")
    page = fetch(client, "num")
    assert "A JSON number" in page and ">3.25</span>" in page


def test_the_key_list_filters_by_the_json_type(client, r):
    r.execute_command("JSON.SET", "doc", "$", "{}")
    r.set("plain", "v")
    body = client.get("/c/default/db/0/?type=ReJSON-RL").content.decode()
    # Keys by their links: the page's own words (its "plain" connection label) are not keys.
    assert f"/key/{encode_key(b'doc')}/" in body
    assert f"/key/{encode_key(b'plain')}/" not in body
    assert "ReJSON-RL" in registry.type_names()
