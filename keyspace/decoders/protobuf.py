"""Protocol Buffers without a schema: field numbers and wire types, as the bytes say.

Without the .proto file nobody knows what a length-delimited field holds, so it is guessed:
a nested message when its bytes parse as one (a bounded number of levels), else text when
they read as text, else bytes. Numbers are shown in the readings they allow.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from keyspace.decoders.base import Decoder, Limits, Node, NotThis
from keyspace.decoders.tree import TreeBuilder, scalar_text
from keyspace.display import is_printable_text

MAX_FIELD = (1 << 29) - 1
GUESS_LEVELS = 8  # nested messages guessed inside length-delimited fields
WIRE_NAMES = {0: "varint", 1: "fixed64", 2: "bytes", 5: "fixed32"}


@dataclass(frozen=True)
class Field:
    number: int
    wire: int
    value: int | bytes | tuple  # a tuple of Fields for a nested message


def varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    for i in range(10):
        if pos + i >= len(data):
            raise NotThis(f"a varint runs past the end at byte {pos}")
        byte = data[pos + i]
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result & ((1 << 64) - 1), pos + i + 1
        shift += 7
    raise NotThis(f"a varint longer than 10 bytes at byte {pos}")


def parse(data: bytes, levels: int) -> tuple[Field, ...]:
    """Every field of the message in `data`; raises NotThis unless all of it parses."""
    fields, pos = [], 0
    while pos < len(data):
        start = pos
        key, pos = varint(data, pos)
        number, wire = key >> 3, key & 7
        if not 1 <= number <= MAX_FIELD:
            raise NotThis(f"field number {number} at byte {start}")
        if wire == 0:
            value, pos = varint(data, pos)
        elif wire in (1, 5):
            width = 8 if wire == 1 else 4
            if pos + width > len(data):
                raise NotThis(f"field {number} runs past the end")
            value, pos = data[pos : pos + width], pos + width
        elif wire == 2:
            length, pos = varint(data, pos)
            if pos + length > len(data):
                raise NotThis(f"field {number} says {length:,} bytes; fewer are left")
            value, pos = _guess(data[pos : pos + length], levels), pos + length
        else:
            raise NotThis(f"wire type {wire} (groups or invalid) at byte {start}")
        fields.append(Field(number, wire, value))
    return tuple(fields)


def _guess(chunk: bytes, levels: int) -> bytes | tuple:
    if levels <= 0 or not chunk or is_printable_text(chunk):
        return chunk
    try:
        return parse(chunk, levels - 1)
    except NotThis:
        return chunk


def readings(field: Field) -> tuple[str, str]:
    """(kind, text) for a scalar field: each way its bits can be read."""
    if field.wire == 0:
        n = field.value
        signed = n - (1 << 64) if n >> 63 else n
        zigzag = (n >> 1) ^ -(n & 1)
        extra = [f"int64 {signed}"] if signed != n else []
        extra += [f"sint {zigzag}"] if zigzag != n else []
        return "varint", f"{n}" + (f" ({', '.join(extra)})" if extra else "")
    if field.wire in (1, 5):
        raw, width = field.value, len(field.value)
        number = int.from_bytes(raw, "little")
        real = struct.unpack("<d" if width == 8 else "<f", raw)[0]
        return WIRE_NAMES[field.wire], f"{number} (float {real!r}, hex {raw.hex()})"
    kind, text = scalar_text(field.value)
    return ("string" if is_printable_text(field.value) else kind), text


class ProtobufDecoder(Decoder):
    name = "protobuf"
    label = "Protobuf (no schema)"

    def detect(self, data: bytes) -> int:
        # Plenty of short byte strings parse as protobuf; never confident enough to pick it.
        if not data or is_printable_text(data):
            return 0
        try:
            parse(data, 0)
        except NotThis:
            return 0
        return 30

    def read(self, data: bytes, limits: Limits, layer: int):
        if not data:
            raise NotThis("the value is empty")
        fields = parse(data, min(GUESS_LEVELS, limits.depth))
        builder = TreeBuilder(limits)
        tree = self._message(builder, "message", fields)
        notes = (*builder.notes(), "without the schema, field types are guesses")
        return self.result(tree=tree, notes=notes, summary=f"{len(fields):,} fields")

    def _message(self, builder: TreeBuilder, label: str, fields: tuple[Field, ...]) -> Node:
        children = []
        for field in fields:
            if not builder.budget.take():
                break
            name = f"{field.number}"
            if isinstance(field.value, tuple):
                children.append(self._message(builder, name, field.value))
            else:
                children.append(builder.scalar(name, *readings(field)))
        return builder.container(label, f"message ({len(fields):,} fields)", children, len(fields))
