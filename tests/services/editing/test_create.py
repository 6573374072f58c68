import pytest

from keyspace.redis.keynames import encode_key
from tests.support.htmx import HTMX

# A few round trips run on every server of the matrix (tests/support/servers.py): `servers`.


def create(client, htmx=True, **fields):
    data = {"name_format": "text", "field_encoding": "text", "value_encoding": "text",
            "ttl_unit": "s"} | fields
    return client.post("/c/default/db/0/new/", data, headers=HTMX if htmx else {})


@pytest.mark.parametrize(
    ("fields", "check"),
    [
        ({"type": "string", "value": "hello"}, lambda r: r.get("k") == b"hello"),
        ({"type": "hash", "field": "f", "value": "v"}, lambda r: r.hgetall("k") == {b"f": b"v"}),
        ({"type": "list", "value": "x"}, lambda r: r.lrange("k", 0, -1) == [b"x"]),
        ({"type": "set", "value": "m"}, lambda r: r.smembers("k") == {b"m"}),
        ({"type": "zset", "value": "m", "score": "2.5"}, lambda r: r.zscore("k", "m") == 2.5),
        ({"type": "stream", "field": "f", "value": "v"}, lambda r: r.xlen("k") == 1),
    ],
)
@pytest.mark.servers
def test_create_a_key_of_each_type(client, r, fields, check):
    response = create(client, name="k", **fields)
    assert response.status_code == 204
    assert response["HX-Redirect"] == f"/c/default/db/0/key/{encode_key(b'k')}/"
    assert check(r)
    assert r.ttl("k") == -1


@pytest.mark.servers
def test_create_with_a_ttl_and_a_binary_name(client, r):
    response = create(client, htmx=False, name="bin:\\xff", name_format="escaped",
                      type="string", value="00 01", value_encoding="hex", ttl="60")
    assert response.status_code == 302
    assert r.get(b"bin:\xff") == b"\x00\x01" and 55 < r.ttl(b"bin:\xff") <= 60


def test_creating_never_overwrites(client, r):
    r.set("k", "precious")
    response = create(client, name="k", type="string", value="new")
    assert response.status_code == 409 and "already exists" in response.content.decode()
    assert r.get("k") == b"precious"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "", "type": "string", "value": "v"}, "required"),
        ({"name": "k", "type": "zset", "value": "m", "score": "nan"}, "NaN"),
        ({"name": "k", "type": "zset", "value": "m", "score": "high"}, "not a number"),
        ({"name": "k", "type": "hash", "field": "", "value": "v"}, "a field is needed"),
        ({"name": "k", "type": "string", "value": "v", "ttl": "0"}, "more than zero"),
        ({"name": "k", "type": "string", "value": "zz", "value_encoding": "hex"}, "hex"),
        ({"name": "k", "type": "unsupported", "value": "v"}, "Select a valid choice"),
    ],
)
def test_bad_input_creates_nothing(client, r, fields, message):
    response = create(client, **fields)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert r.dbsize() == 0


def test_the_form_is_offered_from_the_key_list(client, r):
    page = client.get("/c/default/db/0/").content.decode()
    assert 'href="/c/default/db/0/new/"' in page
    form = client.get("/c/default/db/0/new/", headers=HTMX).content.decode()
    assert 'name="type"' in form and "<html" not in form


def test_readonly_mode_hides_and_refuses_creation(client, r, settings):
    settings.DASHBOARD_READONLY = True
    assert 'href="/c/default/db/0/new/"' not in client.get("/c/default/db/0/").content.decode()
    assert create(client, name="k", type="string", value="v").status_code == 403
    assert r.dbsize() == 0


def test_module_types_are_offered_only_where_the_server_has_the_module(client, r):
    """The default test server loads no modules: the New-key form leaves out RedisJSON and
    RedisBloom's types, and a form posted for one anyway is refused by the Type field, with
    nothing written (the module tests create them where the modules are loaded)."""
    page = client.get("/c/default/db/0/new/").content.decode()
    assert 'value="hash"' in page
    for type_name in ("ReJSON-RL", "MBbloom--", "MBbloomCF"):
        assert f'value="{type_name}"' not in page
    response = client.post("/c/default/db/0/new/", {"name": "made", "type": "ReJSON-RL",
                                          "document": '{"x": 1}'}, headers=HTMX)
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert not r.exists("made")
