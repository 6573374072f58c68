"""Text and hex read any bytes, even part of a value."""

from __future__ import annotations

from keyspace.decoders import registry


def test_text_keeps_newlines_and_escapes_the_rest():
    assert registry.get("text").decode(b"a\nb\tc").text == "a\nb\tc"
    assert registry.get("text").decode(b"\x00\xffok").text == r"\0\xffok"
    assert not registry.get("text").needs_whole


def test_hex_dump():
    result = registry.get("hex").decode(b"AB\x00")
    assert result.text == "00000000  41 42 00" + " " * 39 + "  AB."
    assert registry.get("hex").detect(b"\x00") > registry.get("hex").detect(b"text")
