"""PHP serialize() strings, as PHP writes them, read by the grammar."""

from __future__ import annotations

import pytest

from keyspace.decoders import registry
from tests.decoders.helpers import small_limits, values

PHP = registry.get("php")

# serialize(['id' => 7, 'name' => 'Zoë', 'ok' => true, 'score' => 1.5, 'none' => null,
#            'tags' => ['a', 'b']])
ARRAY = (
    b'a:6:{s:2:"id";i:7;s:4:"name";s:4:"Zo\xc3\xab";s:2:"ok";b:1;s:5:"score";d:1.5;'
    b's:4:"none";N;s:4:"tags";a:2:{i:0;s:1:"a";i:1;s:1:"b";}}'
)
# An object of class User with a public, a protected and a private property.
OBJECT = (
    b'O:4:"User":3:{s:4:"name";s:3:"Ada";s:8:"\x00*\x00email";s:5:"a@b.c";'
    b's:10:"\x00User\x00pass";s:6:"secret";}'
)


def test_an_array():
    assert PHP.detect(ARRAY) == 80
    result = PHP.decode(ARRAY)
    assert result.summary == "array (6)"
    assert values(result) == {
        "value/id": "7",
        "value/name": "Zoë",  # the length counts bytes
        "value/ok": "true",
        "value/score": "1.5",
        "value/none": "null",
        "value/tags/0": "a",
        "value/tags/1": "b",
    }


def test_an_object_with_visibility():
    result = PHP.decode(OBJECT)
    assert result.tree.kind == "object User (3)"
    assert values(result) == {
        "value/name": "Ada",
        "value/email (protected)": "a@b.c",
        "value/pass (private to User)": "secret",
    }


def test_custom_serialized_enums_and_references():
    data = b'a:3:{i:0;C:11:"ArrayObject":5:{x:i:0}i:1;E:11:"Suit:Hearts";i:2;r:1;}'
    shown = values(PHP.decode(data))
    assert shown == {"value/0": "x:i:0", "value/1": "Suit:Hearts", "value/2": "to value #1"}


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b's:10:"short";', "a string of 10 bytes runs past the end"),
        (b'a:2:{i:0;s:1:"a";', "the value ends early (at byte 17)"),
        (b"i:5;i:6;", "4 bytes follow the value"),
        (b"x:1;", "unknown type 'x' at byte 0"),
    ],
)
def test_malformed(data, reason):
    assert PHP.decode(data).message == f"not PHP serialized: {reason}"


def test_nesting_is_bounded():
    data = b"a:1:{i:0;" * 100 + b"N;" + b"}" * 100
    assert PHP.decode(data, limits=small_limits(depth=10)).message == (
        "not PHP serialized: nested deeper than 10 levels"
    )
