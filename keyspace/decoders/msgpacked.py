"""MessagePack: maps and arrays shown as a tree. There is no magic number; a value counts as
msgpack when it is exactly one complete msgpack object (nothing missing, nothing after)."""

from __future__ import annotations

import msgpack

from keyspace.decoders.base import Decoder, Limits, NotThis
from keyspace.decoders.tree import Pairs, TreeBuilder

# First bytes of a map or an array: fixmap, fixarray, array 16/32, map 16/32.
CONTAINERS = frozenset(range(0x80, 0xA0)) | {0xDC, 0xDD, 0xDE, 0xDF}


class Ext:
    """An extension value: its type code and raw bytes, shown, never interpreted."""

    def __init__(self, code: int, data: bytes) -> None:
        self.code, self.data = code, data

    def __str__(self) -> str:
        return f"extension type {self.code}, {len(self.data):,} bytes: {self.data[:64].hex(' ')}"


def unpack(data: bytes):
    """One msgpack object from `data`; the unpacker's own limits are the input's length."""
    try:
        return msgpack.unpackb(
            data,
            raw=False,
            unicode_errors="surrogateescape",
            strict_map_key=False,
            object_pairs_hook=Pairs,
            ext_hook=Ext,
            timestamp=0,
        )
    except msgpack.ExtraData as exc:
        raise NotThis(f"{len(exc.extra):,} bytes follow the first value") from None
    except msgpack.FormatError as exc:
        raise NotThis(f"bad format ({exc})") from None
    except msgpack.StackError:
        raise NotThis("nested too deeply") from None
    except (ValueError, TypeError) as exc:
        raise NotThis(str(exc)[:200] or "incomplete") from None


class MsgpackDecoder(Decoder):
    name = "msgpack"
    label = "MessagePack"

    def detect(self, data: bytes) -> int:
        if not data:
            return 0
        try:
            unpack(data)
        except NotThis:
            return 0
        # A lone number or string is valid msgpack too, but rarely what was meant.
        return 80 if data[0] in CONTAINERS else 15

    def read(self, data: bytes, limits: Limits, layer: int):
        if not data:
            raise NotThis("the value is empty")
        value = unpack(data)
        builder = TreeBuilder(limits)
        tree = builder.from_value(value, "value")
        return self.result(tree=tree, notes=tuple(builder.notes()), summary=tree.kind)
