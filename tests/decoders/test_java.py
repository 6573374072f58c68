"""Java serialized objects, built byte by byte per the stream grammar: structure only."""

from __future__ import annotations

import struct

from keyspace.decoders import registry
from tests.decoders.helpers import small_limits, values
from tests.decoders.samples import java_point, java_utf

JAVA = registry.get("java")
MAGIC = b"\xac\xed\x00\x05"
END, NULL = b"\x78", b"\x70"


def class_desc(name: str, flags: int, fields: bytes, count: int, parent: bytes = NULL) -> bytes:
    return (
        b"\x72" + java_utf(name) + struct.pack(">qB", 1, flags) + struct.pack(">H", count)
        + fields + END + parent
    )  # fmt: skip


def test_an_object_with_primitive_and_string_fields():
    result = JAVA.decode(java_point())
    assert result.ok and result.tree.kind == "object com.example.Point"
    assert values(result) == {"#1/x": "3", "#1/y": "4", "#1/label": "corner"}


def test_an_array_list_written_by_its_own_write_object():
    # java.util.ArrayList: SC_WRITE_METHOD | SC_SERIALIZABLE, one int field (size), then its
    # writeObject data: a block with the capacity, the elements, and the end marker.
    desc = class_desc("java.util.ArrayList", 0x03, b"I" + java_utf("size"), 1)
    data = (
        MAGIC + b"\x73" + desc + struct.pack(">i", 2)
        + b"\x77\x04" + struct.pack(">i", 2)
        + b"\x74" + java_utf("a") + b"\x71" + struct.pack(">i", 0x7E0002) + END
    )  # fmt: skip
    result = JAVA.decode(data)
    assert result.tree.kind == "object java.util.ArrayList"
    children = [(c.label, c.kind, c.value) for c in result.tree.children]
    assert children == [
        ("size", "int", "2"),
        ("written by writeObject", "block data", r"\0\0\0\x02"),
        ("written by writeObject", "String", "a"),
        ("written by writeObject", "reference", 'to "a"'),
    ]


def test_superclass_fields_arrays_and_enums():
    base = class_desc("com.example.Base", 0x02, b"Z" + java_utf("active"), 1)
    child = class_desc(
        "com.example.Child", 0x02, b"[" + java_utf("ids") + b"\x74" + java_utf("[I"), 1, base
    )
    enum_desc = class_desc(
        "com.example.Color", 0x12, b"", 0, class_desc("java.lang.Enum", 0x12, b"", 0)
    )
    ints = b"\x75" + class_desc("[I", 0x02, b"", 0) + struct.pack(">iii", 2, 10, 20)
    data = (
        MAGIC + b"\x73" + child + b"\x01" + ints + b"\x7e" + enum_desc + b"\x74" + java_utf("RED")
    )
    result = JAVA.decode(data)
    assert result.tree.kind == "stream"
    assert values(result) == {
        "stream/#1/com.example.Base.active": "true",
        "stream/#1/ids/0": "10",
        "stream/#1/ids/1": "20",
        "stream/#2": "RED",
    }
    assert result.tree.children[1].kind == "enum com.example.Color"


def test_malformed_streams():
    assert (
        JAVA.decode(java_point()[:-3]).message
        == "not Java serialized: the stream ends early (at byte 86)"
    )
    assert JAVA.decode(MAGIC + b"\x71\x00\x7e\x00\x09").message == (
        "not Java serialized: a reference to an unknown handle at byte 5"
    )
    assert JAVA.decode(MAGIC + b"\x55").message == "not Java serialized: unknown tag 0x55 at byte 4"
    assert JAVA.decode(b"\xac\xed\x00\x04").message == "not Java serialized: no AC ED 00 05 header"


def test_depth_is_bounded():
    holder = class_desc("H", 0x02, b"L" + java_utf("next") + b"\x74" + java_utf("LH;"), 1)
    again = b"\x71" + struct.pack(">i", 0x7E0000)
    data = MAGIC + b"\x73" + holder + (b"\x73" + again) * 50 + NULL
    assert JAVA.decode(data, limits=small_limits(depth=10)).message == (
        "not Java serialized: nested deeper than 10 levels"
    )
