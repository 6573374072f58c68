"""MessagePack from msgpack.packb, shown as a bounded tree."""

from __future__ import annotations

import msgpack

from keyspace.decoders import registry
from tests.decoders.helpers import count_nodes, small_limits, values

MSGPACK = registry.get("msgpack")


def test_a_map_as_a_tree():
    data = msgpack.packb({"a": [1, 2.5, None, True, b"\x00\xff"], "b": {"c": "<i>d</i>"}})
    assert MSGPACK.detect(data) == 80
    result = MSGPACK.decode(data)
    assert result.summary == "map (2)"
    assert values(result) == {
        "value/a/0": "1",
        "value/a/1": "2.5",
        "value/a/2": "null",
        "value/a/3": "true",
        "value/a/4": r"\0\xff",
        "value/b/c": "<i>d</i>",  # text: the template escapes it
    }


def test_keys_of_any_type_and_extension_values():
    data = msgpack.packb({1: msgpack.ExtType(5, b"\x01\x02"), (1, 2): "tuple key"})
    shown = values(MSGPACK.decode(data))
    assert shown["value/1"] == "extension type 5, 2 bytes: 01 02"
    assert "tuple key" in shown.values()


def test_extra_bytes_or_a_short_value_are_not_msgpack():
    data = msgpack.packb([1, 2, 3])
    assert (
        MSGPACK.decode(data + b"\x01").message == "not MessagePack: 1 bytes follow the first value"
    )
    assert not MSGPACK.decode(data[:-1]).ok
    assert MSGPACK.detect(data[:-1]) == 0


def test_a_lone_number_is_recognised_without_confidence():
    assert MSGPACK.detect(msgpack.packb(300)) < MSGPACK.CONFIDENT


def test_item_count_and_depth_are_bounded():
    wide = MSGPACK.decode(msgpack.packb(list(range(10_000))), limits=small_limits(nodes=50))
    assert count_nodes(wide.tree) == 51
    assert wide.tree.note == "9,950 more not shown"
    assert wide.notes == ("only the first 50 entries are shown",)
    nested: list = []
    for _ in range(200):
        nested = [nested]
    deep = MSGPACK.decode(msgpack.packb(nested), limits=small_limits(depth=10))
    assert "parts nested deeper than 10 levels are not shown" in deep.notes


def test_long_strings_are_cut():
    result = MSGPACK.decode(msgpack.packb(["x" * 10_000]), limits=small_limits(scalar_chars=100))
    assert values(result)["value/0"] == "x" * 100 + "… (10,000 characters)"
