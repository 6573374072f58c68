"""The registry: explicit, loud about mistakes, and the order of choices the page offers."""

from __future__ import annotations

import json

import msgpack
import pytest

from keyspace.decoders import Decoded, Decoder, Registry, registry

EXPECTED = {
    "text", "json", "hex", "msgpack", "pickle", "gzip", "zlib", "zstd", "rq", "celery",
    "django-signed", "php", "java", "protobuf", "timestamp",
}  # fmt: skip


class Upper(Decoder):
    name = "upper"
    label = "Upper case"

    def detect(self, data: bytes) -> int:
        return 70 if data.isupper() else 0

    def read(self, data, limits, layer):
        return self.result(text=data.decode().lower())


def test_every_format_is_registered_once():
    assert set(registry.names()) == EXPECTED
    assert len(registry.names()) == len(EXPECTED)


def test_registering_a_name_twice_fails_loudly():
    own = Registry()
    own.register(Upper)
    with pytest.raises(ValueError, match="'upper' is already registered"):
        own.register(Upper)


def test_a_decoder_needs_a_name_and_a_label():
    class Nameless(Decoder):
        label = "No name"

    with pytest.raises(ValueError, match="needs a name and a label"):
        Registry().register(Nameless)


def test_a_new_decoder_is_one_class_and_one_line():
    own = Registry()
    own.register(Upper)
    assert own.decode_as("upper", b"ABC").text == "abc"
    assert [d.name for d, _ in own.detected(b"ABC")] == ["upper"]


def test_choices_list_what_detects_the_value_first_then_the_rest():
    found, rest = registry.ordered_choices(msgpack.packb({"a": 1}))
    assert found[0] == ("msgpack", "MessagePack")
    assert ("hex", "Hex") in found
    assert {name for name, _ in found} | {name for name, _ in rest} == EXPECTED
    assert not {name for name, _ in found} & {name for name, _ in rest}


def test_auto_takes_the_first_confident_decoder_that_reads():
    assert registry.decode_auto(json.dumps({"a": 1}).encode()).decoder == "json"
    # Looks like JSON at both ends but is not: falls back to text, never fails.
    assert registry.decode_auto(b"{nope}").decoder == "text"
    assert registry.decode_auto(b"\x00\x01\xff").decoder == "hex"


def test_a_decoder_bug_is_a_failure_on_the_page_not_a_500(caplog):
    class Broken(Decoder):
        name = "broken"
        label = "Broken"

        def detect(self, data):
            raise AttributeError("a bug")

        def read(self, data, limits, layer):
            raise AttributeError("a bug")

    own = Registry()
    own.register(Broken)
    result = own.decode_as("broken", b"x")
    assert isinstance(result, Decoded) and not result.ok
    assert result.message == "not Broken: this decoder failed on it (a bug, logged on the server)"
    assert own.detected(b"x") == []
    assert "decoder broken failed" in caplog.text


def test_failures_name_the_format_and_the_reason():
    result = registry.get("msgpack").decode(b"\x92\x01")
    assert not result.ok
    assert result.message.startswith("not MessagePack: ")
