import pytest
from django.urls import reverse

from keyspace.display import bytes_to_text
from keyspace.redis.keynames import decode_key, encode_key, escape_glob, parse_escaped

AWKWARD = [
    b"",
    b"plain",
    b"\xff\xfe\x00",
    b"a/b?c#d%e f",
    b"new\nline",
    b"<script>",
    bytes(range(256)),
]


@pytest.mark.parametrize("name", AWKWARD)
def test_any_bytes_round_trip_through_a_url(name):
    token = encode_key(name)
    assert "=" not in token and "/" not in token and "+" not in token
    assert decode_key(token) == name
    url = reverse("keyspace:key-detail", kwargs={"db": 0, "key": name})
    assert url == f"/c/default/db/0/key/{token}/"


@pytest.mark.parametrize("token", ["!!!", "a", "ab=c", "a b"])
def test_malformed_tokens_are_refused(token):
    with pytest.raises(ValueError):
        decode_key(token)


def test_glob_specials_are_escaped(r):
    names = [b"a*b", b"a?b", b"a[b]", b"a\\b", b"axb"]
    for name in names:
        r.set(name, 1)
    for name in names[:4]:
        _, found = r.scan(0, match=escape_glob(name), count=1000)
        assert found == [name]


@pytest.mark.parametrize("name", AWKWARD)
def test_the_displayed_form_parses_back_to_the_bytes(name):
    assert parse_escaped(bytes_to_text(name)) == name or bytes_to_text(name) == name.decode()


def test_parse_escaped():
    assert parse_escaped("a\\xffb\\n\\\\") == b"a\xffb\n\\"
    assert parse_escaped("caf\u00e9") == "caf\u00e9".encode()


@pytest.mark.parametrize("name", AWKWARD + [b"a\\b", b"a\\\\xff", b"x[1]*"])
def test_escaped_text_parses_back_exactly(name):
    from keyspace.redis.keynames import to_escaped

    assert parse_escaped(to_escaped(name)) == name
