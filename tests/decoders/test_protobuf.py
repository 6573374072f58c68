"""Protobuf without a schema, on messages serialized by the protobuf library."""

from __future__ import annotations

import struct

from google.protobuf import descriptor_pb2, timestamp_pb2

from keyspace.decoders import registry
from tests.decoders.helpers import values

PROTOBUF = registry.get("protobuf")


def test_field_numbers_wire_types_and_readings():
    data = timestamp_pb2.Timestamp(seconds=1700000000, nanos=5).SerializeToString()
    assert 0 < PROTOBUF.detect(data) < PROTOBUF.CONFIDENT  # recognised, never picked alone
    result = PROTOBUF.decode(data)
    assert [(c.label, c.kind) for c in result.tree.children] == [("1", "varint"), ("2", "varint")]
    assert values(result) == {
        "message/1": "1700000000 (sint 850000000)",
        "message/2": "5 (sint -3)",
    }
    assert "without the schema, field types are guesses" in result.notes


def test_nested_messages_are_guessed():
    proto = descriptor_pb2.FileDescriptorProto(
        name="shop.proto",
        package="shop",
        message_type=[
            descriptor_pb2.DescriptorProto(
                name="Order",
                field=[descriptor_pb2.FieldDescriptorProto(name="id", number=1, type=3)],
            )
        ],
    )
    shown = values(PROTOBUF.decode(proto.SerializeToString()))
    assert shown["message/1"] == "shop.proto"
    assert shown["message/2"] == "shop"
    assert shown["message/4/1"] == "Order"
    assert shown["message/4/2/1"] == "id"
    assert shown["message/4/2/3"] == "1 (sint -1)"  # the field number, read both ways


def test_doubles_and_negative_numbers():
    double = b"\x09" + struct.pack("<d", 1.5)  # field 1, fixed64
    minus_one = b"\x10" + b"\xff" * 9 + b"\x01"  # field 2, varint -1 as int64
    data = double + minus_one
    shown = values(PROTOBUF.decode(data))
    assert shown["message/1"] == "4609434218613702656 (float 1.5, hex 000000000000f83f)"
    assert shown["message/2"].startswith(
        "18446744073709551615 (int64 -1, sint -9223372036854775808"
    )


def test_malformed():
    assert PROTOBUF.decode(b"\x0a\x05ab").message == (
        "not Protobuf (no schema): field 1 says 5 bytes; fewer are left"
    )
    assert PROTOBUF.decode(b"\x00").message == "not Protobuf (no schema): field number 0 at byte 0"
    assert PROTOBUF.decode(b"\x0b").message == (
        "not Protobuf (no schema): wire type 3 (groups or invalid) at byte 0"
    )
    assert PROTOBUF.detect(b"hello") == 0  # text is left to the text view
