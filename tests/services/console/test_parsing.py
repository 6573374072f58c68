import pytest

from keyspace.exceptions import BadRequest
from keyspace.services.console.parsing import quote, split_command


@pytest.mark.parametrize(("line", "words"), [
    ("GET a", [b"GET", b"a"]),
    ("  set   k   v  ", [b"set", b"k", b"v"]),
    ('set "a b" c', [b"set", b"a b", b"c"]),
    (r'set k "\x00\xff\n\t\"\\"', [b"set", b"k", b'\x00\xff\n\t"\\']),
    (r"set k 'it\'s'", [b"set", b"k", b"it's"]),
    (r"set k 'no \n escape'", [b"set", b"k", b"no \\n escape"]),
    ('set k ""', [b"set", b"k", b""]),
    ("set k é", [b"set", b"k", "é".encode()]),
    ('set pre"quoted part"', [b"set", b"prequoted part"]),
])
def test_split_like_redis_cli(line, words):
    assert split_command(line) == words


@pytest.mark.parametrize("line", ['set "open', "set 'open", '"a"b', "", "   "])
def test_unbalanced_or_empty_lines_are_refused(line):
    with pytest.raises(BadRequest):
        split_command(line)


def test_quote_round_trips_through_split():
    value = bytes(range(256))
    assert split_command("set k " + quote(value)) == [b"set", b"k", value]


def test_quote_prints_like_redis_cli():
    assert quote(b'a"b\\c\n\xff') == r'"a\"b\\c\n\xff"'
