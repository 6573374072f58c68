from keyspace.display import bytes_to_text, hex_dump, human_bytes, human_ttl, pretty_json


def test_text_shows_as_is_and_binary_escaped():
    assert bytes_to_text(b"user:1") == "user:1"
    assert bytes_to_text("caf\u00e9".encode()) == "caf\u00e9"
    assert bytes_to_text(b"a\xffb\x00") == "a\\xffb\\0"
    assert bytes_to_text(b"two\nlines") == "two\\nlines"


def test_bidi_and_zero_width_characters_are_made_visible():
    assert bytes_to_text("a\u202eb".encode()) == "a\\xe2\\x80\\xaeb"
    assert bytes_to_text("a\u200bb".encode()) == "a\\xe2\\x80\\x8bb"


def test_human_ttl():
    assert human_ttl(-1) == "no TTL"
    assert human_ttl(-2) == "expired"
    assert human_ttl(500) == "500 ms"
    assert human_ttl(83_040_000) == "23 h 4 m"
    assert human_ttl(90_061_000) == "1 d 1 h"
    assert human_ttl(59_000) == "59 s"


def test_human_bytes():
    assert human_bytes(None) == "—"
    assert human_bytes(512) == "512 B"
    assert human_bytes(2 * 1024 * 1024) == "2.0 MiB"


def test_pretty_json_only_for_objects_and_arrays():
    assert pretty_json(b'{"a": [1, 2]}') == '{\n  "a": [\n    1,\n    2\n  ]\n}'
    assert pretty_json(b"42") is None
    assert pretty_json(b"{not json") is None


def test_hex_dump_lines():
    assert hex_dump(b"AB\x00") == "00000000  41 42 00" + " " * 39 + "  AB."
