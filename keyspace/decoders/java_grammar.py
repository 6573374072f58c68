"""A reader of Java's object serialization stream grammar (the spec's chapter 6), structure
only: class names, field names and primitive values. It never looks a class up, let alone
loads one; classes that write their own data leave it as blocks of bytes."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from keyspace.decoders.base import Node, NotThis
from keyspace.decoders.tree import TreeBuilder, scalar_text

MAGIC = b"\xac\xed\x00\x05"
BASE_HANDLE = 0x7E0000
(TC_NULL, TC_REFERENCE, TC_CLASSDESC, TC_OBJECT, TC_STRING, TC_ARRAY, TC_CLASS, TC_BLOCKDATA,
 TC_ENDBLOCKDATA, TC_RESET, TC_BLOCKDATALONG, TC_EXCEPTION, TC_LONGSTRING, TC_PROXYCLASSDESC,
 TC_ENUM) = range(0x70, 0x7F)  # fmt: skip
SC_WRITE_METHOD, SC_SERIALIZABLE, SC_EXTERNALIZABLE, SC_BLOCK_DATA = 0x01, 0x02, 0x04, 0x08
# Primitive type codes: (struct format, kind shown).
PRIMITIVES = {
    "B": (">b", "byte"), "C": (">H", "char"), "D": (">d", "double"), "F": (">f", "float"),
    "I": (">i", "int"), "J": (">q", "long"), "S": (">h", "short"), "Z": (">?", "boolean"),
}  # fmt: skip


@dataclass
class ClassDesc:
    name: str
    flags: int = 0
    fields: list[tuple[str, str]] = field(default_factory=list)  # (type code, field name)
    parent: ClassDesc | None = None

    def lineage(self) -> list[ClassDesc]:
        """This class and its serializable ancestors, topmost first (the order data is in)."""
        chain, desc = [], self
        while desc is not None and len(chain) < 64:
            chain.append(desc)
            desc = desc.parent
        return chain[::-1]


class JavaStream:
    def __init__(self, data: bytes, builder: TreeBuilder) -> None:
        self.data, self.pos, self.builder = data, 0, builder
        self.handles: list[object] = []

    def take(self, count: int) -> bytes:
        if count < 0 or self.pos + count > len(self.data):
            raise NotThis(f"the stream ends early (at byte {self.pos:,})")
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def unpack(self, fmt: str):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]

    def utf(self, long: bool = False) -> str:
        raw = self.take(self.unpack(">q" if long else ">H"))
        # "Modified UTF-8" writes NUL as C0 80; the rest reads as UTF-8 (or shows as escapes).
        return scalar_text(raw.replace(b"\xc0\x80", b"\x00"))[1]

    def new_handle(self, thing: object) -> int:
        self.handles.append(thing)
        return len(self.handles) - 1

    def handle(self) -> object:
        index = self.unpack(">i") - BASE_HANDLE
        if not 0 <= index < len(self.handles):
            raise NotThis(f"a reference to an unknown handle at byte {self.pos - 4:,}")
        return self.handles[index]

    def contents(self, label: str, depth: int) -> Node:
        """One `content`: an object or a block of data."""
        tag = self.data[self.pos] if self.pos < len(self.data) else None
        if tag in (TC_BLOCKDATA, TC_BLOCKDATALONG):
            self.pos += 1
            size = self.unpack(">B" if tag == TC_BLOCKDATA else ">i")
            return self.builder.scalar(label, "block data", scalar_text(self.take(size))[1])
        return self.object(label, depth)

    def object(self, label: str, depth: int) -> Node:
        if depth >= self.builder.limits.depth:
            raise NotThis(f"nested deeper than {self.builder.limits.depth} levels")
        tag = self.unpack(">B")
        if tag == TC_NULL:
            return self.builder.scalar(label, "null", "null")
        if tag == TC_REFERENCE:
            target = self.handle()
            shown = target.name if isinstance(target, ClassDesc) else str(target)
            return self.builder.scalar(label, "reference", f"to {shown}")
        if tag in (TC_STRING, TC_LONGSTRING):
            text = self.utf(long=tag == TC_LONGSTRING)
            self.new_handle(f'"{self.builder.short(text)[:80]}"')
            return self.builder.scalar(label, "String", text)
        if tag == TC_CLASS:
            desc = self.class_desc(depth)
            self.new_handle(f"class {desc.name if desc else '?'}")
            return self.builder.scalar(label, "class", desc.name if desc else "null")
        if tag in (TC_CLASSDESC, TC_PROXYCLASSDESC):
            self.pos -= 1
            desc = self.class_desc(depth)
            return self.builder.scalar(label, "class description", desc.name if desc else "")
        if tag == TC_ENUM:
            desc = self.class_desc(depth)
            self.new_handle(f"enum {desc.name if desc else '?'}")
            constant = self.object("", depth + 1)
            return self.builder.scalar(label, f"enum {desc.name if desc else '?'}", constant.value)
        if tag == TC_ARRAY:
            return self.array(label, depth)
        if tag == TC_OBJECT:
            return self.new_object(label, depth)
        if tag == TC_RESET:
            self.handles.clear()
            return self.object(label, depth)
        if tag == TC_EXCEPTION:
            self.handles.clear()
            return self.object(f"{label} (thrown while writing)", depth + 1)
        raise NotThis(f"unknown tag 0x{tag:02x} at byte {self.pos - 1:,}")

    def class_desc(self, depth: int) -> ClassDesc | None:
        tag = self.unpack(">B")
        if tag == TC_NULL:
            return None
        if tag == TC_REFERENCE:
            target = self.handle()
            if not isinstance(target, ClassDesc):
                raise NotThis(f"a class description refers to a non-class at byte {self.pos:,}")
            return target
        if tag == TC_PROXYCLASSDESC:
            desc = ClassDesc("proxy")
            self.new_handle(desc)
            names = [self.utf() for _ in range(self.unpack(">i"))]
            desc.name = f"proxy implementing {', '.join(names)[:400]}"
        elif tag == TC_CLASSDESC:
            desc = ClassDesc(self.utf())
            self.take(8)  # serialVersionUID
            self.new_handle(desc)
            desc.flags = self.unpack(">B")
            for _ in range(self.unpack(">H")):
                code = chr(self.unpack(">B"))
                name = self.utf()
                if code in "L[":
                    self.object("", depth + 1)  # the field's class name, as a String
                elif code not in PRIMITIVES:
                    raise NotThis(f"unknown field type {code!r} in {desc.name}")
                desc.fields.append((code, name))
        else:
            raise NotThis(f"expected a class description at byte {self.pos - 1:,}")
        self.annotation(depth)
        desc.parent = self.class_desc(depth + 1)
        return desc

    def annotation(self, depth: int, into: list[Node] | None = None) -> None:
        """Contents up to TC_ENDBLOCKDATA (what a class's own writeObject wrote)."""
        while self.pos < len(self.data) and self.data[self.pos] != TC_ENDBLOCKDATA:
            node = self.contents("written by writeObject", depth + 1)
            if into is not None and self.builder.budget.take():
                into.append(node)
        self.take(1)

    def new_object(self, label: str, depth: int) -> Node:
        desc = self.class_desc(depth)
        if desc is None:
            raise NotThis("an object without a class")
        self.new_handle(f"an earlier {desc.name}")
        children: list[Node] = []
        total = 0
        for cls in desc.lineage():
            prefix = "" if cls is desc else f"{cls.name}."
            if cls.flags & SC_SERIALIZABLE:
                total += len(cls.fields)
                for code, name in cls.fields:
                    node = self.value(code, prefix + name, depth)
                    if self.builder.budget.take():
                        children.append(node)
                if cls.flags & SC_WRITE_METHOD:
                    self.annotation(depth, children)
            elif cls.flags & SC_EXTERNALIZABLE:
                if not cls.flags & SC_BLOCK_DATA:
                    raise NotThis(f"{cls.name} wrote itself in the old format only it can read")
                self.annotation(depth, children)
        total = max(total, len(children))
        return self.builder.container(label, f"object {desc.name}", children, total)

    def value(self, code: str, label: str, depth: int) -> Node:
        if code in "L[":
            return self.object(label, depth + 1)
        fmt, kind = PRIMITIVES[code]
        number = self.unpack(fmt)
        if code == "C" and not 0xD800 <= number < 0xE000:
            number = chr(number)
        text = scalar_text(number)[1]
        return self.builder.scalar(label, kind, text)

    def array(self, label: str, depth: int) -> Node:
        desc = self.class_desc(depth)
        if desc is None or not desc.name.startswith("["):
            raise NotThis("an array without an array class")
        self.new_handle(f"an earlier {desc.name}")
        size = self.unpack(">i")
        if size < 0 or size > len(self.data) - self.pos:
            raise NotThis(f"an array of {size:,} elements does not fit in the stream")
        code = desc.name[1:2]
        if code not in PRIMITIVES and code not in "L[":
            raise NotThis(f"unknown array type {desc.name}")
        children = []
        for i in range(size):
            node = self.value(code, str(i), depth)
            if self.builder.budget.take():
                children.append(node)
        return self.builder.container(label, f"array {desc.name} ({size:,})", children, size)
