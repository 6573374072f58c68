import json
import random

from keyspace import display
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


def test_pretty_json_of_deep_nesting_is_not_drawn_past_a_bound():
    """Indenting grows with depth: 900 bytes nested 450 deep were 200 KB indented. Past three
    times the input (and 16 KB), the value is shown as it came (None here)."""
    deep = b"[" + b",".join([b"[" * 450 + b"]" * 450] * 4) + b"]"
    assert pretty_json(deep) is None
    assert pretty_json(b"[" * 20 + b"1" + b"]" * 20) is not None  # a little nesting is drawn
    document = json.dumps([{"id": i, "tags": ["a", "b"], "at": {"x": i}} for i in range(500)])
    assert json.loads(pretty_json(document.encode())) == json.loads(document)


def test_pretty_json_only_for_objects_and_arrays():
    assert pretty_json(b'{"a": [1, 2]}') == '{\n  "a": [\n    1,\n    2\n  ]\n}'
    assert pretty_json(b"42") is None
    assert pretty_json(b"{not json") is None


def test_hex_dump_lines():
    assert hex_dump(b"AB\x00") == "00000000  41 42 00" + " " * 39 + "  AB."


def test_pretty_json_is_what_json_indents_for_any_decoded_value():
    """pretty_json indents by itself (faster than json.dumps(indent=2)): the same text for
    nested, empty, escaped, non-ASCII, huge and non-finite values."""
    rng = random.Random(13)
    alphabet = 'ab"\\{}[],: \n\t\x00\x1f\u2028\u00e9\U0001f600\x7f/'

    def text() -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))

    def value(depth: int = 0):
        pick = rng.random()
        if depth < 4 and pick < 0.2:
            return {text(): value(depth + 1) for _ in range(rng.randint(0, 4))}
        if depth < 4 and pick < 0.4:
            return [value(depth + 1) for _ in range(rng.randint(0, 4))]
        if pick < 0.55:
            return text()
        if pick < 0.7:
            return rng.randint(-10**30, 10**30)
        if pick < 0.8:
            return rng.random() * 10 ** rng.randint(-300, 300)
        if pick < 0.85:
            return float(rng.choice(["nan", "inf", "-inf"]))
        return rng.choice([True, False, None, 0, -0.0, 1e16])

    def reference(data: str) -> str:  # what pretty_json did with json.dumps
        text = json.dumps(json.loads(data), indent=2, ensure_ascii=False)
        return display._NON_ASCII.sub(
            lambda m: json.dumps(m[0])[1:-1] if display._is_invisible(m[0]) else m[0], text)

    for _ in range(3000):
        data = json.dumps({"v": value()} if rng.random() < 0.5 else [value()])
        assert pretty_json(data.encode()) == reference(data), data
